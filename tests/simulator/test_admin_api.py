"""The simulator's own admin HTTP API under /_sim/."""

import pytest

from simulator.state import SimulatorState

from .conftest import Api, FakeClock


async def test_faults_over_http(api: Api, state: SimulatorState) -> None:
    reply = await api.sim(
        "POST",
        "/faults",
        json={"kind": "result_false", "endpoint": "project", "count": 1, "errcode": 9},
    )
    assert reply.status == 200
    assert reply.data["fault"] == {
        "id": 1,
        "kind": "result_false",
        "endpoint": "project",
        "count": 1,
        "params": {"errcode": 9},
        "applied": 0,
    }
    await api.sim("POST", "/faults", json={"kind": "latency", "ms": 1})
    listed = (await api.sim("GET", "/faults")).data["faults"]
    assert [f["kind"] for f in listed] == ["result_false", "latency"]
    assert (await api.failure("GET", "/project"))["errcode"] == 9
    assert [f.kind for f in state.faults.active] == ["latency"]
    await api.sim("POST", "/faults", json={"kind": "http_error", "endpoint": "devices"})
    reply = await api.sim("DELETE", "/faults", params={"kind": "latency"})
    assert reply.data == {"removed": 1}
    reply = await api.sim("DELETE", "/faults")
    assert reply.data == {"removed": 1}
    assert not state.faults


async def test_fault_errors_over_http(api: Api) -> None:
    for body, message in (
        ({"kind": "explode"}, "unknown fault kind"),
        ({}, "kind is required"),
        ({"kind": "latency", "endpoint": 3}, "endpoint must be a route name"),
        ({"kind": "latency", "endpoint": "nope"}, "unknown endpoint"),
        ({"kind": "latency", "count": -1}, "count"),
        ([1], "JSON object"),
    ):
        reply = await api.sim("POST", "/faults", json=body)
        assert reply.status == 400
        assert message in reply.data["error"]
    reply = await api.sim("POST", "/faults", data=b"{bad")
    assert reply.status == 400


@pytest.mark.parametrize(
    "path",
    ["/faults", "/tick", "/rate_limit", "/devices/dev-living-th/report"],
)
@pytest.mark.parametrize(
    "data", [pytest.param(b"{bad", id="bad"), pytest.param(b"[" * 200_000, id="deeply-nested")]
)
async def test_bodies_that_are_not_json(api: Api, path: str, data: bytes) -> None:
    reply = await api.sim("POST", path, data=data)
    assert (reply.status, reply.data) == (400, {"error": "the body must be a JSON object"})


async def test_ticks_go_on_after_a_huge_integer_report(api: Api, state: SimulatorState) -> None:
    huge = 10**400
    reply = await api.sim("POST", "/devices/dev-living-th/report", json={"temperature": huge})
    assert reply.status == 200
    reply = await api.sim("POST", "/tick", json={"count": 3})
    assert reply.status == 200
    assert reply.data["ticks"] == 3
    assert state.devices["dev-living-th"].attributes["temperature"].value == huge


async def test_tick_over_http(api: Api, state: SimulatorState, clock: FakeClock) -> None:
    before = state.devices["dev-living-th"].active["attributes"]
    clock.advance(10)
    reply = await api.sim("POST", "/tick")
    assert reply.data == {
        "changed": ["dev-living-th", "dev-office-aq", "dev-plug-tv", "dev-thermostat"],
        "ticks": 1,
    }
    assert state.devices["dev-living-th"].active["attributes"] == int(clock() * 1000) > before
    reply = await api.sim("POST", "/tick", json={"count": 2})
    assert reply.data["ticks"] == 3
    assert len(reply.data["changed"]) == 8
    for body in ({"count": 0}, {"count": "2"}, {"count": True}, [1]):
        assert (await api.sim("POST", "/tick", json=body)).status == 400


async def test_log_and_counts_over_http(api: Api, state: SimulatorState) -> None:
    await api.login()
    await api.info("GET", "/project")
    await api.info("GET", "/project")
    await api.request("GET", "/nothing")
    counts = (await api.sim("GET", "/counts")).data["counts"]
    assert counts == {"access_token": 1, "project": 2, "not_found": 1}
    entries = (await api.sim("GET", "/log")).data["entries"]
    assert [e["route"] for e in entries] == ["access_token", "project", "project", None]
    assert entries[1]["status"] == 200
    assert entries[0]["json"]["app_id"] == "demo-app"
    assert set(entries[1]) == {
        "time",
        "method",
        "path",
        "raw_path",
        "route",
        "query",
        "json",
        "status",
    }
    only = (await api.sim("GET", "/log", params={"route": "project", "limit": "1"})).data
    assert len(only["entries"]) == 1
    assert (await api.sim("GET", "/log", params={"limit": "0"})).data == {"entries": []}
    assert (await api.sim("GET", "/log", params={"limit": "x"})).status == 400
    assert (await api.sim("DELETE", "/log")).data == {"cleared": True}
    assert (await api.sim("GET", "/counts")).data == {"counts": {}}
    # The admin API itself is not logged.
    assert state.request_counts() == {}


async def test_state_dump(api: Api, state: SimulatorState) -> None:
    await api.info("POST", "/control/device/dev-plug-tv/command", json={"method": "reboot"})
    state.faults.set("latency", ms=0)
    data = (await api.sim("GET", "/state")).data
    assert data["project"]["id"] == "proj-demo"
    assert data["devices_stat"]["device_total"] == 9
    assert len(data["devices"]) == 9
    living = data["devices"][0]
    assert living["id"] == "dev-living-th"
    assert living["attributes"]["temperature"] == 23.6
    assert data["customers"] == ["cust-alice", "cust-bob", "cust-carol"]
    assert data["tokens"] == 1
    assert data["faults"][0]["kind"] == "latency"
    assert data["counts"]["control_command"] == 1
    assert data["control"]["commands"]["dev-plug-tv"][0]["method"] == "reboot"
    control = (await api.sim("GET", "/control")).data
    assert control["commands"]["dev-plug-tv"][0]["params"] == {}


async def test_control_dump(api: Api) -> None:
    await api.info(
        "POST", "/control/device/dev-lobby-led/data/led/set", json={"type": "text", "msg": "hi"}
    )
    await api.info("PUT", "/control/device/dev-lobby-led/attributes", json={"note": "n"})
    control = (await api.sim("GET", "/control")).data
    assert control["data_streams"]["dev-lobby-led"][0]["identifier"] == "led"
    assert control["data_streams"]["dev-lobby-led"][0]["push_mode"] == "mqtt"
    assert control["writes"]["dev-lobby-led"][0]["attributes"] == {"note": "n"}
    assert control["writes"]["dev-lobby-led"][0]["kind"] == "cloud"


async def test_expire_tokens_over_http(api: Api) -> None:
    token = await api.login()
    assert (await api.sim("POST", "/tokens/expire")).data == {"expired": 1}
    assert (await api.request("GET", "/project", token=token)).status == 401


async def test_device_actions(api: Api, state: SimulatorState, clock: FakeClock) -> None:
    clock.advance(1)
    reply = await api.sim("POST", "/devices/dev-bedroom-th/online", json={"online": True})
    assert reply.data == {"device": "dev-bedroom-th"}
    assert state.devices["dev-bedroom-th"].online is True
    assert state.devices["dev-bedroom-th"].active["online"] == int(clock() * 1000)

    await api.sim("POST", "/devices/dev-thermostat/alarm", json={"level": 3, "info": {"r": "hot"}})
    assert state.devices["dev-thermostat"].alarm == {
        "alarm_status": 1,
        "alarm_level": 3,
        "alarm_info": {"r": "hot"},
    }
    await api.sim("POST", "/devices/dev-thermostat/alarm", json={"level": None})
    assert state.devices["dev-thermostat"].alarm == {}
    logs = (await api.info("GET", "/device/dev-thermostat/alarm_logs"))["items"]
    assert [(log["alarm_status"], log["alarm_level"]) for log in logs] == [(0, 3), (1, 3)]

    await api.sim("POST", "/devices/dev-living-th/report", json={"temperature": 30.5})
    assert (await api.info("GET", "/device/dev-living-th/attributes_raw"))["temperature"] == 30.5

    for path, body in (
        ("/devices/dev-living-th/online", {"online": "yes"}),
        ("/devices/dev-living-th/alarm", {"level": 5}),
        ("/devices/dev-living-th/alarm", {"level": True}),
        ("/devices/dev-living-th/alarm", {"level": 1, "info": "x"}),
        ("/devices/dev-living-th/report", {}),
        ("/devices/dev-living-th/report", [1]),
    ):
        assert (await api.sim("POST", path, json=body)).status == 400, (path, body)
    reply = await api.sim("POST", "/devices/nope/online", json={"online": True})
    assert (reply.status, reply.data) == (404, {"error": "device not found"})


async def test_unknown_admin_path(api: Api) -> None:
    reply = await api.sim("GET", "/nothing")
    assert (reply.status, reply.data) == (404, {"message": "Request invalid"})
