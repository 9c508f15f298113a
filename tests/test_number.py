"""The number platform: writable numeric attributes, against the simulator."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.number import (
    ATTR_MAX,
    ATTR_MIN,
    ATTR_MODE,
    ATTR_STEP,
    ATTR_VALUE,
    DOMAIN as NUMBER_DOMAIN,
    SERVICE_SET_VALUE,
    NumberEntity,
    NumberMode,
)
from homeassistant.const import (
    ATTR_UNIT_OF_MEASUREMENT,
    EVENT_STATE_CHANGED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
    UnitOfTemperature,
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
from custom_components.thingscloud.api.attributes import Access
from custom_components.thingscloud.api.models import AttributeModel as ApiAttributeModel
from custom_components.thingscloud.const import DOMAIN
from custom_components.thingscloud.number import ThingsCloudAttributeNumber, number_mode
from custom_components.thingscloud.thing_model import AttributeSpec, describe_attribute
from simulator.state import AttributeModel
from simulator.testing import RunningSimulator

from .common import (
    call_entity_service,
    coordinator_of,
    entity_id_of,
    next_cycle,
    reads,
    set_up_platforms,
    state_of,
    states_of,
    writes,
)

TARGET = "dev-thermostat_attr_target_temperature"
BRIGHTNESS = "dev-lobby-led_attr_brightness"


@pytest.fixture
async def numbers(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The demo entry set up with the number platform only; time stands still."""
    return await set_up_platforms(hass, mock_config_entry, Platform.NUMBER)


async def set_value(hass: HomeAssistant, unique_id: str, value: float) -> None:
    """Set a number through the service."""
    await call_entity_service(
        hass, NUMBER_DOMAIN, SERVICE_SET_VALUE, unique_id, {ATTR_VALUE: value}
    )


async def test_number_entities(
    hass: HomeAssistant,
    sim: RunningSimulator,
    numbers: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every number of the demo project: registry entries and states."""
    await snapshot_platform(hass, entity_registry, snapshot, numbers.entry_id)


@pytest.mark.usefixtures("numbers")
async def test_limits_unit_and_mode_come_from_the_model(hass: HomeAssistant) -> None:
    """min/max/step/unit from the model; a small range is a slider (auto)."""
    target = state_of(hass, NUMBER_DOMAIN, TARGET)
    assert target.state == "23.5"
    assert target.attributes[ATTR_MIN] == 5
    assert target.attributes[ATTR_MAX] == 35
    assert target.attributes[ATTR_STEP] == 0.5
    assert target.attributes[ATTR_UNIT_OF_MEASUREMENT] == UnitOfTemperature.CELSIUS
    assert target.attributes[ATTR_MODE] == NumberMode.AUTO
    assert target.attributes["device_class"] == "temperature"
    brightness = state_of(hass, NUMBER_DOMAIN, BRIGHTNESS)
    assert brightness.state == "80"
    assert (brightness.attributes[ATTR_MIN], brightness.attributes[ATTR_MAX]) == (0, 100)


@pytest.mark.usefixtures("numbers")
@pytest.mark.parametrize(
    ("unique_id", "device_id", "value", "body", "state"),
    [
        (TARGET, "dev-thermostat", 26, {"target_temperature": 26.0}, "26.0"),
        (BRIGHTNESS, "dev-lobby-led", 55, {"brightness": 55}, "55"),
    ],
)
async def test_device_attribute_is_posted_then_refreshed(
    hass: HomeAssistant,
    sim: RunningSimulator,
    *,
    unique_id: str,
    device_id: str,
    value: float,
    body: dict[str, JsonValue],
    state: str,
) -> None:
    """A device attribute is written with POST; the refresh reads the device's report."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await set_value(hass, unique_id, value)

    assert writes(sim) == [("POST", f"/api/v1/control/device/{device_id}/attributes", body)]
    ((identifier, sent),) = body.items()
    assert type(writes(sim)[0][2][identifier]) is type(sent)  # type: ignore[index]
    assert reads(sim, device_id) == 1
    assert sim.state.devices[device_id].attributes[identifier].value == sent
    assert states_of(events, entity_id_of(hass, NUMBER_DOMAIN, unique_id)) == [state]


@pytest.mark.usefixtures("numbers")
async def test_optimistic_state_then_the_cloud_value(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """An offline device does not apply the write: the value at once, then the old one."""
    sim.state.devices["dev-lobby-led"].online = False
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await set_value(hass, BRIGHTNESS, 10)

    assert writes(sim) == [
        ("POST", "/api/v1/control/device/dev-lobby-led/attributes", {"brightness": 10})
    ]
    assert reads(sim, "dev-lobby-led") == 1
    assert states_of(events, entity_id_of(hass, NUMBER_DOMAIN, BRIGHTNESS)) == ["10", "80"]


@pytest.mark.usefixtures("numbers")
async def test_new_cloud_number_appears_and_is_put(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A new cloud attribute without limits appears as a box; it is written with PUT."""
    models = sim.state.device_types["dt-thermostat"].models
    models["threshold"] = AttributeModel("threshold", "阈值 Threshold", "cloud", "number", {})
    sim.state.set_attributes("dev-thermostat", {"threshold": 12})
    await next_cycle(hass, freezer)
    unique_id = "dev-thermostat_attr_threshold"
    state = state_of(hass, NUMBER_DOMAIN, unique_id)
    assert state.state == "12"
    assert state.attributes[ATTR_MODE] == NumberMode.BOX
    assert (state.attributes[ATTR_MIN], state.attributes[ATTR_MAX]) == (-1_000_000, 1_000_000)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await set_value(hass, unique_id, 1234)

    assert writes(sim) == [
        ("PUT", "/api/v1/control/device/dev-thermostat/attributes", {"threshold": 1234})
    ]
    assert reads(sim, "dev-thermostat") == 1
    assert sim.state.devices["dev-thermostat"].attributes["threshold"].value == 1234
    assert states_of(events, entity_id_of(hass, NUMBER_DOMAIN, unique_id)) == ["1234"]


@pytest.mark.usefixtures("numbers")
@pytest.mark.parametrize(
    ("kind", "params", "key"),
    [
        ("result_false", {"errcode": 400, "message": "out of range"}, "api_error"),
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
        await set_value(hass, TARGET, 30)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders.keys() == {"error"}
    if kind == "result_false":
        assert "out of range" in raised.value.translation_placeholders["error"]
    assert sim.state.count("control_attributes_post") == 1
    assert states_of(events, entity_id_of(hass, NUMBER_DOMAIN, TARGET)) == []
    assert state_of(hass, NUMBER_DOMAIN, TARGET).state == "23.5"


@pytest.mark.usefixtures("numbers")
async def test_value_outside_the_model_range_is_not_sent(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """Home Assistant refuses a value beyond the model's max; nothing is sent."""
    with pytest.raises(ServiceValidationError):
        await set_value(hass, TARGET, 40)
    assert writes(sim) == []


@pytest.mark.usefixtures("numbers")
async def test_value_the_model_refuses_is_not_sent(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """NaN passes Home Assistant's range check but is no number to write: `invalid_parameter`."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    with pytest.raises(ServiceValidationError) as raised:
        await set_value(hass, TARGET, float("nan"))

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "invalid_parameter"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders.keys() == {"error"}
    assert "target_temperature" in raised.value.translation_placeholders["error"]
    assert not sim.state.log
    assert states_of(events, entity_id_of(hass, NUMBER_DOMAIN, TARGET)) == []
    assert state_of(hass, NUMBER_DOMAIN, TARGET).state == "23.5"


@pytest.mark.usefixtures("numbers")
async def test_state_follows_the_cloud(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """The state is the cloud's value; a value that is no number is unknown."""
    sim.state.set_attributes("dev-lobby-led", {"brightness": "42"})
    await next_cycle(hass, freezer)
    assert state_of(hass, NUMBER_DOMAIN, BRIGHTNESS).state == "42"

    sim.state.set_attributes("dev-lobby-led", {"brightness": "bright"})
    await next_cycle(hass, freezer)
    assert state_of(hass, NUMBER_DOMAIN, BRIGHTNESS).state == STATE_UNKNOWN

    sim.state.set_attributes("dev-lobby-led", {"brightness": True})
    await next_cycle(hass, freezer)
    assert state_of(hass, NUMBER_DOMAIN, BRIGHTNESS).state == STATE_UNKNOWN


@pytest.mark.usefixtures("numbers")
async def test_numbers_follow_the_availability_of_their_device(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A device that cannot be read makes its numbers unavailable until it can again."""
    sim.state.set_attributes("dev-lobby-led", {"brightness": 70})
    sim.state.faults.set("http_error", "attributes_raw", status=503)
    await next_cycle(hass, freezer)
    assert state_of(hass, NUMBER_DOMAIN, BRIGHTNESS).state == STATE_UNAVAILABLE
    assert state_of(hass, NUMBER_DOMAIN, TARGET).state == "23.5"

    sim.state.faults.clear()
    await next_cycle(hass, freezer)
    assert state_of(hass, NUMBER_DOMAIN, BRIGHTNESS).state == "70"


async def test_spec_without_limits_keeps_the_entity_defaults(
    hass: HomeAssistant, numbers: MockConfigEntry
) -> None:
    """A spec without min/max/step (the thing model always gives them) keeps the defaults."""
    spec = AttributeSpec("n", "N", Access.CLOUD, spec_of().value_type, Platform.NUMBER)
    entity = ThingsCloudAttributeNumber(coordinator_of(numbers), "dev-thermostat", spec)

    assert entity.native_min_value == NumberEntity().native_min_value
    assert entity.native_max_value == NumberEntity().native_max_value
    assert entity.native_step is None
    assert entity.native_unit_of_measurement is None
    assert entity.device_class is None
    assert entity.mode is NumberMode.BOX


def spec_of(**options: JsonValue) -> AttributeSpec:
    """Return the spec of a pushed number attribute with these data options."""
    model = ApiAttributeModel(
        name="N", attr_type="push", data_type="number", data_options=options, raw={}
    )
    spec = describe_attribute("n", 1, model)
    assert spec.access is Access.DEVICE
    return spec


@pytest.mark.parametrize(
    ("spec", "mode"),
    [
        (spec_of(min=0, max=100), NumberMode.AUTO),
        (spec_of(min=0, max=1000, step=1), NumberMode.AUTO),
        (spec_of(min=0, max=1001, step=1), NumberMode.BOX),
        (spec_of(min=0, max=10, step=0.001), NumberMode.BOX),
        (spec_of(min=0, max=5000, step=10), NumberMode.AUTO),
        (spec_of(), NumberMode.BOX),
        (spec_of(unit="%"), NumberMode.AUTO),
        (
            AttributeSpec("n", "N", Access.DEVICE, spec_of().value_type, Platform.NUMBER),
            NumberMode.BOX,
        ),
    ],
)
def test_number_mode(spec: AttributeSpec, mode: NumberMode) -> None:
    """A range of more than 1000 steps is a box; unset limits count as the default range."""
    assert number_mode(spec) is mode
