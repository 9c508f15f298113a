"""The button platform: command buttons of config subentries, against the simulator."""

from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.thingscloud.const import CONF_COMMAND_ID, DOMAIN
from simulator.state import Device
from simulator.testing import RunningSimulator

from .common import (
    call_entity_service,
    entity_id_of,
    next_cycle,
    sent_commands,
    set_up_platforms,
    state_of,
)

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
async def buttons(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The demo entry with command buttons, set up with the button platform only."""
    return await set_up_platforms(
        hass, mock_config_entry, Platform.BUTTON, commands=[REBOOT, BEEP, NEW, SWITCH]
    )


async def press(hass: HomeAssistant, unique_id: str) -> None:
    """Press a button through the service."""
    await call_entity_service(hass, BUTTON_DOMAIN, SERVICE_PRESS, unique_id)


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
    state = state_of(hass, BUTTON_DOMAIN, REBOOT_UID)
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
    assert state_of(hass, BUTTON_DOMAIN, REBOOT_UID).state != STATE_UNKNOWN  # the time of the press

    await press(hass, BEEP_UID)
    assert sent_commands(sim, "dev-lobby-led") == [("beep", {})]
    assert sent_commands(sim, "dev-gateway") == [
        ("reboot", {"delay": 5, "reason": "home assistant"})
    ]


@pytest.mark.usefixtures("buttons")
@pytest.mark.parametrize(
    ("kind", "params", "key"),
    [
        ("result_false", {"errcode": 40004, "message": "device offline"}, "api_error"),
        ("http_error", {"status": 503}, "connection_error"),
        ("rate_limit", {"retry_after": 30}, "rate_limited"),
    ],
)
async def test_failed_press_raises_a_translated_error(
    hass: HomeAssistant, sim: RunningSimulator, kind: str, params: dict[str, Any], key: str
) -> None:
    """A refused command raises the error of its kind, carrying the API's message."""
    sim.state.faults.set(kind, "control_command", **params)

    with pytest.raises(HomeAssistantError) as raised:
        await press(hass, REBOOT_UID)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    placeholders = raised.value.translation_placeholders
    assert placeholders is not None
    assert placeholders.keys() == {"error"}
    if kind == "result_false":
        assert "device offline" in placeholders["error"]
    assert sim.state.count("control_command") == 1
    assert sent_commands(sim, "dev-gateway") == []


@pytest.mark.usefixtures("buttons")
async def test_press_with_rejected_credentials_starts_reauth(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """The command's token is refused and so are the credentials: `auth_failed` and reauth."""
    sim.state.secret_key = "rotated"
    sim.state.faults.set("token_expired", "control_command")
    sim.state.clear_log()

    with pytest.raises(HomeAssistantError) as raised:
        await press(hass, REBOOT_UID)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "auth_failed"
    assert [entry.status for entry in sim.state.requests("control_command")] == [401]
    assert sent_commands(sim, "dev-gateway") == []
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("buttons")
async def test_buttons_follow_their_device(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Unavailable with their device; a device that appears brings its buttons without reload."""
    sim.state.set_attributes("dev-gateway", {"cpu_load": 40.0})
    sim.state.faults.set("http_error", "attributes_raw", status=503)
    await next_cycle(hass, freezer)
    assert state_of(hass, BUTTON_DOMAIN, REBOOT_UID).state == STATE_UNAVAILABLE
    assert state_of(hass, BUTTON_DOMAIN, BEEP_UID).state == STATE_UNKNOWN

    sim.state.faults.clear()
    await next_cycle(hass, freezer)
    assert state_of(hass, BUTTON_DOMAIN, REBOOT_UID).state == STATE_UNKNOWN

    sim.state.add_device(Device("dev-gateway-2", "二号网关 Gateway 2", "dt-gateway", online=True))
    sim.state.set_attributes("dev-gateway-2", {"cpu_load": 3.0})
    await next_cycle(hass, freezer)
    new_uid = f"dev-gateway-2_command_{NEW_ID}"
    assert state_of(hass, BUTTON_DOMAIN, new_uid).state == STATE_UNKNOWN
    await press(hass, new_uid)
    assert sent_commands(sim, "dev-gateway-2") == [("pair", {"seconds": 60})]


def subentry_id_of(entry: MockConfigEntry, command_id: str) -> str:
    """Return the id of the config subentry of a command."""
    (subentry_id,) = (
        subentry.subentry_id
        for subentry in entry.subentries.values()
        if subentry.data.get(CONF_COMMAND_ID) == command_id
    )
    return subentry_id


def device_of(hass: HomeAssistant, entry: MockConfigEntry, device_id: str) -> dr.DeviceEntry:
    """Return the device registry entry of a ThingsCloud device."""
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, device_id), entry.entry_id)
    assert device is not None, device_id
    return device


async def test_button_joins_its_device_without_claiming_it(
    hass: HomeAssistant, buttons: MockConfigEntry, entity_registry: er.EntityRegistry
) -> None:
    """The button's registry entry has its subentry and the device; the device stays main."""
    for command_id, unique_id, device_id in (
        (REBOOT_ID, REBOOT_UID, "dev-gateway"),
        (BEEP_ID, BEEP_UID, "dev-lobby-led"),
    ):
        device = device_of(hass, buttons, device_id)
        assert device.config_subentry_id is None
        entity = entity_registry.async_get(entity_id_of(hass, BUTTON_DOMAIN, unique_id))
        assert entity is not None
        assert entity.config_entry_id == buttons.entry_id
        assert entity.config_subentry_id == subentry_id_of(buttons, command_id)
        assert entity.device_id == device.id


async def test_deleting_a_command_removes_only_its_button(
    hass: HomeAssistant,
    sim: RunningSimulator,
    buttons: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Deleting a button's subentry removes that button; its device and the others stay."""
    beep = entity_id_of(hass, BUTTON_DOMAIN, BEEP_UID)
    reboot = entity_id_of(hass, BUTTON_DOMAIN, REBOOT_UID)
    device = device_of(hass, buttons, "dev-lobby-led")

    with patch("custom_components.thingscloud.PLATFORMS", [Platform.BUTTON]):
        assert hass.config_entries.async_remove_subentry(buttons, subentry_id_of(buttons, BEEP_ID))
        await hass.async_block_till_done()

    assert entity_registry.async_get(beep) is None
    assert hass.states.get(beep) is None
    assert device_registry.async_get(device.id) is not None
    assert entity_registry.async_get(reboot) is not None
    assert state_of(hass, BUTTON_DOMAIN, REBOOT_UID).state == STATE_UNKNOWN
    await press(hass, REBOOT_UID)
    assert sent_commands(sim, "dev-gateway") == [
        ("reboot", {"delay": 5, "reason": "home assistant"})
    ]
