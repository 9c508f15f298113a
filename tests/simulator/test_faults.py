"""Fault injection through the Python API: every kind, per route or global, counts."""

import asyncio
from collections.abc import Callable
import time

import aiohttp
import pytest

from simulator.faults import FAULT_KINDS, FaultRegistry
from simulator.state import SimulatorState
from simulator.testing import RunningSimulator, start_simulator

from .conftest import Api


async def _until(condition: Callable[[], bool]) -> None:
    """Wait up to 2 s for a condition of the simulator's state."""
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0.02)


async def test_latency_delays_only_its_route(api: Api, state: SimulatorState) -> None:
    await api.login()
    state.faults.set("latency", "project", ms=300)
    started = time.monotonic()
    await api.info("GET", "/devices_stat")
    assert time.monotonic() - started < 0.25
    started = time.monotonic()
    assert (await api.info("GET", "/project"))["id"] == "proj-demo"
    assert time.monotonic() - started >= 0.29


async def test_http_error(api: Api, state: SimulatorState) -> None:
    state.faults.set("http_error", "devices", status=502)
    reply = await api.request("GET", "/devices")
    assert reply.status == 502
    assert reply.headers["Content-Type"].startswith("text/html")
    assert "502 Bad Gateway" in reply.text
    assert reply.data is None
    state.faults.clear()
    state.faults.set("http_error", status=503, body="busy")
    reply = await api.request("GET", "/project", auth=False)
    assert (reply.status, reply.text) == (503, "busy")
    assert state.requests()[-1].status == 503


async def test_default_http_error_is_500(api: Api, state: SimulatorState) -> None:
    state.faults.set("http_error")
    assert (await api.request("GET", "/project", auth=False)).status == 500


async def test_invalid_json(api: Api, state: SimulatorState) -> None:
    state.faults.set("invalid_json", "attributes_raw")
    reply = await api.request("GET", "/device/dev-living-th/attributes_raw")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    assert reply.data is None
    state.faults.set("invalid_json", "project", body="")
    reply = await api.request("GET", "/project")
    assert (reply.status, reply.text) == (200, "")


async def test_result_false(api: Api, state: SimulatorState) -> None:
    state.faults.set("result_false", "device", errcode=10001, message="busy 忙")
    data = await api.failure("GET", "/device/dev-living-th")
    assert data == {"result": False, "errcode": 10001, "message": "busy 忙", "errors": []}
    state.faults.set("result_false", "project")
    data = await api.failure("GET", "/project")
    assert (data["errcode"], data["message"]) == (500, "Simulated failure")


async def test_rate_limit(api: Api, state: SimulatorState) -> None:
    state.faults.set("rate_limit", "devices", retry_after=2.5)
    reply = await api.request("GET", "/devices")
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "3"
    assert reply.data == {
        "result": False,
        "errcode": 429,
        "message": "Too Many Requests",
        "retry_after": 2.5,
    }
    state.faults.set("rate_limit", "project")
    reply = await api.request("GET", "/project")
    assert (reply.headers["Retry-After"], reply.data["retry_after"]) == ("1", 1)


async def test_token_expired_invalidates_tokens_once(api: Api, state: SimulatorState) -> None:
    old = await api.login()
    fault = state.faults.set("token_expired")
    assert fault.count == 1
    # Login routes need no token: the fault waits for a route that does.
    fresh = await api.login()
    assert state.faults.active == [fault]
    reply = await api.request("GET", "/project", token=fresh)
    assert (reply.status, reply.data["errcode"]) == (401, 401)
    assert (await api.request("GET", "/project", token=old)).status == 401
    assert not state.faults
    newest = await api.login()
    assert (await api.request("GET", "/project", token=newest)).status == 200


async def test_token_expired_on_one_route(api: Api, state: SimulatorState) -> None:
    token = await api.login()
    state.faults.set("token_expired", "devices", count=2)
    assert (await api.request("GET", "/project", token=token)).status == 200
    assert (await api.request("GET", "/devices", token=token)).status == 401
    token = await api.login()
    assert (await api.request("GET", "/devices", token=token)).status == 401
    token = await api.login()
    assert (await api.request("GET", "/devices", token=token)).status == 200


async def test_count_applies_n_times_then_clears(api: Api, state: SimulatorState) -> None:
    fault = state.faults.set("result_false", "project", count=2, errcode=7)
    assert (await api.failure("GET", "/project"))["errcode"] == 7
    assert fault.applied == 1
    assert (await api.failure("GET", "/project"))["errcode"] == 7
    assert await api.info("GET", "/project")
    assert state.faults.active == []
    assert fault.applied == 2


async def test_global_faults_hit_every_route(api: Api, state: SimulatorState) -> None:
    token = await api.login()
    state.faults.set("http_error", status=500, count=3)
    assert (await api.request("GET", "/project", token=token)).status == 500
    assert (await api.request("GET", "/devices", token=token)).status == 500
    reply = await api.request("POST", "/access_token", json={}, auth=False)
    assert reply.status == 500
    assert (await api.request("GET", "/project", token=token)).status == 200


async def test_faults_come_before_auth_and_body_checks(api: Api, state: SimulatorState) -> None:
    state.faults.set("result_false", "control_attributes_post", count=1)
    reply = await api.request(
        "POST", "/control/device/dev-plug-tv/attributes", data=b"{bad", auth=False
    )
    assert (reply.status, reply.data["result"]) == (200, False)


async def test_latency_combines_with_other_faults(api: Api, state: SimulatorState) -> None:
    await api.login()
    state.faults.set("latency", ms=200)
    state.faults.set("http_error", "project", status=504)
    started = time.monotonic()
    assert (await api.request("GET", "/project")).status == 504
    assert time.monotonic() - started >= 0.19


async def test_short_hang_then_normal_answer(api: Api, state: SimulatorState) -> None:
    await api.login()
    state.faults.set("hang", "project", seconds=0.3, count=1)
    started = time.monotonic()
    assert (await api.info("GET", "/project"))["id"] == "proj-demo"
    assert time.monotonic() - started >= 0.29


async def test_hang_is_cancelled_when_the_client_gives_up(api: Api, state: SimulatorState) -> None:
    await api.login()
    state.faults.set("hang", "project")  # 60 s
    with pytest.raises(TimeoutError):
        await api.request_with_timeout("GET", "/project", 0.3)
    await _until(lambda: not state._hangs)
    assert not state._hangs
    entry = state.requests("project")[-1]
    assert entry.status is None  # never answered


async def test_close_ends_a_hanging_request_quickly(state: SimulatorState) -> None:
    running = await start_simulator(state)
    state.faults.set("hang", seconds=60)
    async with aiohttp.ClientSession() as session:
        task = asyncio.create_task(session.get(running.api_url + "/project"))
        await _until(lambda: bool(state._hangs))
        assert state._hangs
        started = time.monotonic()
        await running.close()
        assert time.monotonic() - started < 5
        try:
            response = await task
        except aiohttp.ClientError:
            pass
        else:
            assert response.status == 503
            response.release()
    assert not state._hangs


async def test_release_hangs_answers_503(running: RunningSimulator, state: SimulatorState) -> None:
    state.faults.set("hang", "project", seconds=60)
    async with aiohttp.ClientSession() as session:
        task = asyncio.create_task(session.get(running.api_url + "/project"))
        await _until(lambda: bool(state._hangs))
        assert state.release_hangs() == 1
        async with await task as response:
            assert response.status == 503
            assert await response.json() == {"message": "Simulator shutting down"}


@pytest.mark.parametrize(
    ("kind", "endpoint", "count", "params", "error"),
    [
        ("explode", None, None, {}, "unknown fault kind"),
        ("latency", "nope", None, {}, "unknown endpoint"),
        ("latency", None, 0, {}, "count"),
        ("latency", None, True, {}, "count"),
        ("latency", None, None, {"status": 500}, "takes no parameter"),
        ("latency", None, None, {"ms": "100"}, "wrong type"),
        ("latency", None, None, {"ms": True}, "wrong type"),
        ("latency", None, None, {"ms": -1}, "negative"),
        ("http_error", None, None, {"status": 200}, "status"),
        ("rate_limit", None, None, {"retry_after": -2}, "negative"),
    ],
)
def test_invalid_faults_are_refused(
    kind: str, endpoint: str | None, count: object, params: dict[str, object], error: str
) -> None:
    registry = FaultRegistry()
    with pytest.raises(ValueError, match=error):
        registry.set(kind, endpoint, count=count, **params)  # type: ignore[arg-type]
    assert not registry


def test_registry_clear_and_describe() -> None:
    registry = FaultRegistry()
    latency = registry.set("latency", ms=5)
    registry.set("http_error", "project", status=502)
    registry.set("http_error", "devices")
    assert len(registry) == 3
    assert registry.clear("http_error", "project") == 1
    assert [f.endpoint for f in registry.active] == [None, "devices"]
    assert registry.clear(endpoint="devices") == 1
    assert latency.as_dict() == {
        "id": 1,
        "kind": "latency",
        "endpoint": None,
        "count": None,
        "params": {"ms": 5},
        "applied": 0,
    }
    assert registry.take("project") == [latency]
    assert registry.take("access_token", auth=False) == [latency]
    assert registry.clear() == 1
    assert registry.take("project") == []
    assert {
        "latency",
        "http_error",
        "hang",
        "invalid_json",
        "result_false",
        "token_expired",
        "rate_limit",
    } == FAULT_KINDS
