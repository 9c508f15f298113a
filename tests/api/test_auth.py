"""Authentication: token caching, refresh before expiry, refresh on rejection, concurrency."""

import asyncio
import logging

import aiohttp
import pytest

from custom_components.thingscloud.api import (
    AdminCredentials,
    AppCredentials,
    ThingsCloudApiError,
    ThingsCloudAuthError,
    ThingsCloudClient,
    ThingsCloudConnectionError,
    ThingsCloudForbiddenError,
)
from simulator.state import SimulatorState
from simulator.testing import RunningSimulator

from .common import (
    ACCESS_KEY,
    ADMIN_ACCOUNT,
    ADMIN_PASSWORD,
    APP_ID,
    SECRET_KEY,
    FakeApi,
    FakeClock,
    ok,
    serve,
    use_clock,
)


def statuses(state: SimulatorState, route: str) -> list[int | None]:
    return [entry.status for entry in state.requests(route)]


async def test_token_is_requested_once_and_cached(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.get_project()
    await client.get_devices_stat()
    await client.get_device_types()

    token_requests = sim_state.requests("access_token")
    assert len(token_requests) == 1
    assert token_requests[0].method == "POST"
    assert token_requests[0].raw_path == "/api/v1/access_token"
    assert token_requests[0].json == {
        "app_id": APP_ID,
        "access_key": ACCESS_KEY,
        "secret_key": SECRET_KEY,
    }


async def test_admin_login_body(admin_client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    await admin_client.get_project()

    (login,) = sim_state.requests("admin_login")
    assert (login.method, login.raw_path) == ("POST", "/api/v1/admin_login")
    assert login.json == {"app_id": APP_ID, "account": ADMIN_ACCOUNT, "password": ADMIN_PASSWORD}


async def test_refresh_before_expiry_uses_expires_in(
    client: ThingsCloudClient, sim_state: SimulatorState, clock: FakeClock
) -> None:
    sim_state.app_token_lifetime = 3600  # answered as expires_in; margin 300 s
    await client.get_project()

    clock.advance(3299)
    await client.get_project()
    assert sim_state.count("access_token") == 1

    clock.advance(2)  # 3301 s: inside the 300 s margin, token still valid at the server
    await client.get_project()

    assert sim_state.count("access_token") == 2
    assert statuses(sim_state, "project") == [200, 200, 200]


async def test_short_lifetime_refreshes_at_ten_percent(
    client: ThingsCloudClient, sim_state: SimulatorState, clock: FakeClock
) -> None:
    sim_state.app_token_lifetime = 60  # margin is 10 % = 6 s, not 300 s
    await client.get_project()

    clock.advance(53.5)
    await client.get_project()
    assert sim_state.count("access_token") == 1

    clock.advance(1)
    await client.get_project()
    assert sim_state.count("access_token") == 2
    assert statuses(sim_state, "project") == [200, 200, 200]


async def test_admin_token_lives_seven_days(
    admin_client: ThingsCloudClient, sim_state: SimulatorState, clock: FakeClock
) -> None:
    await admin_client.get_project()  # admin_login answers no expires_in

    clock.advance(7 * 86400 - 301)
    await admin_client.get_project()
    assert sim_state.count("admin_login") == 1

    clock.advance(2)
    await admin_client.get_project()
    assert sim_state.count("admin_login") == 2
    assert statuses(sim_state, "project") == [200, 200, 200]


async def test_rejected_token_is_refreshed_once_and_the_request_retried(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.get_project()
    sim_state.faults.set("token_expired", "devices_stat")

    stat = await client.get_devices_stat()

    assert stat["device_total"] == len(sim_state.devices)
    assert statuses(sim_state, "devices_stat") == [401, 200]
    assert sim_state.count("access_token") == 2


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("http_error", {"status": 401}),
        ("http_error", {"status": 403}),
        ("result_false", {"errcode": 401}),
        ("result_false", {"errcode": 403}),
    ],
)
async def test_auth_signals_trigger_one_refresh(
    client: ThingsCloudClient,
    sim_state: SimulatorState,
    kind: str,
    params: dict[str, int],
) -> None:
    sim_state.faults.set(kind, "project", count=1, **params)

    project = await client.get_project()

    assert project.id == sim_state.project.id
    assert sim_state.count("project") == 2
    assert sim_state.count("access_token") == 2


async def test_persistent_rejection_is_forbidden_after_one_retry(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("http_error", "project", status=401)

    with pytest.raises(ThingsCloudForbiddenError) as err:
        await client.get_project()

    assert not isinstance(err.value, ThingsCloudAuthError)
    assert "refused GET /api/v1/project even with a fresh access token" in str(err.value)

    assert sim_state.count("project") == 2
    assert sim_state.count("access_token") == 2
    assert "sim-app" not in str(err.value)


async def test_concurrent_calls_after_expiry_share_one_refresh(
    client: ThingsCloudClient, sim_state: SimulatorState, clock: FakeClock
) -> None:
    await client.get_project()
    clock.advance(86400 + 1)  # expired for both the client and the simulator
    sim_state.faults.set("latency", "access_token", ms=50)

    results = await asyncio.gather(*(client.get_devices_stat() for _ in range(20)))

    assert len(results) == 20
    assert sim_state.count("access_token") == 2
    assert statuses(sim_state, "devices_stat") == [200] * 20


async def test_concurrent_rejections_share_one_refresh(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.get_project()
    sim_state.expire_tokens()  # the server forgets the token; the client still trusts it
    sim_state.faults.set("latency", "access_token", ms=50)

    await asyncio.gather(*(client.get_devices_stat() for _ in range(10)))

    assert sim_state.count("access_token") == 2
    assert sorted(statuses(sim_state, "devices_stat"), key=str) == [200] * 10 + [401] * 10


async def test_authenticate_forces_a_new_token(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.authenticate()
    await client.authenticate()
    await client.get_project()

    assert sim_state.count("access_token") == 2
    assert statuses(sim_state, "project") == [200]


@pytest.mark.parametrize(
    "credentials",
    [
        AppCredentials(APP_ID, ACCESS_KEY, "wrong-secret"),
        AppCredentials("other-app", ACCESS_KEY, SECRET_KEY),
        AdminCredentials(APP_ID, ADMIN_ACCOUNT, "wrong-password"),
    ],
)
async def test_rejected_credentials(
    simulator: RunningSimulator,
    session: aiohttp.ClientSession,
    credentials: AppCredentials | AdminCredentials,
) -> None:
    api = ThingsCloudClient(simulator.url, credentials, session=session)

    with pytest.raises(ThingsCloudAuthError) as err:
        await api.authenticate()

    assert "wrong" not in str(err.value)
    assert simulator.state.count("access_token") + simulator.state.count("admin_login") == 1


async def test_result_false_from_the_token_endpoint_is_an_auth_error(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("result_false", "access_token", errcode=500, message="nope")

    with pytest.raises(ThingsCloudAuthError, match="errcode 500"):
        await client.get_project()
    assert sim_state.count("project") == 0


async def test_server_error_on_the_token_endpoint_is_a_connection_error(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.faults.set("http_error", "access_token", status=502)

    with pytest.raises(ThingsCloudConnectionError):
        await client.get_project()
    assert sim_state.count("project") == 0


async def test_no_secret_is_logged(
    client: ThingsCloudClient,
    sim_state: SimulatorState,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    sim_state.faults.set("token_expired", "project")

    await client.get_project()
    await client.push_attributes("dev-1", {"relay": True})

    tokens = list(sim_state.tokens)
    assert tokens
    for secret in (ACCESS_KEY, SECRET_KEY, *tokens):
        assert secret not in caplog.text
    assert "POST /api/v1/access_token" in caplog.text
    assert "GET /api/v1/project" in caplog.text
    assert "relay" not in caplog.text  # no bodies


def test_credentials_repr_hides_secrets() -> None:
    app = repr(AppCredentials(APP_ID, ACCESS_KEY, SECRET_KEY))
    admin = repr(AdminCredentials(APP_ID, ADMIN_ACCOUNT, ADMIN_PASSWORD))

    assert APP_ID in app
    assert ACCESS_KEY not in app
    assert SECRET_KEY not in app
    assert ADMIN_ACCOUNT in admin
    assert ADMIN_PASSWORD not in admin


async def test_headers_and_retry_with_the_new_token(session: aiohttp.ClientSession) -> None:
    fake = FakeApi()
    fake.on(
        "POST",
        "/api/v1/access_token",
        ok({"access_token": "token-1", "expires_in": 86400}),
        ok({"access_token": "token-2", "expires_in": "86400"}),
    )
    fake.on(
        "GET",
        "/api/v1/project",
        (401, {"result": False, "errcode": 401, "message": "Invalid access token"}, {}),
        ok({"id": "p", "name": "P"}),
    )
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        project = await api.get_project()

    assert project.id == "p"
    first_token, first, second_token, second = fake.received
    assert first_token.headers["Content-Type"] == "application/json"
    assert "Authorization" not in first_token.headers
    assert "Authorization" not in second_token.headers
    assert first.headers["Authorization"] == "Bearer token-1"
    assert second.headers["Authorization"] == "Bearer token-2"
    assert first.headers["Content-Type"] == "application/json"


async def test_default_app_lifetime_without_expires_in(session: aiohttp.ClientSession) -> None:
    fake = FakeApi(token_info={"access_token": "t", "expires_in": "soon"})
    fake.on("GET", "/api/v1/project", ok({"id": "p"}))
    clock = FakeClock()
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        use_clock(api, clock)
        await api.get_project()
        clock.advance(86400 - 301)
        await api.get_project()
        assert len(fake.requests("/api/v1/access_token")) == 1
        clock.advance(2)
        await api.get_project()
        assert len(fake.requests("/api/v1/access_token")) == 2


@pytest.mark.parametrize("info", [None, {}, {"access_token": ""}, {"access_token": 5}, "token"])
async def test_token_answer_without_a_token(session: aiohttp.ClientSession, info: object) -> None:
    fake = FakeApi()
    fake.on("POST", "/api/v1/access_token", ok(info))
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudApiError, match="no access token"):
            await api.get_project()
    assert fake.requests("/api/v1/project") == []


async def test_customer_auth_failure_with_errcode_401_is_not_a_token_problem(
    session: aiohttp.ClientSession,
) -> None:
    fake = FakeApi()
    fake.on(
        "POST",
        "/api/v1/customer_auth",
        (200, {"result": False, "errcode": 401, "message": "wrong password"}, {}),
    )
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudApiError) as err:
            await api.customer_auth("alice", "bad")

    assert err.value.errcode == 401
    assert len(fake.requests("/api/v1/access_token")) == 1
    assert len(fake.requests("/api/v1/customer_auth")) == 1
