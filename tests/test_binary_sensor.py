"""The binary_sensor platform: entity table snapshot, online, alarm and boolean attributes."""

from collections.abc import AsyncGenerator
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.thingscloud.const import DEFAULT_SCAN_INTERVAL, DOMAIN
from simulator.scenarios import demo_state
from simulator.testing import RunningSimulator, start_simulator

DEMO_NOW = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer, in tests/snapshots/."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def sim() -> AsyncGenerator[RunningSimulator]:
    """The demo project with timestamps relative to a fixed moment."""
    running = await start_simulator(demo_state(now=DEMO_NOW.timestamp()))
    yield running
    await running.close()


@pytest.fixture
async def binary_sensors(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The demo entry set up with the binary_sensor platform only."""
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.thingscloud.PLATFORMS", [Platform.BINARY_SENSOR]):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    return mock_config_entry


async def next_cycle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the scan interval pass and wait for the refresh to finish."""
    freezer.tick(timedelta(seconds=DEFAULT_SCAN_INTERVAL))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def state_of(hass: HomeAssistant, unique_id: str) -> State:
    """Return the state of the binary sensor with a unique_id."""
    entity_id = er.async_get(hass).async_get_entity_id("binary_sensor", DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    state = hass.states.get(entity_id)
    assert state is not None
    return state


async def test_binary_sensor_entities(
    hass: HomeAssistant,
    sim: RunningSimulator,
    binary_sensors: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every binary sensor of the demo project: registry entries and states."""
    await snapshot_platform(hass, entity_registry, snapshot, binary_sensors.entry_id)


async def test_online_follows_the_device_and_unknown_without_a_value(
    hass: HomeAssistant,
    sim: RunningSimulator,
    binary_sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Online mirrors the device's `online`; a missing value is unknown."""
    assert state_of(hass, "dev-bedroom-th_online").state == STATE_OFF
    sim.state.set_online("dev-bedroom-th", True)
    sim.state.set_online("dev-lobby-led", False)
    await next_cycle(hass, freezer)
    assert state_of(hass, "dev-bedroom-th_online").state == STATE_ON
    assert state_of(hass, "dev-lobby-led_online").state == STATE_OFF

    sim.state.devices["dev-lobby-led"].online = None  # type: ignore[assignment]
    await next_cycle(hass, freezer)
    assert state_of(hass, "dev-lobby-led_online").state == STATE_UNKNOWN


@pytest.mark.usefixtures("binary_sensors")
@pytest.mark.parametrize(("level", "level_name"), [(1, "minor"), (2, "major"), (3, "critical")])
async def test_alarm_state_and_attributes(
    hass: HomeAssistant,
    sim: RunningSimulator,
    freezer: FrozenDateTimeFactory,
    level: int,
    level_name: str,
) -> None:
    """The alarm sensor carries the level, its name and the info; cleared is off."""
    info = {"rule": "hot", "value": 41}
    sim.state.set_alarm("dev-thermostat", level, info)
    await next_cycle(hass, freezer)
    state = state_of(hass, "dev-thermostat_alarm")
    assert state.state == STATE_ON
    assert state.attributes["level"] == level
    assert state.attributes["level_name"] == level_name
    assert state.attributes["info"] == info

    sim.state.set_alarm("dev-thermostat", None)
    await next_cycle(hass, freezer)
    state = state_of(hass, "dev-thermostat_alarm")
    assert state.state == STATE_OFF
    assert state.attributes["level"] is None
    assert state.attributes["level_name"] is None


async def test_boolean_attribute_follows_the_value(
    hass: HomeAssistant,
    sim: RunningSimulator,
    binary_sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A read-only boolean attribute is on/off, and unknown for a value that is neither."""
    assert state_of(hass, "dev-front-door_attr_contact").state == STATE_ON
    sim.state.set_attributes("dev-front-door", {"contact": "关闭", "tamper": True})
    await next_cycle(hass, freezer)
    assert state_of(hass, "dev-front-door_attr_contact").state == STATE_OFF
    assert state_of(hass, "dev-front-door_attr_tamper").state == STATE_ON

    sim.state.set_attributes("dev-front-door", {"contact": "ajar"})
    await next_cycle(hass, freezer)
    assert state_of(hass, "dev-front-door_attr_contact").state == STATE_UNKNOWN
