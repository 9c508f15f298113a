"""The base entity's write door: `_async_write_attribute` (used by the writable platforms)."""

from dataclasses import replace
from typing import override

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.sensor import SensorEntity
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import EVENT_STATE_CHANGED, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import async_get_platforms
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.thingscloud.const import DOMAIN
from custom_components.thingscloud.entity import (
    ThingsCloudAttributeEntity,
    ThingsCloudEntity,
    describe_snapshot_attribute,
)
from custom_components.thingscloud.thing_model import Access
from simulator.testing import RunningSimulator

from .common import coordinator_of, next_cycle, states_of


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


class WritableProbe(ThingsCloudAttributeEntity, SensorEntity):
    """A minimal writable platform entity: shows the attribute value as is."""

    @property
    @override
    def native_value(self) -> str | int | float | None:
        value = self.attribute_value
        return value if isinstance(value, (str, int, float)) else str(value)

    async def async_write(self, api_value: float | bool) -> None:
        await self._async_write_attribute(api_value)


async def add_probe(
    hass: HomeAssistant, entry: MockConfigEntry, device_id: str, identifier: str
) -> WritableProbe:
    """Add a probe entity for one attribute to the entry's sensor platform."""
    coordinator = coordinator_of(entry)
    spec = describe_snapshot_attribute(coordinator.data.devices[device_id], identifier)
    probe = WritableProbe(coordinator, device_id, spec)
    platform = next(p for p in async_get_platforms(hass, DOMAIN) if p.domain == "sensor")
    await platform.async_add_entities([probe])
    await hass.async_block_till_done()
    assert probe.entity_id is not None
    return probe


async def test_device_write_is_posted_and_confirmed(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A device attribute is sent with POST; the refresh reads the device's report."""
    probe = await add_probe(hass, init_integration, "dev-thermostat", "target_temperature")
    assert probe.spec.access is Access.DEVICE
    sim.state.clear_log()

    await probe.async_write(26)
    await hass.async_block_till_done()

    assert [entry.json for entry in sim.state.requests("control_attributes_post")] == [
        {"target_temperature": 26}
    ]
    assert sim.state.count("control_attributes_put") == 0
    assert sim.state.count("attributes_raw") >= 1
    state = hass.states.get(probe.entity_id)
    assert state is not None
    assert state.state == "26"


async def test_optimistic_state_returns_to_the_cloud_value(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """An offline device does not apply the value: shown at once, then the cloud's again."""
    sim.state.devices["dev-thermostat"].online = False
    probe = await add_probe(hass, init_integration, "dev-thermostat", "target_temperature")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    await probe.async_write(30)
    await hass.async_block_till_done()

    assert states_of(events, probe.entity_id) == ["30", "23.5"]


async def test_cloud_write_is_put_and_read_back(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A cloud attribute is sent with PUT and read back although `active` does not move."""
    probe = await add_probe(hass, init_integration, "dev-thermostat", "eco")
    assert probe.spec.access is Access.CLOUD
    sim.state.clear_log()

    await probe.async_write(True)
    await hass.async_block_till_done()

    assert [entry.json for entry in sim.state.requests("control_attributes_put")] == [{"eco": True}]
    assert sim.state.count("control_attributes_post") == 0
    coordinator = init_integration.runtime_data
    assert coordinator.data.devices["dev-thermostat"].values["eco"] is True
    state = hass.states.get(probe.entity_id)
    assert state is not None
    assert state.state == "True"


async def test_failed_write_raises_a_translated_error(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A refused write raises `write_failed`; the state stays the cloud's."""
    probe = await add_probe(hass, init_integration, "dev-thermostat", "target_temperature")
    sim.state.faults.set("result_false", "control_attributes_post", errcode=400, message="nope")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    with pytest.raises(HomeAssistantError) as raised:
        await probe.async_write(26)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "write_failed"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders["identifier"] == "target_temperature"
    assert "nope" in raised.value.translation_placeholders["error"]
    await hass.async_block_till_done()
    assert states_of(events, probe.entity_id) == []


async def test_write_with_rejected_credentials_starts_reauth(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """Credentials rejected on a write: `auth_failed` and a reauthentication flow."""
    probe = await add_probe(hass, init_integration, "dev-thermostat", "eco")
    sim.state.secret_key = "rotated"
    sim.state.expire_tokens()

    with pytest.raises(HomeAssistantError) as raised:
        await probe.async_write(True)
    assert raised.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_pending_optimistic_value_is_dropped_by_a_failed_write(
    freezer: FrozenDateTimeFactory,
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """Within the refresh cooldown the optimistic value waits; a failed write drops it."""
    sim.state.devices["dev-thermostat"].online = False
    probe = await add_probe(hass, init_integration, "dev-thermostat", "target_temperature")
    await probe.async_write(30)  # refreshes at once
    await probe.async_write(31)  # refresh debounced: the optimistic value stays
    await hass.async_block_till_done()
    state = hass.states.get(probe.entity_id)
    assert state is not None
    assert state.state == "31"

    sim.state.faults.set("http_error", "control_attributes_post", status=500)
    with pytest.raises(HomeAssistantError):
        await probe.async_write(32)
    state = hass.states.get(probe.entity_id)
    assert state is not None
    assert state.state == "23.5"

    # The debounced refresh still runs and reads the device again.
    sim.state.clear_log()
    await next_cycle(hass, freezer, seconds=11)
    assert sim.state.count("attributes_raw") >= 1


def platform_entity(hass: HomeAssistant, domain: str, unique_id: str) -> Entity:
    """Return the entity object of a unique_id on one of the entry's platforms."""
    platform = next(p for p in async_get_platforms(hass, DOMAIN) if p.domain == domain)
    return next(e for e in platform.entities.values() if e.unique_id == unique_id)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities_of_a_device_that_left_are_unavailable(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """Until the registry removes them, a gone device's entities show nothing."""
    coordinator = init_integration.runtime_data
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


async def test_attribute_without_a_model_is_described_by_its_value(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A value the models do not list is described from the value alone."""
    snapshot = init_integration.runtime_data.data.devices["dev-living-th"]
    extended = replace(snapshot, values={**snapshot.values, "lux": 310})
    spec = describe_snapshot_attribute(extended, "lux")
    assert spec.platform is Platform.SENSOR
    assert spec.name == "lux"
    assert spec.access is Access.READ_ONLY


async def test_default_render_key_follows_the_snapshot_object(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """Without its own key, an entity re-renders on every new snapshot of its device."""
    coordinator = init_integration.runtime_data
    entity = ThingsCloudEntity(coordinator, "dev-living-th", "probe")
    assert entity.unique_id == "dev-living-th_probe"
    key = entity._render_key()
    assert key == entity._render_key()
    snapshot = coordinator.data.devices["dev-living-th"]
    devices = {**coordinator.data.devices, "dev-living-th": replace(snapshot, available=False)}
    coordinator.data = replace(coordinator.data, devices=devices)
    assert entity._render_key() != key
