"""Setting up, unloading and removing devices of a ThingsCloud config entry."""

from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import (
    area_registry as ar,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import WebSocketGenerator

from custom_components.thingscloud import PLATFORMS
from custom_components.thingscloud.api import ThingsCloudAuthError, ThingsCloudClient
from custom_components.thingscloud.const import (
    CONF_ENDPOINT,
    CONF_SCAN_INTERVAL,
    CONF_SECRET_KEY,
    DOMAIN,
    SUBENTRY_COMMAND_BUTTON,
    SUBENTRY_COMMAND_SWITCH,
)
from simulator.scenarios import DEMO_PROJECT_ID, DEMO_PROJECT_NAME
from simulator.testing import RunningSimulator

from .common import app_entry, next_cycle


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


def ha_device(hass: HomeAssistant, entry: MockConfigEntry, identifier: str) -> dr.DeviceEntry:
    """Return the device registry entry of an identifier of the domain."""
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, identifier), entry.entry_id)
    assert device is not None, identifier
    return device


async def test_setup_and_unload(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """The entry loads its platforms and unloads cleanly."""
    assert init_integration.state is ConfigEntryState.LOADED
    assert {Platform.SENSOR, Platform.BINARY_SENSOR} <= set(PLATFORMS)
    entities = er.async_entries_for_config_entry(er.async_get(hass), init_integration.entry_id)
    assert {"sensor", "binary_sensor"} <= {entity.domain for entity in entities}

    assert await hass.config_entries.async_unload(init_integration.entry_id)
    await hass.async_block_till_done()
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    state = hass.states.get(entities[0].entity_id)
    assert state is not None
    assert state.state == "unavailable"


async def test_project_and_device_registry(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """The project is a service device; each ThingsCloud device is connected through it."""
    project = ha_device(hass, init_integration, "project_proj-demo")
    assert project.entry_type is dr.DeviceEntryType.SERVICE
    assert project.name == DEMO_PROJECT_NAME
    assert project.manufacturer == "ThingsCloud"

    plug = ha_device(hass, init_integration, "dev-plug-tv")
    assert plug.name == "电视插座 TV Plug"
    assert plug.manufacturer == "ThingsCloud"
    assert plug.model == "智能插座 Smart Plug"
    assert plug.serial_number == "DK0003"
    assert plug.via_device_id == project.id

    spare = ha_device(hass, init_integration, "dev-spare-plug")
    assert spare.serial_number is None


async def test_setup_with_rejected_credentials_starts_reauth(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Credentials rejected at setup: setup error and a reauthentication flow."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, data={**mock_config_entry.data, CONF_SECRET_KEY: "wrong"}
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_setup_with_unusable_endpoint_fails(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Stored data that cannot make a client is a setup error, with nothing sent."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        data={**mock_config_entry.data, CONF_ENDPOINT: "http://iot.example.com"},
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    assert mock_config_entry.reason is not None
    assert sim.state.request_counts() == {}


async def test_stale_registry_devices_removed_at_setup(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A device that left the project while Home Assistant was off is removed at setup."""
    mock_config_entry.add_to_hass(hass)
    registry = dr.async_get(hass)
    gone = registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, "dev-long-gone")},
        name="Long gone",
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert registry.async_get(gone.id) is None
    assert ha_device(hass, mock_config_entry, "dev-living-th")


async def _remove_device(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    entry: MockConfigEntry,
    device: dr.DeviceEntry,
) -> bool:
    """Ask, as the UI does, to remove a device from the entry; return whether it was."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_ws_client(hass)
    await client.send_json_auto_id(
        {
            "type": "config/device_registry/remove_config_entry",
            "config_entry_id": entry.entry_id,
            "device_id": device.id,
        }
    )
    response = await client.receive_json()
    return bool(response["success"])


async def test_remove_device_refused_for_live_and_project_devices(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """The project's device and devices still in the project cannot be removed."""
    for identifier in ("project_proj-demo", "dev-living-th"):
        device = ha_device(hass, init_integration, identifier)
        assert not await _remove_device(hass, hass_ws_client, init_integration, device)
        assert dr.async_get(hass).async_get(device.id) is not None


async def test_remove_device_allowed_for_stale_device(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """A device the project no longer has can be removed by the user."""
    stale = dr.async_get(hass).async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={(DOMAIN, "dev-stale")},
        name="Stale",
    )
    assert await _remove_device(hass, hass_ws_client, init_integration, stale)
    assert dr.async_get(hass).async_get(stale.id) is None


# --- areas from the project's groups ---------------------------------------------------------


def area_of(hass: HomeAssistant, device: dr.DeviceEntry) -> str | None:
    """Return the name of a device's area."""
    area = ar.async_get(hass).async_get_area(device.area_id) if device.area_id else None
    return area.name if area else None


async def test_devices_get_the_area_of_their_innermost_group(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A new device is suggested its innermost group's name as area; no group, no area."""
    areas = {
        identifier: area_of(hass, ha_device(hass, init_integration, identifier))
        for identifier in ("dev-living-th", "dev-lobby-led", "dev-front-door", "dev-spare-plug")
    }
    assert areas == {
        "dev-living-th": "客厅 Living room",
        "dev-lobby-led": "前台 Lobby",
        "dev-front-door": "家 Home",
        "dev-spare-plug": None,
    }
    assert area_of(hass, ha_device(hass, init_integration, "project_proj-demo")) is None


async def test_a_user_chosen_area_stays(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """The group only suggests: an area the user chose survives reloads and group changes."""
    registry = dr.async_get(hass)
    kitchen = ar.async_get(hass).async_create("Kitchen")
    device = ha_device(hass, init_integration, "dev-living-th")
    registry.async_update_device(device.id, area_id=kitchen.id)
    sim.state.devices["dev-living-th"].groups = ["grp-bedroom"]

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert ha_device(hass, init_integration, "dev-living-th").area_id == kitchen.id


async def test_groups_are_read_only_for_devices_to_create(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """At the first setup each device's groups are read once; a reload reads none."""
    assert sim.state.count("device") == 9
    sim.state.clear_log()

    assert await hass.config_entries.async_reload(init_integration.entry_id)
    await hass.async_block_till_done()

    assert sim.state.count("device") == 0


async def test_no_group_reads_without_groups(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A project without groups costs no extra request."""
    sim.state.groups.clear()
    for device in sim.state.devices.values():
        device.groups = []
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert sim.state.count("device") == 0


# --- migration ---------------------------------------------------------------------------


LEGACY_COMMANDS = [
    {
        "id": "0123456789abcdef0123456789abcdef",
        "kind": "switch",
        "device_id": "dev-plug-tv",
        "name": "Boost",
        "method": "boost",
        "params": {"minutes": 30},
        "off_method": "boost_stop",
        "off_params": {},
        "state_attribute": None,
    },
    {
        "id": "11111111111111111111111111111111",
        "kind": "switch",
        "device_id": "dev-plug-tv",
        "name": "Power",
        "method": "relay_set",
        "params": {"on": True},
        "off_method": "relay_set",
        "off_params": {"on": False},
        "state_attribute": "relay",
    },
    {
        "id": "44444444444444444444444444444444",
        "kind": "button",
        "device_id": "dev-thermostat",
        "name": "Boost heating",
        "method": "boost",
        "params": {"minutes": 15},
    },
    "not a command",
]


@pytest.mark.parametrize("version", [(1, 1), (0, 1)])
async def test_migration_moves_commands_to_subentries(
    hass: HomeAssistant, sim: RunningSimulator, version: tuple[int, int]
) -> None:
    """An old entry's two command switches and button become subentries, same entities."""
    entry = app_entry(sim.url, DEMO_PROJECT_NAME, DEMO_PROJECT_ID)
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=entry.title,
        unique_id=entry.unique_id,
        data=dict(entry.data),
        options={CONF_SCAN_INTERVAL: 60, "commands": LEGACY_COMMANDS},
        version=version[0],
        minor_version=version[1],
    )
    entry.add_to_hass(hass)
    registry = er.async_get(hass)
    entity_ids = {
        command["id"]: registry.async_get_or_create(
            "switch" if command["kind"] == "switch" else "button",
            DOMAIN,
            f"{command['device_id']}_command_{command['id']}",
            config_entry=entry,
            suggested_object_id=f"legacy_{command['name'].lower().replace(' ', '_')}",
        ).entity_id
        for command in LEGACY_COMMANDS[:2]
        if isinstance(command, dict)
    }

    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()

    assert (entry.version, entry.minor_version) == (1, 2)
    assert dict(entry.options) == {CONF_SCAN_INTERVAL: 60}
    subentries = {sub.data["command_id"]: sub for sub in entry.subentries.values()}
    assert {key: sub.subentry_type for key, sub in subentries.items()} == {
        "0123456789abcdef0123456789abcdef": SUBENTRY_COMMAND_SWITCH,
        "11111111111111111111111111111111": SUBENTRY_COMMAND_SWITCH,
        "44444444444444444444444444444444": SUBENTRY_COMMAND_BUTTON,
    }
    assert subentries["44444444444444444444444444444444"].title == "Boost heating"
    assert dict(subentries["11111111111111111111111111111111"].data) == {
        "command_id": "11111111111111111111111111111111",
        "device_id": "dev-plug-tv",
        "name": "Power",
        "method": "relay_set",
        "params": {"on": True},
        "off_method": "relay_set",
        "off_params": {"on": False},
        "state_attribute": "relay",
    }
    for command_id, entity_id in entity_ids.items():
        registered = registry.async_get(entity_id)
        assert registered is not None, entity_id
        assert registered.config_subentry_id == subentries[command_id].subentry_id
        assert hass.states.get(entity_id) is not None, entity_id
    assert hass.states.get(entity_ids["11111111111111111111111111111111"]).state == "on"
    # The button had no registry entry yet: it gets one, in its subentry.
    button = registry.async_get_entity_id(
        "button", DOMAIN, "dev-thermostat_command_44444444444444444444444444444444"
    )
    assert button is not None
    assert registry.async_get(button).config_subentry_id == (
        subentries["44444444444444444444444444444444"].subentry_id
    )
    plug = ha_device(hass, entry, "dev-plug-tv")
    assert plug.config_subentry_id is None


async def test_migration_refuses_a_newer_major_version(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """An entry from a future major version is not loaded."""
    entry = MockConfigEntry(
        domain=DOMAIN, data=dict(mock_config_entry.data), version=2, minor_version=1
    )
    entry.add_to_hass(hass)

    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_a_device_that_cannot_be_confirmed_gone_is_checked_again(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A registered device the listing lacks stays while ThingsCloud cannot say; then goes."""
    mock_config_entry.add_to_hass(hass)
    registry = dr.async_get(hass)
    gone = registry.async_get_or_create(
        config_entry_id=mock_config_entry.entry_id,
        identifiers={(DOMAIN, "dev-long-gone")},
        name="Long gone",
    )
    # The first setup asks `device` for the 9 devices' groups and for the missing one.
    sim.state.faults.set("http_error", "device", status=503, count=10)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert registry.async_get(gone.id) is not None

    await next_cycle(hass, freezer)

    assert registry.async_get(gone.id) is None


async def test_unreadable_groups_only_cost_the_area_suggestions(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The group tree failing at setup: devices without areas, nothing else lost."""
    sim.state.faults.set("http_error", "device_groups_tree", status=500, count=1)
    mock_config_entry.add_to_hass(hass)

    assert await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert ha_device(hass, mock_config_entry, "dev-living-th").area_id is None
    assert sim.state.count("device") == 0


async def test_groups_refused_with_rotated_credentials_start_reauth(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Credentials refused while the setup reads the groups: setup error and reauth."""
    mock_config_entry.add_to_hass(hass)
    with patch.object(
        ThingsCloudClient,
        "get_device_groups_tree",
        autospec=True,
        side_effect=ThingsCloudAuthError("ThingsCloud rejected the credentials"),
    ):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()

    assert mock_config_entry.state is ConfigEntryState.SETUP_ERROR
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
