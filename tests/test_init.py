"""Setting up, unloading and removing devices of a ThingsCloud config entry."""

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.thingscloud import PLATFORMS
from custom_components.thingscloud.const import (
    CONF_ENDPOINT,
    CONF_SECRET_KEY,
    DOMAIN,
)
from simulator.scenarios import DEMO_PROJECT_NAME
from simulator.testing import RunningSimulator


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


def ha_device(hass: HomeAssistant, entry: MockConfigEntry, identifier: str) -> dr.DeviceEntry:
    """Return the device registry entry of an identifier of the domain."""
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, identifier), entry.entry_id)
    assert device is not None, identifier
    return device


async def test_setup_and_unload(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """The entry loads its platforms and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert {Platform.SENSOR, Platform.BINARY_SENSOR} <= set(PLATFORMS)
    entities = er.async_entries_for_config_entry(er.async_get(hass), init_integration.entry_id)
    assert {"sensor", "binary_sensor"} <= {entity.domain for entity in entities}

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    state = hass.states.get(entities[0].entity_id)
    assert state is not None
    assert state.state == "unavailable"


async def test_project_and_device_registry(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """The project is a service device; each ThingsCloud device is connected through it."""
    project = ha_device(hass, init_integration, "project_proj-demo")
    assert project.entry_type is dr.DeviceEntryType.SERVICE
    assert project.name == DEMO_PROJECT_NAME
    assert project.manufacturer == "ThingsCloud"

    plug = ha_device(hass, init_integration, "dev-plug-tv")
    assert plug.name == "电视插座 TV Plug"
    assert plug.manufacturer == "ThingsCloud"
    assert plug.model == "智能插座 Smart Plug"
    assert plug.serial_number == "DK0003"
    assert plug.via_device_id == project.id

    spare = ha_device(hass, init_integration, "dev-spare-plug")
    assert spare.serial_number is None


async def test_setup_with_rejected_credentials_starts_reauth(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Credentials rejected at setup: setup error and a reauthentication flow."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_SECRET_KEY: "wrong"}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_setup_with_unusable_endpoint_fails(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Stored data that cannot make a client is a setup error, with nothing sent."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_ENDPOINT: "http://iot.example.com"},
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.reason is not None
    assert sim.state.request_counts() == {}


async def test_stale_registry_devices_removed_at_setup(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A device that left the project while Home Assistant was off is removed at setup."""
    mock_config_entry.add_to_hass(hass)
    registry = dr.async_get(hass)
    gone = registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, "dev-long-gone")},
        name="Long gone",
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert registry.async_get(gone.id) is None
    assert ha_device(hass, mock_config_entry, "dev-living-th")


async def _remove_device(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    entry: MockConfigEntry,
    device: dr.DeviceEntry,
) -> bool:
    """Ask, as the UI does, to remove a device from the entry; return whether it was."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": device.id,
        }
    )
    response = await client.receive_json()
    return bool(response["success"])


async def test_remove_device_refused_for_live_and_project_devices(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The project's device and devices still in the project cannot be removed."""
    for identifier in ("project_proj-demo", "dev-living-th"):
        device = ha_device(hass, init_integration, identifier)
        assert not await _remove_device(hass, hass_ws_client, init_integration, device)
        assert dr.async_get(hass).async_get(device.id) is not None


async def test_remove_device_allowed_for_stale_device(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A device the project no longer has can be removed by the user."""
    stale = dr.async_get(hass).async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={(DOMAIN, "dev-stale")},
        name="Stale",
    )
    assert await _remove_device(hass, hass_ws_client, init_integration, stale)
    assert dr.async_get(hass).async_get(stale.id) is None
