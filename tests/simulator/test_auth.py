"""Tokens: issuance, lifetimes, expiry, rejection; the admin-only route."""

from simulator.scenarios import DEMO_ACCESS_KEY, DEMO_APP_ID, DEMO_PASSWORD, DEMO_SECRET_KEY
from simulator.state import SimulatorState

from .conftest import Api, FakeClock

UNAUTHORIZED = {"result": False, "errcode": 401, "message": "Invalid access token"}


async def test_app_token_has_a_one_day_lifetime(api: Api) -> None:
    info = await api.info(
        "POST",
        "/access_token",
        json={"app_id": DEMO_APP_ID, "access_key": DEMO_ACCESS_KEY, "secret_key": DEMO_SECRET_KEY},
        auth=False,
    )
    assert set(info) == {"access_token", "expires_in"}
    assert info["expires_in"] == 86400
    assert isinstance(info["access_token"], str)
    assert info["access_token"]


async def test_admin_token_has_no_expires_in(api: Api) -> None:
    info = await api.info(
        "POST",
        "/admin_login",
        json={"app_id": DEMO_APP_ID, "account": "admin", "password": DEMO_PASSWORD},
        auth=False,
    )
    assert set(info) == {"access_token"}


async def test_wrong_app_credentials(api: Api) -> None:
    body = {"app_id": DEMO_APP_ID, "access_key": DEMO_ACCESS_KEY, "secret_key": "wrong"}
    data = await api.failure("POST", "/access_token", json=body, auth=False)
    assert data["errcode"] == 401
    assert data["errors"] == []


async def test_missing_credential_fields_are_named(api: Api) -> None:
    data = await api.failure("POST", "/access_token", json={"app_id": DEMO_APP_ID}, auth=False)
    assert data["errcode"] == 400
    assert data["errors"] == [{"field": "access_key", "message": "required"}]


async def test_wrong_admin_password_or_app(api: Api) -> None:
    for body in (
        {"app_id": DEMO_APP_ID, "account": "admin", "password": "nope"},
        {"app_id": "other", "account": "admin", "password": DEMO_PASSWORD},
        {"app_id": DEMO_APP_ID, "account": "nobody", "password": DEMO_PASSWORD},
    ):
        data = await api.failure("POST", "/admin_login", json=body, auth=False)
        assert data["errcode"] == 401


async def test_requests_without_a_valid_token_get_401(api: Api) -> None:
    reply = await api.request("GET", "/project", auth=False)
    assert (reply.status, reply.data) == (401, UNAUTHORIZED)
    reply = await api.request("GET", "/project", token="not-a-token")
    assert (reply.status, reply.data) == (401, UNAUTHORIZED)
    token = await api.login()
    async with api.session.get(
        api.running.api_url + "/project", headers={"Authorization": f"Token {token}"}
    ) as response:
        assert response.status == 401
    async with api.session.get(
        api.running.api_url + "/project", headers={"Authorization": f"bearer {token}"}
    ) as response:
        assert response.status == 200


async def test_app_token_expires_after_its_lifetime(api: Api, clock: FakeClock) -> None:
    token = await api.login()
    clock.advance(86399)
    assert (await api.request("GET", "/project", token=token)).status == 200
    clock.advance(1)
    reply = await api.request("GET", "/project", token=token)
    assert (reply.status, reply.data) == (401, UNAUTHORIZED)


async def test_admin_token_lasts_seven_days(api: Api, clock: FakeClock) -> None:
    token = await api.admin_login()
    clock.advance(6 * 86400)
    assert (await api.request("GET", "/admin", token=token)).status == 200
    clock.advance(86400)
    assert (await api.request("GET", "/admin", token=token)).status == 401


async def test_lifetimes_are_configurable(
    api: Api, state: SimulatorState, clock: FakeClock
) -> None:
    state.app_token_lifetime = 10
    state.admin_token_lifetime = 20
    token = await api.login()
    reply = await api.request(
        "POST",
        "/access_token",
        json={"app_id": DEMO_APP_ID, "access_key": DEMO_ACCESS_KEY, "secret_key": DEMO_SECRET_KEY},
        auth=False,
    )
    assert reply.data["info"]["expires_in"] == 10
    admin_token = await api.admin_login()
    clock.advance(10)
    assert (await api.request("GET", "/project", token=token)).status == 401
    assert (await api.request("GET", "/project", token=admin_token)).status == 200
    clock.advance(10)
    assert (await api.request("GET", "/project", token=admin_token)).status == 401


async def test_expire_tokens_invalidates_all_issued_tokens(api: Api, state: SimulatorState) -> None:
    old = await api.login()
    assert state.expire_tokens() == 1
    assert (await api.request("GET", "/project", token=old)).status == 401
    new = await api.login()
    assert (await api.request("GET", "/project", token=new)).status == 200


async def test_admin_route_needs_an_admin_token(api: Api) -> None:
    data = await api.failure("GET", "/admin")
    assert data["errcode"] == 400
    info = await api.info("GET", "/admin", token=await api.admin_login())
    assert info == {
        "id": "admin-0001",
        "account": "admin",
        "name": "管理员 Admin",
        "email": "admin@example.com",
        "tags": {"role": "owner"},
    }


async def test_admin_token_works_for_every_other_route(api: Api) -> None:
    info = await api.info("GET", "/project", token=await api.admin_login())
    assert info["id"] == "proj-demo"


async def test_customer_auth(api: Api) -> None:
    info = await api.info(
        "POST", "/customer_auth", json={"account": "alice", "password": "alice-password"}
    )
    assert info == {"id": "cust-alice", "name": "张三 Alice"}
    data = await api.failure(
        "POST", "/customer_auth", json={"account": "alice", "password": "wrong"}
    )
    assert data["errcode"] == 400
    data = await api.failure("POST", "/customer_auth", json={"account": "nobody", "password": "x"})
    assert data["message"] == "Invalid account or password"
    reply = await api.request(
        "POST", "/customer_auth", json={"account": "alice", "password": "x"}, auth=False
    )
    assert reply.status == 401
