"""Helpers shared by the integration's tests: time, entities, states and simulator requests."""

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.thingscloud.api import JsonValue
from custom_components.thingscloud.const import (
    AUTH_TYPE_APP,
    CONF_ACCESS_KEY,
    CONF_APP_ID,
    CONF_AUTH_TYPE,
    CONF_COMMAND_ID,
    CONF_ENDPOINT,
    CONF_SCAN_INTERVAL,
    CONF_SECRET_KEY,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    SUBENTRY_COMMAND_BUTTON,
    SUBENTRY_COMMAND_SWITCH,
)
from custom_components.thingscloud.coordinator import ThingsCloudCoordinator
from simulator.scenarios import DEMO_ACCESS_KEY, DEMO_APP_ID, DEMO_SECRET_KEY
from simulator.testing import RunningSimulator

# The demo's timestamps are relative to "now": a fixed one keeps the snapshots stable.
DEMO_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


def app_entry(url: str, title: str, unique_id: str) -> MockConfigEntry:
    """Return a config entry for a simulated project at `url`, with the demo's app credentials."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=title,
        unique_id=unique_id,
        data={
            CONF_ENDPOINT: url,
            CONF_AUTH_TYPE: AUTH_TYPE_APP,
            CONF_APP_ID: DEMO_APP_ID,
            CONF_ACCESS_KEY: DEMO_ACCESS_KEY,
            CONF_SECRET_KEY: DEMO_SECRET_KEY,
        },
        options={CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL},
    )


async def set_up_platforms(
    hass: HomeAssistant,
    entry: MockConfigEntry,
    *platforms: Platform,
    commands: list[Any] | None = None,
) -> MockConfigEntry:
    """Set an entry up with the given platforms only; return it.

    The entry is added first unless the test added it already (to prepare registry entries).
    `commands` are command items (`kind` switch or button, `id`, `device_id`, `name`, ...),
    added as config subentries.
    """
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    for item in commands or ():
        hass.config_entries.async_add_subentry(entry, command_subentry(item))
    with patch("custom_components.thingscloud.PLATFORMS", list(platforms)):
        await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done()
    return entry


def command_subentry(item: Mapping[str, Any]) -> ConfigSubentry:
    """Return the config subentry of a command item (`kind` switch or button, `id`, ...)."""
    data = {key: value for key, value in item.items() if key not in ("kind", "id")}
    data[CONF_COMMAND_ID] = item["id"]
    kind = SUBENTRY_COMMAND_SWITCH if item["kind"] == "switch" else SUBENTRY_COMMAND_BUTTON
    return ConfigSubentry(
        data=MappingProxyType(data), subentry_type=kind, title=item["name"], unique_id=None
    )


def coordinator_of(entry: MockConfigEntry) -> ThingsCloudCoordinator:
    """Return the coordinator of a set-up entry."""
    coordinator = entry.runtime_data.coordinator
    assert isinstance(coordinator, ThingsCloudCoordinator)
    return coordinator


async def next_cycle(
    hass: HomeAssistant, freezer: FrozenDateTimeFactory, seconds: float = DEFAULT_SCAN_INTERVAL
) -> None:
    """Let the scan interval pass and wait for the refresh to finish."""
    freezer.tick(timedelta(seconds=seconds))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def entity_id_of(hass: HomeAssistant, domain: str, unique_id: str) -> str:
    """Return the entity id of the entity of a platform with a unique_id."""
    entity_id = er.async_get(hass).async_get_entity_id(domain, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def state_of(hass: HomeAssistant, domain: str, unique_id: str) -> State:
    """Return the state object of the entity of a platform with a unique_id."""
    state = hass.states.get(entity_id_of(hass, domain, unique_id))
    assert state is not None, unique_id
    return state


def value_of(hass: HomeAssistant, domain: str, unique_id: str) -> str:
    """Return the state (the string) of the entity of a platform with a unique_id."""
    return state_of(hass, domain, unique_id).state


def states_of(events: list[Event[Any]], entity_id: str) -> list[str]:
    """Return the states an entity went through."""
    return [
        event.data["new_state"].state for event in events if event.data["entity_id"] == entity_id
    ]


async def call_entity_service(
    hass: HomeAssistant,
    domain: str,
    service: str,
    unique_id: str,
    data: Mapping[str, Any] | None = None,
) -> None:
    """Call an entity service on the entity with a unique_id and wait for it."""
    await hass.services.async_call(
        domain,
        service,
        {ATTR_ENTITY_ID: entity_id_of(hass, domain, unique_id), **(data or {})},
        blocking=True,
    )
    await hass.async_block_till_done()


def writes(sim: RunningSimulator) -> list[tuple[str, str, JsonValue]]:
    """Return the attribute writes the simulator received: (method, path, body)."""
    return [
        (entry.method, entry.path, entry.json)
        for entry in sim.state.log
        if entry.route in ("control_attributes_post", "control_attributes_put")
    ]


def reads(sim: RunningSimulator, device_id: str) -> int:
    """Return how often the simulator was asked for a device's attribute values."""
    return sum(
        f"/device/{device_id}/" in entry.path for entry in sim.state.requests("attributes_raw")
    )


def sent_commands(sim: RunningSimulator, device_id: str) -> list[tuple[str, JsonValue]]:
    """Return the commands the simulator recorded for a device: (method, params)."""
    return [(record.method, record.params) for record in sim.state.commands[device_id]]
