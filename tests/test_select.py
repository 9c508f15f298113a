"""The select platform: writable enum attributes, against the simulator."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.select import (
    ATTR_OPTION,
    ATTR_OPTIONS,
    DOMAIN as SELECT_DOMAIN,
    SERVICE_SELECT_OPTION,
    SelectEntity,
)
from homeassistant.components.select.const import DATA_COMPONENT as SELECT_DATA_COMPONENT
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.thingscloud.api import JsonValue
from custom_components.thingscloud.const import DOMAIN
from simulator.state import AttributeModel
from simulator.testing import RunningSimulator

from .common import (
    call_entity_service,
    entity_id_of,
    next_cycle,
    reads,
    set_up_platforms,
    state_of,
    states_of,
    writes,
)

MODE = "dev-thermostat_attr_mode"
FAN_SPEED = "dev-thermostat_attr_fan_speed"
MODE_OPTIONS = ["关闭 Off", "制热 Heat", "制冷 Cool", "自动 Auto"]


@pytest.fixture
async def selects(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The demo entry set up with the select platform only; time stands still."""
    return await set_up_platforms(hass, mock_config_entry, Platform.SELECT)


async def select(hass: HomeAssistant, unique_id: str, option: str) -> None:
    """Choose an option through the service."""
    await call_entity_service(
        hass, SELECT_DOMAIN, SERVICE_SELECT_OPTION, unique_id, {ATTR_OPTION: option}
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
    mode = state_of(hass, SELECT_DOMAIN, MODE)
    assert mode.attributes[ATTR_OPTIONS] == MODE_OPTIONS
    assert mode.state == "制热 Heat"
    fan_speed = state_of(hass, SELECT_DOMAIN, FAN_SPEED)
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
    assert states_of(events, entity_id_of(hass, SELECT_DOMAIN, unique_id)) == [option]


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
    assert states_of(events, entity_id_of(hass, SELECT_DOMAIN, MODE)) == ["自动 Auto", "制热 Heat"]


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
    assert state_of(hass, SELECT_DOMAIN, unique_id).state == "工作日 Workdays"
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await select(hass, unique_id, "每天 Daily")

    assert writes(sim) == [
        ("PUT", "/api/v1/control/device/dev-thermostat/attributes", {"schedule": 1})
    ]
    assert reads(sim, "dev-thermostat") == 1
    assert sim.state.devices["dev-thermostat"].attributes["schedule"].value == 1
    assert states_of(events, entity_id_of(hass, SELECT_DOMAIN, unique_id)) == ["每天 Daily"]


@pytest.mark.usefixtures("selects")
@pytest.mark.parametrize(
    ("kind", "params", "key"),
    [
        ("result_false", {"errcode": 400, "message": "mode locked"}, "api_error"),
        ("http_error", {"status": 500}, "connection_error"),
    ],
)
async def test_failed_write_keeps_the_state(
    hass: HomeAssistant, sim: RunningSimulator, kind: str, params: dict[str, Any], key: str
) -> None:
    """A refused write raises the translated error of its kind; the state stays the cloud's."""
    sim.state.faults.set(kind, "control_attributes_post", **params)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    with pytest.raises(HomeAssistantError) as raised:
        await select(hass, MODE, "关闭 Off")

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders.keys() == {"error"}
    if kind == "result_false":
        assert "mode locked" in raised.value.translation_placeholders["error"]
    assert sim.state.count("control_attributes_post") == 1
    assert states_of(events, entity_id_of(hass, SELECT_DOMAIN, MODE)) == []
    assert state_of(hass, SELECT_DOMAIN, MODE).state == "制热 Heat"


@pytest.mark.usefixtures("selects")
async def test_unknown_option_is_not_sent(hass: HomeAssistant, sim: RunningSimulator) -> None:
    """Home Assistant refuses an option that is not a label (nor a raw value); nothing is sent."""
    with pytest.raises(ServiceValidationError):
        await select(hass, MODE, "cool")
    assert writes(sim) == []


@pytest.mark.usefixtures("selects")
async def test_option_the_model_refuses_is_not_sent(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """The entity itself refuses what is no option (nor raw value): `invalid_parameter`.

    Home Assistant's service checks the options first; this is the entity's own check.
    """
    entity = hass.data[SELECT_DATA_COMPONENT].get_entity(entity_id_of(hass, SELECT_DOMAIN, MODE))
    assert isinstance(entity, SelectEntity)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    with pytest.raises(ServiceValidationError) as raised:
        await entity.async_select_option("turbo")

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "invalid_parameter"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders.keys() == {"error"}
    assert not sim.state.log
    await hass.async_block_till_done()
    assert states_of(events, entity_id_of(hass, SELECT_DOMAIN, MODE)) == []
    assert state_of(hass, SELECT_DOMAIN, MODE).state == "制热 Heat"


@pytest.mark.usefixtures("selects")
async def test_raw_value_of_an_option_is_written(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """The entity also takes an option's raw value and writes that option."""
    entity = hass.data[SELECT_DATA_COMPONENT].get_entity(entity_id_of(hass, SELECT_DOMAIN, MODE))
    assert isinstance(entity, SelectEntity)
    sim.state.clear_log()

    await entity.async_select_option("cool")
    await hass.async_block_till_done()

    assert writes(sim) == [
        ("POST", "/api/v1/control/device/dev-thermostat/attributes", {"mode": "cool"})
    ]
    assert state_of(hass, SELECT_DOMAIN, MODE).state == "制冷 Cool"


@pytest.mark.usefixtures("selects")
async def test_state_follows_the_cloud(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """The state is the label of the cloud's value; a value without item is unknown."""
    sim.state.set_attributes("dev-thermostat", {"mode": "cool", "fan_speed": "2"})
    await next_cycle(hass, freezer)
    assert state_of(hass, SELECT_DOMAIN, MODE).state == "制冷 Cool"
    assert state_of(hass, SELECT_DOMAIN, FAN_SPEED).state == "中 Medium"

    sim.state.set_attributes("dev-thermostat", {"mode": "turbo"})
    await next_cycle(hass, freezer)
    assert state_of(hass, SELECT_DOMAIN, MODE).state == STATE_UNKNOWN


@pytest.mark.usefixtures("selects")
async def test_selects_follow_the_availability_of_their_device(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A device that cannot be read makes its selects unavailable until it can again."""
    sim.state.set_attributes("dev-thermostat", {"fan_speed": 1})
    sim.state.faults.set("http_error", "attributes_raw", status=503)
    await next_cycle(hass, freezer)
    assert state_of(hass, SELECT_DOMAIN, FAN_SPEED).state == STATE_UNAVAILABLE

    sim.state.faults.clear()
    await next_cycle(hass, freezer)
    assert state_of(hass, SELECT_DOMAIN, FAN_SPEED).state == "低 Low"
