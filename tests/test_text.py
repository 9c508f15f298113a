"""The text platform: writable text attributes, against the simulator."""

from typing import Any

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.text import (
    ATTR_MAX,
    ATTR_MIN,
    ATTR_MODE,
    ATTR_VALUE,
    DOMAIN as TEXT_DOMAIN,
    SERVICE_SET_VALUE,
    TextMode,
)
from homeassistant.config_entries import SOURCE_REAUTH
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    MAX_LENGTH_STATE_STATE,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

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

DISPLAY = "dev-lobby-led_attr_display_text"
DISPLAY_MAX = 64  # the model's max_length
NOTE = "dev-lobby-led_attr_note"
WELCOME = "欢迎光临 Welcome"


@pytest.fixture
async def texts(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The demo entry set up with the text platform only; time stands still."""
    return await set_up_platforms(hass, mock_config_entry, Platform.TEXT)


async def set_text(hass: HomeAssistant, unique_id: str, value: str) -> None:
    """Set a text through the service."""
    await call_entity_service(hass, TEXT_DOMAIN, SERVICE_SET_VALUE, unique_id, {ATTR_VALUE: value})


async def test_text_entities(
    hass: HomeAssistant,
    sim: RunningSimulator,
    texts: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    """Every text of the demo project: registry entries and states."""
    await snapshot_platform(hass, entity_registry, snapshot, texts.entry_id)


@pytest.mark.usefixtures("texts")
async def test_text_shows_the_value_and_the_length_limits(hass: HomeAssistant) -> None:
    """The state is the attribute's text; the maximum length is the model's, else 255."""
    display = state_of(hass, TEXT_DOMAIN, DISPLAY)
    assert display.state == WELCOME
    assert display.attributes[ATTR_MIN] == 0
    assert display.attributes[ATTR_MAX] == DISPLAY_MAX
    assert display.attributes[ATTR_MODE] == TextMode.TEXT
    note = state_of(hass, TEXT_DOMAIN, NOTE)
    assert note.state == ""
    assert note.attributes[ATTR_MAX] == MAX_LENGTH_STATE_STATE


@pytest.mark.usefixtures("texts")
async def test_device_text_is_posted_then_refreshed(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """A device attribute is written with POST; the refresh reads the device's report."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await set_text(hass, DISPLAY, "今日特价 Sale")

    assert writes(sim) == [
        (
            "POST",
            "/api/v1/control/device/dev-lobby-led/attributes",
            {"display_text": "今日特价 Sale"},
        )
    ]
    assert reads(sim, "dev-lobby-led") == 1
    assert sim.state.devices["dev-lobby-led"].attributes["display_text"].value == "今日特价 Sale"
    assert states_of(events, entity_id_of(hass, TEXT_DOMAIN, DISPLAY)) == ["今日特价 Sale"]


@pytest.mark.usefixtures("texts")
async def test_cloud_text_is_put_then_refreshed(hass: HomeAssistant, sim: RunningSimulator) -> None:
    """A cloud attribute is written with PUT and read back by the refresh."""
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await set_text(hass, NOTE, "Clean the screen on Fridays")

    assert writes(sim) == [
        (
            "PUT",
            "/api/v1/control/device/dev-lobby-led/attributes",
            {"note": "Clean the screen on Fridays"},
        )
    ]
    assert reads(sim, "dev-lobby-led") == 1
    assert sim.state.devices["dev-lobby-led"].attributes["note"].value == (
        "Clean the screen on Fridays"
    )
    assert states_of(events, entity_id_of(hass, TEXT_DOMAIN, NOTE)) == [
        "Clean the screen on Fridays"
    ]


@pytest.mark.usefixtures("texts")
async def test_optimistic_state_then_the_cloud_value(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """An offline device does not apply the write: the text at once, then the old one."""
    sim.state.devices["dev-lobby-led"].online = False
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    await set_text(hass, DISPLAY, "Closed")

    assert writes(sim) == [
        ("POST", "/api/v1/control/device/dev-lobby-led/attributes", {"display_text": "Closed"})
    ]
    assert reads(sim, "dev-lobby-led") == 1
    assert states_of(events, entity_id_of(hass, TEXT_DOMAIN, DISPLAY)) == ["Closed", WELCOME]


@pytest.mark.usefixtures("texts")
@pytest.mark.parametrize(
    ("kind", "params", "key"),
    [
        ("result_false", {"errcode": 400, "message": "too long"}, "api_error"),
        ("http_error", {"status": 500}, "connection_error"),
    ],
)
async def test_failed_write_keeps_the_state(
    hass: HomeAssistant, sim: RunningSimulator, kind: str, params: dict[str, Any], key: str
) -> None:
    """A refused write raises the translated error of its kind; the state stays the cloud's."""
    sim.state.faults.set(kind, "control_attributes_put", **params)
    events = async_capture_events(hass, EVENT_STATE_CHANGED)

    with pytest.raises(HomeAssistantError) as raised:
        await set_text(hass, NOTE, "memo")

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == key
    assert raised.value.translation_placeholders is not None
    assert raised.value.translation_placeholders.keys() == {"error"}
    if kind == "result_false":
        assert "too long" in raised.value.translation_placeholders["error"]
    assert sim.state.count("control_attributes_put") == 1
    assert sim.state.devices["dev-lobby-led"].attributes["note"].value == ""
    assert states_of(events, entity_id_of(hass, TEXT_DOMAIN, NOTE)) == []
    assert state_of(hass, TEXT_DOMAIN, NOTE).state == ""


@pytest.mark.usefixtures("texts")
async def test_write_with_rejected_credentials_starts_reauth(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """The PUT's token is refused and so are the credentials: `auth_failed` and reauth."""
    sim.state.secret_key = "rotated"
    sim.state.faults.set("token_expired", "control_attributes_put")
    events = async_capture_events(hass, EVENT_STATE_CHANGED)
    sim.state.clear_log()

    with pytest.raises(HomeAssistantError) as raised:
        await set_text(hass, NOTE, "memo")

    assert raised.value.translation_domain == DOMAIN
    assert raised.value.translation_key == "auth_failed"
    assert [entry.status for entry in sim.state.requests("control_attributes_put")] == [401]
    assert sim.state.devices["dev-lobby-led"].attributes["note"].value == ""
    assert states_of(events, entity_id_of(hass, TEXT_DOMAIN, NOTE)) == []
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


@pytest.mark.usefixtures("texts")
async def test_text_longer_than_the_limit_is_not_sent(
    hass: HomeAssistant, sim: RunningSimulator
) -> None:
    """Home Assistant refuses a text beyond the model's maximum length; nothing is sent."""
    with pytest.raises(ValueError, match="too long"):
        await set_text(hass, DISPLAY, "x" * (DISPLAY_MAX + 1))
    with pytest.raises(ValueError, match="too long"):
        await set_text(hass, NOTE, "x" * (MAX_LENGTH_STATE_STATE + 1))
    assert writes(sim) == []


@pytest.mark.usefixtures("texts")
async def test_state_follows_the_cloud(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """Other values show as text, a long one cut to the limit; a missing one is unknown."""
    sim.state.set_attributes("dev-lobby-led", {"display_text": 42})
    await next_cycle(hass, freezer)
    assert state_of(hass, TEXT_DOMAIN, DISPLAY).state == "42"

    sim.state.set_attributes("dev-lobby-led", {"display_text": "长" * 300})
    await next_cycle(hass, freezer)
    shown = state_of(hass, TEXT_DOMAIN, DISPLAY).state
    assert len(shown) == DISPLAY_MAX
    assert shown.startswith("长" * (DISPLAY_MAX - 1))

    sim.state.set_attributes("dev-lobby-led", {"display_text": None})
    await next_cycle(hass, freezer)
    assert state_of(hass, TEXT_DOMAIN, DISPLAY).state == STATE_UNKNOWN


@pytest.mark.usefixtures("texts")
async def test_new_text_appears_and_texts_follow_their_device(
    hass: HomeAssistant, sim: RunningSimulator, freezer: FrozenDateTimeFactory
) -> None:
    """A new writable text appears without reload; an unreadable device makes texts unavailable."""
    models = sim.state.device_types["dt-led-sign"].models
    models["footer"] = AttributeModel("footer", "页脚 Footer", "push", "string", {})
    sim.state.set_attributes("dev-lobby-led", {"footer": "Open 9-18"})
    await next_cycle(hass, freezer)
    assert state_of(hass, TEXT_DOMAIN, "dev-lobby-led_attr_footer").state == "Open 9-18"

    sim.state.set_attributes("dev-lobby-led", {"footer": "Open 8-20"})
    sim.state.faults.set("http_error", "attributes_raw", status=503)
    await next_cycle(hass, freezer)
    assert state_of(hass, TEXT_DOMAIN, "dev-lobby-led_attr_footer").state == STATE_UNAVAILABLE
    assert state_of(hass, TEXT_DOMAIN, DISPLAY).state == STATE_UNAVAILABLE

    sim.state.faults.clear()
    await next_cycle(hass, freezer)
    assert state_of(hass, TEXT_DOMAIN, "dev-lobby-led_attr_footer").state == "Open 8-20"
