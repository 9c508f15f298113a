"""The button platform: command buttons of the options, against the simulator."""

from datetime import timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.thingscloud.api import JsonValue
from custom_components.thingscloud.const import (
    CONF_COMMANDS,
    CONF_SCAN_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
)
from simulator.state import Device
from simulator.testing import RunningSimulator

REBOOT_ID = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
BEEP_ID = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
NEW_ID = "cccccccccccccccccccccccccccccccc"
SWITCH_ID = "dddddddddddddddddddddddddddddddd"

REBOOT: dict[str, Any] = {
    "id": REBOOT_ID,
    "kind": "button",
    "device_id": "dev-gateway",
    "name": "Reboot",
    "method": "reboot",
    "params": {"delay": 5, "reason": "home assistant"},
}
BEEP: dict[str, Any] = {
    "id": BEEP_ID,
    "kind": "button",
    "device_id": "dev-lobby-led",
    "name": "蜂鸣 Beep",
    "method": "beep",
    "params": {},
}
NEW: dict[str, Any] = {
    "id": NEW_ID,
    "kind": "button",
    "device_id": "dev-gateway-2",
    "name": "Pair",
    "method": "pair",
    "params": {"seconds": 60},
}
# A switch: not a button.
SWITCH: dict[str, Any] = {
    "id": SWITCH_ID,
    "kind": "switch",
    "device_id": "dev-gateway",
    "name": "Permit join",
    "method": "permit_join",
    "params": {},
    "off_method": "deny_join",
    "off_params": {},
    "state_attribute": None,
}
REBOOT_UID = f"dev-gateway_command_{REBOOT_ID}"
BEEP_UID = f"dev-lobby-led_command_{BEEP_ID}"


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer, in tests/snapshots/."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
async def buttons(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The demo entry with command buttons, set up with the button platform only."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={
            CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
            CONF_COMMANDS: [REBOOT, BEEP, NEW, SWITCH],
        },
    )
    with patch("custom_components.thingscloud.PLATFORMS", [Platform.BUTTON]):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    return mock_config_entry


async def next_cycle(hass: HomeAssistant, freezer: FrozenDateTimeFactory) -> None:
    """Let the scan interval pass and wait for the refresh to finish."""
    freezer.tick(timedelta(seconds=DEFAULT_SCAN_INTERVAL))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


def entity_id_of(hass: HomeAssistant, unique_id: str) -> str:
    """Return the entity id of the button with a unique_id."""
    entity_id = er.async_get(hass).async_get_entity_id(BUTTON_DOMAIN, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    return entity_id


def state_of(hass: HomeAssistant, unique_id: str) -> State:
    """Return the state of the button with a unique_id."""
    state = hass.states.get(entity_id_of(hass, unique_id))
    assert state is not None, unique_id
    return state


async def press(hass: HomeAssistant, unique_id: str) -> None:
    """Press a button through the service."""
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id_of(hass, unique_id)}, blocking=True
    )
    await hass.async_block_till_done()


def sent_commands(sim: RunningSimulator, device_id: str) -> list[tuple[str, JsonValue]]:
    """Return the commands the simulator recorded for a device: (method, params)."""
    return [(record.method, record.params) for record in sim.state.commands[device_id]]


async def test_button_entities(
    hass: HomeAssistant,
    sim: RunningSimulator,
    buttons: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every command button (not the switch, not the missing device's): registry and states."""
    await snapshot_platform(hass, entity_registry, snapshot, buttons.entry_id)
    unique_ids = {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(entity_registry, buttons.entry_id)
    }
    assert unique_ids == {REBOOT_UID, BEEP_UID}


@pytest.mark.usefixtures("buttons")
async def test_press_sends_the_command(hass: HomeAssistant, sim: RunningSimulator) -> None:
    """Pressing sends the configured method and params to the device."""
    state = state_of(hass, REBOOT_UID)
    assert state.state == STATE_UNKNOWN
    assert state.name is not None
    assert state.name.endswith("Reboot")
    sim.state.clear_log()

    await press(hass, REBOOT_UID)

    assert [(entry.method, entry.path, entry.json) for entry in sim.state.log] == [
        (
            "POST",
            "/api/v1/control/device/dev-gateway/command",
            {"method": "reboot", "params": {"delay": 5, "reason": "home assistant"}},
        )
    ]
    assert sent_commands(sim, "dev-gateway") == [
        ("reboot", {"delay": 5, "reason": "home assistant"})
    ]
    assert state_of(hass, REBOOT_UID).state != STATE_UNKNOWN  # the time of the press

    await press(hass, BEEP_UID)
    assert sent_commands(sim, "dev-lobby-led") == [("beep", {})]
    assert sent_commands(sim, "dev-gateway") == [
        ("reboot", {"delay": 5, "reason": "home assistant"})
    ]


@pytest.mark.usefixtures("buttons")
@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("result_false", {"errcode": 40004, "message": "device offline"}),
        ("http_error", {"status": 503}),
    ],
)
async def test_failed_press_raises_a_translated_error(
    hass: HomeAssistant, sim: RunningSimulator, kind: str, params: dict[str, Any]
) -> None:
    """A refused command raises `command_failed` carrying the API's message."""
    sim.state.faults.set(kind, "control_command", **params)

    with pytest.raises(HomeAssistantError) as raised:
        await press(hass, REBOOT_UID)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "command_failed"
    placeholders = raised.value.translation_placeholders
    assert placeholders is not None
    assert (placeholders["name"], placeholders["method"]) == ("Reboot", "reboot")
    if kind == "result_false":
        assert "device offline" in placeholders["error"]
    assert sim.state.count("control_command") == 1
    assert sent_commands(sim, "dev-gateway") == []


@pytest.mark.usefixtures("buttons")
async def test_buttons_follow_their_device(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Unavailable with their device; a device that appears brings its buttons without reload."""
    sim.state.set_attributes("dev-gateway", {"cpu_load": 40.0})
    sim.state.faults.set("http_error", "attributes_raw", status=503)
    await next_cycle(hass, freezer)
    assert state_of(hass, REBOOT_UID).state == STATE_UNAVAILABLE
    assert state_of(hass, BEEP_UID).state == STATE_UNKNOWN

    sim.state.faults.clear()
    await next_cycle(hass, freezer)
    assert state_of(hass, REBOOT_UID).state == STATE_UNKNOWN

    sim.state.add_device(Device("dev-gateway-2", "二号网关 Gateway 2", "dt-gateway", online=True))
    sim.state.set_attributes("dev-gateway-2", {"cpu_load": 3.0})
    await next_cycle(hass, freezer)
    new_uid = f"dev-gateway-2_command_{NEW_ID}"
    assert state_of(hass, new_uid).state == STATE_UNKNOWN
    await press(hass, new_uid)
    assert sent_commands(sim, "dev-gateway-2") == [("pair", {"seconds": 60})]


async def test_removed_buttons_leave_the_registry(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Buttons of commands no longer configured are removed at setup."""
    mock_config_entry.add_to_hass(hass)
    gone = entity_registry.async_get_or_create(
        BUTTON_DOMAIN, DOMAIN, f"dev-lobby-led_command_{BEEP_ID}", config_entry=mock_config_entry
    )
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL, CONF_COMMANDS: [REBOOT]},
    )
    with patch("custom_components.thingscloud.PLATFORMS", [Platform.BUTTON]):
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()

    assert entity_registry.async_get(gone.entity_id) is None
    assert state_of(hass, REBOOT_UID).state == STATE_UNKNOWN
