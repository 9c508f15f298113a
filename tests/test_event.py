"""Alarm event entities and the logbook: raised, escalated and cleared alarms."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.event import ATTR_EVENT_TYPE
from homeassistant.const import STATE_UNKNOWN, Platform
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.thingscloud.const import DOMAIN, EVENT_ALARM
from custom_components.thingscloud.logbook import async_describe_events
from simulator.state import Device
from simulator.testing import RunningSimulator

from .common import DEMO_NOW, next_cycle, set_up_platforms, state_of

EVENT = "event"
LIVING_EVENT = "dev-living-th_alarm_event"
INFO = {"rule": "温度过高 Too hot", "value": 41}


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


@pytest.fixture
def demo_now() -> float:
    """The demo's timestamps are relative to a fixed moment: the snapshots stay stable."""
    return DEMO_NOW.timestamp()


@pytest.fixture
async def events_entry(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """The demo entry with the event and binary_sensor platforms."""
    return await set_up_platforms(hass, mock_config_entry, Platform.EVENT, Platform.BINARY_SENSOR)


async def test_event_entities(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """One alarm event entity per device, with its three event types; no event yet."""
    await set_up_platforms(hass, mock_config_entry, Platform.EVENT)
    await snapshot_platform(hass, entity_registry, snapshot, mock_config_entry.entry_id)


async def test_the_entity_fires_exactly_when_the_bus_event_fires(
    hass: HomeAssistant,
    sim: RunningSimulator,
    events_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Raised, escalated and cleared: one entity event with level, level name and info each."""
    bus = async_capture_events(hass, EVENT_ALARM)
    seen: list[tuple[str, dict[str, Any]]] = []

    @callback
    def entity_event(event: Event[Any]) -> None:
        if event.data["entity_id"] == state_of(hass, EVENT, LIVING_EVENT).entity_id:
            new = event.data["new_state"]
            attributes = {key: new.attributes.get(key) for key in ("level", "level_name", "info")}
            seen.append((new.attributes[ATTR_EVENT_TYPE], attributes))

    hass.bus.async_listen("state_changed", entity_event)

    sim.state.set_alarm("dev-living-th", 1, INFO)
    await next_cycle(hass, freezer)
    sim.state.set_alarm("dev-living-th", 3, INFO)
    await next_cycle(hass, freezer)
    await next_cycle(hass, freezer)  # no change: nothing
    sim.state.set_alarm("dev-living-th", None)
    await next_cycle(hass, freezer)

    assert seen == [
        ("raised", {"level": 1, "level_name": "minor", "info": INFO}),
        ("level_changed", {"level": 3, "level_name": "critical", "info": INFO}),
        ("cleared", {"level": None, "level_name": None, "info": None}),
    ]
    assert [event.data["alarm"] for event in bus] == [True, True, False]


async def test_no_event_at_start_nor_for_a_new_device(
    hass: HomeAssistant,
    sim: RunningSimulator,
    events_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An alarm already there at setup, or on a device seen for the first time, fires nothing."""
    assert state_of(hass, EVENT, "dev-front-door_alarm_event").state == STATE_UNKNOWN
    bus = async_capture_events(hass, EVENT_ALARM)
    sim.state.add_device(Device("dev-new-door", "New door", "dt-door-sensor", online=True))
    sim.state.set_alarm("dev-new-door", 2, INFO)

    await next_cycle(hass, freezer)

    assert state_of(hass, EVENT, "dev-new-door_alarm_event").state == STATE_UNKNOWN
    assert bus == []


async def test_a_failed_cycle_does_not_fire_again(
    hass: HomeAssistant,
    sim: RunningSimulator,
    events_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Entities told of a failed cycle (they become unavailable) do not repeat the last event."""
    bus = async_capture_events(hass, EVENT_ALARM)
    sim.state.set_alarm("dev-living-th", 2, INFO)
    await next_cycle(hass, freezer)
    fired = state_of(hass, EVENT, LIVING_EVENT).state

    sim.state.faults.set("http_error", "devices", status=500, count=1)
    await next_cycle(hass, freezer)
    await next_cycle(hass, freezer)

    assert len(bus) == 1
    assert state_of(hass, EVENT, LIVING_EVENT).state == fired


def describe(hass: HomeAssistant, data: dict[str, Any]) -> dict[str, str]:
    """Return the logbook entry of a thingscloud_alarm event."""
    described: dict[str, Any] = {}

    def register(domain: str, event_type: str, describer: Any) -> None:
        described[event_type] = (domain, describer)

    async_describe_events(hass, register)
    domain, describer = described[EVENT_ALARM]
    assert domain == DOMAIN
    entry: dict[str, str] = describer(Event(EVENT_ALARM, data))
    return entry


async def test_logbook_describes_the_alarm_under_the_device(
    hass: HomeAssistant,
    sim: RunningSimulator,
    events_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The bus event names the device (so the logbook shows it there) and reads well."""
    bus = async_capture_events(hass, EVENT_ALARM)
    sim.state.set_alarm("dev-living-th", 2, INFO)
    await next_cycle(hass, freezer)
    sim.state.set_alarm("dev-living-th", None)
    await next_cycle(hass, freezer)

    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, "dev-living-th"), events_entry.entry_id
    )
    assert device is not None
    assert [event.data["device_id"] for event in bus] == [device.id, device.id]
    assert [describe(hass, dict(event.data)) for event in bus] == [
        {
            "name": "客厅温湿度 Living Room Sensor",
            "message": "raised a major alarm: 温度过高 Too hot",
        },
        {"name": "客厅温湿度 Living Room Sensor", "message": "cleared its alarm"},
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"alarm": True, "level": None, "info": None}, "raised an alarm"),
        ({"alarm": True, "level": 7, "info": "text"}, "raised a 7 alarm: text"),
        (
            {"alarm": True, "level": 1, "info": {"message": "门未关"}},
            "raised a minor alarm: 门未关",
        ),
        ({"alarm": False, "level": None, "info": {}}, "cleared its alarm"),
    ],
)
async def test_logbook_messages(hass: HomeAssistant, data: dict[str, Any], message: str) -> None:
    """Messages for every level and info shape; a device unknown to the registry is named by id."""
    entry = describe(hass, {"device_id": None, "thingscloud_device_id": "dev-x", **data})
    assert entry == {"name": "dev-x", "message": message}
