"""Attributes, history and the control endpoints acting as a device would."""

from typing import Any

import pytest

from simulator import state as state_module
from simulator.state import AttributeModel, SeriesPoint, SimulatorState

from .conftest import Api, FakeClock

DAY_MS = 86_400_000


async def test_attributes_carry_their_models(api: Api, state: SimulatorState) -> None:
    items = await api.info("GET", "/device/dev-thermostat/attributes")
    by_id = {i["identifier"]: i for i in items}
    target = by_id["target_temperature"]
    assert target == {
        "identifier": "target_temperature",
        "value": 23.5,
        "attr_type": "share",
        "data_type": "number",
        "ts": state.devices["dev-thermostat"].attributes["target_temperature"].ts,
        "model": {
            "name": "目标温度 Target temperature",
            "attr_type": "share",
            "data_type": "number",
            "data_options": {"unit": "摄氏度", "min": 5, "max": 35, "step": 0.5, "precision": 1},
        },
    }
    assert by_id["mode"]["model"]["data_options"]["items"]["heat"] == "制热 Heat"
    assert by_id["fan_speed"]["model"]["data_options"]["items"][0] == {
        "value": 0,
        "label": "自动 Auto",
    }


async def test_attribute_without_model_is_value_only(api: Api) -> None:
    items = await api.info("GET", "/device/dev-gateway/attributes")
    by_id = {i["identifier"]: i for i in items}
    assert set(by_id["uptime"]) == {"identifier", "value", "ts"}
    assert by_id["last_boot"]["model"]["data_type"] == "datetime"
    assert by_id["location"]["value"] == {"lng": 121.4737, "lat": 31.2304}
    assert by_id["ip_addresses"]["data_type"] == "array"


async def test_attributes_raw(api: Api) -> None:
    assert await api.info("GET", "/device/dev-living-th/attributes_raw") == {
        "temperature": 23.6,
        "humidity": 48.2,
        "pressure": 101.32,
        "battery": 87,
    }
    assert await api.info("GET", "/device/dev-spare-plug/attributes_raw") == {}


async def test_series_newest_first_and_paged(api: Api, state: SimulatorState) -> None:
    points = await api.info("GET", "/device/dev-living-th/attribute/temperature/series")
    assert len(points) == 20
    assert set(points[0]) == {"ts", "name", "value", "type"}
    assert points[0]["value"] == 23.6
    assert (points[0]["name"], points[0]["type"]) == ("temperature", "report")
    times = [p["ts"] for p in points]
    assert times == sorted(times, reverse=True)
    assert len(set(times)) == 20
    second = await api.info(
        "GET",
        "/device/dev-living-th/attribute/temperature/series",
        params={"page": "2", "page_records": "10"},
    )
    assert [p["ts"] for p in second] == times[10:20]
    everything = await api.info(
        "GET", "/device/dev-living-th/attribute/temperature/series", params={"page_records": "100"}
    )
    assert len(everything) == 49  # 48 seeded points and the current value
    last = await api.info(
        "GET",
        "/device/dev-living-th/attribute/temperature/series",
        params={"page": "3", "page_records": "20"},
    )
    assert len(last) == 9
    assert await api.info("GET", "/device/dev-living-th/attribute/nothing/series") == []


async def test_series_time_range(api: Api, state: SimulatorState) -> None:
    points = state.series[("dev-living-th", "humidity")]
    start, end = points[10].ts, points[20].ts
    found = await api.info(
        "GET",
        "/device/dev-living-th/attribute/humidity/series",
        params={"start_time": str(start), "end_time": str(end), "page_records": "100"},
    )
    assert [p["ts"] for p in found] == [p.ts for p in reversed(points[10:21])]
    # A range applies only with both ends; otherwise the newest points.
    newest = [p.ts for p in reversed(points[-20:])]
    for params in ({"start_time": str(points[-3].ts)}, {"end_time": str(points[1].ts)}):
        found = await api.info(
            "GET", "/device/dev-living-th/attribute/humidity/series", params=params
        )
        assert [p["ts"] for p in found] == newest


async def test_series_of_a_long_history(
    api: Api, state: SimulatorState, monkeypatch: pytest.MonkeyPatch
) -> None:
    points = state.series[("dev-plug-tv", "energy")]
    assert len(points) > 10_000
    lookups = 0
    original = state_module._point_ts

    def counting(point: SeriesPoint) -> int:
        nonlocal lookups
        lookups += 1
        return original(point)

    monkeypatch.setattr(state_module, "_point_ts", counting)
    start, end = points[5000].ts, points[5000].ts + 2 * DAY_MS
    path = "/device/dev-plug-tv/attribute/energy/series"
    query = {"start_time": str(start), "end_time": str(end), "page_records": "100"}
    pages = [
        await api.info("GET", path, params={**query, "page": str(page)}) for page in range(1, 8)
    ]
    inside = [p for p in points if start <= p.ts <= end]
    assert [len(page) for page in pages] == [100, 100, 100, 100, 100, 77, 0]
    assert [p["ts"] for page in pages for p in page] == [p.ts for p in reversed(inside)]
    assert lookups < 7 * 2 * 20  # two bisections per page, no scan of 10,000 points
    newest = await api.info("GET", path, params={"page": "3", "page_records": "7"})
    assert [p["ts"] for p in newest] == [p.ts for p in reversed(points[-21:-14])]
    assert await api.info("GET", path, params={"page": "2000", "page_records": "100"}) == []


@pytest.mark.parametrize(
    "params",
    [
        {"page_records": "0"},
        {"page_records": "101"},
        {"page_records": "ten"},
        {"page": "0"},
        {"page": "-1"},
        {"start_time": "yesterday"},
        {"end_time": "1.5"},
        {"start_time": "0", "end_time": str(30 * DAY_MS + 1)},
        {"start_time": "2000", "end_time": "1000"},
    ],
)
async def test_series_rejects_bad_queries(api: Api, params: dict[str, str]) -> None:
    data = await api.failure(
        "GET", "/device/dev-living-th/attribute/temperature/series", params=params
    )
    assert data["errcode"] == 400


async def test_series_accepts_exactly_thirty_days(api: Api) -> None:
    found = await api.info(
        "GET",
        "/device/dev-living-th/attribute/temperature/series",
        params={"start_time": "0", "end_time": str(30 * DAY_MS)},
    )
    assert found == []


async def test_attributes_remove(api: Api, state: SimulatorState) -> None:
    await api.info(
        "POST", "/device/dev-living-th/attributes_remove", json={"keys": ["pressure", "x"]}
    )
    raw = await api.info("GET", "/device/dev-living-th/attributes_raw")
    assert "pressure" not in raw
    assert ("dev-living-th", "pressure") not in state.series
    await api.failure("POST", "/device/dev-living-th/attributes_remove", json={"keys": [1]})


async def test_push_acts_as_the_device(api: Api, state: SimulatorState, clock: FakeClock) -> None:
    device = state.devices["dev-thermostat"]
    before_active = dict(device.active)
    clock.advance(5)
    await api.info(
        "POST",
        "/control/device/dev-thermostat/attributes",
        json={"target_temperature": 25.5, "mode": "cool", "fan_speed": 2},
    )
    raw = await api.info("GET", "/device/dev-thermostat/attributes_raw")
    assert (raw["target_temperature"], raw["mode"], raw["fan_speed"]) == (25.5, "cool", 2)
    now_ms = int(clock() * 1000)
    assert device.active["attributes"] == now_ms > before_active["attributes"]
    assert device.active["online"] == before_active["online"]
    attrs = {i["identifier"]: i for i in await api.info("GET", "/device/dev-thermostat/attributes")}
    assert attrs["target_temperature"]["ts"] == now_ms
    series = await api.info("GET", "/device/dev-thermostat/attribute/target_temperature/series")
    assert (series[0]["ts"], series[0]["value"], series[0]["type"]) == (now_ms, 25.5, "report")
    [write] = state.writes["dev-thermostat"]
    assert (write.kind, write.applied, write.attributes["mode"]) == ("device", True, "cool")


async def test_push_to_a_new_identifier_creates_it(api: Api) -> None:
    await api.info("POST", "/control/device/dev-lobby-led/attributes", json={"extra": [1, 2]})
    items = {i["identifier"]: i for i in await api.info("GET", "/device/dev-lobby-led/attributes")}
    assert items["extra"]["value"] == [1, 2]
    assert "model" not in items["extra"]


async def test_push_to_an_offline_device_is_recorded_but_not_applied(
    api: Api, state: SimulatorState
) -> None:
    device = state.devices["dev-bedroom-th"]
    before = dict(device.active)
    await api.info("POST", "/control/device/dev-bedroom-th/attributes", json={"battery": 90})
    assert device.attributes["battery"].value == 12
    assert device.active == before
    [write] = state.writes["dev-bedroom-th"]
    assert write.applied is False


async def test_cloud_write_changes_the_value_but_not_active(
    api: Api, state: SimulatorState, clock: FakeClock
) -> None:
    device = state.devices["dev-thermostat"]
    before = dict(device.active)
    clock.advance(5)
    await api.info(
        "PUT", "/control/device/dev-thermostat/attributes", json={"eco": True, "away_mode": True}
    )
    raw = await api.info("GET", "/device/dev-thermostat/attributes_raw")
    assert (raw["eco"], raw["away_mode"]) == (True, True)
    assert device.active == before
    series = await api.info("GET", "/device/dev-thermostat/attribute/eco/series")
    assert (series[0]["value"], series[0]["type"]) == (True, "cloud")
    # Cloud attributes can be written while the device is offline.
    await api.info("PUT", "/control/device/dev-bedroom-th/attributes", json={"label": "x"})
    assert state.devices["dev-bedroom-th"].attributes["label"].value == "x"
    assert [w.kind for w in state.writes["dev-thermostat"]] == ["cloud"]


@pytest.mark.parametrize(
    ("method", "body", "field"),
    [
        ("POST", {"target_temperature": "25"}, "target_temperature"),
        ("POST", {"target_temperature": 40}, "target_temperature"),
        ("POST", {"target_temperature": 1}, "target_temperature"),
        ("POST", {"target_temperature": True}, "target_temperature"),
        ("POST", {"mode": "dry"}, "mode"),
        ("POST", {"fan_speed": 7}, "fan_speed"),
        ("PUT", {"eco": 1}, "eco"),
        ("PUT", {"current_temperature": 20}, "current_temperature"),
    ],
)
async def test_writes_are_validated_against_the_model(
    api: Api, state: SimulatorState, method: str, body: dict[str, Any], field: str
) -> None:
    before = {k: v.value for k, v in state.devices["dev-thermostat"].attributes.items()}
    data = await api.failure(method, "/control/device/dev-thermostat/attributes", json=body)
    assert data["errcode"] == 400
    assert data["errors"][0]["field"] == field
    after = {k: v.value for k, v in state.devices["dev-thermostat"].attributes.items()}
    assert after == before
    assert not state.writes["dev-thermostat"]


async def test_other_value_checks(api: Api) -> None:
    await api.failure("POST", "/control/device/dev-lobby-led/attributes", json={"display_text": 5})
    await api.failure("POST", "/control/device/dev-plug-tv/attributes", json={"relay": "on"})
    await api.failure("POST", "/control/device/dev-plug-tv/attributes", json={})
    # Enum items given as a mapping accept their keys; a list accepts the values.
    await api.info("POST", "/control/device/dev-thermostat/attributes", json={"mode": "auto"})
    await api.info("POST", "/control/device/dev-thermostat/attributes", json={"fan_speed": 3})
    await api.info("POST", "/control/device/dev-plug-tv/attributes", json={"child_lock": True})
    await api.info("POST", "/control/device/dev-gateway/attributes", json={"config": {"a": 1}})


async def test_validation_can_be_switched_off(api: Api, state: SimulatorState) -> None:
    state.validate_writes = False
    await api.info("PUT", "/control/device/dev-thermostat/attributes", json={"mode": "dry"})
    assert state.devices["dev-thermostat"].attributes["mode"].value == "dry"


async def test_commands_are_recorded(api: Api, state: SimulatorState, clock: FakeClock) -> None:
    await api.info(
        "POST",
        "/control/device/dev-plug-tv/command",
        json={"method": "reboot", "params": {"delay": 5}, "id": 42},
    )
    await api.info("POST", "/control/device/dev-bedroom-th/command", json={"method": "ping"})
    [command] = state.commands["dev-plug-tv"]
    assert (command.method, command.params, command.id) == ("reboot", {"delay": 5}, 42)
    assert command.ts == int(clock() * 1000)
    assert state.devices["dev-plug-tv"].active["command"] == command.ts
    [ping] = state.commands["dev-bedroom-th"]
    assert (ping.params, ping.id) == ({}, None)
    assert "command" not in state.devices["dev-bedroom-th"].active
    for body in (
        {},
        {"method": ""},
        {"method": "x", "params": []},
        {"method": "x", "id": "1"},
        {"method": "x", "id": True},
    ):
        data = await api.failure("POST", "/control/device/dev-plug-tv/command", json=body)
        assert data["errcode"] == 400
    assert len(state.commands["dev-plug-tv"]) == 1


@pytest.mark.parametrize(
    ("body", "push_mode", "message"),
    [
        ({"type": "hex", "msg": "01 03 01 FF 00 0C 74 03"}, None, "01 03 01 FF 00 0C 74 03"),
        ({"type": "text", "msg": "t:45,u=31"}, "tcp", "t:45,u=31"),
        ({"type": "json", "msg": {"command": "openLock"}}, "mqtt", {"command": "openLock"}),
        ({"type": "text", "message": "via message"}, None, "via message"),
        ({"type": "json", "message": [1, 2]}, None, [1, 2]),
    ],
)
async def test_data_streams_are_recorded(
    api: Api, state: SimulatorState, body: dict[str, Any], push_mode: str | None, message: Any
) -> None:
    params = {"push_mode": push_mode} if push_mode else None
    await api.info(
        "POST", "/control/device/dev-lobby-led/data/stream/set", json=body, params=params
    )
    [record] = state.data_streams["dev-lobby-led"]
    assert (record.identifier, record.type, record.message) == ("stream", body["type"], message)
    assert record.push_mode == (push_mode or "mqtt")


@pytest.mark.parametrize(
    ("body", "params"),
    [
        ({"type": "hex", "msg": "0G"}, None),
        ({"type": "hex", "msg": "123"}, None),
        ({"type": "hex", "msg": 12}, None),
        ({"type": "text", "msg": {"a": 1}}, None),
        ({"type": "json", "msg": "{}"}, None),
        ({"type": "binary", "msg": "x"}, None),
        ({"msg": "x"}, None),
        ({"type": "text"}, None),
        ({"type": "text", "msg": "x"}, {"push_mode": "http"}),
    ],
)
async def test_data_stream_rejects_bad_messages(
    api: Api, state: SimulatorState, body: dict[str, Any], params: dict[str, str] | None
) -> None:
    data = await api.failure(
        "POST", "/control/device/dev-lobby-led/data/stream/set", json=body, params=params
    )
    assert data["errcode"] == 400
    assert not state.data_streams["dev-lobby-led"]


async def test_enum_without_items_accepts_anything(api: Api, state: SimulatorState) -> None:

    models = state.device_types["dt-led-sign"].models
    models["effect"] = AttributeModel("effect", "Effect", "push", "enum")
    await api.info("POST", "/control/device/dev-lobby-led/attributes", json={"effect": "rainbow"})
    assert state.devices["dev-lobby-led"].attributes["effect"].value == "rainbow"


async def test_pushes_and_cloud_writes_views(api: Api, state: SimulatorState) -> None:
    await api.info("POST", "/control/device/dev-plug-tv/attributes", json={"relay": False})
    await api.info("PUT", "/control/device/dev-thermostat/attributes", json={"eco": True})
    assert {k: [w.attributes for w in v] for k, v in state.pushes.items()} == {
        "dev-plug-tv": [{"relay": False}]
    }
    assert {k: [w.attributes for w in v] for k, v in state.cloud_writes.items()} == {
        "dev-thermostat": [{"eco": True}]
    }
