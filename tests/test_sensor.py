"""The sensor platform: entity table snapshot and state updates."""

from datetime import UTC, datetime

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.thingscloud.const import DOMAIN
from simulator.testing import RunningSimulator

from .common import (
    DEMO_NOW,
    next_cycle,
    set_up_platforms,
    value_of,
)


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


@pytest.fixture
def demo_now() -> float:
    """The demo's timestamps are relative to a fixed moment: the snapshots stay stable."""
    return DEMO_NOW.timestamp()


@pytest.fixture
async def sensors(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The demo entry set up with the sensor platform only."""
    return await set_up_platforms(hass, mock_config_entry, Platform.SENSOR)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensor_entities(
    hass: HomeAssistant,
    sim: RunningSimulator,
    sensors: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every sensor of the demo project (also those disabled by default): entries and states."""
    await snapshot_platform(hass, entity_registry, snapshot, sensors.entry_id)


async def test_project_statistics_follow_the_cloud(
    hass: HomeAssistant,
    sim: RunningSimulator,
    sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The statistics sensors show the latest devices_stat / devices_alarm_stat."""
    assert value_of(hass, Platform.SENSOR, "proj-demo_online_device_total") == "7"
    sim.state.set_online("dev-bedroom-th", True)
    sim.state.set_alarm("dev-plug-tv", 3, {"rule": "overload"})
    await next_cycle(hass, freezer)
    assert value_of(hass, Platform.SENSOR, "proj-demo_online_device_total") == "8"
    assert value_of(hass, Platform.SENSOR, "proj-demo_offline_device_total") == "1"
    assert value_of(hass, Platform.SENSOR, "proj-demo_alarm_3_total") == "1"
    assert value_of(hass, Platform.SENSOR, "proj-demo_alarm_device_total") == "2"
    assert value_of(hass, Platform.SENSOR, "proj-demo_normal_total") == "7"


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_last_activity_and_values_follow_the_device(
    hass: HomeAssistant,
    sim: RunningSimulator,
    sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A report moves the device's last activity (opt-in sensor) and its attribute sensors."""
    reported = datetime(2026, 1, 15, 12, 5, tzinfo=UTC)
    sim.state.set_attributes(
        "dev-office-aq",
        {"co2": 1234, "air_level": 4},
        ts=int(reported.timestamp() * 1000),
    )
    await next_cycle(hass, freezer)
    assert value_of(hass, Platform.SENSOR, "dev-office-aq_last_active") == reported.isoformat()
    assert value_of(hass, Platform.SENSOR, "dev-office-aq_attr_co2") == "1234"
    assert (
        value_of(hass, Platform.SENSOR, "dev-office-aq_attr_air_level")
        == "重度污染 Heavy pollution"
    )


async def test_values_that_do_not_fit_are_unknown(
    hass: HomeAssistant,
    sim: RunningSimulator,
    sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An enum value outside the options and a non-numeric number are unknown, not errors."""
    sim.state.set_attributes("dev-office-aq", {"air_level": 9, "co2": "n/a"})
    await next_cycle(hass, freezer)
    assert value_of(hass, Platform.SENSOR, "dev-office-aq_attr_air_level") == STATE_UNKNOWN
    assert value_of(hass, Platform.SENSOR, "dev-office-aq_attr_co2") == STATE_UNKNOWN


async def test_complex_value_keeps_the_full_value_as_attribute(
    hass: HomeAssistant,
    sim: RunningSimulator,
    sensors: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A long object shows a short state and carries the whole object."""
    devices = [{"id": f"sub-{index}", "rssi": -40 - index} for index in range(10)]
    sim.state.set_attributes("dev-gateway", {"sub_devices": {"devices": devices}})
    await next_cycle(hass, freezer)
    entity_id = er.async_get(hass).async_get_entity_id(
        "sensor", DOMAIN, "dev-gateway_attr_sub_devices"
    )
    assert entity_id is not None
    state = hass.states.get(entity_id)
    assert state is not None
    assert state.state == "1 key"
    assert state.attributes["value"] == {"devices": devices}
