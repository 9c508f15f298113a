"""The binary_sensor platform: entity table snapshot, online, alarm and boolean attributes."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from simulator.testing import RunningSimulator

from .common import (
    DEMO_NOW,
    next_cycle,
    set_up_platforms,
    state_of,
)


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


@pytest.fixture
def demo_now() -> float:
    """The demo's timestamps are relative to a fixed moment: the snapshots stay stable."""
    return DEMO_NOW.timestamp()


@pytest.fixture
async def binary_sensors(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The demo entry set up with the binary_sensor platform only."""
    return await set_up_platforms(hass, mock_config_entry, Platform.BINARY_SENSOR)


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
    assert state_of(hass, Platform.BINARY_SENSOR, "dev-bedroom-th_online").state == STATE_OFF
    sim.state.set_online("dev-bedroom-th", True)
    sim.state.set_online("dev-lobby-led", False)
    await next_cycle(hass, freezer)
    assert state_of(hass, Platform.BINARY_SENSOR, "dev-bedroom-th_online").state == STATE_ON
    assert state_of(hass, Platform.BINARY_SENSOR, "dev-lobby-led_online").state == STATE_OFF

    sim.state.devices["dev-lobby-led"].online = None  # type: ignore[assignment]
    await next_cycle(hass, freezer)
    assert state_of(hass, Platform.BINARY_SENSOR, "dev-lobby-led_online").state == STATE_UNKNOWN


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
    state = state_of(hass, Platform.BINARY_SENSOR, "dev-thermostat_alarm")
    assert state.state == STATE_ON
    assert state.attributes["level"] == level
    assert state.attributes["level_name"] == level_name
    assert state.attributes["info"] == info

    sim.state.set_alarm("dev-thermostat", None)
    await next_cycle(hass, freezer)
    state = state_of(hass, Platform.BINARY_SENSOR, "dev-thermostat_alarm")
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
    assert state_of(hass, Platform.BINARY_SENSOR, "dev-front-door_attr_contact").state == STATE_ON
    sim.state.set_attributes("dev-front-door", {"contact": "关闭", "tamper": True})
    await next_cycle(hass, freezer)
    assert state_of(hass, Platform.BINARY_SENSOR, "dev-front-door_attr_contact").state == STATE_OFF
    assert state_of(hass, Platform.BINARY_SENSOR, "dev-front-door_attr_tamper").state == STATE_ON

    sim.state.set_attributes("dev-front-door", {"contact": "ajar"})
    await next_cycle(hass, freezer)
    assert (
        state_of(hass, Platform.BINARY_SENSOR, "dev-front-door_attr_contact").state == STATE_UNKNOWN
    )
