"""The config flow, the options flow and the command subentry flows, against the simulator.

Each test drives the flows as the frontend does (menu, forms, submitted values) and checks what
the user sees (the fields, what they show pre-filled, the errors) and what is stored.
"""

import asyncio
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass, field
from datetime import timedelta
import json
import logging
import math
from pathlib import Path
import socket
from types import MappingProxyType
from typing import Any
from unittest.mock import AsyncMock, create_autospec, patch

from aiohttp import web
from homeassistant import config_entries
from homeassistant.config_entries import (
    ConfigEntryState,
    ConfigFlowResult,
    ConfigSubentry,
    SubentryFlowResult,
)
from homeassistant.const import STATE_ON
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.event import async_track_state_change_event
import probatio
import pytest
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.thingscloud import create_client
from custom_components.thingscloud.api import DeviceGroup, ThingsCloudClient
from custom_components.thingscloud.api.realtime import check_realtime
from custom_components.thingscloud.config_flow import _group_options
from custom_components.thingscloud.const import (
    AUTH_TYPE_ADMIN,
    AUTH_TYPE_APP,
    CONF_ACCESS_KEY,
    CONF_ACCOUNT,
    CONF_APP_ID,
    CONF_AUTH_TYPE,
    CONF_COMMAND_ID,
    CONF_DEVICE_ID,
    CONF_DEVICE_TYPES,
    CONF_ENDPOINT,
    CONF_GROUPS,
    CONF_METHOD,
    CONF_MQTT_URL,
    CONF_NAME,
    CONF_OFF_METHOD,
    CONF_OFF_PARAMS,
    CONF_PARAMS,
    CONF_PASSWORD,
    CONF_SCAN_INTERVAL,
    CONF_SECRET_KEY,
    CONF_STATE_ATTRIBUTE,
    CONF_VIEW_KEY,
    CONF_VIEW_SECRET,
    DOMAIN,
    SUBENTRY_COMMAND_BUTTON,
    SUBENTRY_COMMAND_SWITCH,
)
from simulator.scenarios import (
    DEMO_ACCESS_KEY,
    DEMO_ACCOUNT,
    DEMO_APP_ID,
    DEMO_PASSWORD,
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    DEMO_SECRET_KEY,
    DEMO_VIEW_KEY,
    DEMO_VIEW_SECRET,
)
from simulator.testing import RunningSimulator

COMPONENT = Path(__file__).parent.parent / "custom_components" / "thingscloud"
# What a config, options or subentry flow step returns.
type Result = ConfigFlowResult | SubentryFlowResult
CHECK_REALTIME = "custom_components.thingscloud.config_flow.check_realtime"

SWITCH_FIELDS = [
    CONF_DEVICE_ID,
    CONF_NAME,
    CONF_METHOD,
    CONF_PARAMS,
    CONF_OFF_METHOD,
    CONF_OFF_PARAMS,
    CONF_STATE_ATTRIBUTE,
]
BUTTON_FIELDS = [CONF_DEVICE_ID, CONF_NAME, CONF_METHOD, CONF_PARAMS]
REALTIME_EMPTY = {CONF_MQTT_URL: "", CONF_VIEW_KEY: "", CONF_VIEW_SECRET: ""}


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the simulator listens on 127.0.0.1 (other hosts stay refused)."""


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep the integration itself out of tests that are about the flow alone."""
    with patch("custom_components.thingscloud.async_setup_entry", return_value=True) as mock_setup:
        yield mock_setup


@pytest.fixture
def added_entry(hass: HomeAssistant, mock_config_entry: MockConfigEntry) -> MockConfigEntry:
    """The demo project's entry, added but not set up (its flows ask the API themselves)."""
    mock_config_entry.add_to_hass(hass)
    return mock_config_entry


@pytest.fixture
def realtime_entry(hass: HomeAssistant, sim: RunningSimulator) -> MockConfigEntry:
    """The demo project's entry with working real-time settings stored, added, not set up."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=DEMO_PROJECT_NAME,
        unique_id=DEMO_PROJECT_ID,
        data=app_data(sim),
        options={CONF_SCAN_INTERVAL: 60} | realtime_input(sim),
    )
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record, down to debug level (to look for secrets in it)."""
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture
async def not_thingscloud() -> AsyncGenerator[str]:
    """An HTTP server that is not the ThingsCloud API: 404 for every path."""
    runner = web.AppRunner(web.Application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


@dataclass
class SilentBroker:
    """A WebSocket server that accepts MQTT connections and never answers them."""

    url: str = ""
    connections: int = 0
    opened: asyncio.Event = field(default_factory=asyncio.Event)


@pytest.fixture
async def silent_broker() -> AsyncGenerator[SilentBroker]:
    """A silent broker on a loopback port.

    At the end, any real-time subscription still running (one that survived its entry) is
    cancelled, so that the test ends cleanly.
    """
    broker = SilentBroker()

    async def handle(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("mqtt",))
        await ws.prepare(request)
        broker.connections += 1
        broker.opened.set()
        async for _ in ws:
            pass
        return ws

    app = web.Application()
    app.router.add_get("/mqtt", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    broker.url = f"ws://127.0.0.1:{runner.addresses[0][1]}/mqtt"
    yield broker
    await runner.cleanup()
    for _ in range(10):
        left = [
            task
            for task in asyncio.all_tasks()
            if task.get_name().startswith("thingscloud real-time updates") and not task.done()
        ]
        if not left:
            break
        for task in left:
            task.cancel()
        await asyncio.wait(left, timeout=1)


@pytest.fixture
def check_spy() -> Generator[AsyncMock]:
    """Watch the options flow's connection check of the real-time settings (it still runs)."""
    with patch(CHECK_REALTIME, wraps=check_realtime) as spy:
        yield spy


# --- helpers -------------------------------------------------------------------------------


def app_input(sim: RunningSimulator, **changes: str) -> dict[str, str]:
    return {
        CONF_ENDPOINT: sim.url,
        CONF_APP_ID: DEMO_APP_ID,
        CONF_ACCESS_KEY: DEMO_ACCESS_KEY,
        CONF_SECRET_KEY: DEMO_SECRET_KEY,
    } | changes


def admin_input(sim: RunningSimulator, **changes: str) -> dict[str, str]:
    return {
        CONF_ENDPOINT: sim.url,
        CONF_APP_ID: DEMO_APP_ID,
        CONF_ACCOUNT: DEMO_ACCOUNT,
        CONF_PASSWORD: DEMO_PASSWORD,
    } | changes


def app_data(sim: RunningSimulator, **changes: str) -> dict[str, str]:
    return {CONF_AUTH_TYPE: AUTH_TYPE_APP} | app_input(sim) | changes


def admin_data(sim: RunningSimulator, **changes: str) -> dict[str, str]:
    return {CONF_AUTH_TYPE: AUTH_TYPE_ADMIN} | admin_input(sim) | changes


def realtime_input(sim: RunningSimulator, **changes: str) -> dict[str, str]:
    """The simulator's working real-time settings, as typed in the options form."""
    return {
        CONF_MQTT_URL: sim.mqtt_url,
        CONF_VIEW_KEY: DEMO_VIEW_KEY,
        CONF_VIEW_SECRET: DEMO_VIEW_SECRET,
    } | changes


def schema_of(result: Result) -> probatio.Schema:
    """The schema of a form."""
    schema = result["data_schema"]
    assert schema is not None
    return schema


def sent_fields(result: Result) -> list[dict[str, Any]]:
    """The form's fields as the flow REST API sends them to the frontend."""
    serialised: list[dict[str, Any]] = json.loads(
        json.dumps(
            probatio.to_field_list(schema_of(result), custom_serializer=cv.custom_serializer)
        )
    )
    return serialised


def fields(result: Result) -> list[str]:
    """The field names of a form, in order, as the frontend receives them."""
    names = [str(marker.schema) for marker in schema_of(result).schema]
    assert [field["name"] for field in sent_fields(result)] == names
    return names


def marker(result: Result, key: str) -> probatio.Marker:
    found: probatio.Marker = next(m for m in schema_of(result).schema if m.schema == key)
    return found


def default_value(result: Result, key: str) -> Any:
    """The default of a field (what the form shows when nothing is suggested)."""
    field = marker(result, key)
    assert isinstance(field, probatio.Required | probatio.Optional)
    factory = field.default
    assert callable(factory)
    return factory()


def suggested(result: Result, key: str) -> Any:
    """The value a form shows pre-filled in a field (None when empty)."""
    description = marker(result, key).description
    return (description or {}).get("suggested_value")


def all_suggested(result: Result) -> dict[str, Any]:
    """Every pre-filled value of a form."""
    return {key: value for key in fields(result) if (value := suggested(result, key)) is not None}


def selector_config(result: Result, key: str) -> dict[str, Any]:
    selector = schema_of(result).schema[marker(result, key)]
    return dict(selector.config)


def text_type(result: Result, key: str) -> str:
    """The kind of a text field (text, url, password ...)."""
    kind: str = selector_config(result, key).get("type", "text")
    return kind


def select_options(result: Result, key: str) -> dict[str, str]:
    return {option["value"]: option["label"] for option in selector_config(result, key)["options"]}


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((COMPONENT / name).read_text(encoding="utf-8"))
    return data


async def start_app_flow(hass: HomeAssistant, auth_type: str = AUTH_TYPE_APP) -> Result:
    """Open the menu and choose a way to sign in; return its empty form."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": auth_type}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == auth_type
    assert result["errors"] == {}
    return result


# --- setup: menu and success ---------------------------------------------------------------


async def test_user_step_is_a_menu(hass: HomeAssistant) -> None:
    """Adding the integration first asks how to sign in: API application or administrator."""
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert result["menu_options"] == ["app", "admin"]


async def test_form_fields_and_selectors(hass: HomeAssistant) -> None:
    """Each sign-in form shows the endpoint and its credentials; secrets are password fields."""
    result = await start_app_flow(hass)
    assert fields(result) == [CONF_ENDPOINT, CONF_APP_ID, CONF_ACCESS_KEY, CONF_SECRET_KEY]
    assert text_type(result, CONF_ENDPOINT) == "url"
    assert text_type(result, CONF_APP_ID) == "text"
    assert text_type(result, CONF_ACCESS_KEY) == "text"
    assert text_type(result, CONF_SECRET_KEY) == "password"
    assert result["description_placeholders"] == {
        "example_endpoint": "https://sh-1-api.iot-api.com",
    }

    result = await start_app_flow(hass, AUTH_TYPE_ADMIN)
    assert fields(result) == [CONF_ENDPOINT, CONF_APP_ID, CONF_ACCOUNT, CONF_PASSWORD]
    assert text_type(result, CONF_ENDPOINT) == "url"
    assert text_type(result, CONF_ACCOUNT) == "text"
    assert text_type(result, CONF_PASSWORD) == "password"
    assert result["description_placeholders"] == {
        "example_endpoint": "https://sh-1-api.iot-api.com",
    }


@pytest.mark.parametrize(
    "endpoint_suffix",
    ["", "/", "/api/v1", "/api/v1/", "/API/V1"],
)
async def test_app_success(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock, endpoint_suffix: str
) -> None:
    """Valid app credentials create the entry, titled with the project, endpoint normalised."""
    result = await start_app_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        app_input(sim, endpoint=f"  {sim.url}{endpoint_suffix} ", app_id=f" {DEMO_APP_ID} "),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == DEMO_PROJECT_NAME
    entry = result["result"]
    assert entry.unique_id == DEMO_PROJECT_ID
    assert entry.data == app_data(sim)  # endpoint normalised, app id stripped
    assert entry.options == {CONF_SCAN_INTERVAL: 60}
    assert (entry.version, entry.minor_version) == (1, 2)
    assert entry.subentries == {}
    assert len(mock_setup_entry.mock_calls) == 1
    # The credentials were checked before the entry existed.
    assert sim.state.count("access_token") == 1
    assert sim.state.count("project") == 1


async def test_admin_success(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock
) -> None:
    """An administrator's account and password create the entry too (no API app needed)."""
    result = await start_app_flow(hass, AUTH_TYPE_ADMIN)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], admin_input(sim, endpoint=f"{sim.url}/api/v1/")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == DEMO_PROJECT_NAME
    assert result["result"].unique_id == DEMO_PROJECT_ID
    assert result["result"].data == admin_data(sim)
    assert result["result"].options == {CONF_SCAN_INTERVAL: 60}
    assert sim.state.count("admin_login") == 1
    assert sim.state.count("access_token") == 0


async def test_title_falls_back_to_project_id(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock
) -> None:
    """A project without a name is titled with its id."""
    sim.state.project.name = ""
    result = await start_app_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == DEMO_PROJECT_ID


async def test_duplicate_project_aborts(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """The same project, even signed in the other way, is refused as already configured."""
    result = await start_app_flow(hass, AUTH_TYPE_ADMIN)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], admin_input(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert mock_setup_entry.mock_calls == []


# --- setup: errors and recovery ------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth_type", "wrong"),
    [
        (AUTH_TYPE_APP, {CONF_SECRET_KEY: "wrong-secret"}),
        (AUTH_TYPE_APP, {CONF_ACCESS_KEY: "wrong-access-key"}),
        (AUTH_TYPE_APP, {CONF_APP_ID: "wrong-app"}),
        (AUTH_TYPE_ADMIN, {CONF_PASSWORD: "wrong-password"}),
        (AUTH_TYPE_ADMIN, {CONF_ACCOUNT: "nobody"}),
    ],
)
async def test_invalid_auth_then_success(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_setup_entry: AsyncMock,
    auth_type: str,
    wrong: dict[str, str],
) -> None:
    """Wrong credentials: invalid_auth, the form keeps what was typed except the secret."""
    make_input = app_input if auth_type == AUTH_TYPE_APP else admin_input
    result = await start_app_flow(hass, auth_type)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], make_input(sim, **wrong)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == auth_type
    assert result["errors"] == {"base": "invalid_auth"}
    typed = make_input(sim, **wrong)
    for key in fields(result):
        if key in (CONF_SECRET_KEY, CONF_PASSWORD):
            assert suggested(result, key) is None
        else:
            assert suggested(result, key) == typed[key]
    assert hass.config_entries.async_entries(DOMAIN) == []

    result = await hass.config_entries.flow.async_configure(result["flow_id"], make_input(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == DEMO_PROJECT_ID


# The other sign-in way's words, which the invalid_auth text of a form must not mention.
OTHER_WAYS_WORDS = {
    AUTH_TYPE_APP: ["account", "password", "账号", "密码"],
    AUTH_TYPE_ADMIN: ["access key", "secret key", "keys", "密钥"],
}


@pytest.mark.parametrize(
    ("auth_type", "wrong"),
    [(AUTH_TYPE_APP, {CONF_SECRET_KEY: "wrong-secret"}), (AUTH_TYPE_ADMIN, {"password": "nope"})],
)
@pytest.mark.parametrize("language", ["en", "zh-Hans"])
async def test_invalid_auth_text_speaks_of_this_form(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_setup_entry: AsyncMock,
    *,
    auth_type: str,
    wrong: dict[str, str],
    language: str,
) -> None:
    """After a wrong secret (app) or password (admin) the message names only this form's way.

    The text is rendered as the frontend does: the translation formatted with the step's
    description placeholders.
    """
    make_input = app_input if auth_type == AUTH_TYPE_APP else admin_input
    result = await start_app_flow(hass, auth_type)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], make_input(sim, **wrong)
    )
    assert result["errors"] == {"base": "invalid_auth"}
    template = load(f"translations/{language}.json")["config"]["error"]["invalid_auth"]
    text = template.format_map(result["description_placeholders"]).lower()
    assert text
    for word in OTHER_WAYS_WORDS[auth_type]:
        assert word not in text, f"{language}: {text!r} mentions {word!r}"


async def test_secrets_are_not_logged(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_setup_entry: AsyncMock,
    debug_log: pytest.LogCaptureFixture,
) -> None:
    """Failed sign-ins are logged without the secret that was typed."""
    result = await start_app_flow(hass)
    sim.state.faults.set("http_error", "project", status=503, count=1)
    await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, secret_key="a-wrong-secret")
    )
    assert "Cannot use the ThingsCloud API" in debug_log.text
    assert DEMO_SECRET_KEY not in debug_log.text
    assert "a-wrong-secret" not in debug_log.text


@pytest.mark.parametrize(
    ("kind", "route", "params"),
    [
        ("http_error", "access_token", {"status": 500}),  # 5xx
        ("http_error", "project", {"status": 502}),
        ("invalid_json", "project", {}),  # not JSON
        ("rate_limit", "access_token", {"retry_after": 1}),  # 429
        ("rate_limit", "project", {"retry_after": 1}),
        ("result_false", "project", {"errcode": 500, "message": "busy"}),  # ApiError
    ],
)
async def test_cannot_connect_then_success(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_setup_entry: AsyncMock,
    *,
    kind: str,
    route: str,
    params: dict[str, Any],
) -> None:
    """A failing API gives cannot_connect; the same form works once the API answers."""
    result = await start_app_flow(hass)
    sim.state.faults.set(kind, route, **params)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested(result, CONF_ENDPOINT) == sim.url
    assert hass.config_entries.async_entries(DOMAIN) == []

    sim.state.faults.clear()
    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_cannot_connect_closed_port(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock
) -> None:
    """Nothing listening at the endpoint: cannot_connect, the endpoint stays in the form."""
    result = await start_app_flow(hass, AUTH_TYPE_ADMIN)
    closed = f"http://127.0.0.1:{free_port()}"
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], admin_input(sim, endpoint=closed)
    )
    assert result["errors"] == {"base": "cannot_connect"}
    assert suggested(result, CONF_ENDPOINT) == closed

    result = await hass.config_entries.flow.async_configure(result["flow_id"], admin_input(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_cannot_connect_not_the_api(
    hass: HomeAssistant, sim: RunningSimulator, not_thingscloud: str, mock_setup_entry: AsyncMock
) -> None:
    """A host that answers 404 to the API paths (wrong host) cannot be used."""
    result = await start_app_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, endpoint=not_thingscloud)
    )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_unknown_error_then_success(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_setup_entry: AsyncMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An unexpected failure shows "unknown" and is logged (without the secret)."""
    client = create_autospec(ThingsCloudClient, instance=True)
    client.authenticate.side_effect = RuntimeError("surprise")
    result = await start_app_flow(hass)
    with patch(
        "custom_components.thingscloud.config_flow.create_client", return_value=client
    ) as mock_create:
        result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "unknown"}
    assert "Unexpected error while checking the ThingsCloud credentials" in caplog.text
    assert DEMO_SECRET_KEY not in caplog.text
    assert mock_create.call_args.args[1] == app_data(sim)
    client.get_project.assert_not_awaited()

    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://example.com",  # plain http to a remote host
        "ftp://example.com",
        "not a url",
        "",
        "https://",
        "https://example.com/some/path",
        "https://user:pass@example.com",
        "https://example.com/?x=1",
    ],
)
async def test_invalid_endpoint_then_success(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock, endpoint: str
) -> None:
    """An unusable endpoint is a field error; nothing is sent anywhere."""
    result = await start_app_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, endpoint=endpoint)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ENDPOINT: "invalid_endpoint"}
    assert suggested(result, CONF_ENDPOINT) == endpoint
    assert sim.state.request_counts() == {}

    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data[CONF_ENDPOINT] == sim.url


# --- reauth --------------------------------------------------------------------------------


async def test_reauth_app_success(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """Reauthentication asks for the app credentials again (secret empty) and reloads."""
    sim.state.secret_key = "rotated-secret"
    result = await added_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert fields(result) == [CONF_APP_ID, CONF_ACCESS_KEY, CONF_SECRET_KEY]
    assert suggested(result, CONF_APP_ID) == DEMO_APP_ID
    assert suggested(result, CONF_ACCESS_KEY) == DEMO_ACCESS_KEY
    assert suggested(result, CONF_SECRET_KEY) is None
    assert result["description_placeholders"]["name"] == DEMO_PROJECT_NAME

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_APP_ID: DEMO_APP_ID,
            CONF_ACCESS_KEY: DEMO_ACCESS_KEY,
            CONF_SECRET_KEY: "rotated-secret",
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert added_entry.data == app_data(sim, secret_key="rotated-secret")
    assert len(mock_setup_entry.mock_calls) == 1  # reloaded


async def test_reauth_admin_error_then_success(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock
) -> None:
    """An administrator's reauthentication shows each error, then succeeds."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=DEMO_PROJECT_NAME,
        unique_id=DEMO_PROJECT_ID,
        data=admin_data(sim, password="old-password"),
        options={CONF_SCAN_INTERVAL: 60},
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    assert fields(result) == [CONF_APP_ID, CONF_ACCOUNT, CONF_PASSWORD]
    assert suggested(result, CONF_ACCOUNT) == DEMO_ACCOUNT

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_APP_ID: DEMO_APP_ID, CONF_ACCOUNT: "someone", CONF_PASSWORD: "old-password"},
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result, CONF_ACCOUNT) == "someone"
    assert suggested(result, CONF_PASSWORD) is None

    sim.state.faults.set("http_error", "admin_login", status=500, count=1)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_APP_ID: DEMO_APP_ID, CONF_ACCOUNT: DEMO_ACCOUNT, CONF_PASSWORD: DEMO_PASSWORD},
    )
    assert result["errors"] == {"base": "cannot_connect"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_APP_ID: DEMO_APP_ID, CONF_ACCOUNT: DEMO_ACCOUNT, CONF_PASSWORD: DEMO_PASSWORD},
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data == admin_data(sim)


async def test_reauth_other_project(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """Credentials of another project abort with unique_id_mismatch and change nothing."""
    before = dict(added_entry.data)
    sim.state.project.id = "proj-other"
    result = await added_entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_APP_ID: DEMO_APP_ID, CONF_ACCESS_KEY: DEMO_ACCESS_KEY, CONF_SECRET_KEY: "x"},
    )
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_APP_ID: DEMO_APP_ID,
            CONF_ACCESS_KEY: DEMO_ACCESS_KEY,
            CONF_SECRET_KEY: DEMO_SECRET_KEY,
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert dict(added_entry.data) == before
    assert mock_setup_entry.mock_calls == []


async def test_reauth_with_unusable_stored_endpoint(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock
) -> None:
    """An endpoint that is not on the form is reported as a general error."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=DEMO_PROJECT_ID,
        data=app_data(sim, endpoint="http://example.com"),
    )
    entry.add_to_hass(hass)
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_APP_ID: DEMO_APP_ID,
            CONF_ACCESS_KEY: DEMO_ACCESS_KEY,
            CONF_SECRET_KEY: DEMO_SECRET_KEY,
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_endpoint"}


# --- reconfigure ---------------------------------------------------------------------------


async def test_reconfigure_keeps_secret_when_left_empty(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """Reconfiguring shows the stored endpoint and ids, not the secret; empty keeps it."""
    result = await added_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert fields(result) == [CONF_ENDPOINT, CONF_APP_ID, CONF_ACCESS_KEY, CONF_SECRET_KEY]
    assert suggested(result, CONF_ENDPOINT) == sim.url
    assert suggested(result, CONF_APP_ID) == DEMO_APP_ID
    assert suggested(result, CONF_SECRET_KEY) is None
    assert type(marker(result, CONF_SECRET_KEY)) is probatio.Optional
    assert text_type(result, CONF_SECRET_KEY) == "password"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            CONF_ENDPOINT: f"{sim.url}/api/v1/",
            CONF_APP_ID: DEMO_APP_ID,
            CONF_ACCESS_KEY: DEMO_ACCESS_KEY,
            CONF_SECRET_KEY: "",
        },
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert added_entry.data == app_data(sim)
    assert len(mock_setup_entry.mock_calls) == 1


async def test_reconfigure_new_endpoint_and_secret(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_setup_entry: AsyncMock,
) -> None:
    """A new endpoint and password are stored; a title the user chose stays."""
    entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id=DEMO_PROJECT_ID,
        title="My project",
        data=admin_data(sim, endpoint="https://sh-1-api.iot-api.com", password="old"),
    )
    entry.add_to_hass(hass)
    result = await entry.start_reconfigure_flow(hass)
    assert fields(result) == [CONF_ENDPOINT, CONF_APP_ID, CONF_ACCOUNT, CONF_PASSWORD]
    assert suggested(result, CONF_ENDPOINT) == "https://sh-1-api.iot-api.com"
    assert suggested(result, CONF_PASSWORD) is None
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], admin_input(sim, endpoint=f"{sim.url}/")
    )
    await hass.async_block_till_done()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data == admin_data(sim)
    assert entry.title == "My project"


async def test_reconfigure_errors_then_success(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """Each error leaves the entry as it was; a working input then saves."""
    result = await added_entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, endpoint="http://example.com/api/v1")
    )
    assert result["errors"] == {CONF_ENDPOINT: "invalid_endpoint"}
    assert suggested(result, CONF_ENDPOINT) == "http://example.com/api/v1"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, secret_key="wrong")
    )
    assert result["errors"] == {"base": "invalid_auth"}
    assert suggested(result, CONF_SECRET_KEY) is None

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, endpoint=f"http://127.0.0.1:{free_port()}")
    )
    assert result["errors"] == {"base": "cannot_connect"}
    assert added_entry.data == app_data(sim)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_reconfigure_other_project(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    """Credentials of another project abort with unique_id_mismatch and change nothing."""
    sim.state.project.id = "proj-other"
    result = await added_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert added_entry.data == app_data(sim)
    assert mock_setup_entry.mock_calls == []


# --- options: interval and filters ---------------------------------------------------------


DEMO_TYPES = {
    "dt-th-sensor": "温湿度传感器 TH Sensor",
    "dt-smart-plug": "智能插座 Smart Plug",
}
OPTIONS_FIELDS = [
    CONF_SCAN_INTERVAL,
    CONF_DEVICE_TYPES,
    CONF_GROUPS,
    CONF_MQTT_URL,
    CONF_VIEW_KEY,
    CONF_VIEW_SECRET,
]


async def test_options_scan_interval_only_reloads(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """Saving a new interval reloads the entry, which then polls at that interval."""
    entry = init_integration
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data.coordinator
    assert coordinator.update_interval == timedelta(seconds=60)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert fields(result) == OPTIONS_FIELDS
    number = selector_config(result, CONF_SCAN_INTERVAL)
    assert (number["min"], number["max"], number["mode"]) == (10, 3600, "box")
    assert number["unit_of_measurement"] == "s"
    assert default_value(result, CONF_SCAN_INTERVAL) == 60

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 120}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {
        CONF_SCAN_INTERVAL: 120,
        CONF_DEVICE_TYPES: [],
        CONF_GROUPS: [],
        **REALTIME_EMPTY,
    }
    # Reloaded: a new coordinator polling at the new interval, without real-time updates.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator is not coordinator
    assert entry.runtime_data.coordinator.update_interval == timedelta(seconds=120)
    assert entry.runtime_data.realtime is None


async def test_options_use_the_running_client(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A loaded entry's client (and its token) serves the options' choices."""
    tokens = sim.state.count("access_token")
    result = await hass.config_entries.options.async_init(init_integration.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert sim.state.count("access_token") == tokens
    assert sim.state.count("device_types") >= 1


@pytest.mark.parametrize("scan_interval", [9, 3601, -1, "often"])
async def test_options_scan_interval_out_of_range(
    hass: HomeAssistant, added_entry: MockConfigEntry, scan_interval: Any
) -> None:
    """An interval outside 10..3600 s is refused by the form."""
    result = await hass.config_entries.options.async_init(added_entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_SCAN_INTERVAL: scan_interval}
        )
    assert added_entry.options == {CONF_SCAN_INTERVAL: 60}


@pytest.mark.parametrize(("stored", "default"), [(5, 10), (7200, 3600), (600, 600)])
async def test_options_default_interval_within_range(
    hass: HomeAssistant, added_entry: MockConfigEntry, stored: int, default: int
) -> None:
    """A stored interval out of range is shown clamped, and the form saves as shown."""
    hass.config_entries.async_update_entry(added_entry, options={CONF_SCAN_INTERVAL: stored})
    result = await hass.config_entries.options.async_init(added_entry.entry_id)
    assert default_value(result, CONF_SCAN_INTERVAL) == default
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert added_entry.options[CONF_SCAN_INTERVAL] == default


async def test_options_device_type_and_group_choices(
    hass: HomeAssistant, sim: RunningSimulator, added_entry: MockConfigEntry
) -> None:
    """Types and groups are chosen by name (groups with their path); stored ids stay choosable.

    The entry is not loaded: a client is created from the entry data.
    """
    hass.config_entries.async_update_entry(
        added_entry,
        options={CONF_SCAN_INTERVAL: 300, CONF_DEVICE_TYPES: ["dt-gone"], CONF_GROUPS: []},
    )
    result = await hass.config_entries.options.async_init(added_entry.entry_id)
    assert default_value(result, CONF_SCAN_INTERVAL) == 300

    types = select_options(result, CONF_DEVICE_TYPES)
    expected_types = {type_id: t.name for type_id, t in sim.state.device_types.items()}
    assert types == expected_types | {"dt-gone": "dt-gone"}
    assert DEMO_TYPES.items() <= types.items()
    assert selector_config(result, CONF_DEVICE_TYPES)["multiple"] is True
    assert suggested(result, CONF_DEVICE_TYPES) == ["dt-gone"]

    groups = select_options(result, CONF_GROUPS)
    assert groups["grp-home"] == "家 Home"
    assert groups["grp-living"] == "家 Home / 客厅 Living room"
    assert groups["grp-lobby"] == "办公室 Office / 前台 Lobby"
    assert set(groups) == set(sim.state.groups)

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            CONF_SCAN_INTERVAL: 45.0,
            CONF_DEVICE_TYPES: ["dt-th-sensor", "dt-smart-plug"],
            CONF_GROUPS: ["grp-living"],
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert added_entry.options == {
        CONF_SCAN_INTERVAL: 45,
        CONF_DEVICE_TYPES: ["dt-th-sensor", "dt-smart-plug"],
        CONF_GROUPS: ["grp-living"],
        **REALTIME_EMPTY,
    }
    assert isinstance(added_entry.options[CONF_SCAN_INTERVAL], int)


async def test_options_form_signs_in_once(
    hass: HomeAssistant, sim: RunningSimulator, added_entry: MockConfigEntry
) -> None:
    """Opening the options of an entry that is not loaded signs in to ThingsCloud once.

    Both lists (device types and groups) are loaded with one client; signing in again for
    each list costs requests (and rate limit) for nothing.
    """
    await open_options(hass, added_entry)
    assert sim.state.count("device_types") == 1
    assert sim.state.count("device_groups_tree") == 1
    assert sim.state.count("access_token") == 1


async def test_options_unknown_choice_rejected(
    hass: HomeAssistant, added_entry: MockConfigEntry
) -> None:
    """A group the project does not have cannot be chosen."""
    result = await hass.config_entries.options.async_init(added_entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_SCAN_INTERVAL: 60, CONF_GROUPS: ["grp-nope"]}
        )


@pytest.mark.parametrize(
    ("failing_route", "missing_field"),
    [("device_types", CONF_DEVICE_TYPES), ("device_groups_tree", CONF_GROUPS)],
)
async def test_options_choices_api_failure(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    *,
    failing_route: str,
    missing_field: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without a list the field is left out and its stored value kept."""
    stored = {
        CONF_SCAN_INTERVAL: 60,
        CONF_DEVICE_TYPES: ["dt-th-sensor"],
        CONF_GROUPS: ["grp-home"],
    }
    hass.config_entries.async_update_entry(added_entry, options=stored)
    sim.state.faults.set("http_error", failing_route, status=500)
    result = await hass.config_entries.options.async_init(added_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert missing_field not in fields(result)
    assert CONF_SCAN_INTERVAL in fields(result)
    assert "Cannot load the ThingsCloud" in caplog.text

    shown = CONF_GROUPS if missing_field == CONF_DEVICE_TYPES else CONF_DEVICE_TYPES
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 90}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert added_entry.options[CONF_SCAN_INTERVAL] == 90
    assert added_entry.options[missing_field] == stored[missing_field]  # kept
    assert added_entry.options[shown] == []  # shown and cleared


async def test_options_unexpected_error_loading_choices(
    hass: HomeAssistant, added_entry: MockConfigEntry, caplog: pytest.LogCaptureFixture
) -> None:
    """An unexpected failure loading the choices leaves the filters out; the rest works."""
    with patch(
        "custom_components.thingscloud.config_flow.create_client",
        side_effect=RuntimeError("surprise"),
    ):
        result = await hass.config_entries.options.async_init(added_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert fields(result) == [CONF_SCAN_INTERVAL, CONF_MQTT_URL, CONF_VIEW_KEY, CONF_VIEW_SECRET]
    assert "Unexpected error loading the ThingsCloud device types" in caplog.text
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


# --- options: real-time updates ------------------------------------------------------------


def realtime_entity_id(hass: HomeAssistant) -> str:
    """The project's real-time connectivity sensor."""
    entity_id = er.async_get(hass).async_get_entity_id(
        "binary_sensor", DOMAIN, f"{DEMO_PROJECT_ID}_realtime"
    )
    assert entity_id is not None
    return entity_id


async def state_reached(hass: HomeAssistant, entity_id: str, wanted: str) -> None:
    """Wait (at most 10 s) until an entity has a state."""
    reached = asyncio.Event()

    @callback
    def changed(_: Any = None) -> None:
        if (state := hass.states.get(entity_id)) is not None and state.state == wanted:
            reached.set()

    unsubscribe = async_track_state_change_event(hass, entity_id, changed)
    try:
        changed()
        async with asyncio.timeout(10):
            await reached.wait()
    finally:
        unsubscribe()


async def open_options(hass: HomeAssistant, entry: MockConfigEntry) -> Result:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    return result


async def test_options_realtime_fields(hass: HomeAssistant, added_entry: MockConfigEntry) -> None:
    """The three real-time fields are optional top-level fields, empty by default."""
    result = await open_options(hass, added_entry)
    assert fields(result)[-3:] == [CONF_MQTT_URL, CONF_VIEW_KEY, CONF_VIEW_SECRET]
    for key in (CONF_MQTT_URL, CONF_VIEW_KEY, CONF_VIEW_SECRET):
        assert type(marker(result, key)) is probatio.Optional
        assert suggested(result, key) is None
    assert text_type(result, CONF_MQTT_URL) == "url"
    assert text_type(result, CONF_VIEW_KEY) == "text"
    assert text_type(result, CONF_VIEW_SECRET) == "password"
    # Plain fields, not a section.
    assert all(field.get("type") != "expandable" for field in sent_fields(result))


async def test_options_realtime_saved_and_entry_reloads(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    check_spy: AsyncMock,
    debug_log: pytest.LogCaptureFixture,
) -> None:
    """Working settings are checked, stored under their names, and the entry reloads with them.

    After the reload the project shows its real-time connectivity sensor, which turns on.
    """
    entry = init_integration
    coordinator = entry.runtime_data.coordinator
    result = await open_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_SCAN_INTERVAL: 60} | realtime_input(sim, mqtt_url=f" {sim.mqtt_url} "),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert check_spy.await_count == 1
    assert entry.options == {
        CONF_SCAN_INTERVAL: 60,
        CONF_DEVICE_TYPES: [],
        CONF_GROUPS: [],
        CONF_MQTT_URL: sim.mqtt_url,
        CONF_VIEW_KEY: DEMO_VIEW_KEY,
        CONF_VIEW_SECRET: DEMO_VIEW_SECRET,
    }
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator is not coordinator
    assert entry.runtime_data.realtime is not None

    await state_reached(hass, realtime_entity_id(hass), STATE_ON)

    # The form never shows the stored secret again.
    result = await open_options(hass, entry)
    assert suggested(result, CONF_MQTT_URL) == sim.mqtt_url
    assert suggested(result, CONF_VIEW_KEY) == DEMO_VIEW_KEY
    assert suggested(result, CONF_VIEW_SECRET) is None
    assert DEMO_VIEW_SECRET not in json.dumps(sent_fields(result))
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60} | realtime_input(sim, view_secret="")
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_VIEW_SECRET] == DEMO_VIEW_SECRET
    assert DEMO_VIEW_SECRET not in debug_log.text

    await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize(
    "mqtt_url",
    [
        "http://127.0.0.1:{port}/mqtt",  # not a WebSocket address
        "https://127.0.0.1:{port}/mqtt",
        "ws://example.com/mqtt",  # without TLS to a remote host
        "ws://192.168.1.20:8083/mqtt",
        "garbage",
        "wss://",
        "wss://user:pass@mqtt.example.com/mqtt",
        "wss://mqtt.example.com/mqtt?x=1",
    ],
)
async def test_options_invalid_mqtt_url(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    check_spy: AsyncMock,
    mqtt_url: str,
) -> None:
    """An address that is not wss:// (ws:// only for this computer) is a field error.

    Nothing is connected to, nothing stored; the form keeps the address and key, never the
    secret, and saves once the address is right.
    """
    typed = mqtt_url.format(port=sim.url.rsplit(":", 1)[1])
    result = await open_options(hass, added_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60} | realtime_input(sim, mqtt_url=typed)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_MQTT_URL: "invalid_mqtt_url"}
    assert check_spy.await_count == 0
    assert added_entry.options == {CONF_SCAN_INTERVAL: 60}
    assert suggested(result, CONF_MQTT_URL) == typed
    assert suggested(result, CONF_VIEW_KEY) == DEMO_VIEW_KEY
    assert suggested(result, CONF_VIEW_SECRET) is None

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60} | realtime_input(sim)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert added_entry.options[CONF_MQTT_URL] == sim.mqtt_url


@pytest.mark.parametrize(
    "given",
    [
        (CONF_MQTT_URL,),
        (CONF_VIEW_KEY,),
        (CONF_VIEW_SECRET,),
        (CONF_MQTT_URL, CONF_VIEW_KEY),  # and no secret stored to keep
        (CONF_MQTT_URL, CONF_VIEW_SECRET),
        (CONF_VIEW_KEY, CONF_VIEW_SECRET),
    ],
)
async def test_options_mqtt_incomplete(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    check_spy: AsyncMock,
    given: tuple[str, ...],
) -> None:
    """Some but not all three real-time fields: mqtt_incomplete, nothing connected or stored."""
    values = {key: value for key, value in realtime_input(sim).items() if key in given}
    # A secret of blanks counts as not given.
    result = await open_options(hass, added_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60, CONF_VIEW_SECRET: "  "} | values
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "mqtt_incomplete"}
    assert check_spy.await_count == 0
    assert added_entry.options == {CONF_SCAN_INTERVAL: 60}
    assert suggested(result, CONF_VIEW_SECRET) is None


@pytest.mark.parametrize(
    ("changes", "refuse"),
    [
        ({CONF_VIEW_SECRET: "a-wrong-view-secret"}, False),
        ({CONF_VIEW_KEY: "wrong-view-key"}, False),
        ({CONF_VIEW_KEY: "bad/key"}, False),  # cannot be used in the topic
        ({}, True),  # the broker refuses the credentials (plan without the subscription)
    ],
)
async def test_options_mqtt_invalid_auth(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    debug_log: pytest.LogCaptureFixture,
    *,
    changes: dict[str, str],
    refuse: bool,
) -> None:
    """A refused key or secret: mqtt_invalid_auth; the secret is neither shown nor logged."""
    sim.broker.refuse_credentials = refuse
    typed = realtime_input(sim, **changes)
    result = await open_options(hass, added_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60} | typed
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "mqtt_invalid_auth"}
    assert added_entry.options == {CONF_SCAN_INTERVAL: 60}
    assert all_suggested(result) == {
        CONF_SCAN_INTERVAL: 60,
        CONF_MQTT_URL: typed[CONF_MQTT_URL],
        CONF_VIEW_KEY: typed[CONF_VIEW_KEY],
    }
    assert typed[CONF_VIEW_SECRET] not in debug_log.text

    sim.broker.refuse_credentials = False
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60} | realtime_input(sim)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert DEMO_VIEW_SECRET not in debug_log.text


@pytest.mark.parametrize("scheme", ["ws", "wss"])
async def test_options_mqtt_cannot_connect(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    debug_log: pytest.LogCaptureFixture,
    scheme: str,
) -> None:
    """Nothing listening at the address: mqtt_cannot_connect, logged without the secret."""
    closed = f"{scheme}://127.0.0.1:{free_port()}/mqtt"
    result = await open_options(hass, added_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60} | realtime_input(sim, mqtt_url=closed)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "mqtt_cannot_connect"}
    assert added_entry.options == {CONF_SCAN_INTERVAL: 60}
    assert suggested(result, CONF_MQTT_URL) == closed
    assert suggested(result, CONF_VIEW_SECRET) is None
    assert "Cannot reach the ThingsCloud MQTT subscription" in debug_log.text
    assert DEMO_VIEW_SECRET not in debug_log.text


async def test_options_mqtt_not_a_broker(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    not_thingscloud: str,
) -> None:
    """An HTTP server without the subscription (404) is no broker: mqtt_cannot_connect."""
    url = "ws" + not_thingscloud.removeprefix("http") + "/mqtt"
    result = await open_options(hass, added_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60} | realtime_input(sim, mqtt_url=url)
    )
    assert result["errors"] == {"base": "mqtt_cannot_connect"}


async def test_options_keep_stored_secret_when_left_empty(
    hass: HomeAssistant,
    sim: RunningSimulator,
    realtime_entry: MockConfigEntry,
    check_spy: AsyncMock,
) -> None:
    """The form shows the stored address and key, not the secret; left empty, it is kept.

    The check connects with the stored secret: once the broker's secret changes, an empty
    secret is refused.
    """
    result = await open_options(hass, realtime_entry)
    assert suggested(result, CONF_MQTT_URL) == sim.mqtt_url
    assert suggested(result, CONF_VIEW_KEY) == DEMO_VIEW_KEY
    assert suggested(result, CONF_VIEW_SECRET) is None
    assert DEMO_VIEW_SECRET not in json.dumps(sent_fields(result))

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_SCAN_INTERVAL: 30} | realtime_input(sim, view_secret=""),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert check_spy.await_args is not None
    assert check_spy.await_args.args[2] == DEMO_VIEW_SECRET
    assert realtime_entry.options == {
        CONF_SCAN_INTERVAL: 30,
        CONF_DEVICE_TYPES: [],
        CONF_GROUPS: [],
        **realtime_input(sim),
    }

    sim.state.view_secret = "rotated-view-secret"
    result = await open_options(hass, realtime_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 30} | realtime_input(sim, view_secret="")
    )
    assert result["errors"] == {"base": "mqtt_invalid_auth"}
    assert suggested(result, CONF_VIEW_SECRET) is None
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {CONF_SCAN_INTERVAL: 30} | realtime_input(sim, view_secret="rotated-view-secret"),
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert realtime_entry.options[CONF_VIEW_SECRET] == "rotated-view-secret"


async def test_options_remove_realtime(
    hass: HomeAssistant,
    sim: RunningSimulator,
    realtime_entry: MockConfigEntry,
    check_spy: AsyncMock,
) -> None:
    """Emptying the three fields turns real-time updates off: stored as empty strings.

    Nothing is connected to, and the reloaded entry has no subscription.
    """
    await hass.config_entries.async_setup(realtime_entry.entry_id)
    await hass.async_block_till_done()
    await state_reached(hass, realtime_entity_id(hass), STATE_ON)

    result = await open_options(hass, realtime_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60, **REALTIME_EMPTY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert check_spy.await_count == 0
    assert realtime_entry.options == {
        CONF_SCAN_INTERVAL: 60,
        CONF_DEVICE_TYPES: [],
        CONF_GROUPS: [],
        **REALTIME_EMPTY,
    }
    await hass.async_block_till_done()
    assert realtime_entry.state is ConfigEntryState.LOADED
    assert realtime_entry.runtime_data.realtime is None

    # Leaving the fields out of the submission is the same as emptying them.
    result = await open_options(hass, realtime_entry)
    assert not any(suggested(result, key) for key in REALTIME_EMPTY)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert realtime_entry.options[CONF_MQTT_URL] == ""


async def test_options_reload_stops_a_connecting_subscription(
    hass: HomeAssistant,
    sim: RunningSimulator,
    silent_broker: SilentBroker,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Saving the options while the real-time link is still connecting ends that link.

    The entry reloads without real-time updates; the old subscription must not go on
    reconnecting with the old settings (nor log an unexpected error).
    """
    entry = MockConfigEntry(
        domain=DOMAIN,
        title=DEMO_PROJECT_NAME,
        unique_id=DEMO_PROJECT_ID,
        data=app_data(sim),
        options={CONF_SCAN_INTERVAL: 60} | realtime_input(sim, mqtt_url=silent_broker.url),
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    async with asyncio.timeout(10):
        await silent_broker.opened.wait()  # connected; waiting for a CONNACK that never comes

    result = await open_options(hass, entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60, **REALTIME_EMPTY}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.runtime_data.realtime is None
    assert "Unexpected error in the real-time subscription" not in caplog.text
    await asyncio.sleep(3)  # longer than the first reconnection delay (at most 1 s)
    assert silent_broker.connections == 1


# --- command subentries --------------------------------------------------------------------


async def start_command_flow(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_type: str
) -> Result:
    """Open the "add" form of a command switch or button."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, subentry_type), context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == {}
    return result


async def submit_command(hass: HomeAssistant, result: Result, user_input: dict[str, Any]) -> Result:
    return await hass.config_entries.subentries.async_configure(result["flow_id"], user_input)


def device_names(sim: RunningSimulator) -> dict[str, str]:
    return {device_id: device.name for device_id, device in sim.state.devices.items()}


def command_entity(hass: HomeAssistant, platform: str, unique_id: str) -> er.RegistryEntry:
    registry = er.async_get(hass)
    entity_id = registry.async_get_entity_id(platform, DOMAIN, unique_id)
    assert entity_id is not None, unique_id
    entity = registry.async_get(entity_id)
    assert entity is not None
    return entity


def thingscloud_device(
    hass: HomeAssistant, entry: MockConfigEntry, device_id: str
) -> dr.DeviceEntry:
    """The Home Assistant device of a ThingsCloud device of an entry."""
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, device_id), entry.entry_id)
    assert device is not None, device_id
    return device


def add_command(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_type: str, **data: Any
) -> str:
    """Store a command subentry directly; return its id."""
    subentry = ConfigSubentry(
        data=MappingProxyType(data),
        subentry_type=subentry_type,
        title=data[CONF_NAME],
        unique_id=None,
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    return subentry.subentry_id


SWITCH_DATA: dict[str, Any] = {
    CONF_COMMAND_ID: "e" * 32,
    CONF_DEVICE_ID: "dev-plug-tv",
    CONF_NAME: "Standby",
    CONF_METHOD: "standby_on",
    CONF_PARAMS: {"delay": 1},
    CONF_OFF_METHOD: "standby_off",
    CONF_OFF_PARAMS: {},
    CONF_STATE_ATTRIBUTE: "standby",
}
BUTTON_DATA: dict[str, Any] = {
    CONF_COMMAND_ID: "f" * 32,
    CONF_DEVICE_ID: "dev-gateway",
    CONF_NAME: "Reboot",
    CONF_METHOD: "reboot",
    CONF_PARAMS: {},
}


async def test_entry_offers_command_subentries(
    hass: HomeAssistant, added_entry: MockConfigEntry
) -> None:
    """The integration page offers adding and changing command switches and buttons."""
    assert added_entry.supported_subentry_types == {
        SUBENTRY_COMMAND_SWITCH: {"supports_reconfigure": True},
        SUBENTRY_COMMAND_BUTTON: {"supports_reconfigure": True},
    }


@pytest.mark.parametrize(
    ("subentry_type", "expected_fields"),
    [(SUBENTRY_COMMAND_SWITCH, SWITCH_FIELDS), (SUBENTRY_COMMAND_BUTTON, BUTTON_FIELDS)],
)
@pytest.mark.parametrize("loaded", [True, False])
async def test_command_form_preselects_no_device(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    *,
    subentry_type: str,
    expected_fields: list[str],
    loaded: bool,
) -> None:
    """The "add" forms start with no device chosen: the user must pick one.

    In what the frontend receives the device field has neither a default nor a suggested
    value (the frontend would preselect either).
    """
    mock_config_entry.add_to_hass(hass)
    if loaded:
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()
    result = await start_command_flow(hass, mock_config_entry, subentry_type)
    assert fields(result) == expected_fields
    device_field = next(f for f in sent_fields(result) if f["name"] == CONF_DEVICE_ID)
    assert "default" not in device_field
    assert "suggested_value" not in (device_field.get("description") or {})
    assert device_field["optional"] is True
    assert all_suggested(result) == {}
    assert select_options(result, CONF_DEVICE_ID) == device_names(sim)


async def test_add_command_switch(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A new command switch is stored, titled with its device's name, and appears at once.

    Its entity is attached to the ThingsCloud device, which stays in the entry's main part:
    the entity belongs to the subentry, the device does not.
    """
    entry = init_integration
    coordinator = entry.runtime_data.coordinator
    listed = sim.state.count("devices")
    result = await start_command_flow(hass, entry, SUBENTRY_COMMAND_SWITCH)
    assert fields(result) == SWITCH_FIELDS
    assert select_options(result, CONF_DEVICE_ID) == device_names(sim)
    device_selector = selector_config(result, CONF_DEVICE_ID)
    assert device_selector["custom_value"] is False
    assert device_selector["multiple"] is False
    for key in (CONF_PARAMS, CONF_OFF_PARAMS):
        assert "object" in schema_of(result).schema[marker(result, key)].serialize()["selector"]
    for key in (CONF_NAME, CONF_METHOD, CONF_OFF_METHOD):
        assert type(marker(result, key)) is probatio.Required
    for key in (CONF_PARAMS, CONF_OFF_PARAMS, CONF_STATE_ATTRIBUTE):
        assert type(marker(result, key)) is probatio.Optional

    result = await submit_command(
        hass,
        result,
        {
            CONF_DEVICE_ID: "dev-plug-tv",
            CONF_NAME: " Fan ",
            CONF_METHOD: " fan_on ",
            CONF_PARAMS: {"speed": 2, "modes": ["a", None, 1.5, True]},
            CONF_OFF_METHOD: "fan_off",
            CONF_STATE_ATTRIBUTE: " fan ",
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Fan (电视插座 TV Plug)"
    # The devices came from the loaded entry, not from another listing.
    assert sim.state.count("devices") == listed

    (subentry,) = entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_COMMAND_SWITCH
    assert subentry.title == "Fan (电视插座 TV Plug)"
    command_id = subentry.data[CONF_COMMAND_ID]
    assert len(command_id) == 32
    int(command_id, 16)
    assert dict(subentry.data) == {
        CONF_COMMAND_ID: command_id,
        CONF_DEVICE_ID: "dev-plug-tv",
        CONF_NAME: "Fan",
        CONF_METHOD: "fan_on",
        CONF_PARAMS: {"speed": 2, "modes": ["a", None, 1.5, True]},
        CONF_OFF_METHOD: "fan_off",
        CONF_OFF_PARAMS: {},
        CONF_STATE_ATTRIBUTE: "fan",
    }
    json.dumps(dict(subentry.data))  # storable

    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data.coordinator is not coordinator  # reloaded
    entity = command_entity(hass, "switch", f"dev-plug-tv_command_{command_id}")
    assert entity.config_entry_id == entry.entry_id
    assert entity.config_subentry_id == subentry.subentry_id
    device = thingscloud_device(hass, entry, "dev-plug-tv")
    assert entity.device_id == device.id
    assert (device.config_entry_id, device.config_subentry_id) == (entry.entry_id, None)
    state = hass.states.get(entity.entity_id)
    assert state is not None
    assert state.attributes["friendly_name"].endswith("Fan")


async def test_add_command_button(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """A new command button is stored with empty parameters and appears on its device."""
    entry = init_integration
    result = await start_command_flow(hass, entry, SUBENTRY_COMMAND_BUTTON)
    assert fields(result) == BUTTON_FIELDS
    result = await submit_command(
        hass, result, {CONF_DEVICE_ID: "dev-gateway", CONF_NAME: "Reboot", CONF_METHOD: "reboot"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Reboot (家庭网关 Home Gateway)"
    (subentry,) = entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_COMMAND_BUTTON
    command_id = subentry.data[CONF_COMMAND_ID]
    assert dict(subentry.data) == {
        CONF_COMMAND_ID: command_id,
        CONF_DEVICE_ID: "dev-gateway",
        CONF_NAME: "Reboot",
        CONF_METHOD: "reboot",
        CONF_PARAMS: {},
    }

    await hass.async_block_till_done()
    entity = command_entity(hass, "button", f"dev-gateway_command_{command_id}")
    assert entity.config_subentry_id == subentry.subentry_id
    device = thingscloud_device(hass, entry, "dev-gateway")
    assert entity.device_id == device.id
    assert (device.config_entry_id, device.config_subentry_id) == (entry.entry_id, None)
    assert hass.states.get(entity.entity_id) is not None


async def test_add_command_to_unloaded_entry(
    hass: HomeAssistant, sim: RunningSimulator, added_entry: MockConfigEntry
) -> None:
    """An entry that is not loaded lists its devices from ThingsCloud, once per form."""
    result = await start_command_flow(hass, added_entry, SUBENTRY_COMMAND_BUTTON)
    assert sim.state.count("devices") == 1
    assert select_options(result, CONF_DEVICE_ID) == device_names(sim)
    result = await submit_command(
        hass, result, {CONF_DEVICE_ID: "dev-gateway", CONF_NAME: "", CONF_METHOD: "reboot"}
    )
    assert result["errors"] == {CONF_NAME: "invalid_name"}
    result = await submit_command(
        hass, result, {CONF_DEVICE_ID: "dev-gateway", CONF_NAME: "Pair", CONF_METHOD: "pair"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Pair (家庭网关 Home Gateway)"
    assert sim.state.count("devices") == 1


async def set_up_with_command(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_type: str, data: dict[str, Any]
) -> str:
    """Add the entry with one stored command and set it up; return the command's subentry id."""
    entry.add_to_hass(hass)
    subentry_id = add_command(hass, entry, subentry_type, **data)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return subentry_id


async def test_reconfigure_command_switch(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Changing a switch shows its stored values, keeps its id and entity, and reloads.

    Devices are still chosen by name; the title follows the new name.
    """
    entry = mock_config_entry
    subentry_id = await set_up_with_command(hass, entry, SUBENTRY_COMMAND_SWITCH, SWITCH_DATA)
    unique_id = f"dev-plug-tv_command_{SWITCH_DATA[CONF_COMMAND_ID]}"
    before = command_entity(hass, "switch", unique_id)
    coordinator = entry.runtime_data.coordinator

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert result["errors"] == {}
    assert fields(result) == SWITCH_FIELDS
    stored_fields = {key: value for key, value in SWITCH_DATA.items() if key != CONF_COMMAND_ID}
    assert all_suggested(result) == stored_fields
    assert select_options(result, CONF_DEVICE_ID) == device_names(sim)

    result = await submit_command(
        hass,
        result,
        stored_fields
        | {
            CONF_NAME: "Eco",
            CONF_METHOD: "eco_on",
            CONF_PARAMS: {},
            CONF_OFF_PARAMS: {"level": 0},
            CONF_STATE_ATTRIBUTE: "",
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Eco (电视插座 TV Plug)"
    assert dict(subentry.data) == SWITCH_DATA | {
        CONF_NAME: "Eco",
        CONF_METHOD: "eco_on",
        CONF_PARAMS: {},
        CONF_OFF_PARAMS: {"level": 0},
        CONF_STATE_ATTRIBUTE: None,
    }
    await hass.async_block_till_done()
    assert entry.runtime_data.coordinator is not coordinator  # reloaded
    after = command_entity(hass, "switch", unique_id)
    assert after.entity_id == before.entity_id
    assert after.config_subentry_id == subentry_id
    assert after.original_name == "Eco"
    assert len(entry.subentries) == 1


async def test_reconfigure_command_button_other_device(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Moving a button to another device keeps its command id; it then sits on that device."""
    entry = mock_config_entry
    subentry_id = await set_up_with_command(hass, entry, SUBENTRY_COMMAND_BUTTON, BUTTON_DATA)
    command_id = BUTTON_DATA[CONF_COMMAND_ID]

    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    assert fields(result) == BUTTON_FIELDS
    assert all_suggested(result) == {
        CONF_DEVICE_ID: "dev-gateway",
        CONF_NAME: "Reboot",
        CONF_METHOD: "reboot",
        CONF_PARAMS: {},
    }
    result = await submit_command(
        hass,
        result,
        {
            CONF_DEVICE_ID: "dev-lobby-led",
            CONF_NAME: "Restart",
            CONF_METHOD: "reboot",
            CONF_PARAMS: {"hard": True},
        },
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    subentry = entry.subentries[subentry_id]
    assert subentry.title == "Restart (前台 LED 屏 Lobby LED Sign)"
    assert subentry.data[CONF_COMMAND_ID] == command_id
    assert subentry.data[CONF_DEVICE_ID] == "dev-lobby-led"

    await hass.async_block_till_done()
    entity = command_entity(hass, "button", f"dev-lobby-led_command_{command_id}")
    assert entity.config_subentry_id == subentry_id
    assert entity.device_id == thingscloud_device(hass, entry, "dev-lobby-led").id
    gateway = thingscloud_device(hass, entry, "dev-gateway")
    assert (gateway.config_entry_id, gateway.config_subentry_id) == (entry.entry_id, None)


async def test_reconfigure_command_other_device_leaves_no_stale_entity(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """After moving a button to another device the command has one entity, on that device.

    The old one does not stay behind as an unavailable entity of the old device.
    """
    entry = mock_config_entry
    subentry_id = await set_up_with_command(hass, entry, SUBENTRY_COMMAND_BUTTON, BUTTON_DATA)
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await submit_command(
        hass, result, {CONF_DEVICE_ID: "dev-lobby-led", CONF_NAME: "Reboot", CONF_METHOD: "reboot"}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    commands = [
        entity.unique_id
        for entity in er.async_entries_for_config_entry(registry, entry.entry_id)
        if entity.config_subentry_id == subentry_id
    ]
    assert commands == [f"dev-lobby-led_command_{BUTTON_DATA[CONF_COMMAND_ID]}"]


def deep(levels: int) -> dict[str, Any]:
    """An object nested `levels` deep."""
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"x": value}
    return value


OMITTED = object()  # a field left out of the submission
GOOD_SWITCH: dict[str, Any] = {
    CONF_DEVICE_ID: "dev-plug-tv",
    CONF_NAME: "Relay",
    CONF_METHOD: "on",
    CONF_PARAMS: {"ch": 1},
    CONF_OFF_METHOD: "off",
    CONF_OFF_PARAMS: {"ch": 1},
}


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({CONF_PARAMS: [1, 2]}, {CONF_PARAMS: "invalid_params"}),
        ({CONF_PARAMS: "speed: 2"}, {CONF_PARAMS: "invalid_params"}),
        ({CONF_PARAMS: 3}, {CONF_PARAMS: "invalid_params"}),
        ({CONF_OFF_PARAMS: {1: "a"}}, {CONF_OFF_PARAMS: "invalid_params"}),
        ({CONF_OFF_PARAMS: {"when": object()}}, {CONF_OFF_PARAMS: "invalid_params"}),
        ({CONF_METHOD: "  "}, {CONF_METHOD: "invalid_method"}),
        ({CONF_OFF_METHOD: ""}, {CONF_OFF_METHOD: "invalid_method"}),
        ({CONF_NAME: " "}, {CONF_NAME: "invalid_name"}),
        ({CONF_DEVICE_ID: OMITTED}, {CONF_DEVICE_ID: "invalid_device"}),
        (
            {CONF_METHOD: "", CONF_PARAMS: [], CONF_NAME: ""},
            {
                CONF_METHOD: "invalid_method",
                CONF_PARAMS: "invalid_params",
                CONF_NAME: "invalid_name",
            },
        ),
    ],
)
async def test_command_invalid_input_then_success(
    hass: HomeAssistant,
    added_entry: MockConfigEntry,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    """Each unusable field is marked; the form keeps the input and nothing is stored."""
    result = await start_command_flow(hass, added_entry, SUBENTRY_COMMAND_SWITCH)
    typed = {key: value for key, value in (GOOD_SWITCH | changes).items() if value is not OMITTED}
    result = await submit_command(hass, result, typed)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    assert result["errors"] == errors
    assert suggested(result, CONF_NAME) == typed[CONF_NAME]
    assert suggested(result, CONF_OFF_METHOD) == typed[CONF_OFF_METHOD]
    assert added_entry.subentries == {}

    result = await submit_command(hass, result, GOOD_SWITCH)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = added_entry.subentries.values()
    assert subentry.data[CONF_PARAMS] == {"ch": 1}
    assert subentry.data[CONF_STATE_ATTRIBUTE] is None


@pytest.mark.parametrize("key", [CONF_PARAMS, CONF_OFF_PARAMS])
@pytest.mark.parametrize(
    "params",
    [
        deep(33),
        {"level": math.nan},
        {"level": math.inf},
        {"levels": [1, -math.inf]},
        {"a": {"b": [{"c": math.nan}]}},
        {"a": [deep(32)]},
    ],
    ids=["deep", "nan", "inf", "inf-in-list", "nested-nan", "deep-in-list"],
)
async def test_command_params_deep_or_not_finite_refused(
    hass: HomeAssistant, added_entry: MockConfigEntry, key: str, params: dict[str, Any]
) -> None:
    """Parameters too deeply nested, or with NaN or infinity, cannot be stored or sent."""
    result = await start_command_flow(hass, added_entry, SUBENTRY_COMMAND_SWITCH)
    result = await submit_command(hass, result, GOOD_SWITCH | {key: params})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {key: "invalid_params"}
    assert added_entry.subentries == {}


async def test_command_params_at_the_depth_limit_accepted(
    hass: HomeAssistant, added_entry: MockConfigEntry
) -> None:
    """Parameters nested up to the limit, with any JSON value, are stored as given."""
    params: dict[str, Any] = {"deep": deep(31), "values": ["a", None, 1.5, True, -3, {"k": []}]}
    result = await start_command_flow(hass, added_entry, SUBENTRY_COMMAND_BUTTON)
    result = await submit_command(
        hass,
        result,
        {CONF_DEVICE_ID: "dev-gateway", CONF_NAME: "Deep", CONF_METHOD: "m", CONF_PARAMS: params},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = added_entry.subentries.values()
    assert subentry.data[CONF_PARAMS] == params
    json.dumps(dict(subentry.data), allow_nan=False)


async def test_command_without_device_list(
    hass: HomeAssistant,
    sim: RunningSimulator,
    added_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the devices cannot be listed, a device id can be typed in (and titles the command)."""
    sim.state.faults.set("http_error", "devices", status=500)
    result = await start_command_flow(hass, added_entry, SUBENTRY_COMMAND_BUTTON)
    assert selector_config(result, CONF_DEVICE_ID)["options"] == []
    assert selector_config(result, CONF_DEVICE_ID)["custom_value"] is True
    assert "Cannot load the ThingsCloud devices" in caplog.text

    result = await submit_command(hass, result, {CONF_NAME: "Ping", CONF_METHOD: "ping"})
    assert result["errors"] == {CONF_DEVICE_ID: "invalid_device"}
    result = await submit_command(
        hass, result, {CONF_DEVICE_ID: " ", CONF_NAME: "Ping", CONF_METHOD: "ping"}
    )
    assert result["errors"] == {CONF_DEVICE_ID: "invalid_device"}
    result = await submit_command(
        hass,
        result,
        {CONF_DEVICE_ID: " dev-typed ", CONF_NAME: "Ping", CONF_METHOD: "ping", CONF_PARAMS: None},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Ping (dev-typed)"
    (subentry,) = added_entry.subentries.values()
    assert subentry.data[CONF_DEVICE_ID] == "dev-typed"
    assert subentry.data[CONF_PARAMS] == {}

    # Changing it later: the typed id is shown again and can be kept.
    result = await added_entry.start_subentry_reconfigure_flow(hass, subentry.subentry_id)
    assert suggested(result, CONF_DEVICE_ID) == "dev-typed"
    assert selector_config(result, CONF_DEVICE_ID)["custom_value"] is True
    result = await submit_command(
        hass, result, {CONF_DEVICE_ID: "dev-typed", CONF_NAME: "Pong", CONF_METHOD: "ping"}
    )
    assert result["reason"] == "reconfigure_successful"
    assert added_entry.subentries[subentry.subentry_id].title == "Pong (dev-typed)"


async def test_command_unknown_device_refused_when_list_loaded(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    """With the project's devices listed, only one of them can be chosen; none is an error."""
    result = await start_command_flow(hass, init_integration, SUBENTRY_COMMAND_BUTTON)
    with pytest.raises(InvalidData):
        await submit_command(
            hass, result, {CONF_DEVICE_ID: "dev-nope", CONF_NAME: "Ping", CONF_METHOD: "ping"}
        )
    result = await submit_command(hass, result, {CONF_NAME: "Ping", CONF_METHOD: "ping"})
    assert result["errors"] == {CONF_DEVICE_ID: "invalid_device"}
    assert init_integration.subentries == {}


async def test_remove_command_keeps_device_and_other_entities(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Deleting a command removes only its entity: the device and its other entities stay."""
    entry = mock_config_entry
    button_id = await set_up_with_command(
        hass, entry, SUBENTRY_COMMAND_BUTTON, BUTTON_DATA | {CONF_DEVICE_ID: "dev-plug-tv"}
    )
    switch_id = add_command(hass, entry, SUBENTRY_COMMAND_SWITCH, **SWITCH_DATA)
    await hass.async_block_till_done()  # reloaded with both commands
    device = thingscloud_device(hass, entry, "dev-plug-tv")
    registry = er.async_get(hass)
    button = command_entity(hass, "button", f"dev-plug-tv_command_{BUTTON_DATA[CONF_COMMAND_ID]}")
    switch = command_entity(hass, "switch", f"dev-plug-tv_command_{SWITCH_DATA[CONF_COMMAND_ID]}")
    others = {
        e.entity_id
        for e in er.async_entries_for_device(registry, device.id)
        if e.config_subentry_id is None
    }
    assert len(others) > 1  # online, alarm, attributes ...

    assert hass.config_entries.async_remove_subentry(entry, button_id)
    await hass.async_block_till_done()

    assert registry.async_get(button.entity_id) is None
    assert hass.states.get(button.entity_id) is None
    device_after = dr.async_get(hass).async_get(device.id)
    assert device_after is not None
    assert (device_after.config_entry_id, device_after.config_subentry_id) == (entry.entry_id, None)
    remaining = {e.entity_id for e in er.async_entries_for_device(registry, device.id)}
    assert remaining == others | {switch.entity_id}
    assert entry.state is ConfigEntryState.LOADED
    for entity_id in remaining:
        state = hass.states.get(entity_id)
        assert state is not None, entity_id
    assert list(entry.subentries) == [switch_id]


# --- helpers and pure functions ------------------------------------------------------------


def test_group_options_skip_repeated_ids() -> None:
    """A group listed twice (or inside itself) is offered once, labelled with its path."""
    child = DeviceGroup.from_api({"id": "g2", "name": "Child"})
    tree = [
        DeviceGroup.from_api({"id": "g1", "name": "", "children": [{"id": "g2", "name": "C"}]}),
        child,
    ]
    assert _group_options(tree, set()) == [
        {"value": "g1", "label": "g1"},
        {"value": "g2", "label": "g1 / C"},
    ]


async def test_create_client(hass: HomeAssistant, sim: RunningSimulator) -> None:
    """The flow's client signs in the entry's way, at the normalised endpoint."""
    app = create_client(hass, app_data(sim, endpoint=f"{sim.url}/api/v1"))
    assert app.endpoint == sim.url
    assert not app.is_admin
    admin = create_client(hass, admin_data(sim))
    assert admin.is_admin
    await admin.authenticate()
    assert (await admin.get_project()).id == DEMO_PROJECT_ID
    assert sim.state.count("admin_login") == 1


# --- translations --------------------------------------------------------------------------


def shape(value: Any) -> Any:
    """The key structure of a translation tree."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    return None


def placeholders(value: Any, path: str = "") -> dict[str, set[str]]:
    import string

    if isinstance(value, dict):
        found: dict[str, set[str]] = {}
        for key, item in value.items():
            found |= placeholders(item, f"{path}/{key}")
        return found
    return {path: {name for _, name, _, _ in string.Formatter().parse(value) if name}}


@pytest.mark.parametrize("section", ["config", "options", "config_subentries"])
def test_translations_complete(section: str) -> None:
    """English and Chinese translate every step, field, error and abort of the flows alike."""
    strings = load("strings.json")[section]
    english = load("translations/en.json")[section]
    chinese = load("translations/zh-Hans.json")[section]
    assert english == strings
    assert shape(chinese) == shape(english)
    assert placeholders(chinese) == placeholders(english)
    steps = (
        [step for kind in english.values() for step in kind["step"].values()]
        if section == "config_subentries"
        else list(english["step"].values())
    )
    for step in steps:
        assert step.get("title")
        for key in step.get("data", {}):
            assert step["data_description"].get(key), key


def test_translations_cover_the_flow_errors() -> None:
    """Every error and abort the flows can show has a text."""
    english = load("translations/en.json")
    config, options = english["config"], english["options"]
    assert set(config["error"]) == {"invalid_endpoint", "invalid_auth", "cannot_connect", "unknown"}
    assert set(config["abort"]) >= {
        "already_configured",
        "reauth_successful",
        "reconfigure_successful",
        "unique_id_mismatch",
    }
    assert set(config["step"]["user"]["menu_options"]) == {"app", "admin"}
    assert set(options["step"]) == {"init"}
    assert set(options["error"]) == {
        "invalid_mqtt_url",
        "mqtt_incomplete",
        "mqtt_invalid_auth",
        "mqtt_cannot_connect",
    }
    subentries = english["config_subentries"]
    assert set(subentries) == {SUBENTRY_COMMAND_SWITCH, SUBENTRY_COMMAND_BUTTON}
    for kind in subentries.values():
        assert kind["entry_type"]
        assert set(kind["initiate_flow"]) == {"user", "reconfigure"}
        assert set(kind["step"]) == {"user", "reconfigure"}
        assert set(kind["error"]) == {
            "invalid_device",
            "invalid_name",
            "invalid_method",
            "invalid_params",
        }


async def test_every_form_is_translated(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock
) -> None:
    """Each field of each form the flows show has a label and a help text, and each
    description placeholder of the texts is given by the form.
    """
    english = load("translations/en.json")
    app = MockConfigEntry(domain=DOMAIN, unique_id="a", data=app_data(sim))
    admin = MockConfigEntry(domain=DOMAIN, unique_id="b", data=admin_data(sim))
    for entry in (app, admin):
        entry.add_to_hass(hass)
    switch_id = add_command(hass, app, SUBENTRY_COMMAND_SWITCH, **SWITCH_DATA)
    button_id = add_command(hass, app, SUBENTRY_COMMAND_BUTTON, **BUTTON_DATA)

    forms: list[tuple[dict[str, Any], Result]] = [
        (english["config"]["step"]["app"], await start_app_flow(hass)),
        (english["config"]["step"]["admin"], await start_app_flow(hass, AUTH_TYPE_ADMIN)),
        (english["options"]["step"]["init"], await open_options(hass, app)),
    ]
    for entry in (app, admin):
        forms.append(
            (english["config"]["step"]["reauth_confirm"], await entry.start_reauth_flow(hass))
        )
        forms.append(
            (english["config"]["step"]["reconfigure"], await entry.start_reconfigure_flow(hass))
        )
    for subentry_type, subentry_id in (
        (SUBENTRY_COMMAND_SWITCH, switch_id),
        (SUBENTRY_COMMAND_BUTTON, button_id),
    ):
        steps = english["config_subentries"][subentry_type]["step"]
        forms.append((steps["user"], await start_command_flow(hass, app, subentry_type)))
        forms.append(
            (steps["reconfigure"], await app.start_subentry_reconfigure_flow(hass, subentry_id))
        )

    for texts, result in forms:
        assert result["type"] is FlowResultType.FORM
        for key in fields(result):
            assert texts["data"].get(key), f"{result['step_id']}.{key}"
            assert texts["data_description"].get(key), f"{result['step_id']}.{key}"
        given = result["description_placeholders"] or {}
        for text in [
            texts["title"],
            texts.get("description", ""),
            *texts["data_description"].values(),
        ]:
            text.format_map(given)  # every placeholder is given


async def test_reconfigure_a_command_of_a_device_the_project_lacks(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A command for a device the project no longer has (no entity yet) moves to a device
    it has: its stored device stays choosable, and the moved command gets its entity."""
    entry = mock_config_entry
    lost = {**BUTTON_DATA, CONF_DEVICE_ID: "dev-lost"}
    subentry_id = await set_up_with_command(hass, entry, SUBENTRY_COMMAND_BUTTON, lost)
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    result = await submit_command(
        hass, result, {CONF_DEVICE_ID: "dev-lobby-led", CONF_NAME: "Reboot", CONF_METHOD: "reboot"}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()

    assert er.async_get(hass).async_get_entity_id(
        "button", DOMAIN, f"dev-lobby-led_command_{BUTTON_DATA[CONF_COMMAND_ID]}"
    )
