"""Each kind of failure maps to its error class."""

from collections.abc import AsyncIterator
import time

import aiohttp
import pytest

from custom_components.thingscloud.api import (
    AppCredentials,
    ThingsCloudApiError,
    ThingsCloudClient,
    ThingsCloudConnectionError,
    ThingsCloudError,
    ThingsCloudForbiddenError,
    ThingsCloudNotFoundError,
    ThingsCloudRateLimitError,
    ThingsCloudTimeoutError,
)
from custom_components.thingscloud.api.const import (
    PACING_MAX_SPACING,
    PACING_RETRIES,
    PATH_DEVICE_CREATE,
)
from simulator.state import SimulatorState
from simulator.testing import RunningSimulator

from .common import ACCESS_KEY, APP_ID, SECRET_KEY, FakeApi, ok, serve


@pytest.fixture
async def quick_client(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> AsyncIterator[ThingsCloudClient]:
    """A client with a short timeout that already holds a token."""
    api = ThingsCloudClient(
        simulator.url,
        AppCredentials(APP_ID, ACCESS_KEY, SECRET_KEY),
        session=session,
        request_timeout=0.5,
    )
    await api.authenticate()
    simulator.state.clear_log()
    yield api
    await api.close()


async def test_latency_within_the_timeout_is_fine(
    quick_client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("latency", "project", ms=100)

    project = await quick_client.get_project()

    assert project.id == sim_state.project.id


async def test_hang_past_the_timeout_is_a_timeout_error(
    quick_client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("hang", "project", seconds=30)
    started = time.monotonic()

    with pytest.raises(ThingsCloudTimeoutError) as err:
        await quick_client.get_project()

    assert time.monotonic() - started < 5
    assert isinstance(err.value, ThingsCloudConnectionError)
    assert "GET /api/v1/project" in str(err.value)
    assert sim_state.count("project") == 1


async def test_latency_past_the_timeout_is_a_timeout_error(
    quick_client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("latency", ms=2000)

    with pytest.raises(ThingsCloudTimeoutError):
        await quick_client.push_attributes("dev-1", {"relay": True})


@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_server_errors_are_connection_errors(
    quick_client: ThingsCloudClient, sim_state: SimulatorState, status: int
) -> None:
    sim_state.faults.set("http_error", "devices", status=status)

    with pytest.raises(ThingsCloudConnectionError, match=str(status)) as err:
        await quick_client.get_devices_page()

    assert not isinstance(err.value, ThingsCloudTimeoutError)
    assert sim_state.count("devices") == 1  # no retry on server errors


async def test_invalid_json_is_a_connection_error(
    quick_client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("invalid_json", "attributes_raw")

    with pytest.raises(ThingsCloudConnectionError, match="not usable JSON"):
        await quick_client.get_device_attributes_raw("dev-1")


async def test_result_false_is_an_api_error(
    quick_client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("result_false", "control_command", errcode=1234, message="busy 忙")

    with pytest.raises(ThingsCloudApiError) as err:
        await quick_client.send_command("dev-1", "reboot")

    assert err.value.errcode == 1234
    assert err.value.message == "busy 忙"
    assert err.value.errors == []
    assert str(err.value) == "ThingsCloud API error 1234: busy 忙"
    assert sim_state.count("access_token") == 0  # not an auth signal


async def test_validation_errors_carry_the_errors_list(
    quick_client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    with pytest.raises(ThingsCloudApiError) as err:
        await quick_client.set_cloud_attributes("dev-1", {"temperature": 30})

    assert err.value.errcode == 400
    assert err.value.errors == [{"field": "temperature", "message": "is reported by the device"}]


@pytest.mark.parametrize(("retry_after", "expected"), [(7, 7.0), (2.5, 3.0), (0, 0.0)])
async def test_rate_limit_carries_retry_after(
    quick_client: ThingsCloudClient,
    sim_state: SimulatorState,
    retry_after: float,
    expected: float,
) -> None:
    sim_state.faults.set("rate_limit", "project", retry_after=retry_after)

    with pytest.raises(ThingsCloudRateLimitError) as err:
        await quick_client.get_project()

    assert err.value.retry_after == expected
    # A short wait is waited out and the request sent again; a long one is the caller's.
    sent = 1 if expected > PACING_MAX_SPACING else 1 + PACING_RETRIES
    assert sim_state.count("project") == sent


async def test_rate_limit_on_the_token_endpoint(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("rate_limit", "access_token", retry_after=30)

    with pytest.raises(ThingsCloudRateLimitError) as err:
        await client.get_project()

    assert err.value.retry_after == 30.0
    assert sim_state.count("project") == 0


async def test_unknown_path_is_not_found(quick_client: ThingsCloudClient) -> None:
    with pytest.raises(ThingsCloudNotFoundError):
        await quick_client._transport.request("GET", "/api/v1/no_such_thing")


async def test_http_404_page_is_not_found(
    quick_client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("http_error", "project", status=404)

    with pytest.raises(ThingsCloudNotFoundError):
        await quick_client.get_project()


async def test_invalid_request_json_is_an_api_error(
    quick_client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    # No body at all: the API answers 404 {"result": false, "errcode": 400, ...}.
    with pytest.raises(ThingsCloudApiError) as err:
        await quick_client._transport.request("POST", PATH_DEVICE_CREATE)

    assert err.value.errcode == 400
    assert err.value.message == "Invalid JSON message"
    assert [e.status for e in sim_state.requests("device_create")] == [404]


async def test_client_error_page_is_a_connection_error(
    quick_client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("http_error", "project", status=400)

    with pytest.raises(ThingsCloudConnectionError, match="not usable JSON"):
        await quick_client.get_project()


async def test_refused_connection_is_a_connection_error(session: aiohttp.ClientSession) -> None:
    async with serve(FakeApi().app()) as url:
        pass  # the port is free again
    api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)

    with pytest.raises(ThingsCloudConnectionError, match="Cannot reach"):
        await api.get_project()


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        ((200, b"", {}), ThingsCloudConnectionError, "not usable JSON"),
        ((200, b"\xff\xfe", {}), ThingsCloudConnectionError, "not usable JSON"),
        ((200, [1, 2], {}), ThingsCloudApiError, "unexpected shape"),
        ((200, "ok", {}), ThingsCloudApiError, "unexpected shape"),
        ((301, {"location": "x"}, {"Location": "https://x/"}), ThingsCloudApiError, "HTTP 301"),
        ((400, {"message": "Bad"}, {}), ThingsCloudApiError, "HTTP 400"),
        ((200, {"result": "false", "errcode": "12"}, {}), ThingsCloudApiError, "12"),
        ((200, {"result": 0, "message": ""}, {}), ThingsCloudApiError, "refused"),
        ((404, {"message": "Request invalid"}, {}), ThingsCloudNotFoundError, "404"),
        ((404, b"<html>", {}), ThingsCloudNotFoundError, "404"),
        ((500, {"result": False, "errcode": 1}, {}), ThingsCloudConnectionError, "500"),
        ((200, {"result": False, "errcode": 429}, {}), ThingsCloudRateLimitError, "rate"),
    ],
)
async def test_answer_shapes(
    session: aiohttp.ClientSession,
    answer: tuple[int, object, dict[str, str]],
    error: type[ThingsCloudError],
    text: str,
) -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/project", answer)
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(error, match=text) as err:
            await api.get_project()

    assert type(err.value) is error
    # A 429 without a long wait is sent again (PACING_RETRIES times) before it is an error.
    sent = 1 + PACING_RETRIES if error is ThingsCloudRateLimitError else 1
    assert len(fake.requests("/api/v1/project")) == sent


@pytest.mark.parametrize(
    ("errcode", "expected"),
    [("abc", None), (True, None), (1.5, None), ([1], None), ("7", 7), (8.0, 8), (None, None)],
)
async def test_errcode_variants(
    session: aiohttp.ClientSession, errcode: object, expected: int | None
) -> None:
    fake = FakeApi()
    fake.on(
        "GET", "/api/v1/project", (200, {"result": False, "errcode": errcode, "message": "m"}, {})
    )
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudApiError) as err:
            await api.get_project()

    assert err.value.errcode == expected
    assert err.value.message == "m"
    assert str(err.value).endswith(": m")


async def test_errcode_as_text_is_an_auth_signal(session: aiohttp.ClientSession) -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/project", (200, {"result": False, "errcode": "401.0"}, {}))
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudForbiddenError):
            await api.get_project()

    assert len(fake.requests("/api/v1/project")) == 2
    assert len(fake.requests("/api/v1/access_token")) == 2


async def test_answer_without_result_is_a_success(session: aiohttp.ClientSession) -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/project", (200, {"info": {"id": "p", "name": "P"}}, {}))
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        project = await api.get_project()

    assert project.name == "P"


@pytest.mark.parametrize(
    ("headers", "body", "expected"),
    [
        ({"Retry-After": "12"}, {"result": False}, 12.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, {}, 0.0),
        ({"Retry-After": "soon"}, {"retry_after": "4.5"}, 4.5),
        ({}, {"result": False, "info": {"retryAfter": 9}}, 9.0),
        ({}, {"retry_after": -3}, 0.0),
        ({}, {"retry_after": True}, None),
        ({}, b"Too many", None),
    ],
)
async def test_retry_after_sources(
    session: aiohttp.ClientSession,
    headers: dict[str, str],
    body: object,
    expected: float | None,
) -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/project", (429, body, headers))
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudRateLimitError) as err:
            await api.get_project()

    assert err.value.retry_after == expected


async def test_retry_after_http_date_in_the_future(session: aiohttp.ClientSession) -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/project", (429, {}, {"Retry-After": "Wed, 21 Oct 2099 07:28:00 GMT"}))
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudRateLimitError) as err:
            await api.get_project()

    assert err.value.retry_after is not None
    assert err.value.retry_after > 365 * 86400


async def test_connection_error_on_the_second_attempt_after_refresh(
    session: aiohttp.ClientSession,
) -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/project", (401, {}, {}), (503, b"down", {}))
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudConnectionError, match="503"):
            await api.get_project()


async def test_cached_token_survives_a_failed_request(session: aiohttp.ClientSession) -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/project", (500, b"", {}), ok({"id": "p"}))
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudConnectionError):
            await api.get_project()
        await api.get_project()

    assert len(fake.requests("/api/v1/access_token")) == 1


@pytest.mark.parametrize(
    "message",
    [
        "Invalid access token",
        "access token expired",
        "Unauthorized",
        "token 已过期",
        "无效的 token",
    ],
)
async def test_token_message_without_errcode_is_an_auth_signal(
    session: aiohttp.ClientSession, message: str
) -> None:
    fake = FakeApi()
    fake.on(
        "GET", "/api/v1/project", (200, {"result": False, "errcode": 10001, "message": message}, {})
    )
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudForbiddenError):
            await api.get_project()

    # One refresh and one retry, then this one request is reported as refused.
    assert len(fake.requests("/api/v1/project")) == 2
    assert len(fake.requests("/api/v1/access_token")) == 2


@pytest.mark.parametrize("message", ["device not found", "tokens of the device are disabled"])
async def test_other_messages_are_api_errors(session: aiohttp.ClientSession, message: str) -> None:
    fake = FakeApi()
    fake.on(
        "GET", "/api/v1/project", (200, {"result": False, "errcode": 1, "message": message}, {})
    )
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudApiError, match=message):
            await api.get_project()

    assert len(fake.requests("/api/v1/project")) == 1
