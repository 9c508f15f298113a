"""Large projects: Home Assistant's cap of enabled entities per entry, filters, opt-in sensors.

Home Assistant creates at most MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY (10,000) enabled
entities per config entry. The tests lower that cap to 100 and use the simulator's
generated project: 30 devices of 3 numeric attributes want 30 x (3 sensors + online +
alarm) + 10 project statistics = 160 enabled entities (the last activity sensors are
disabled by default).
"""

from collections.abc import AsyncGenerator, Generator
from datetime import UTC, datetime
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.thingscloud.api import Device as ApiDevice, DeviceSnapshot
from custom_components.thingscloud.const import (
    CONF_DEVICE_TYPES,
    CONF_GROUPS,
    CONF_SCAN_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
)
from custom_components.thingscloud.sensor import DEVICE_SENSORS
from simulator.scenarios import (
    GENERATED_PROJECT_ID,
    generated_state,
)
from simulator.state import Device, DeviceType
from simulator.testing import RunningSimulator, start_simulator

from .common import app_entry, next_cycle

LIMIT = 100
DEVICES = 30
ATTRIBUTES = 3
# Enabled entities per device: the attribute sensors, online, alarm and the alarm event.
PER_DEVICE = ATTRIBUTES + 3
PROJECT_SENSORS = 10
WANTED = DEVICES * PER_DEVICE + PROJECT_SENSORS  # 190


@pytest.fixture
def entity_limit() -> Generator[None]:
    """Home Assistant's cap of enabled entities per config entry, lowered to LIMIT."""
    with patch(
        "homeassistant.helpers.entity_platform.MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY", LIMIT
    ):
        yield


@pytest.fixture
async def generated(socket_enabled: None) -> AsyncGenerator[RunningSimulator]:
    """A generated project of DEVICES devices with ATTRIBUTES attributes, nothing drifting.

    (Home Assistant's test plugin refuses sockets; the simulator on 127.0.0.1 needs one.)
    """
    running = await start_simulator(generated_state(DEVICES, ATTRIBUTES, 0.0))
    yield running
    await running.close()


@pytest.fixture
def entry(generated: RunningSimulator) -> MockConfigEntry:
    return app_entry(generated.url, generated.state.project.name, GENERATED_PROJECT_ID)


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


def issue(hass: HomeAssistant, entry: MockConfigEntry) -> ir.IssueEntry | None:
    return ir.async_get(hass).async_get_issue(DOMAIN, f"entity_limit_reached_{entry.entry_id}")


def shown(hass: HomeAssistant) -> list[str]:
    """Return the entity ids of the integration that have a state."""
    registry = er.async_get(hass)
    return [
        entity_id
        for entity_id in hass.states.async_entity_ids()
        if (item := registry.async_get(entity_id)) is not None and item.platform == DOMAIN
    ]


def enabled_entities(hass: HomeAssistant, entry: MockConfigEntry) -> list[er.RegistryEntry]:
    return [
        item
        for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if item.disabled_by is None
    ]


@pytest.mark.usefixtures("entity_limit")
async def test_the_cap_raises_a_repair_issue(
    hass: HomeAssistant, generated: RunningSimulator, entry: MockConfigEntry
) -> None:
    """Over the cap, Home Assistant refuses entities and the user is told how to filter."""
    await set_up(hass, entry)

    # Home Assistant created LIMIT of them and refused the others.
    assert len(enabled_entities(hass, entry)) == LIMIT
    assert len(shown(hass)) == LIMIT
    found = issue(hass, entry)
    assert found is not None
    assert found.translation_key == "entity_limit_reached"
    assert found.severity is ir.IssueSeverity.WARNING
    assert not found.is_fixable
    assert found.translation_placeholders == {
        "title": generated.state.project.name,
        "count": str(WANTED),
        "limit": str(LIMIT),
        "missing": str(WANTED - LIMIT),
    }

    # Unloading the entry takes its issue away; setting it up again brings it back.
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert issue(hass, entry) is None
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    found = issue(hass, entry)
    assert found is not None
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["count"] == str(WANTED)


@pytest.mark.usefixtures("entity_limit")
async def test_filtering_groups_in_the_options_clears_the_issue(
    hass: HomeAssistant, generated: RunningSimulator, entry: MockConfigEntry
) -> None:
    """The options flow's group filter reaches the coordinator, and the project fits again."""
    await set_up(hass, entry)
    assert issue(hass, entry) is not None
    group_a = {d.id for d in generated.state.devices.values() if "grp-gen-a" in d.groups}
    assert len(group_a) == DEVICES // 3

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
            CONF_DEVICE_TYPES: [],
            CONF_GROUPS: ["grp-gen-a"],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    # Reloaded with the filter: only that group's devices are read, the others left.
    assert entry.state is ConfigEntryState.LOADED
    assert set(entry.runtime_data.coordinator.data.devices) == group_a
    last_walk = generated.state.requests("devices")[-1]
    assert last_walk.query.get("group") == "grp-gen-a"
    registry = dr.async_get(hass)
    devices = {
        identifier
        for device in dr.async_entries_for_config_entry(registry, entry.entry_id)
        for domain, identifier in device.identifiers
        if domain == DOMAIN and not identifier.startswith("project_")
    }
    assert devices == group_a
    assert len(enabled_entities(hass, entry)) == len(group_a) * PER_DEVICE + PROJECT_SENSORS
    assert issue(hass, entry) is None


@pytest.mark.usefixtures("entity_limit")
async def test_filtering_device_types_clears_the_issue(
    hass: HomeAssistant, generated: RunningSimulator, entry: MockConfigEntry
) -> None:
    """The device type filter: a type with few devices, applied by the coordinator."""
    state = generated.state
    other_type = state.add_device_type(DeviceType("dt-other", "Other 其他"))
    for number in range(3):
        state.add_device(Device(f"other-{number}", f"Other {number}", other_type.id, online=True))
    await set_up(hass, entry)
    assert issue(hass, entry) is not None

    hass.config_entries.async_update_entry(
        entry, options={**entry.options, CONF_DEVICE_TYPES: [other_type.id]}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()

    assert state.requests("devices")[-1].query.get("type") == other_type.id
    assert set(entry.runtime_data.coordinator.data.devices) == {"other-0", "other-1", "other-2"}
    assert len(enabled_entities(hass, entry)) == 3 * 3 + PROJECT_SENSORS
    assert issue(hass, entry) is None


@pytest.mark.usefixtures("entity_limit")
async def test_disabling_entities_then_reloading_clears_the_issue(
    hass: HomeAssistant, generated: RunningSimulator, entry: MockConfigEntry
) -> None:
    """Disabled entities do not count: after a reload the refused ones get their place."""
    await set_up(hass, entry)
    registry = er.async_get(hass)

    async def disable_then_reload(count: int) -> None:
        # Which entities Home Assistant created first depends on the platforms' order;
        # the user can only disable those.
        device_entities = sorted(
            item.entity_id
            for item in enabled_entities(hass, entry)
            if not item.unique_id.startswith(GENERATED_PROJECT_ID)
        )
        for entity_id in device_entities[:count]:
            registry.async_update_entity(entity_id, disabled_by=er.RegistryEntryDisabler.USER)
        await hass.config_entries.async_reload(entry.entry_id)
        await hass.async_block_till_done()

    await disable_then_reload(30)

    found = issue(hass, entry)
    assert found is not None
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["count"] == str(WANTED - 30)
    assert len(enabled_entities(hass, entry)) == LIMIT

    await disable_then_reload(WANTED - 30 - LIMIT)

    assert issue(hass, entry) is None
    # Every entity still wanted exists now.
    assert len(enabled_entities(hass, entry)) == LIMIT
    assert len(shown(hass)) == LIMIT


@pytest.mark.usefixtures("entity_limit")
async def test_devices_appearing_and_leaving_update_the_issue(
    hass: HomeAssistant,
    generated: RunningSimulator,
    entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """New devices that pass the cap raise the issue; their leaving deletes it."""
    state = generated.state
    extra = list(state.devices)[-15:]
    removed = {device_id: state.devices[device_id] for device_id in extra}
    for device_id in extra:
        state.delete_device(device_id)
    await set_up(hass, entry)
    # 15 x 5 + 10 = 85 entities: fits.
    assert issue(hass, entry) is None
    assert len(enabled_entities(hass, entry)) == 15 * PER_DEVICE + PROJECT_SENSORS

    for device in removed.values():
        state.add_device(device)
    await next_cycle(hass, freezer)

    found = issue(hass, entry)
    assert found is not None
    assert found.translation_placeholders is not None
    assert found.translation_placeholders["count"] == str(WANTED)

    for device_id in extra:
        state.delete_device(device_id)
    await next_cycle(hass, freezer)

    assert set(entry.runtime_data.coordinator.data.devices).isdisjoint(extra)
    assert issue(hass, entry) is None


async def test_a_project_under_the_cap_has_no_issue(
    hass: HomeAssistant, generated: RunningSimulator, entry: MockConfigEntry
) -> None:
    await set_up(hass, entry)

    assert len(enabled_entities(hass, entry)) == WANTED
    assert issue(hass, entry) is None


async def test_last_activity_is_disabled_by_default_online_is_not(
    hass: HomeAssistant, generated: RunningSimulator, entry: MockConfigEntry
) -> None:
    """The last activity sensor is opt-in (diagnostic, changes with every report)."""
    await set_up(hass, entry)
    registry = er.async_get(hass)
    items = er.async_entries_for_config_entry(registry, entry.entry_id)

    last_active = [item for item in items if item.unique_id.endswith("_last_active")]
    assert len(last_active) == DEVICES
    assert all(item.disabled_by is er.RegistryEntryDisabler.INTEGRATION for item in last_active)
    assert all(hass.states.get(item.entity_id) is None for item in last_active)
    online = [item for item in items if item.unique_id.endswith("_online")]
    assert len(online) == DEVICES
    assert all(item.disabled_by is None for item in online)
    assert all(item.domain == Platform.BINARY_SENSOR for item in online)


def test_last_activity_is_shown_in_whole_seconds() -> None:
    """Its state has whole seconds, so milliseconds alone do not rewrite it."""
    description = next(d for d in DEVICE_SENSORS if d.key == "last_active")
    device = ApiDevice.from_api({"id": "d", "active": {"attributes": 1_768_478_400_123}})
    snapshot = DeviceSnapshot(device, {}, {})

    assert description.value_fn(snapshot) == datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    empty = DeviceSnapshot(ApiDevice.from_api({"id": "d"}), {}, {})
    assert description.value_fn(empty) is None
