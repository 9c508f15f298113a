"""The base entities: what an update tells, what a gone device shows, platform moves."""

from dataclasses import replace
from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import async_get_platforms
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_capture_events

from custom_components.thingscloud.const import DOMAIN
from simulator.testing import RunningSimulator

from .common import coordinator_of, entity_id_of, next_cycle, set_up_platforms, states_of


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


def platform_entity(hass: HomeAssistant, domain: str, unique_id: str) -> Entity:
    """Return the entity object of a platform with a unique_id."""
    platform = next(p for p in async_get_platforms(hass, DOMAIN) if p.domain == domain)
    return next(e for e in platform.entities.values() if e.unique_id == unique_id)


async def test_one_report_writes_only_what_changed(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A device reporting one value writes that entity's state, and nothing else."""
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)
    reported: list[Event[Any]] = []

    @callback
    def note(event: Event[Any]) -> None:
        reported.append(event)

    hass.bus.async_listen(EVENT_STATE_REPORTED, note, event_filter=callback(lambda _: True))
    sim.state.set_attributes("dev-living-th", {"temperature": 27.5})

    await next_cycle(hass, freezer)

    temperature = entity_id_of(hass, "sensor", "dev-living-th_attr_temperature")
    assert [event.data["entity_id"] for event in changed] == [temperature]
    assert states_of(changed, temperature) == ["27.5"]
    assert reported == []


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities_of_a_device_that_left_show_nothing(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """Until the registry removes them, a gone device's entities are unavailable and empty."""
    coordinator = coordinator_of(init_integration)
    entities = [
        platform_entity(hass, "sensor", "dev-front-door_last_active"),
        platform_entity(hass, "sensor", "dev-front-door_attr_battery"),
        platform_entity(hass, "binary_sensor", "dev-front-door_alarm"),
        platform_entity(hass, "binary_sensor", "dev-front-door_attr_contact"),
    ]
    devices = {k: v for k, v in coordinator.data.devices.items() if k != "dev-front-door"}
    coordinator.data = replace(coordinator.data, devices=devices)

    for entity in entities:
        assert entity.available is False
        assert entity.state in (None, STATE_UNKNOWN)
        assert entity.extra_state_attributes is None


async def test_attribute_without_a_model_gets_an_entity_from_its_value(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A value the thing model does not list becomes a sensor named by its identifier."""
    sim.state.set_attributes("dev-living-th", {"lux": 310})

    await next_cycle(hass, freezer)

    state = hass.states.get(entity_id_of(hass, "sensor", "dev-living-th_attr_lux"))
    assert state is not None
    assert state.state == "310"
    assert state.name is not None
    assert state.name.endswith("lux")


async def test_attribute_that_moved_platform_leaves_its_old_registry_entry(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Upgrading: a location that was a text sensor is a device tracker; the sensor goes."""
    mock_config_entry.add_to_hass(hass)
    registry = er.async_get(hass)
    old = registry.async_get_or_create(
        "sensor", DOMAIN, "dev-gateway_attr_location", config_entry=mock_config_entry
    )

    await set_up_platforms(hass, mock_config_entry, Platform.SENSOR, Platform.DEVICE_TRACKER)

    assert registry.async_get(old.entity_id) is None
    assert registry.async_get_entity_id("device_tracker", DOMAIN, "dev-gateway_attr_location")
    assert hass.states.get(old.entity_id) is None
