"""The switch platform: writable boolean attributes and command switches, against the simulator."""

import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.switch import DOMAIN as SWITCH_DOMAIN
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    ATTR_ASSUMED_STATE,
    EVENT_STATE_CHANGED,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    mock_restore_cache,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.thingscloud.api import JsonValue
from custom_components.thingscloud.commands import command_configs
from custom_components.thingscloud.const import (
    CONF_COMMAND_ID,
    DOMAIN,
    SUBENTRY_COMMAND_SWITCH,
)
from simulator.state import AttributeModel, Device
from simulator.testing import RunningSimulator

from .common import (
    call_entity_service,
    entity_id_of,
    next_cycle,
    reads,
    sent_commands,
    set_up_platforms,
    state_of,
    states_of,
    value_of,
    writes,
)

BOOST_ID = "0123456789abcdef0123456789abcdef"
POWER_ID = "11111111111111111111111111111111"
LOAD_ID = "22222222222222222222222222222222"
NEW_PLUG_ID = "33333333333333333333333333333333"

# Assumed state: no attribute shows it.
BOOST: dict[str, Any] = {
    "id": BOOST_ID,
    "kind": "switch",
    "device_id": "dev-plug-tv",
    "name": "Boost",
    "method": "boost",
    "params": {"minutes": 30, "level": "high"},
    "off_method": "boost_stop",
    "off_params": {},
    "state_attribute": None,
}
# Shown by a boolean attribute with on/off texts.
POWER: dict[str, Any] = {
    "id": POWER_ID,
    "kind": "switch",
    "device_id": "dev-plug-tv",
    "name": "Power",
    "method": "relay_set",
    "params": {"on": True},
    "off_method": "relay_set",
    "off_params": {"on": False},
    "state_attribute": "relay",
}
# Shown by a numeric attribute (on/off words, else a number is on unless 0).
LOAD: dict[str, Any] = {
    "id": LOAD_ID,
    "kind": "switch",
    "device_id": "dev-plug-tv",
    "name": "Load",
    "method": "load_on",
    "params": {},
    "off_method": "load_off",
    "off_params": {},
    "state_attribute": "power",
}
# For a device the project does not have yet.
NEW_PLUG: dict[str, Any] = {
    "id": NEW_PLUG_ID,
    "kind": "switch",
    "device_id": "dev-plug-new",
    "name": "Night mode",
    "method": "night",
    "params": {},
    "off_method": "day",
    "off_params": {},
    "state_attribute": None,
}
COMMANDS = [BOOST, POWER, LOAD, NEW_PLUG]
BOOST_UID = f"dev-plug-tv_command_{BOOST_ID}"
POWER_UID = f"dev-plug-tv_command_{POWER_ID}"
LOAD_UID = f"dev-plug-tv_command_{LOAD_ID}"
RELAY_UID = "dev-plug-tv_attr_relay"


@pytest.fixture
def commands() -> list[Any]:
    """The command items, added to the entry as config subentries."""
    return COMMANDS


@pytest.fixture
async def switches(
    hass: HomeAssistant,
    mock_config_entry: MockConfigEntry,
    commands: list[Any],
    freezer: FrozenDateTimeFactory,
) -> MockConfigEntry:
    """The demo entry with command switches, set up with the switch platform only.

    Time stands still from the start: polls happen only when a test lets time pass.
    """
    return await set_up_platforms(hass, mock_config_entry, Platform.SWITCH, commands=commands)


async def switch(hass: HomeAssistant, service: str, unique_id: str) -> None:
    """Turn a switch on or off through the service."""
    await call_entity_service(hass, SWITCH_DOMAIN, service, unique_id)


def subentry_id_of(entry: MockConfigEntry, command_id: str) -> str:
    """Return the id of the config subentry of a command."""
    (subentry_id,) = (
        subentry.subentry_id
        for subentry in entry.subentries.values()
        if subentry.data.get(CONF_COMMAND_ID) == command_id
    )
    return subentry_id


def device_of(hass: HomeAssistant, device_id: str) -> dr.DeviceEntry:
    """Return the device registry entry of a ThingsCloud device."""
    (entry,) = hass.config_entries.async_entries(DOMAIN)
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, device_id), entry.entry_id)
    assert device is not None, device_id
    return device


async def test_switch_entities(
    hass: HomeAssistant,
    sim: RunningSimulator,
    switches: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every switch of the demo project and its commands: registry entries and states."""
    await snapshot_platform(hass, entity_registry, snapshot, switches.entry_id)


# --- attribute switches ----------------------------------------------------------------------


@pytest.mark.usefixtures("switches")
async def test_device_attribute_is_posted_then_refreshed(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """A device attribute is written with POST; the refresh reads the device's report."""
    assert state_of(hass, SWITCH_DOMAIN, RELAY_UID).state == STATE_ON
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await switch(hass, SERVICE_TURN_OFF, RELAY_UID)

    assert writes(sim) == [
        ("POST", "/api/v1/control/device/dev-plug-tv/attributes", {"relay": False})
    ]
    assert reads(sim, "dev-plug-tv") == 1  # the refresh after the write
    assert sim.state.devices["dev-plug-tv"].attributes["relay"].value is False
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, RELAY_UID)) == [STATE_OFF]

    await switch(hass, SERVICE_TURN_ON, RELAY_UID)
    assert writes(sim)[-1] == (
        "POST",
        "/api/v1/control/device/dev-plug-tv/attributes",
        {"relay": True},
    )
    assert state_of(hass, SWITCH_DOMAIN, RELAY_UID).state == STATE_ON


@pytest.mark.usefixtures("switches")
async def test_optimistic_state_then_the_cloud_value(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """An offline device does not apply the write: off at once, on again after the refresh."""
    unique_id = "dev-lobby-led_attr_scroll"
    sim.state.devices["dev-lobby-led"].online = False
    assert state_of(hass, SWITCH_DOMAIN, unique_id).state == STATE_ON
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await switch(hass, SERVICE_TURN_OFF, unique_id)

    assert writes(sim) == [
        ("POST", "/api/v1/control/device/dev-lobby-led/attributes", {"scroll": False})
    ]
    assert [record.applied for record in sim.state.writes["dev-lobby-led"]] == [False]
    assert reads(sim, "dev-lobby-led") == 1
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, unique_id)) == [STATE_OFF, STATE_ON]


@pytest.mark.usefixtures("switches")
@pytest.mark.parametrize(
    ("unique_id", "identifier"),
    [("dev-thermostat_attr_eco", "eco"), ("dev-thermostat_attr_away_mode", "away_mode")],
)
async def test_cloud_attribute_is_put(
    hass: HomeAssistant, sim: RunningSimulator, unique_id: str, identifier: str
) -> None:
    """A cloud attribute is written with PUT and read back by the refresh."""
    assert state_of(hass, SWITCH_DOMAIN, unique_id).state == STATE_OFF
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await switch(hass, SERVICE_TURN_ON, unique_id)

    assert writes(sim) == [
        ("PUT", "/api/v1/control/device/dev-thermostat/attributes", {identifier: True})
    ]
    assert reads(sim, "dev-thermostat") == 1
    assert sim.state.devices["dev-thermostat"].attributes[identifier].value is True
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, unique_id)) == [STATE_ON]


@pytest.mark.usefixtures("switches")
@pytest.mark.parametrize(
    ("kind", "params", "key"),
    [
        ("result_false", {"errcode": 400, "message": "relay busy"}, "api_error"),
        ("http_error", {"status": 500}, "connection_error"),
        ("rate_limit", {"retry_after": 30}, "rate_limited"),
    ],
)
async def test_failed_write_keeps_the_state(
    hass: HomeAssistant, sim: RunningSimulator, kind: str, params: dict[str, Any], key: str
) -> None:
    """A refused write raises the translated error of its kind; the state stays the cloud's."""
    sim.state.faults.set(kind, "control_attributes_post", **params)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, SERVICE_TURN_OFF, RELAY_UID)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    placeholders = raised.value.translation_placeholders
    assert placeholders is not None
    assert placeholders.keys() == {"error"}
    if kind == "result_false":
        assert "relay busy" in placeholders["error"]
    assert sim.state.count("control_attributes_post") == 1
    assert reads(sim, "dev-plug-tv") == 0  # no refresh after a failed write
    assert sim.state.devices["dev-plug-tv"].attributes["relay"].value is True
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, RELAY_UID)) == []
    assert state_of(hass, SWITCH_DOMAIN, RELAY_UID).state == STATE_ON


@pytest.mark.usefixtures("switches")
async def test_write_with_rejected_credentials_starts_reauth(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """The write's token is refused and so are the credentials: `auth_failed` and reauth."""
    sim.state.secret_key = "rotated"
    sim.state.faults.set("token_expired", "control_attributes_post")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, SERVICE_TURN_OFF, RELAY_UID)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "auth_failed"
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders.keys() == {"error"}
    assert [entry.status for entry in sim.state.requests("control_attributes_post")] == [401]
    assert sim.state.count("access_token") == 1  # refused
    assert sim.state.devices["dev-plug-tv"].attributes["relay"].value is True
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, RELAY_UID)) == []
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("switches")
async def test_state_follows_the_cloud_and_on_off_texts(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """The state is the attribute's value; the model's on/off texts count; others are unknown."""
    sim.state.set_attributes("dev-plug-tv", {"relay": "关", "child_lock": "锁定"})
    await next_cycle(hass, freezer)
    assert state_of(hass, SWITCH_DOMAIN, RELAY_UID).state == STATE_OFF
    assert state_of(hass, SWITCH_DOMAIN, "dev-plug-tv_attr_child_lock").state == STATE_ON

    sim.state.set_attributes("dev-plug-tv", {"relay": "half"})
    await next_cycle(hass, freezer)
    assert state_of(hass, SWITCH_DOMAIN, RELAY_UID).state == STATE_UNKNOWN


@pytest.mark.usefixtures("switches")
async def test_state_is_written_only_when_it_changes(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A report that changes nothing a switch shows writes no state of that switch."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.set_attributes("dev-plug-tv", {"relay": "开", "power": 90.0})  # still on
    await next_cycle(hass, freezer)
    assert reads(sim, "dev-plug-tv") >= 1
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, RELAY_UID)) == []
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, POWER_UID)) == []
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, LOAD_UID)) == []

    sim.state.set_attributes("dev-plug-tv", {"relay": False})
    await next_cycle(hass, freezer)
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, RELAY_UID)) == [STATE_OFF]
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, POWER_UID)) == [STATE_OFF]
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, LOAD_UID)) == []


@pytest.mark.usefixtures("switches")
async def test_new_attributes_and_devices_appear_without_reload(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A new writable boolean and a new device (with its command switch) appear by themselves."""
    models = sim.state.device_types["dt-smart-plug"].models
    models["usb"] = AttributeModel("usb", "USB 供电 USB power", "share", "boolean", {})
    sim.state.set_attributes("dev-plug-tv", {"usb": True})
    sim.state.add_device(Device("dev-plug-new", "新插座 New plug", "dt-smart-plug", online=True))
    sim.state.set_attributes("dev-plug-new", {"relay": False})
    await next_cycle(hass, freezer)

    assert state_of(hass, SWITCH_DOMAIN, "dev-plug-tv_attr_usb").state == STATE_ON
    assert state_of(hass, SWITCH_DOMAIN, "dev-plug-new_attr_relay").state == STATE_OFF
    new_uid = f"dev-plug-new_command_{NEW_PLUG_ID}"
    assert state_of(hass, SWITCH_DOMAIN, new_uid).state == STATE_UNKNOWN
    entity = er.async_get(hass).async_get(entity_id_of(hass, SWITCH_DOMAIN, new_uid))
    device = device_of(hass, "dev-plug-new")
    assert entity is not None
    assert entity.device_id == device.id

    await switch(hass, SERVICE_TURN_ON, new_uid)
    assert sent_commands(sim, "dev-plug-new") == [("night", {})]


# --- command switches ------------------------------------------------------------------------


@pytest.mark.usefixtures("switches")
async def test_assumed_command_switch_sends_on_and_off(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """Without a state attribute: on/off send their commands; the state is the last one sent."""
    state = state_of(hass, SWITCH_DOMAIN, BOOST_UID)
    assert state.state == STATE_UNKNOWN
    assert state.attributes[ATTR_ASSUMED_STATE] is True
    assert state.name.endswith("Boost")
    sim.state.clear_log()

    await switch(hass, SERVICE_TURN_ON, BOOST_UID)
    assert sent_commands(sim, "dev-plug-tv") == [("boost", {"minutes": 30, "level": "high"})]
    assert [(entry.method, entry.path, entry.json) for entry in sim.state.log] == [
        (
            "POST",
            "/api/v1/control/device/dev-plug-tv/command",
            {"method": "boost", "params": {"minutes": 30, "level": "high"}},
        )
    ]
    assert state_of(hass, SWITCH_DOMAIN, BOOST_UID).state == STATE_ON

    await switch(hass, SERVICE_TURN_OFF, BOOST_UID)
    assert sent_commands(sim, "dev-plug-tv")[-1] == ("boost_stop", {})
    assert state_of(hass, SWITCH_DOMAIN, BOOST_UID).state == STATE_OFF


@pytest.mark.usefixtures("switches")
async def test_command_switch_with_a_boolean_state_attribute(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """With a state attribute: the commands are sent, the device's report is the state."""
    state = state_of(hass, SWITCH_DOMAIN, POWER_UID)
    assert state.state == STATE_ON
    assert ATTR_ASSUMED_STATE not in state.attributes
    sim.state.clear_log()

    await switch(hass, SERVICE_TURN_OFF, POWER_UID)
    assert sent_commands(sim, "dev-plug-tv") == [("relay_set", {"on": False})]
    # The attribute is re-read at once; the device has not reported yet.
    assert reads(sim, "dev-plug-tv") == 1
    assert state_of(hass, SWITCH_DOMAIN, POWER_UID).state == STATE_ON

    sim.state.set_attributes("dev-plug-tv", {"relay": "关"})  # the model's off text
    await next_cycle(hass, freezer)
    assert state_of(hass, SWITCH_DOMAIN, POWER_UID).state == STATE_OFF

    sim.state.set_attributes("dev-plug-tv", {"relay": "half"})  # no meaning for the model
    await next_cycle(hass, freezer)
    assert state_of(hass, SWITCH_DOMAIN, POWER_UID).state == STATE_UNKNOWN

    await switch(hass, SERVICE_TURN_ON, POWER_UID)
    assert sent_commands(sim, "dev-plug-tv")[-1] == ("relay_set", {"on": True})


# The state attribute `power` has a numeric model: its value is read as on/off words, else
# a number is on unless 0; anything else is unknown.
PLAIN_STATES: list[tuple[JsonValue, str]] = [
    (True, STATE_ON),
    (False, STATE_OFF),
    (1, STATE_ON),
    (0, STATE_OFF),
    (0.0, STATE_OFF),
    (-2.5, STATE_ON),
    (86.5, STATE_ON),
    ("ON", STATE_ON),
    (" off ", STATE_OFF),
    ("1", STATE_ON),
    ("0", STATE_OFF),
    ("0.0", STATE_OFF),
    ("2.5", STATE_ON),
    ("开启", STATE_ON),
    ("关闭", STATE_OFF),
    ("open", STATE_ON),
    ("closed", STATE_OFF),
    ("maybe", STATE_UNKNOWN),
    ("", STATE_UNKNOWN),
    (None, STATE_UNKNOWN),
    ({"on": True}, STATE_UNKNOWN),
    ([1], STATE_UNKNOWN),
]


@pytest.mark.usefixtures("switches")
async def test_command_switch_with_a_plain_state_attribute(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A non-boolean state attribute: on/off words, else a number is on unless 0."""
    assert state_of(hass, SWITCH_DOMAIN, LOAD_UID).state == STATE_ON  # power 86.5

    shown = []
    for value, _ in PLAIN_STATES:
        sim.state.set_attributes("dev-plug-tv", {"power": value})
        await next_cycle(hass, freezer)
        shown.append((value, state_of(hass, SWITCH_DOMAIN, LOAD_UID).state))
    assert shown == PLAIN_STATES

    sim.state.remove_attributes("dev-plug-tv", ["power"])
    sim.state.set_attributes("dev-plug-tv", {"voltage": 230.0})
    await next_cycle(hass, freezer)
    assert state_of(hass, SWITCH_DOMAIN, LOAD_UID).state == STATE_UNKNOWN


@pytest.mark.usefixtures("switches")
@pytest.mark.parametrize(
    ("kind", "params", "key"),
    [
        ("result_false", {"errcode": 40001, "message": "device busy"}, "api_error"),
        ("http_error", {"status": 502}, "connection_error"),
    ],
)
async def test_failed_command_keeps_the_state(
    hass: HomeAssistant, sim: RunningSimulator, kind: str, params: dict[str, Any], key: str
) -> None:
    """A refused command raises the error of its kind with the API's message; the state stays."""
    sim.state.faults.set(kind, "control_command", **params)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, SERVICE_TURN_ON, BOOST_UID)

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    placeholders = raised.value.translation_placeholders
    assert placeholders is not None
    assert placeholders.keys() == {"error"}
    if kind == "result_false":
        assert "device busy" in placeholders["error"]
    assert sim.state.count("control_command") == 1
    assert sent_commands(sim, "dev-plug-tv") == []
    assert states_of(events, entity_id_of(hass, SWITCH_DOMAIN, BOOST_UID)) == []
    assert state_of(hass, SWITCH_DOMAIN, BOOST_UID).state == STATE_UNKNOWN


@pytest.mark.usefixtures("switches")
async def test_failed_command_with_a_state_attribute_does_not_refresh(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """A refused command of a switch with a state attribute re-reads nothing; the state stays."""
    sim.state.faults.set("result_false", "control_command", errcode=400, message="nope")
    sim.state.clear_log()

    with pytest.raises(HomeAssistantError):
        await switch(hass, SERVICE_TURN_OFF, POWER_UID)

    assert reads(sim, "dev-plug-tv") == 0
    assert state_of(hass, SWITCH_DOMAIN, POWER_UID).state == STATE_ON


@pytest.mark.usefixtures("switches")
async def test_command_with_rejected_credentials_starts_reauth(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """Credentials rejected on a command: `auth_failed` and a reauthentication flow."""
    sim.state.secret_key = "rotated"
    sim.state.faults.set("token_expired", "control_command")

    with pytest.raises(HomeAssistantError) as raised:
        await switch(hass, SERVICE_TURN_ON, BOOST_UID)

    assert raised.value.translation_key == "auth_failed"
    assert sent_commands(sim, "dev-plug-tv") == []
    assert state_of(hass, SWITCH_DOMAIN, BOOST_UID).state == STATE_UNKNOWN
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("switches")
async def test_switches_follow_the_availability_of_their_device(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A device that cannot be read makes its switches unavailable, until it can again."""
    unique_ids = [RELAY_UID, BOOST_UID, POWER_UID]
    sim.state.set_attributes("dev-plug-tv", {"power": 50.0})
    sim.state.faults.set("http_error", "attributes_raw", status=503)
    await next_cycle(hass, freezer)
    assert [state_of(hass, SWITCH_DOMAIN, unique_id).state for unique_id in unique_ids] == [
        STATE_UNAVAILABLE
    ] * 3
    assert state_of(hass, SWITCH_DOMAIN, "dev-thermostat_attr_eco").state == STATE_OFF

    sim.state.faults.clear()
    await next_cycle(hass, freezer)
    assert [state_of(hass, SWITCH_DOMAIN, unique_id).state for unique_id in unique_ids] == [
        STATE_ON,
        STATE_UNKNOWN,
        STATE_ON,
    ]


@pytest.mark.usefixtures("switches")
async def test_deleted_device_removes_its_attribute_switches(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A device deleted in ThingsCloud takes its attribute switches along; others stay."""
    entity_ids = [
        entity_id_of(hass, SWITCH_DOMAIN, unique_id)
        for unique_id in (RELAY_UID, "dev-plug-tv_attr_child_lock")
    ]
    sim.state.delete_device("dev-plug-tv")
    await next_cycle(hass, freezer)

    registry = er.async_get(hass)
    for entity_id in entity_ids:
        assert registry.async_get(entity_id) is None
        assert hass.states.get(entity_id) is None
    assert state_of(hass, SWITCH_DOMAIN, "dev-thermostat_attr_eco").state == STATE_OFF
    # The commands stay configured (their subentries are the user's): so do their switches.
    boost = registry.async_get(entity_id_of(hass, SWITCH_DOMAIN, BOOST_UID))
    assert boost is not None
    assert boost.config_subentry_id is not None


@pytest.mark.usefixtures("switches")
async def test_command_switch_rejoins_a_device_that_comes_back(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A command's device that leaves and returns has the command's switch again."""
    device = sim.state.devices["dev-plug-tv"]
    sim.state.delete_device("dev-plug-tv")
    await next_cycle(hass, freezer)
    sim.state.add_device(device)
    sim.state.set_attributes("dev-plug-tv", {"relay": True})
    await next_cycle(hass, freezer)

    assert state_of(hass, SWITCH_DOMAIN, RELAY_UID).state == STATE_ON
    assert state_of(hass, SWITCH_DOMAIN, POWER_UID).state == STATE_ON
    returned = device_of(hass, "dev-plug-tv")
    entity = er.async_get(hass).async_get(entity_id_of(hass, SWITCH_DOMAIN, POWER_UID))
    assert entity is not None
    assert entity.device_id == returned.id


async def test_assumed_state_is_restored(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    """The assumed state survives a restart; a state attribute wins over a stored state."""
    mock_config_entry.add_to_hass(hass)
    for unique_id, object_id in ((BOOST_ID, "boost"), (POWER_ID, "power")):
        entity_registry.async_get_or_create(
            SWITCH_DOMAIN,
            DOMAIN,
            f"dev-plug-tv_command_{unique_id}",
            suggested_object_id=object_id,
            config_entry=mock_config_entry,
        )
    mock_restore_cache(hass, [State("switch.boost", STATE_ON), State("switch.power", STATE_OFF)])
    await set_up_platforms(hass, mock_config_entry, Platform.SWITCH, commands=[BOOST, POWER])

    boost = hass.states.get("switch.boost")
    assert boost is not None
    assert boost.state == STATE_ON
    power = hass.states.get("switch.power")
    assert power is not None
    assert power.state == STATE_ON  # relay is on


@pytest.mark.usefixtures("switches")
async def test_command_switch_joins_its_device_without_claiming_it(
    hass: HomeAssistant,
    switches: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """The command's registry entry has its subentry and the device; the device stays main."""
    device = device_of(hass, "dev-plug-tv")
    assert device.config_entry_id == switches.entry_id
    assert device.config_subentry_id is None
    for command_id, unique_id in ((BOOST_ID, BOOST_UID), (POWER_ID, POWER_UID)):
        entity = entity_registry.async_get(entity_id_of(hass, SWITCH_DOMAIN, unique_id))
        assert entity is not None
        assert entity.config_entry_id == switches.entry_id
        assert entity.config_subentry_id == subentry_id_of(switches, command_id)
        assert entity.device_id == device.id
    relay = entity_registry.async_get(entity_id_of(hass, SWITCH_DOMAIN, RELAY_UID))
    assert relay is not None
    assert relay.config_subentry_id is None
    assert relay.device_id == device.id


async def test_deleting_a_command_removes_only_its_switch(
    hass: HomeAssistant,
    sim: RunningSimulator,
    switches: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    device_registry: dr.DeviceRegistry,
) -> None:
    """Deleting a command's subentry removes its switch; device, attributes and commands stay."""
    boost = entity_id_of(hass, SWITCH_DOMAIN, BOOST_UID)
    kept = {
        entity_id_of(hass, SWITCH_DOMAIN, unique_id): value_of(hass, SWITCH_DOMAIN, unique_id)
        for unique_id in (POWER_UID, LOAD_UID, RELAY_UID, "dev-plug-tv_attr_child_lock")
    }
    assert set(kept.values()) == {STATE_ON, STATE_OFF}
    device = device_of(hass, "dev-plug-tv")

    with patch("custom_components.thingscloud.PLATFORMS", [Platform.SWITCH]):
        assert hass.config_entries.async_remove_subentry(
            switches, subentry_id_of(switches, BOOST_ID)
        )
        await hass.async_block_till_done()

    assert entity_registry.async_get(boost) is None
    assert hass.states.get(boost) is None
    assert device_registry.async_get(device.id) is not None
    for entity_id, shown in kept.items():
        entry = entity_registry.async_get(entity_id)
        assert entry is not None
        assert entry.device_id == device.id
        state = hass.states.get(entity_id)
        assert state is not None
        assert state.state == shown
    assert len(switches.subentries) == len(COMMANDS) - 1

    sim.state.clear_log()
    await switch(hass, SERVICE_TURN_OFF, POWER_UID)
    assert sent_commands(sim, "dev-plug-tv") == [("relay_set", {"on": False})]


@pytest.mark.parametrize(
    "commands",
    [
        [
            {**BOOST, "id": ""},
            {**BOOST, "device_id": None},
            {**BOOST, "method": None},
            {**BOOST, "off_method": ""},
            {**BOOST, "params": ["minutes", 30]},
            {**BOOST, "off_params": "none"},
            {**BOOST, "state_attribute": 7},
            {**BOOST, "kind": "button"},
            {**POWER, "params": None, "off_params": None},
        ]
    ],
)
async def test_unusable_commands_are_ignored(
    hass: HomeAssistant,
    sim: RunningSimulator,
    switches: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Subentries with unusable data are skipped with a warning; missing params are empty."""
    assert [
        command.command_id for command in command_configs(switches, SUBENTRY_COMMAND_SWITCH)
    ] == [POWER_ID]
    unique_ids = {
        entry.unique_id
        for entry in er.async_entries_for_config_entry(entity_registry, switches.entry_id)
        if "_command_" in entry.unique_id
    }
    assert unique_ids == {POWER_UID}
    warnings = [
        record
        for record in caplog.records
        if record.levelno == logging.WARNING
        and "unusable ThingsCloud command" in record.getMessage()
    ]
    assert len(warnings) >= 7

    sim.state.clear_log()
    await switch(hass, SERVICE_TURN_ON, POWER_UID)
    assert sent_commands(sim, "dev-plug-tv") == [("relay_set", {})]
