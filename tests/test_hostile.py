"""Hostile data and broken clouds, end to end: one device's trouble stays that device's."""

from collections.abc import AsyncGenerator
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.thingscloud.api import DevicePage
from custom_components.thingscloud.const import DOMAIN
from simulator.scenarios import GENERATED_PROJECT_ID, generated_state
from simulator.testing import RunningSimulator, start_simulator

from .common import app_entry, coordinator_of, next_cycle, value_of

HUGE = 10**400


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


def deep(levels: int) -> str:
    """A JSON array nested `levels` deep."""
    return "[" * levels + "]" * levels


async def test_huge_integers_in_the_device_list_spare_the_setup(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A 400-digit create_time or alarm status is treated as missing, not as a crash."""
    device = sim.state.devices["dev-living-th"]
    device.create_time = HUGE
    device.alarm = {"alarm_status": HUGE, "alarm_level": HUGE}
    mock_config_entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert value_of(hass, "sensor", "dev-living-th_attr_temperature") == "23.6"
    assert value_of(hass, "binary_sensor", "dev-living-th_alarm") in ("on", "off")


@pytest.mark.parametrize(
    "values",
    [
        {"temperature": HUGE},
        {"humidity": {"deep": "x" * 10_000}},
        {"battery": -HUGE},
    ],
)
async def test_a_hostile_value_affects_only_its_entity(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    values: dict[str, Any],
) -> None:
    """A value Home Assistant cannot show is unknown; everything else goes on."""
    sim.state.set_attributes("dev-living-th", values)
    sim.state.set_attributes("dev-plug-tv", {"power": 42.5})

    await next_cycle(hass, freezer)

    assert coordinator_of(init_integration).last_update_success
    assert value_of(hass, "sensor", "dev-plug-tv_attr_power") == "42.5"
    identifier = next(iter(values))
    assert value_of(hass, "sensor", f"dev-living-th_attr_{identifier}") == "unknown"


async def test_deeply_nested_answers_fail_only_their_device(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An answer nested 150,000 levels is that request's failure: its devices only."""
    sim.state.set_attributes("dev-living-th", {"temperature": 25.5})
    sim.state.set_attributes("dev-plug-tv", {"power": 43.5})
    sim.state.faults.set("invalid_json", "attributes_raw", count=1, body=deep(150_000))

    await next_cycle(hass, freezer)

    assert coordinator_of(init_integration).last_update_success
    states = {
        value_of(hass, "sensor", "dev-living-th_attr_temperature"),
        value_of(hass, "sensor", "dev-plug-tv_attr_power"),
    }
    assert STATE_UNAVAILABLE in states
    assert states & {"25.5", "43.5"}

    await next_cycle(hass, freezer)
    assert value_of(hass, "sensor", "dev-living-th_attr_temperature") == "25.5"
    assert value_of(hass, "sensor", "dev-plug-tv_attr_power") == "43.5"


async def test_hostile_thing_models_are_read_as_missing_fields(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A model's 400-digit min, max, max_length or 5000-digit enum key leaves that field
    out; the platforms still set up and show the values. (Deeply nested data_options
    strings: tests/test_thing_model_hostile.py.)"""
    models = sim.state.device_types["dt-thermostat"].models
    models["target_temperature"].data_options["min"] = HUGE
    models["target_temperature"].data_options["max"] = -HUGE
    models["mode"].data_options["items"] = {"1" * 5000: "Huge", "heat": "Heat"}
    sim.state.device_types["dt-led-sign"].models["display_text"].data_options["max_length"] = HUGE
    mock_config_entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert value_of(hass, "sensor", "dev-living-th_attr_humidity") == "48.2"
    assert value_of(hass, "number", "dev-thermostat_attr_target_temperature") == "23.5"
    assert value_of(hass, "select", "dev-thermostat_attr_mode") == "Heat"
    assert value_of(hass, "text", "dev-lobby-led_attr_display_text") == "欢迎光临 Welcome"


@pytest.fixture
async def paged(socket_enabled: None) -> AsyncGenerator[RunningSimulator]:
    """A generated project of 30 devices whose server pages 20 devices at a time."""
    state = generated_state(30, 2, 0.0)
    state.ignore_page_records = True
    running = await start_simulator(state)
    yield running
    await running.close()


async def test_a_device_shifted_between_pages_is_not_removed(
    hass: HomeAssistant, paged: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A device deleted on page 1 while page 2 is read shifts another onto page 1: that one
    is looked up, stays, and its entities do not flicker; the deleted one leaves."""
    entry = app_entry(paged.url, paged.state.project.name, GENERATED_PROJECT_ID)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    client = coordinator_of(entry).client
    ids = list(paged.state.devices)
    first_of_page_2, deleted = ids[20], ids[0]
    real = client._devices_page
    raced = False

    async def racing(page: int, *args: Any) -> DevicePage:
        nonlocal raced
        result = await real(page, *args)
        if page == 1 and not raced:
            raced = True
            paged.state.delete_device(deleted)
        return result

    client._devices_page = racing  # type: ignore[method-assign]
    registry = dr.async_get(hass)
    removals = async_capture_events(hass, dr.EVENT_DEVICE_REGISTRY_UPDATED)

    await next_cycle(hass, freezer)

    assert registry.async_get_device_by_identifier((DOMAIN, first_of_page_2), entry.entry_id)
    assert [event.data["action"] for event in removals] == []
    assert coordinator_of(entry).data.devices.keys() >= {first_of_page_2}

    await next_cycle(hass, freezer)

    assert registry.async_get_device_by_identifier((DOMAIN, deleted), entry.entry_id) is None
    assert registry.async_get_device_by_identifier((DOMAIN, first_of_page_2), entry.entry_id)


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("push_attributes", {"attributes": {"power": float("nan")}}),
        ("set_cloud_attributes", {"attributes": {"threshold": float("inf")}}),
        ("send_command", {"method": "boost", "params": {"minutes": float("-inf")}}),
        (
            "send_data_stream",
            {"type": "json", "message": {"level": float("nan")}, "identifier": "stream"},
        ),
    ],
)
async def test_actions_never_send_bodies_that_are_not_json(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    service: str,
    data: dict[str, Any],
) -> None:
    """NaN and infinities (YAML .nan, .inf) are a translated validation error; nothing sent."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, "dev-plug-tv"), init_integration.entry_id
    )
    assert device is not None
    sim.state.clear_log()

    with pytest.raises(ServiceValidationError) as err:
        await hass.services.async_call(
            DOMAIN, service, {"device_id": device.id, **data}, blocking=True
        )

    assert err.value.translation_key == "invalid_parameter"
    assert [entry.route for entry in sim.state.log if entry.route != "access_token"] == []
