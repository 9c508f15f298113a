"""Tests of the ThingsCloud config flow and options flow, against the simulator."""

from collections.abc import AsyncGenerator, Generator
from datetime import timedelta
import json
import logging
from pathlib import Path
import socket
from typing import Any
from unittest.mock import AsyncMock, create_autospec, patch

from aiohttp import web
from homeassistant import config_entries
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResult, FlowResultType, InvalidData
from homeassistant.helpers import config_validation as cv
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.thingscloud.api import DeviceGroup, ThingsCloudClient
from custom_components.thingscloud.config_flow import _group_options
from custom_components.thingscloud.const import (
    AUTH_TYPE_ADMIN,
    AUTH_TYPE_APP,
    CONF_ACCESS_KEY,
    CONF_ACCOUNT,
    CONF_APP_ID,
    CONF_AUTH_TYPE,
    CONF_COMMANDS,
    CONF_DEVICE_TYPES,
    CONF_ENDPOINT,
    CONF_GROUPS,
    CONF_PASSWORD,
    CONF_SCAN_INTERVAL,
    CONF_SECRET_KEY,
    DOMAIN,
)
from custom_components.thingscloud.helpers import create_client, create_credentials
from simulator.scenarios import (
    DEMO_ACCESS_KEY,
    DEMO_ACCOUNT,
    DEMO_APP_ID,
    DEMO_PASSWORD,
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    DEMO_SECRET_KEY,
)
from simulator.testing import RunningSimulator

COMPONENT = Path(__file__).parent.parent / "custom_components" / "thingscloud"


# --- helpers -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the simulator listens on 127.0.0.1 (other hosts stay refused)."""


@pytest.fixture
def mock_setup_entry() -> Generator[AsyncMock]:
    """Keep the integration itself out of tests that are about the flow alone."""
    with patch("custom_components.thingscloud.async_setup_entry", return_value=True) as mock_setup:
        yield mock_setup


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


def fields(result: FlowResult) -> list[str]:
    """The field names of a form, in order, as the frontend receives them."""
    # What the flow REST API sends: the schema must serialise (selectors, suggestions).
    sent = json.loads(
        json.dumps(
            probatio.to_field_list(result["data_schema"], custom_serializer=cv.custom_serializer)
        )
    )
    names = [str(marker.schema) for marker in result["data_schema"].schema]
    assert [field["name"] for field in sent] == names
    return names


def marker(result: FlowResult, key: str) -> probatio.Marker:
    return next(m for m in result["data_schema"].schema if m.schema == key)


def suggested(result: FlowResult, key: str) -> Any:
    """The value a form shows pre-filled in a field (None when empty)."""
    description = marker(result, key).description
    return (description or {}).get("suggested_value")


def selector_config(result: FlowResult, key: str) -> dict[str, Any]:
    selector = result["data_schema"].schema[marker(result, key)]
    return dict(selector.config)


async def start_app_flow(hass: HomeAssistant, auth_type: str = AUTH_TYPE_APP) -> FlowResult:
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


def free_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
async def not_thingscloud() -> AsyncGenerator[str]:
    """An HTTP server that is not the ThingsCloud API: 404 for every path."""
    runner = web.AppRunner(web.Application(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


# --- setup: menu and success -------------------------------------------------------------


async def test_user_step_is_a_menu(hass: HomeAssistant) -> None:
    result = await hass.config_entries.flow.async_init(
        DOMAIN, context={"source": config_entries.SOURCE_USER}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "user"
    assert list(result["menu_options"]) == ["app", "admin"]


async def test_form_fields_and_selectors(hass: HomeAssistant) -> None:
    result = await start_app_flow(hass)
    assert fields(result) == [CONF_ENDPOINT, CONF_APP_ID, CONF_ACCESS_KEY, CONF_SECRET_KEY]
    assert selector_config(result, CONF_ENDPOINT)["type"] == "url"
    assert selector_config(result, CONF_APP_ID)["type"] == "text"
    assert selector_config(result, CONF_ACCESS_KEY)["type"] == "text"
    assert selector_config(result, CONF_SECRET_KEY)["type"] == "password"
    assert result["description_placeholders"] == {
        "example_endpoint": "https://sh-1-api.iot-api.com"
    }

    result = await start_app_flow(hass, AUTH_TYPE_ADMIN)
    assert fields(result) == [CONF_ENDPOINT, CONF_APP_ID, CONF_ACCOUNT, CONF_PASSWORD]
    assert selector_config(result, CONF_ENDPOINT)["type"] == "url"
    assert selector_config(result, CONF_ACCOUNT)["type"] == "text"
    assert selector_config(result, CONF_PASSWORD)["type"] == "password"


@pytest.mark.parametrize(
    "endpoint_suffix",
    ["", "/", "/api/v1", "/api/v1/", "/API/V1"],
)
async def test_app_success(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock, endpoint_suffix: str
) -> None:
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
    assert len(mock_setup_entry.mock_calls) == 1
    # The credentials were checked before the entry existed.
    assert sim.state.count("access_token") == 1
    assert sim.state.count("project") == 1


async def test_admin_success(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock
) -> None:
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
    sim.state.project.name = ""
    result = await start_app_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == DEMO_PROJECT_ID


async def test_duplicate_project_aborts(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    mock_config_entry.add_to_hass(hass)
    # The same project through the other way of logging in is still the same project.
    result = await start_app_flow(hass, AUTH_TYPE_ADMIN)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], admin_input(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"
    assert len(hass.config_entries.async_entries(DOMAIN)) == 1
    assert mock_setup_entry.mock_calls == []


# --- setup: errors and recovery ----------------------------------------------------------


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
    make_input = app_input if auth_type == AUTH_TYPE_APP else admin_input
    result = await start_app_flow(hass, auth_type)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], make_input(sim, **wrong)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == auth_type
    assert result["errors"] == {"base": "invalid_auth"}
    # What the user typed is kept, except the secret.
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


async def test_secrets_are_not_logged(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_setup_entry: AsyncMock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    result = await start_app_flow(hass)
    sim.state.faults.set("http_error", "project", status=503, count=1)
    await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, secret_key="a-wrong-secret")
    )
    assert "Cannot use the ThingsCloud API" in caplog.text
    assert DEMO_SECRET_KEY not in caplog.text
    assert "a-wrong-secret" not in caplog.text


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
    result = await start_app_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, endpoint=endpoint)
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {CONF_ENDPOINT: "invalid_endpoint"}
    assert suggested(result, CONF_ENDPOINT) == endpoint
    assert sim.state.request_counts() == {}  # nothing was sent anywhere

    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].data[CONF_ENDPOINT] == sim.url


# --- reauth ------------------------------------------------------------------------------


async def test_reauth_app_success(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    mock_config_entry.add_to_hass(hass)
    sim.state.secret_key = "rotated-secret"
    result = await mock_config_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    assert fields(result) == [CONF_APP_ID, CONF_ACCESS_KEY, CONF_SECRET_KEY]
    assert suggested(result, CONF_APP_ID) == DEMO_APP_ID
    assert suggested(result, CONF_ACCESS_KEY) == DEMO_ACCESS_KEY
    assert suggested(result, CONF_SECRET_KEY) is None
    assert result["description_placeholders"] == {"name": DEMO_PROJECT_NAME}

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
    assert mock_config_entry.data == app_data(sim, secret_key="rotated-secret")
    assert len(mock_setup_entry.mock_calls) == 1  # reloaded


async def test_reauth_admin_error_then_success(
    hass: HomeAssistant, sim: RunningSimulator, mock_setup_entry: AsyncMock
) -> None:
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
    mock_config_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    mock_config_entry.add_to_hass(hass)
    before = dict(mock_config_entry.data)
    sim.state.project.id = "proj-other"
    result = await mock_config_entry.start_reauth_flow(hass)
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
    assert dict(mock_config_entry.data) == before
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


# --- reconfigure -------------------------------------------------------------------------


async def test_reconfigure_keeps_secret_when_left_empty(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reconfigure"
    assert fields(result) == [CONF_ENDPOINT, CONF_APP_ID, CONF_ACCESS_KEY, CONF_SECRET_KEY]
    assert suggested(result, CONF_ENDPOINT) == sim.url
    assert suggested(result, CONF_APP_ID) == DEMO_APP_ID
    assert suggested(result, CONF_SECRET_KEY) is None
    assert type(marker(result, CONF_SECRET_KEY)) is probatio.Optional
    assert selector_config(result, CONF_SECRET_KEY)["type"] == "password"

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
    assert mock_config_entry.data == app_data(sim)
    assert len(mock_setup_entry.mock_calls) == 1


async def test_reconfigure_new_endpoint_and_secret(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_setup_entry: AsyncMock,
) -> None:
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
    assert entry.title == "My project"  # a title the user chose stays


async def test_reconfigure_errors_then_success(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await mock_config_entry.start_reconfigure_flow(hass)

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, endpoint="http://example.com/api/v1")
    )
    assert result["errors"] == {CONF_ENDPOINT: "invalid_endpoint"}
    assert suggested(result, CONF_ENDPOINT) == "http://example.com/api/v1"

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, secret_key="wrong")
    )
    assert result["errors"] == {"base": "invalid_auth"}

    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], app_input(sim, endpoint=f"http://127.0.0.1:{free_port()}")
    )
    assert result["errors"] == {"base": "cannot_connect"}
    assert mock_config_entry.data == app_data(sim)

    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"


async def test_reconfigure_other_project(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    mock_setup_entry: AsyncMock,
) -> None:
    mock_config_entry.add_to_hass(hass)
    sim.state.project.id = "proj-other"
    result = await mock_config_entry.start_reconfigure_flow(hass)
    result = await hass.config_entries.flow.async_configure(result["flow_id"], app_input(sim))
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "unique_id_mismatch"
    assert mock_config_entry.data == app_data(sim)
    assert mock_setup_entry.mock_calls == []


# --- options -----------------------------------------------------------------------------


DEMO_TYPES = {
    "dt-th-sensor": "温湿度传感器 TH Sensor",
    "dt-smart-plug": "智能插座 Smart Plug",
}


def select_options(result: FlowResult, key: str) -> dict[str, str]:
    return {option["value"]: option["label"] for option in selector_config(result, key)["options"]}


async def test_options_scan_interval_only_reloads(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    entry = init_integration
    assert entry.state is ConfigEntryState.LOADED
    coordinator = entry.runtime_data
    assert coordinator.update_interval == timedelta(seconds=60)

    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "init"
    assert fields(result) == [
        CONF_SCAN_INTERVAL,
        CONF_DEVICE_TYPES,
        CONF_GROUPS,
        "configure_commands",
    ]
    number = selector_config(result, CONF_SCAN_INTERVAL)
    assert (number["min"], number["max"], number["mode"]) == (10, 3600, "box")
    assert number["unit_of_measurement"] == "s"
    assert marker(result, CONF_SCAN_INTERVAL).default() == 60

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 120}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options == {
        CONF_SCAN_INTERVAL: 120,
        CONF_DEVICE_TYPES: [],
        CONF_GROUPS: [],
        CONF_COMMANDS: [],
    }
    # Reloaded: a new coordinator polling at the new interval.
    assert entry.state is ConfigEntryState.LOADED
    assert entry.runtime_data is not coordinator
    assert entry.runtime_data.update_interval == timedelta(seconds=120)


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
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    scan_interval: Any,
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {CONF_SCAN_INTERVAL: scan_interval}
        )
    assert mock_config_entry.options == {CONF_SCAN_INTERVAL: 60}


@pytest.mark.parametrize(("stored", "default"), [(5, 10), (7200, 3600), (600, 600)])
async def test_options_default_interval_within_range(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    stored: int,
    default: int,
) -> None:
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options={CONF_SCAN_INTERVAL: stored})
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert marker(result, CONF_SCAN_INTERVAL).default() == default
    # Submitting the form as shown works.
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options[CONF_SCAN_INTERVAL] == default


async def test_options_device_type_and_group_choices(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """Entry not loaded: a client is created from the entry data."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={CONF_SCAN_INTERVAL: 300, CONF_DEVICE_TYPES: ["dt-gone"], CONF_GROUPS: []},
    )
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert sim.state.count("access_token") == 1
    assert marker(result, CONF_SCAN_INTERVAL).default() == 300

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
    assert mock_config_entry.options == {
        CONF_SCAN_INTERVAL: 45,
        CONF_DEVICE_TYPES: ["dt-th-sensor", "dt-smart-plug"],
        CONF_GROUPS: ["grp-living"],
        CONF_COMMANDS: [],
    }
    assert isinstance(mock_config_entry.options[CONF_SCAN_INTERVAL], int)


async def test_options_unknown_choice_rejected(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
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
    mock_config_entry: MockConfigEntry,
    *,
    failing_route: str,
    missing_field: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without a list the field is left out and its stored value kept."""
    mock_config_entry.add_to_hass(hass)
    stored = {
        CONF_SCAN_INTERVAL: 60,
        CONF_DEVICE_TYPES: ["dt-th-sensor"],
        CONF_GROUPS: ["grp-home"],
    }
    hass.config_entries.async_update_entry(mock_config_entry, options=stored)
    sim.state.faults.set("http_error", failing_route, status=500)
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert missing_field not in fields(result)
    assert CONF_SCAN_INTERVAL in fields(result)
    assert "Cannot load the ThingsCloud" in caplog.text

    shown = CONF_GROUPS if missing_field == CONF_DEVICE_TYPES else CONF_DEVICE_TYPES
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 90}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options[CONF_SCAN_INTERVAL] == 90
    assert mock_config_entry.options[missing_field] == stored[missing_field]  # kept
    assert mock_config_entry.options[shown] == []  # shown and cleared


async def test_options_unexpected_error_loading_choices(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mock_config_entry.add_to_hass(hass)
    with patch(
        "custom_components.thingscloud.config_flow.create_client",
        side_effect=RuntimeError("surprise"),
    ):
        result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert fields(result) == [CONF_SCAN_INTERVAL, "configure_commands"]
    assert "Unexpected error loading the ThingsCloud device types" in caplog.text
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


# --- options: commands -------------------------------------------------------------------


async def open_commands_menu(hass: HomeAssistant, entry: MockConfigEntry) -> FlowResult:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 60, "configure_commands": True}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["step_id"] == "commands"
    return result


async def test_add_command_switch_and_button(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await open_commands_menu(hass, mock_config_entry)
    assert list(result["menu_options"]) == ["add_command_switch", "add_command_button", "save"]
    assert result["description_placeholders"] == {"count": "0", "commands": ""}

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "add_command_switch"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "add_command_switch"
    assert fields(result) == [
        "device_id",
        "name",
        "method",
        "params",
        "off_method",
        "off_params",
        "state_attribute",
    ]
    devices = select_options(result, "device_id")
    assert devices == {device_id: d.name for device_id, d in sim.state.devices.items()}
    assert selector_config(result, "device_id")["custom_value"] is False
    assert (
        "object" in result["data_schema"].schema[marker(result, "params")].serialize()["selector"]
    )
    device_id = next(iter(sim.state.devices))

    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "device_id": device_id,
            "name": " Fan ",
            "method": "fan_on",
            "params": {"speed": 2, "modes": ["a", None, 1.5, True]},
            "off_method": "fan_off",
            "state_attribute": " fan ",
        },
    )
    assert result["type"] is FlowResultType.MENU
    assert list(result["menu_options"]) == [
        "add_command_switch",
        "add_command_button",
        "remove_commands",
        "save",
    ]
    device_name = sim.state.devices[device_id].name
    assert result["description_placeholders"] == {
        "count": "1",
        "commands": f"- Fan ({device_name})",
    }

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "add_command_button"}
    )
    assert result["step_id"] == "add_command_button"
    assert fields(result) == ["device_id", "name", "method", "params"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"device_id": device_id, "name": "Reboot", "method": "reboot"}
    )
    assert result["type"] is FlowResultType.MENU
    # The device list was loaded once for both forms.
    assert sim.state.count("devices") == 1

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "save"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    commands = mock_config_entry.options[CONF_COMMANDS]
    assert len(commands) == 2
    switch, button = commands
    assert len(switch["id"]) == 32
    int(switch["id"], 16)
    assert switch == {
        "id": switch["id"],
        "kind": "switch",
        "device_id": device_id,
        "name": "Fan",
        "method": "fan_on",
        "params": {"speed": 2, "modes": ["a", None, 1.5, True]},
        "off_method": "fan_off",
        "off_params": {},
        "state_attribute": "fan",
    }
    assert button == {
        "id": button["id"],
        "kind": "button",
        "device_id": device_id,
        "name": "Reboot",
        "method": "reboot",
        "params": {},
    }
    assert switch["id"] != button["id"]
    assert mock_config_entry.options[CONF_SCAN_INTERVAL] == 60
    json.dumps(dict(mock_config_entry.options))  # storable


def command(command_id: str, name: str, device_id: str = "dev-gone") -> dict[str, Any]:
    return {
        "id": command_id,
        "kind": "button",
        "device_id": device_id,
        "name": name,
        "method": "m",
        "params": {},
    }


async def test_remove_commands(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    device_id, device = next(iter(sim.state.devices.items()))
    keep, drop = command("a" * 32, "Keep"), command("b" * 32, "Drop", device_id)
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_SCAN_INTERVAL: 60, CONF_COMMANDS: [keep, drop]}
    )
    result = await open_commands_menu(hass, mock_config_entry)
    assert "remove_commands" in result["menu_options"]
    assert result["description_placeholders"]["count"] == "2"

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "remove_commands"}
    )
    assert result["type"] is FlowResultType.FORM
    assert fields(result) == [CONF_COMMANDS]
    # Labelled with the device's name, or its id when the project no longer lists it.
    assert select_options(result, CONF_COMMANDS) == {
        "a" * 32: "Keep (dev-gone)",
        "b" * 32: f"Drop ({device.name})",
    }
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_COMMANDS: ["b" * 32]}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["description_placeholders"] == {"count": "1", "commands": "- Keep (dev-gone)"}

    # Nothing selected: nothing removed.
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "remove_commands"}
    )
    result = await hass.config_entries.options.async_configure(result["flow_id"], {})
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "save"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options[CONF_COMMANDS] == [keep]


async def test_plain_submit_keeps_commands(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    existing = command("c" * 32, "Existing")
    hass.config_entries.async_update_entry(
        mock_config_entry, options={CONF_SCAN_INTERVAL: 60, CONF_COMMANDS: [existing]}
    )
    result = await hass.config_entries.options.async_init(mock_config_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_SCAN_INTERVAL: 30, "configure_commands": False}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert mock_config_entry.options[CONF_COMMANDS] == [existing]
    assert mock_config_entry.options[CONF_SCAN_INTERVAL] == 30


def deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"x": value}
    return value


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"params": [1, 2]}, {"params": "invalid_params"}),
        ({"params": "speed: 2"}, {"params": "invalid_params"}),
        ({"params": 3}, {"params": "invalid_params"}),
        ({"off_params": {1: "a"}}, {"off_params": "invalid_params"}),
        ({"off_params": {"when": object()}}, {"off_params": "invalid_params"}),
        ({"params": deep(40)}, {"params": "invalid_params"}),
        ({"method": "  "}, {"method": "invalid_method"}),
        ({"off_method": ""}, {"off_method": "invalid_method"}),
        ({"name": " "}, {"name": "invalid_name"}),
        (
            {"method": "", "params": [], "name": ""},
            {"method": "invalid_method", "params": "invalid_params", "name": "invalid_name"},
        ),
    ],
)
async def test_add_switch_invalid_input_then_success(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    changes: dict[str, Any],
    errors: dict[str, str],
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await open_commands_menu(hass, mock_config_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "add_command_switch"}
    )
    device_id = next(iter(sim.state.devices))
    good = {
        "device_id": device_id,
        "name": "Relay",
        "method": "on",
        "params": {"ch": 1},
        "off_method": "off",
        "off_params": {"ch": 1},
    }
    result = await hass.config_entries.options.async_configure(result["flow_id"], good | changes)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "add_command_switch"
    assert result["errors"] == errors
    assert suggested(result, "device_id") == device_id  # input kept

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], good | {"params": deep(10)}
    )
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "save"}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (saved,) = mock_config_entry.options[CONF_COMMANDS]
    assert saved["params"] == deep(10)
    assert saved["state_attribute"] is None


async def test_add_button_without_device_list(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """When the devices cannot be listed, a device id can be typed in."""
    mock_config_entry.add_to_hass(hass)
    result = await open_commands_menu(hass, mock_config_entry)
    sim.state.faults.set("http_error", "devices", status=500)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "add_command_button"}
    )
    assert result["type"] is FlowResultType.FORM
    assert selector_config(result, "device_id")["options"] == []
    assert selector_config(result, "device_id")["custom_value"] is True
    assert "Cannot load the ThingsCloud devices" in caplog.text

    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"device_id": " ", "name": "Ping", "method": "ping"}
    )
    assert result["errors"] == {"device_id": "invalid_device"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"device_id": "dev-typed", "name": "Ping", "method": "ping", "params": None},
    )
    assert result["type"] is FlowResultType.MENU
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "save"}
    )
    (saved,) = mock_config_entry.options[CONF_COMMANDS]
    assert saved["device_id"] == "dev-typed"
    assert saved["params"] == {}


async def test_unknown_device_rejected_when_list_loaded(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    mock_config_entry.add_to_hass(hass)
    result = await open_commands_menu(hass, mock_config_entry)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": "add_command_button"}
    )
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {"device_id": "dev-nope", "name": "Ping", "method": "ping"}
        )


# --- helpers and pure functions ----------------------------------------------------------


def test_group_options_skip_repeated_ids() -> None:
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
    app = create_client(hass, app_data(sim, endpoint=f"{sim.url}/api/v1"))
    assert app.endpoint == sim.url
    assert not app.is_admin
    admin = create_client(hass, admin_data(sim))
    assert admin.is_admin
    await admin.authenticate()
    assert (await admin.get_project()).id == DEMO_PROJECT_ID
    assert sim.state.count("admin_login") == 1


def test_create_credentials_unknown_auth_type() -> None:
    with pytest.raises(ValueError, match="auth type"):
        create_credentials({CONF_AUTH_TYPE: "token"})
    creds = create_credentials(
        {
            CONF_AUTH_TYPE: AUTH_TYPE_APP,
            CONF_APP_ID: "the-app",
            CONF_ACCESS_KEY: "the-access-key",
            CONF_SECRET_KEY: "the-secret-key",
        }
    )
    assert "the-app" in repr(creds)
    assert "the-secret-key" not in repr(creds)


# --- translations ------------------------------------------------------------------------


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((COMPONENT / name).read_text(encoding="utf-8"))
    return data


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


@pytest.mark.parametrize("section", ["config", "options"])
def test_translations_complete(section: str) -> None:
    strings = load("strings.json")[section]
    english = load("translations/en.json")[section]
    chinese = load("translations/zh-Hans.json")[section]
    assert english == strings
    assert shape(chinese) == shape(english)
    assert placeholders(chinese) == placeholders(english)
    for step_id, step in english["step"].items():
        assert step.get("title"), step_id
        for key in step.get("data", {}):
            assert step["data_description"].get(key), f"{step_id}.{key}"


def test_translations_cover_the_flow() -> None:
    config = load("translations/en.json")["config"]
    options = load("translations/en.json")["options"]
    assert set(config["step"]) == {"user", "app", "admin", "reauth_confirm", "reconfigure"}
    assert set(config["step"]["user"]["menu_options"]) == {"app", "admin"}
    assert set(config["step"]["app"]["data"]) == {
        CONF_ENDPOINT,
        CONF_APP_ID,
        CONF_ACCESS_KEY,
        CONF_SECRET_KEY,
    }
    assert set(config["step"]["admin"]["data"]) == {
        CONF_ENDPOINT,
        CONF_APP_ID,
        CONF_ACCOUNT,
        CONF_PASSWORD,
    }
    assert set(config["error"]) == {"invalid_endpoint", "invalid_auth", "cannot_connect", "unknown"}
    assert set(config["abort"]) >= {
        "already_configured",
        "reauth_successful",
        "reconfigure_successful",
        "unique_id_mismatch",
    }
    assert set(options["step"]) == {
        "init",
        "commands",
        "add_command_switch",
        "add_command_button",
        "remove_commands",
    }
    assert set(options["step"]["commands"]["menu_options"]) == {
        "add_command_switch",
        "add_command_button",
        "remove_commands",
        "save",
    }
    assert set(options["error"]) == {
        "invalid_device",
        "invalid_name",
        "invalid_method",
        "invalid_params",
    }
