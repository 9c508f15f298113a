"""Diagnostics: the raw API objects the vocabulary needs, without any secret."""

import json

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
    get_diagnostics_for_device,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.thingscloud.const import (
    CONF_MQTT_URL,
    CONF_VIEW_KEY,
    CONF_VIEW_SECRET,
    DOMAIN,
)
from simulator.scenarios import (
    DEMO_ACCESS_KEY,
    DEMO_APP_ID,
    DEMO_PASSWORD,
    DEMO_SECRET_KEY,
    DEMO_VIEW_KEY,
    DEMO_VIEW_SECRET,
)
from simulator.testing import RunningSimulator

from .common import DEMO_NOW


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


@pytest.fixture
def demo_now() -> float:
    """The demo's timestamps are relative to a fixed moment: the snapshots stay stable."""
    return DEMO_NOW.timestamp()


def secrets_of(sim: RunningSimulator) -> list[str]:
    """Return every secret the demo project holds."""
    state = sim.state
    secrets = [DEMO_APP_ID, DEMO_ACCESS_KEY, DEMO_SECRET_KEY, DEMO_PASSWORD, state.project_key]
    secrets.extend(state.tokens)
    for device in state.devices.values():
        secrets.extend(
            value
            for value in (
                device.device_key,
                device.access_token,
                device.view_token,
                device.device_code,
            )
            if value
        )
    return secrets


def assert_no_secret(sim: RunningSimulator, diagnostics: object) -> None:
    text = json.dumps(diagnostics, ensure_ascii=False)
    leaked = [secret for secret in secrets_of(sim) if secret in text]
    assert leaked == []


async def test_entry_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Entry diagnostics: entry, project, statistics, raw devices and attributes, redacted."""
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, init_integration)
    assert diagnostics == snapshot(exclude=props("endpoint"))
    assert diagnostics["entry"]["data"]["endpoint"] == sim.url
    assert_no_secret(sim, diagnostics)
    # The thing models are there, raw, for the undocumented vocabulary.
    devices = diagnostics["devices"]
    assert isinstance(devices, dict)
    assert devices["dev-thermostat"]["models"]["mode"]["attr_type"] == "shared"
    assert diagnostics["pacing"]["concurrency"] > 0


async def test_device_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    """Device diagnostics: that device only; the project's device gives the project."""
    registry = dr.async_get(hass)
    device = registry.async_get_device_by_identifier(
        (DOMAIN, "dev-plug-tv"), init_integration.entry_id
    )
    assert device is not None
    diagnostics = await get_diagnostics_for_device(hass, hass_client, init_integration, device)
    assert diagnostics == snapshot
    assert diagnostics["device"]["device_key"] == "**REDACTED**"
    assert_no_secret(sim, diagnostics)

    project = registry.async_get_device_by_identifier(
        (DOMAIN, "project_proj-demo"), init_integration.entry_id
    )
    assert project is not None
    diagnostics = await get_diagnostics_for_device(hass, hass_client, init_integration, project)
    assert diagnostics["project"]["id"] == "proj-demo"
    assert "devices" not in diagnostics

    stale = registry.async_get_or_create(
        config_entry_id=init_integration.entry_id, identifiers={(DOMAIN, "dev-gone")}
    )
    diagnostics = await get_diagnostics_for_device(hass, hass_client, init_integration, stale)
    assert diagnostics == {"removed": True}


async def test_realtime_settings_are_redacted(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The view key and secret never show; the subscription's state does."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={
            **mock_config_entry.options,
            CONF_MQTT_URL: sim.mqtt_url,
            CONF_VIEW_KEY: DEMO_VIEW_KEY,
            CONF_VIEW_SECRET: DEMO_VIEW_SECRET,
        },
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, mock_config_entry)

    text = json.dumps(diagnostics, ensure_ascii=False)
    assert DEMO_VIEW_KEY not in text
    assert DEMO_VIEW_SECRET not in text
    assert diagnostics["entry"]["options"][CONF_VIEW_SECRET] == "**REDACTED**"
    assert diagnostics["entry"]["options"][CONF_MQTT_URL] == sim.mqtt_url
    assert set(diagnostics["realtime"]) >= {"connected", "messages"}
    assert_no_secret(sim, diagnostics)
