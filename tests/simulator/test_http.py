"""Global answer shapes: unknown paths, invalid JSON, unknown ids, path decoding, the log."""

import pytest

from simulator.routes import API_PREFIX, ROUTES, Route
from simulator.state import Device, SimulatorState

from .conftest import Api

REQUEST_INVALID = {"message": "Request invalid"}
INVALID_JSON = {"result": False, "message": "Invalid JSON message", "errcode": 400}

BODY_ROUTES = [r for r in ROUTES if r.method in {"POST", "PUT"}]
DEVICE_ROUTES = [r for r in ROUTES if "{device_id}" in r.path]
CUSTOMER_ROUTES = [r for r in ROUTES if "{customer_id}" in r.path]


def _path(route: Route, **params: str) -> str:
    path = route.path
    defaults = {"device_id": "dev-living-th", "customer_id": "cust-alice"}
    defaults |= {"device_type_id": "dt-th-sensor", "identifier": "temperature"}
    for name, value in (defaults | params).items():
        path = path.replace("{" + name + "}", value)
    return path


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/nothing"),
        ("GET", "/api/v1/devices/"),
        ("GET", "/api/v2/project"),
        ("GET", "/"),
        ("POST", "/api/v1/project"),
        ("GET", "/api/v1/device"),
        ("PATCH", "/api/v1/device/dev-living-th"),
        ("GET", "/api/v1/device/dev-living-th/nothing"),
    ],
)
async def test_unknown_paths_and_methods(
    api: Api, state: SimulatorState, method: str, path: str
) -> None:
    reply = await api.request(method, path, base=api.running.url)
    assert (reply.status, reply.data) == (404, REQUEST_INVALID)
    assert reply.headers["Content-Type"].startswith("application/json")
    assert state.count("not_found") == 1
    assert state.requests()[-1].route is None
    assert state.requests()[-1].status == 404


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.name)
@pytest.mark.parametrize(
    "body", ["{bad", "", "\xff", pytest.param("[" * 200_000, id="deeply-nested")]
)
async def test_invalid_json_body(api: Api, state: SimulatorState, route: Route, body: str) -> None:
    data = body.encode("latin-1")
    reply = await api.request(route.method, _path(route), data=data)
    assert (reply.status, reply.data) == (404, INVALID_JSON)
    entry = state.requests(route.name)[-1]
    assert entry.json is None
    assert entry.status == 404


@pytest.mark.parametrize("route", BODY_ROUTES, ids=lambda r: r.name)
async def test_body_must_be_an_object(api: Api, route: Route) -> None:
    data = await api.failure(route.method, _path(route), json=[1, 2])
    assert data["errcode"] == 400


@pytest.mark.parametrize("route", DEVICE_ROUTES, ids=lambda r: r.name)
async def test_unknown_device(api: Api, state: SimulatorState, route: Route) -> None:
    before = len(state.devices)
    body: dict[str, str] | None = {} if route.method in {"POST", "PUT"} else None
    data = await api.failure(route.method, _path(route, device_id="no-such-device"), json=body)
    assert (data["errcode"], data["message"]) == (404, "device not found")
    assert len(state.devices) == before


@pytest.mark.parametrize("route", CUSTOMER_ROUTES, ids=lambda r: r.name)
async def test_unknown_customer(api: Api, route: Route) -> None:
    body: dict[str, str] | None = {} if route.method in {"POST", "PUT"} else None
    data = await api.failure(route.method, _path(route, customer_id="no-such"), json=body)
    assert (data["errcode"], data["message"]) == (404, "customer not found")


async def test_unknown_device_type(api: Api) -> None:
    data = await api.failure("GET", "/device_type/nope/extend_infos")
    assert (data["errcode"], data["message"]) == (404, "device type not found")


@pytest.mark.parametrize(
    ("device_id", "raw"),
    [("a/b", "a%2Fb"), ("中文 设备", "%E4%B8%AD%E6%96%87%20%E8%AE%BE%E5%A4%87"), ("a?b", "a%3Fb")],
)
async def test_path_params_are_single_decoded_segments(
    api: Api, state: SimulatorState, device_id: str, raw: str
) -> None:
    state.add_device(Device(device_id, "odd"))
    async with api.session.get(
        api.running.url + f"/api/v1/device/{raw}/attributes_raw",
        headers={"Authorization": f"Bearer {await api.login()}"},
    ) as response:
        assert response.status == 200
        assert (await response.json())["result"] is True
    entry = state.requests("attributes_raw")[-1]
    assert entry.raw_path == f"/api/v1/device/{raw}/attributes_raw"
    assert entry.path == f"/api/v1/device/{device_id}/attributes_raw"


async def test_log_records_requests(api: Api, state: SimulatorState) -> None:
    await api.login()
    state.clear_log()
    await api.info("GET", "/devices", params={"page": "1", "type": "dt-th-sensor"})
    await api.info("PUT", "/device/dev-living-th/tags", json={"tags": {"a": "b"}})
    first, second = state.requests()
    assert (first.method, first.route, first.query, first.json, first.status) == (
        "GET",
        "devices",
        {"page": "1", "type": "dt-th-sensor"},
        None,
        200,
    )
    assert (second.method, second.route, second.json) == (
        "PUT",
        "device_tags_put",
        {"tags": {"a": "b"}},
    )
    assert second.path == API_PREFIX + "/device/dev-living-th/tags"
    assert state.request_counts() == {"devices": 1, "device_tags_put": 1}
    assert state.count("devices") == 1
    assert state.count("project") == 0
    assert [e.route for e in state.requests("devices")] == ["devices"]
    state.clear_log()
    assert state.requests() == []
    assert state.request_counts() == {}


async def test_log_is_bounded_but_counts_are_not(api: Api) -> None:
    small = SimulatorState(
        api.running.state.project, app_id="a", access_key="b", secret_key="c", log_limit=3
    )
    for index in range(5):
        small.record_request(
            "GET", f"/{index}", raw_path=f"/{index}", route="project", query={}, body=None
        )
    assert [e.path for e in small.requests()] == ["/2", "/3", "/4"]
    assert small.request_counts() == {"project": 5}


async def test_every_route_answers(api: Api, state: SimulatorState) -> None:
    """One successful request of each of the 42 routes; the counts name every route."""
    assert len(ROUTES) == 42
    admin_token = await api.admin_login()
    state.clear_log()
    bodies: dict[str, object] = {
        "access_token": {
            "app_id": "demo-app",
            "access_key": "demo-access-key",
            "secret_key": "demo-secret-key",
        },
        "admin_login": {"app_id": "demo-app", "account": "admin", "password": "demo-password"},
        "device_info_put": {"descr": "x"},
        "device_tags_put": {"tags": {"k": "v"}},
        "device_tags_remove": {"keys": ["k"]},
        "device_groups_put": {"groups": ["grp-home"]},
        "device_create": {"name": "New"},
        "device_standard_infos_post": {"info_type": "location", "value": {"address": "x"}},
        "device_extend_infos_post": {"infos": {"ext-th-install": "desk"}},
        "attributes_remove": {"keys": ["pressure"]},
        "control_attributes_post": {"battery": 80},
        "control_attributes_put": {"label": "sofa"},
        "control_command": {"method": "reboot"},
        "control_data_stream": {"type": "text", "msg": "hi"},
        "customer_create": {"name": "N", "account": "new", "password": "pw"},
        "customer_info_put": {"descr": "x"},
        "customer_pwd_put": {"password": "pw2"},
        "customer_tags_put": {"tags": {"k": "v"}},
        "customer_auth": {"account": "bob", "password": "bob-password"},
    }
    # Deleting routes go last so that the others find their resources.
    ordered = sorted(ROUTES, key=lambda r: r.method == "DELETE")
    for route in ordered:
        params = {"device_id": "dev-bedroom-th"} if route.name == "device_delete" else {}
        if route.name == "customer_delete":
            params = {"customer_id": "cust-carol"}
        await api.info(
            route.method,
            _path(route, **params),
            json=bodies.get(route.name),
            auth=route.auth,
            token=admin_token,
        )
    assert state.request_counts() == {route.name: 1 for route in ROUTES}
