"""Project, device types, groups, devices, extend infos, alarms and customers."""

import aiohttp
import pytest

from simulator.scenarios import CREATED_MS, generated_state
from simulator.state import Device, ExtendInfoDef, SimulatorState
from simulator.testing import start_simulator

from .conftest import Api, FakeClock


async def test_project(api: Api) -> None:
    assert await api.info("GET", "/project") == {
        "id": "proj-demo",
        "name": "Demo Home & Office 演示项目",
        "descr": "家庭与办公室演示 Home and office demo",
        "tags": {"env": "demo"},
    }


async def test_stats_follow_the_devices(api: Api, state: SimulatorState) -> None:
    assert await api.info("GET", "/devices_stat") == {
        "device_total": 9,
        "online_device_total": 7,
        "offline_device_total": 2,
        "active_device_total": 8,
        "inactive_device_total": 1,
        "alarm_device_total": 1,
    }
    assert await api.info("GET", "/devices_alarm_stat") == {
        "device_total": 9,
        "alarm_1_total": 0,
        "alarm_2_total": 1,
        "alarm_3_total": 0,
        "normal_total": 8,
    }
    state.set_alarm("dev-office-aq", 3, {"rule": "co2"})
    state.set_online("dev-bedroom-th", True)
    stat = await api.info("GET", "/devices_stat")
    assert (stat["online_device_total"], stat["alarm_device_total"]) == (8, 2)
    alarm = await api.info("GET", "/devices_alarm_stat")
    assert (alarm["alarm_3_total"], alarm["normal_total"]) == (1, 7)


async def test_device_types(api: Api) -> None:
    items = (await api.info("GET", "/device_types"))["items"]
    assert [t["id"] for t in items] == [
        "dt-th-sensor",
        "dt-smart-plug",
        "dt-air-quality",
        "dt-door-sensor",
        "dt-thermostat",
        "dt-led-sign",
        "dt-gateway",
    ]
    assert items[1] == {
        "id": "dt-smart-plug",
        "name": "智能插座 Smart Plug",
        "descr": "Relay with power metering",
        "tags": {"category": "switch"},
        "create_time": CREATED_MS,
        "device_count": 2,
        "conn_protocol": "mqtt",
        "conn_type": "direct",
    }


async def test_device_type_extend_infos(api: Api) -> None:
    items = (await api.info("GET", "/device_type/dt-th-sensor/extend_infos"))["items"]
    assert [(i["id"], i["is_standard"]) for i in items] == [
        ("std-location", True),
        ("std-contact", True),
        ("ext-th-install", False),
        ("ext-th-calibrated", False),
    ]
    assert set(items[2]) == {
        "id",
        "info_type",
        "name",
        "descr",
        "enabled",
        "options",
        "create_time",
        "update_time",
        "is_standard",
    }


async def test_groups_tree(api: Api) -> None:
    items = (await api.info("GET", "/device_groups_tree"))["items"]
    assert [(g["id"], [c["id"] for c in g["children"]]) for g in items] == [
        ("grp-home", ["grp-living", "grp-bedroom"]),
        ("grp-office", ["grp-lobby"]),
    ]
    assert items[0]["tags"] == {"site": "home"}
    assert items[0]["create_time"] == CREATED_MS


async def test_devices_first_page_and_shape(api: Api) -> None:
    info = await api.info("GET", "/devices")
    assert (info["total"], info["page_total"], len(info["items"])) == (9, 1, 9)
    first = info["items"][0]
    assert set(first) == {
        "id",
        "name",
        "descr",
        "device_key",
        "tags",
        "create_time",
        "alarm",
        "active",
        "online",
        "type",
        "type_info",
    }
    assert first["type_info"] == {
        "id": "dt-th-sensor",
        "name": "温湿度传感器 TH Sensor",
        "conn_type": "direct",
        "conn_protocol": "mqtt",
    }
    by_id = {d["id"]: d for d in info["items"]}
    assert by_id["dev-front-door"]["alarm"]["alarm_status"] == 1
    assert by_id["dev-front-door"]["alarm"]["alarm_level"] == 2
    assert by_id["dev-living-th"]["alarm"] == {}
    assert by_id["dev-bedroom-th"]["online"] is False
    assert by_id["dev-spare-plug"]["active"] == {}
    assert set(by_id["dev-living-th"]["active"]) == {"attributes", "online"}


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ({"type": "dt-th-sensor"}, ["dev-living-th", "dev-bedroom-th"]),
        ({"type": "nope"}, []),
        (
            {"group": "grp-home"},
            [
                "dev-living-th",
                "dev-bedroom-th",
                "dev-plug-tv",
                "dev-front-door",
                "dev-thermostat",
                "dev-gateway",
            ],
        ),
        ({"group": "grp-living"}, ["dev-living-th", "dev-plug-tv", "dev-thermostat"]),
        ({"group": "grp-office"}, ["dev-office-aq", "dev-lobby-led"]),
        ({"group": "grp-home", "type": "dt-smart-plug"}, ["dev-plug-tv"]),
        ({"type": ""}, None),
    ],
)
async def test_device_filters(api: Api, query: dict[str, str], ids: list[str] | None) -> None:
    info = await api.info("GET", "/devices", params=query)
    found = [d["id"] for d in info["items"]]
    if ids is None:
        assert len(found) == 9
    else:
        assert found == ids
        assert info["total"] == len(ids)


async def test_pagination_of_a_large_project(clock: FakeClock) -> None:
    state = generated_state(45, 1, 0.1, now=clock())
    running = await start_simulator(state)
    try:
        async with aiohttp.ClientSession() as session:
            api = Api(session, running)
            info = await api.info("GET", "/devices")
            assert (info["total"], info["page_total"], len(info["items"])) == (45, 3, 20)
            info = await api.info("GET", "/devices", params={"page": "3"})
            assert [d["id"] for d in info["items"]] == [f"gen-{n:05d}" for n in range(41, 46)]
            info = await api.info("GET", "/devices", params={"page": "4"})
            assert (info["items"], info["page_total"]) == ([], 3)
            info = await api.info("GET", "/devices", params={"page_records": "100"})
            assert (len(info["items"]), info["page_total"]) == (45, 1)
            info = await api.info("GET", "/devices", params={"page_records": "7", "page": "2"})
            assert [d["id"] for d in info["items"]] == [f"gen-{n:05d}" for n in range(8, 15)]
            assert info["page_total"] == 7
            for bad in (
                {"page_records": "0"},
                {"page_records": "101"},
                {"page": "0"},
                {"page": "x"},
                {"page_records": "1.5"},
            ):
                data = await api.failure("GET", "/devices", params=bad)
                assert data["errcode"] == 400
            state.ignore_page_records = True
            info = await api.info("GET", "/devices", params={"page_records": "100"})
            assert (len(info["items"]), info["page_total"]) == (20, 3)
            info = await api.info("GET", "/customer/cust-owner/devices", params={"page": "2"})
            assert (len(info["items"]), info["total"], info["page_total"]) == (20, 45, 3)
            state.ignore_page_records = False
            info = await api.info(
                "GET", "/customer/cust-owner/devices", params={"page_records": "50"}
            )
            assert (len(info["items"]), info["page_total"]) == (45, 1)
            info = await api.info(
                "GET", "/devices", params={"group": "grp-gen-b", "page_records": "100"}
            )
            assert info["total"] == 30  # grp-gen-b and its subgroup grp-gen-b1
    finally:
        await running.close()


async def test_empty_device_list_has_no_pages(api: Api, state: SimulatorState) -> None:
    state.devices.clear()
    info = await api.info("GET", "/devices")
    assert info == {"items": [], "total": 0, "page_total": 0}


async def test_device_detail(api: Api) -> None:
    info = await api.info("GET", "/device/dev-front-door")
    assert info["groups"] == ["grp-home"]
    assert info["view_token"] == "view-dev-front-door"
    assert info["device_code"] == "code-dev-front-door"
    assert info["device_key"] == "DK0005"
    assert info["alarm"] == {
        "alarm_status": 1,
        "alarm_level": 2,
        "alarm_info": {
            "rule": "门长时间未关 Door left open",
            "attribute": "contact",
            "value": True,
        },
    }
    assert set(info["active"]) == {"attributes", "online", "alarm"}


async def test_certificate(api: Api) -> None:
    assert await api.info("GET", "/device/dev-plug-tv/certificate") == {
        "id": "dev-plug-tv",
        "name": "电视插座 TV Plug",
        "access_token": "devtoken-dev-plug-tv",
        "project_key": "pk-demo-0123456789",
    }


async def test_device_customers(api: Api) -> None:
    items = (await api.info("GET", "/device/dev-office-aq/customers"))["items"]
    assert [c["id"] for c in items] == ["cust-bob"]
    assert items[0]["count"] == {"device_count": 2}
    assert items[0]["role_id"] == "role-office"
    assert (await api.info("GET", "/device/dev-spare-plug/customers")) == {"items": []}


async def test_device_info_put(api: Api, state: SimulatorState) -> None:
    await api.info(
        "PUT",
        "/device/dev-plug-tv/info",
        json={"name": "Plug 插座", "descr": "d", "device_key": "NEW"},
    )
    device = state.devices["dev-plug-tv"]
    assert (device.name, device.descr, device.device_key) == ("Plug 插座", "d", "NEW")
    await api.info("PUT", "/device/dev-plug-tv/info", json={"descr": "only"})
    assert (device.name, device.descr) == ("Plug 插座", "only")
    data = await api.failure("PUT", "/device/dev-plug-tv/info", json={"device_key": "DK0001"})
    assert data["errcode"] == 409
    data = await api.failure("PUT", "/device/dev-plug-tv/info", json={"name": " "})
    assert data["errors"] == [{"field": "name", "message": "required"}]
    data = await api.failure("PUT", "/device/dev-plug-tv/info", json={"name": 5})
    assert data["errcode"] == 400
    assert device.name == "Plug 插座"


async def test_device_tags(api: Api, state: SimulatorState) -> None:
    await api.info("PUT", "/device/dev-plug-tv/tags", json={"tags": {"a": "1", "room": "x"}})
    assert state.devices["dev-plug-tv"].tags == {"room": "x", "a": "1"}
    await api.info("POST", "/device/dev-plug-tv/tags_remove", json={"keys": ["room", "missing"]})
    assert state.devices["dev-plug-tv"].tags == {"a": "1"}
    for body in ({"tags": {"a": 1}}, {"tags": ["a"]}, {}):
        await api.failure("PUT", "/device/dev-plug-tv/tags", json=body)
    await api.failure("POST", "/device/dev-plug-tv/tags_remove", json={"keys": "room"})


async def test_device_groups(api: Api, state: SimulatorState) -> None:
    await api.info(
        "PUT", "/device/dev-plug-tv/groups", json={"groups": ["grp-office", "grp-lobby"]}
    )
    assert state.devices["dev-plug-tv"].groups == ["grp-office", "grp-lobby"]
    info = await api.info("GET", "/devices", params={"group": "grp-lobby"})
    assert [d["id"] for d in info["items"]] == ["dev-plug-tv", "dev-lobby-led"]
    await api.info("PUT", "/device/dev-plug-tv/groups", json={"groups": []})
    assert state.devices["dev-plug-tv"].groups == []
    data = await api.failure("PUT", "/device/dev-plug-tv/groups", json={"groups": ["nope"]})
    assert (data["errcode"], data["errors"]) == (404, ["nope"])


async def test_device_create_and_delete(api: Api, state: SimulatorState, clock: FakeClock) -> None:
    created = await api.info(
        "POST",
        "/device",
        json={"name": "新设备 New", "descr": "d", "type": "dt-smart-plug", "tags": {"a": "b"}},
    )
    assert created == {"id": "dev-0001", "name": "新设备 New"}
    detail = await api.info("GET", "/device/dev-0001")
    assert detail["online"] is False
    assert detail["active"] == {}
    assert detail["alarm"] == {}
    assert detail["type_info"]["id"] == "dt-smart-plug"
    assert detail["device_key"] == "key-dev-0001"
    assert detail["create_time"] == int(clock() * 1000)
    assert await api.info("GET", "/device/dev-0001/attributes") == []
    second = await api.info("POST", "/device", json={"name": "Bare", "device_key": "MINE"})
    assert second["id"] == "dev-0002"
    bare = await api.info("GET", "/device/dev-0002")
    assert (bare["type"], bare["type_info"], bare["device_key"]) == (None, None, "MINE")
    stat = await api.info("GET", "/devices_stat")
    assert (stat["device_total"], stat["inactive_device_total"]) == (11, 3)

    assert (await api.failure("POST", "/device", json={"descr": "x"}))["errcode"] == 400
    assert (await api.failure("POST", "/device", json={"name": "x", "type": "nope"}))[
        "errcode"
    ] == 404
    assert (await api.failure("POST", "/device", json={"name": "x", "device_key": "MINE"}))[
        "errcode"
    ] == 409

    await api.info("DELETE", "/device/dev-plug-tv")
    assert "dev-plug-tv" not in state.devices
    assert "dev-plug-tv" not in state.customers["cust-alice"].device_ids
    assert not [key for key in state.series if key[0] == "dev-plug-tv"]
    assert (await api.failure("GET", "/device/dev-plug-tv"))["errcode"] == 404
    types = {t["id"]: t["device_count"] for t in (await api.info("GET", "/device_types"))["items"]}
    assert types["dt-smart-plug"] == 2


async def test_extend_infos(api: Api, state: SimulatorState) -> None:
    items = (await api.info("GET", "/device/dev-living-th/extend_infos"))["items"]
    values = {i["id"]: i["value"] for i in items}
    assert values == {
        "std-location": {"address": "上海市 客厅 Living room", "lng": 121.4737, "lat": 31.2304},
        "std-contact": {},
        "ext-th-install": "电视柜旁 Next to the TV",
        "ext-th-calibrated": False,
    }
    assert all("create_time" in i and "update_time" in i for i in items)

    info = await api.info(
        "POST",
        "/device/dev-living-th/standard_infos",
        json={"info_type": "location", "value": {"address": "新地址"}},
    )
    assert info == {"location": {"address": "新地址", "lng": 121.4737, "lat": 31.2304}}
    data = await api.failure(
        "POST", "/device/dev-living-th/standard_infos", json={"info_type": "nope", "value": {}}
    )
    assert data["errcode"] == 404
    data = await api.failure(
        "POST",
        "/device/dev-living-th/standard_infos",
        json={"info_type": "location", "value": {"nested": {"x": 1}}},
    )
    assert data["errcode"] == 400

    info = await api.info(
        "POST",
        "/device/dev-living-th/extend_infos",
        json={
            "infos": {
                "ext-th-install": "窗边",
                "ext-th-calibrated": "yes",  # wrong type: not updated
                "std-location": "x",  # a standard info: not updated here
                "nope": 1,
            }
        },
    )
    assert info == {"ext-th-install": "窗边"}
    assert state.devices["dev-living-th"].extend_values["ext-th-install"] == "窗边"
    info = await api.info(
        "POST", "/device/dev-living-th/extend_infos", json={"infos": {"ext-th-calibrated": True}}
    )
    assert info == {"ext-th-calibrated": True}
    info = await api.info(
        "POST", "/device/dev-plug-tv/extend_infos", json={"infos": {"ext-plug-rated-power": 3000}}
    )
    assert info == {"ext-plug-rated-power": 3000}
    info = await api.info(
        "POST", "/device/dev-office-aq/extend_infos", json={"infos": {"ext-aq-room": "lobby"}}
    )
    assert info == {"ext-aq-room": "lobby"}
    assert (await api.failure("POST", "/device/dev-living-th/extend_infos", json={}))[
        "errcode"
    ] == 400
    # A device without a type has only the standard infos.
    await api.info("POST", "/device", json={"name": "Bare"})
    items = (await api.info("GET", "/device/dev-0001/extend_infos"))["items"]
    assert [i["id"] for i in items] == ["std-location", "std-contact"]
    info = await api.info("POST", "/device/dev-0001/extend_infos", json={"infos": {"x": 1}})
    assert info == {}


async def test_alarm_logs(api: Api, state: SimulatorState, clock: FakeClock) -> None:
    items = (await api.info("GET", "/alarm_logs"))["items"]
    assert len(items) == 6
    times = [i["create_time"] for i in items]
    assert times == sorted(times, reverse=True)
    newest = items[0]
    assert set(newest) == {
        "id",
        "device_id",
        "alarm_status",
        "alarm_level",
        "alarm_info",
        "create_time",
        "notify_logs",
        "device",
    }
    assert newest["device"] == {"id": "dev-front-door", "name": "前门门磁 Front Door Sensor"}
    assert (newest["alarm_status"], newest["alarm_level"]) == (1, 2)
    assert newest["notify_logs"]
    door = (await api.info("GET", "/device/dev-front-door/alarm_logs"))["items"]
    assert [i["alarm_status"] for i in door] == [1, 0, 1]
    assert {i["device_id"] for i in door} == {"dev-front-door"}
    assert (await api.info("GET", "/device/dev-thermostat/alarm_logs")) == {"items": []}

    clock.advance(60)
    state.set_alarm("dev-front-door", None)
    door = (await api.info("GET", "/device/dev-front-door/alarm_logs"))["items"]
    assert (door[0]["alarm_status"], door[0]["alarm_level"]) == (0, 2)
    assert (await api.info("GET", "/device/dev-front-door"))["alarm"] == {}


async def test_customers_and_roles(api: Api) -> None:
    items = (await api.info("GET", "/customers"))["items"]
    assert [c["id"] for c in items] == ["cust-alice", "cust-bob", "cust-carol"]
    assert items[0] == {
        "id": "cust-alice",
        "account": "alice",
        "name": "张三 Alice",
        "descr": "Home owner",
        "role_id": "role-family",
        "email": "alice@example.com",
        "mobile": "+86 138 0000 0001",
        "tags": {"vip": "yes"},
        "locale": "zh-CN",
        "create_time": CREATED_MS,
        "count": {"device_count": 6},
    }
    roles = (await api.info("GET", "/customer_roles"))["items"]
    assert [(r["id"], r["customer_count"]) for r in roles] == [
        ("role-family", 1),
        ("role-office", 1),
        ("role-guest", 1),
    ]
    assert roles[0]["allow_add_device"] is True
    assert roles[2]["allow_operate_device"] is False
    one = await api.info("GET", "/customer/cust-bob")
    assert "role_id" not in one
    assert one["count"] == {"device_count": 2}
    devices = await api.info("GET", "/customer/cust-bob/devices")
    assert [d["id"] for d in devices["items"]] == ["dev-office-aq", "dev-lobby-led"]
    assert (devices["total"], devices["page_total"]) == (2, 1)


async def test_customer_life(api: Api, state: SimulatorState) -> None:
    created = await api.info(
        "POST",
        "/customer",
        json={
            "name": "赵六 Dave",
            "account": "dave",
            "password": "pw",
            "email": "d@example.com",
            "tags": {"t": "1"},
        },
    )
    assert created == {"id": "cust-0001", "name": "赵六 Dave"}
    customer = state.customers["cust-0001"]
    assert (customer.email, customer.mobile, customer.tags) == ("d@example.com", "", {"t": "1"})
    data = await api.failure(
        "POST", "/customer", json={"name": "x", "account": "dave", "password": "pw"}
    )
    assert data["errcode"] == 409
    data = await api.failure("POST", "/customer", json={"name": "x", "account": "y"})
    assert data["errors"] == [{"field": "password", "message": "required"}]

    await api.info("PUT", "/customer/cust-0001/info", json={"mobile": "123", "name": "Dave"})
    assert (customer.mobile, customer.name) == ("123", "Dave")
    assert (await api.failure("PUT", "/customer/cust-0001/info", json={}))["errcode"] == 400
    data = await api.failure("PUT", "/customer/cust-0001/info", json={"name": ""})
    assert data["errcode"] == 400

    await api.info("PUT", "/customer/cust-0001/pwd", json={"password": "new-pw"})
    assert await api.info("POST", "/customer_auth", json={"account": "dave", "password": "new-pw"})
    await api.failure("PUT", "/customer/cust-0001/pwd", json={"password": ""})

    await api.info("PUT", "/customer/cust-0001/tags", json={"tags": {"u": "2"}})
    assert customer.tags == {"t": "1", "u": "2"}

    await api.info("DELETE", "/customer/cust-0001")
    assert "cust-0001" not in state.customers
    assert (await api.failure("GET", "/customer/cust-0001"))["errcode"] == 404


async def test_extend_info_of_another_type_takes_scalars(api: Api, state: SimulatorState) -> None:

    infos = state.device_types["dt-gateway"].extend_infos
    infos.append(ExtendInfoDef("ext-gw-any", "date", "Installed on"))
    infos.append(ExtendInfoDef("ext-gw-off", "text", "Disabled", enabled=False))
    info = await api.info(
        "POST",
        "/device/dev-gateway/extend_infos",
        json={"infos": {"ext-gw-any": "2024-01-01", "ext-gw-off": "x"}},
    )
    assert info == {"ext-gw-any": "2024-01-01"}
    info = await api.info(
        "POST", "/device/dev-gateway/extend_infos", json={"infos": {"ext-gw-any": {"a": 1}}}
    )
    assert info == {}


async def test_rename_only(api: Api, state: SimulatorState) -> None:
    await api.info("PUT", "/device/dev-gateway/info", json={"name": "GW"})
    device = state.devices["dev-gateway"]
    assert (device.name, device.descr) == ("GW", "家庭网关 Home Gateway (demo)")


def test_add_device_keeps_given_tokens() -> None:

    state = generated_state(0, 0, 0)
    device = state.add_device(
        Device("d", "D", access_token="at", view_token="vt", device_code="dc")
    )
    assert (device.access_token, device.view_token, device.device_code) == ("at", "vt", "dc")
