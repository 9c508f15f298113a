"""The select platform: writable enum attributes, against the simulator."""

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
)
from homeassistant.const import (
    ATTR_ENTITY_ID,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.thingscloud.api import JsonValue
from custom_components.thingscloud.const import DEFAULT_SCAN_INTERVAL, DOMAIN
from simulator.state import AttributeModel
from simulator.testing import RunningSimulator

MODE = "dev-thermostat_attr_mode"
FAN_SPEED = "dev-thermostat_attr_fan_speed"
MODE_OPTIONS = ["关闭 Off", "制热 Heat", "制冷 Cool", "自动 Auto"]


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer, in tests/snapshots/."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def selects(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The demo entry set up with the select platform only; time stands still."""
    mock_config_entry.add_to_hass(hass)
    with patch("custom_components.thingscloud.PLATFORMS", [Platform.SELECT]):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    return mock_config_entry


async def next_cycle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the scan interval pass and wait for the refresh to finish."""
    freezer.tick(timedelta(seconds=DEFAULT_SCAN_INTERVAL))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def entity_id_of(hass: HomeAssistant, unique_id: str) -> str:
    """Return the entity id of the select with a unique_id."""
    entity_id = er.async_get(hass).async_get_entity_id(SELECT_DOMAIN, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def state_of(hass: HomeAssistant, unique_id: str) -> State:
    """Return the state of the select with a unique_id."""
    state = hass.states.get(entity_id_of(hass, unique_id))
    assert state is not None, unique_id
    return state


def states_of(events: list[Event[Any]], entity_id: str) -> list[str]:
    """Return the states an entity went through."""
    return [
        event.data["new_state"].state for event in events if event.data["entity_id"] == entity_id
    ]


async def select(hass: HomeAssistant, unique_id: str, option: str) -> None:
    """Choose an option through the service."""
    await hass.services.async_call(
        SELECT_DOMAIN,
        SERVICE_SELECT_OPTION,
        {ATTR_ENTITY_ID: entity_id_of(hass, unique_id), ATTR_OPTION: option},
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


async def test_select_entities(
    hass: HomeAssistant,
    sim: RunningSimulator,
    selects: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every select of the demo project: registry entries and states."""
    await snapshot_platform(hass, entity_registry, snapshot, selects.entry_id)


@pytest.mark.usefixtures("selects")
async def test_options_are_the_item_labels(hass: HomeAssistant) -> None:
    """The options are the labels of the model's items; the state is the current one's."""
    mode = state_of(hass, MODE)
    assert mode.attributes[ATTR_OPTIONS] == MODE_OPTIONS
    assert mode.state == "制热 Heat"
    fan_speed = state_of(hass, FAN_SPEED)
    assert fan_speed.attributes[ATTR_OPTIONS] == ["自动 Auto", "低 Low", "中 Medium", "高 High"]
    assert fan_speed.state == "自动 Auto"


@pytest.mark.usefixtures("selects")
@pytest.mark.parametrize(
    ("unique_id", "option", "body"),
    [
        (MODE, "制冷 Cool", {"mode": "cool"}),
        (FAN_SPEED, "高 High", {"fan_speed": 3}),
    ],
)
async def test_option_value_is_posted_then_refreshed(
    hass: HomeAssistant,
    sim: RunningSimulator,
    unique_id: str,
    option: str,
    body: dict[str, JsonValue],
) -> None:
    """Choosing an option writes its value with POST; the refresh reads the device's report."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await select(hass, unique_id, option)

    assert writes(sim) == [("POST", "/api/v1/control/device/dev-thermostat/attributes", body)]
    assert reads(sim, "dev-thermostat") == 1
    ((identifier, value),) = body.items()
    assert sim.state.devices["dev-thermostat"].attributes[identifier].value == value
    assert states_of(events, entity_id_of(hass, unique_id)) == [option]


@pytest.mark.usefixtures("selects")
async def test_optimistic_state_then_the_cloud_value(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """An offline device does not apply the write: the option at once, then the old one."""
    sim.state.devices["dev-thermostat"].online = False
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await select(hass, MODE, "自动 Auto")

    assert writes(sim) == [
        ("POST", "/api/v1/control/device/dev-thermostat/attributes", {"mode": "auto"})
    ]
    assert reads(sim, "dev-thermostat") == 1
    assert states_of(events, entity_id_of(hass, MODE)) == ["自动 Auto", "制热 Heat"]


@pytest.mark.usefixtures("selects")
async def test_new_cloud_select_appears_and_is_put(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A new cloud enum appears without reload; it is written with PUT."""
    models = sim.state.device_types["dt-thermostat"].models
    models["schedule"] = AttributeModel(
        "schedule",
        "日程 Schedule",
        "cloud",
        "enum",
        {"items": [{"value": 0, "label": "工作日 Workdays"}, {"value": 1, "label": "每天 Daily"}]},
    )
    sim.state.set_attributes("dev-thermostat", {"schedule": 0})
    await next_cycle(hass, freezer)
    unique_id = "dev-thermostat_attr_schedule"
    assert state_of(hass, unique_id).state == "工作日 Workdays"
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await select(hass, unique_id, "每天 Daily")

    assert writes(sim) == [
        ("PUT", "/api/v1/control/device/dev-thermostat/attributes", {"schedule": 1})
    ]
    assert reads(sim, "dev-thermostat") == 1
    assert sim.state.devices["dev-thermostat"].attributes["schedule"].value == 1
    assert states_of(events, entity_id_of(hass, unique_id)) == ["每天 Daily"]


@pytest.mark.usefixtures("selects")
@pytest.mark.parametrize(
    ("kind", "params"),
    [("result_false", {"errcode": 400, "message": "mode locked"}), ("http_error", {"status": 500})],
)
async def test_failed_write_keeps_the_state(
    hass: HomeAssistant, sim: RunningSimulator, kind: str, params: dict[str, Any]
) -> None:
    """A refused write raises the translated `write_failed`; the state stays the cloud's."""
    sim.state.faults.set(kind, "control_attributes_post", **params)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    with pytest.raises(HomeAssistantError) as raised:
        await select(hass, MODE, "关闭 Off")

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "write_failed"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders["identifier"] == "mode"
    if kind == "result_false":
        assert "mode locked" in raised.value.translation_placeholders["error"]
    assert sim.state.count("control_attributes_post") == 1
    assert states_of(events, entity_id_of(hass, MODE)) == []
    assert state_of(hass, MODE).state == "制热 Heat"


@pytest.mark.usefixtures("selects")
async def test_unknown_option_is_not_sent(hass: HomeAssistant, sim: RunningSimulator) -> None:
    """Home Assistant refuses an option that is not a label (nor a raw value); nothing is sent."""
    with pytest.raises(ServiceValidationError):
        await select(hass, MODE, "cool")
    assert writes(sim) == []


@pytest.mark.usefixtures("selects")
async def test_state_follows_the_cloud(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """The state is the label of the cloud's value; a value without item is unknown."""
    sim.state.set_attributes("dev-thermostat", {"mode": "cool", "fan_speed": "2"})
    await next_cycle(hass, freezer)
    assert state_of(hass, MODE).state == "制冷 Cool"
    assert state_of(hass, FAN_SPEED).state == "中 Medium"

    sim.state.set_attributes("dev-thermostat", {"mode": "turbo"})
    await next_cycle(hass, freezer)
    assert state_of(hass, MODE).state == STATE_UNKNOWN


@pytest.mark.usefixtures("selects")
async def test_selects_follow_the_availability_of_their_device(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A device that cannot be read makes its selects unavailable until it can again."""
    sim.state.set_attributes("dev-thermostat", {"fan_speed": 1})
    sim.state.faults.set("http_error", "attributes_raw", status=503)
    await next_cycle(hass, freezer)
    assert state_of(hass, FAN_SPEED).state == STATE_UNAVAILABLE

    sim.state.faults.clear()
    await next_cycle(hass, freezer)
    assert state_of(hass, FAN_SPEED).state == "低 Low"
