"""Every client method against the simulator, checking the request it sends."""

from datetime import UTC, datetime, timedelta

import aiohttp
import pytest

from custom_components.thingscloud.api import (
    AdminCredentials,
    ThingsCloudApiError,
    ThingsCloudAuthError,
    ThingsCloudClient,
)
from simulator.state import SimulatorState
from simulator.testing import RunningSimulator

from .common import ADMIN_ACCOUNT, APP_ID, PROJECT_ID, api_requests, only_request


async def test_get_project(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    project = await client.get_project()

    assert project.id == PROJECT_ID
    assert project.name == "Test project 测试"
    assert project.tags == {"site": "lab"}
    entry = only_request(sim_state)
    assert (entry.method, entry.raw_path, entry.route) == ("GET", "/api/v1/project", "project")


async def test_statistics(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    stat = await client.get_devices_stat()
    alarm_stat = await client.get_devices_alarm_stat()

    total = len(sim_state.devices)
    assert stat["device_total"] == total
    assert stat["online_device_total"] == 1
    assert stat["alarm_device_total"] == 1
    assert alarm_stat == {
        "device_total": total,
        "alarm_1_total": 0,
        "alarm_2_total": 1,
        "alarm_3_total": 0,
        "normal_total": total - 1,
    }
    assert [e.route for e in api_requests(sim_state)] == ["devices_stat", "devices_alarm_stat"]


async def test_device_types_and_extend_info_definitions(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    types = await client.get_device_types()
    infos = await client.get_device_type_extend_infos("type-sensor")

    assert [(t.id, t.name, t.device_count) for t in types] == [("type-sensor", "Sensor 传感器", 2)]
    assert types[0].create_time == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert {(i.id, i.is_standard) for i in infos} == {("std-location", True), ("ext-room", False)}
    entries = api_requests(sim_state)
    assert [e.raw_path for e in entries] == [
        "/api/v1/device_types",
        "/api/v1/device_type/type-sensor/extend_infos",
    ]


async def test_device_groups_tree(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    groups = await client.get_device_groups_tree()

    assert [(g.id, [c.id for c in g.children]) for g in groups] == [
        ("grp-1", ["grp-1a"]),
        ("grp-2", []),
    ]
    assert only_request(sim_state).route == "device_groups_tree"


async def test_devices_page_sends_page_records_and_filters(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    page = await client.get_devices_page(device_type="type-sensor", group="grp-1")

    assert [d.id for d in page.items] == ["dev-1"]
    assert (page.total, page.page_total, page.page) == (1, 1, 1)
    device = page.items[0]
    assert device.online is True
    assert device.type_name == "Sensor 传感器"
    assert device.last_active is not None
    entry = only_request(sim_state)
    assert entry.query == {
        "page": "1",
        "page_records": "100",
        "type": "type-sensor",
        "group": "grp-1",
    }


async def test_devices_page_without_page_records(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    page = await client.get_devices_page(2, page_records=None)

    assert page.page == 2
    assert only_request(sim_state).query == {"page": "2"}


async def test_get_device(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    device = await client.get_device("dev-1")
    alarming = await client.get_device("dev-2")

    assert device.id == "dev-1"
    assert device.name == "Living room 客厅"
    assert device.device_key == "key-1"
    assert device.tags == {"floor": "1"}
    assert device.groups == ("grp-1a",)
    assert device.type_id == "type-sensor"
    assert device.alarm.active is False
    assert alarming.alarm.active is True
    assert alarming.alarm.level == 2
    assert alarming.alarm.info == {"reason": "hot"}
    assert [e.raw_path for e in api_requests(sim_state)] == [
        "/api/v1/device/dev-1",
        "/api/v1/device/dev-2",
    ]


async def test_unknown_device_is_an_api_error(client: ThingsCloudClient) -> None:
    with pytest.raises(ThingsCloudApiError) as err:
        await client.get_device("missing")
    assert err.value.errcode == 404


async def test_device_certificate_and_customers(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    certificate = await client.get_device_certificate("dev-1")
    customers = await client.get_device_customers("dev-1")

    assert certificate.id == "dev-1"
    assert certificate.access_token == "devtoken-dev-1"
    assert certificate.project_key == sim_state.project_key
    assert "devtoken" not in repr(certificate)
    assert [(c.id, c.account, c.device_count) for c in customers] == [("cust-1", "alice", 2)]
    assert [e.route for e in api_requests(sim_state)] == ["device_certificate", "device_customers"]


async def test_update_device_info(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    await client.update_device_info("dev-1", name="Salon", device_key="key-new")

    entry = only_request(sim_state)
    assert (entry.method, entry.raw_path) == ("PUT", "/api/v1/device/dev-1/info")
    assert entry.json == {"name": "Salon", "device_key": "key-new"}
    assert sim_state.devices["dev-1"].name == "Salon"
    with pytest.raises(ValueError, match="at least one"):
        await client.update_device_info("dev-1")


async def test_device_tags(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    await client.update_device_tags("dev-1", {"room": "living"})
    await client.remove_device_tags("dev-1", ["floor"])

    put, remove = api_requests(sim_state)
    assert (put.method, put.raw_path, put.json) == (
        "PUT",
        "/api/v1/device/dev-1/tags",
        {"tags": {"room": "living"}},
    )
    assert (remove.method, remove.raw_path, remove.json) == (
        "POST",
        "/api/v1/device/dev-1/tags_remove",
        {"keys": ["floor"]},
    )
    assert sim_state.devices["dev-1"].tags == {"room": "living"}


async def test_device_groups(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    await client.update_device_groups("dev-1", ["grp-2"])
    await client.update_device_groups("dev-2", [])

    first, second = api_requests(sim_state)
    assert (first.method, first.raw_path, first.json) == (
        "PUT",
        "/api/v1/device/dev-1/groups",
        {"groups": ["grp-2"]},
    )
    assert second.json == {"groups": []}
    assert sim_state.devices["dev-1"].groups == ["grp-2"]
    assert sim_state.devices["dev-2"].groups == []


async def test_create_and_delete_device(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    created = await client.create_device(
        "New 新", descr="d", device_type="type-sensor", tags={"a": "b"}, device_key="k-new"
    )
    await client.delete_device(created.id)

    create, delete = api_requests(sim_state)
    assert (create.method, create.raw_path) == ("POST", "/api/v1/device")
    assert create.json == {
        "name": "New 新",
        "descr": "d",
        "type": "type-sensor",
        "tags": {"a": "b"},
        "device_key": "k-new",
    }
    assert created.name == "New 新"
    assert (delete.method, delete.raw_path) == ("DELETE", f"/api/v1/device/{created.id}")
    assert created.id not in sim_state.devices


async def test_create_device_minimal_body(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.create_device("Bare")

    assert only_request(sim_state).json == {"name": "Bare"}


async def test_extend_infos(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    standard = await client.update_device_standard_info(
        "dev-1", "location", {"lat": 31.2, "lng": 121.5}
    )
    custom = await client.update_device_extend_infos("dev-1", {"ext-room": "kitchen"})
    infos = await client.get_device_extend_infos("dev-1")

    assert standard == {"location": {"lat": 31.2, "lng": 121.5}}
    assert custom == {"ext-room": "kitchen"}
    assert {i.id: i.value for i in infos} == {
        "std-location": {"lat": 31.2, "lng": 121.5},
        "ext-room": "kitchen",
    }
    post_standard, post_custom, get = api_requests(sim_state)
    assert (post_standard.method, post_standard.raw_path, post_standard.json) == (
        "POST",
        "/api/v1/device/dev-1/standard_infos",
        {"info_type": "location", "value": {"lat": 31.2, "lng": 121.5}},
    )
    assert (post_custom.method, post_custom.raw_path, post_custom.json) == (
        "POST",
        "/api/v1/device/dev-1/extend_infos",
        {"infos": {"ext-room": "kitchen"}},
    )
    assert (get.method, get.raw_path) == ("GET", "/api/v1/device/dev-1/extend_infos")


async def test_attributes(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    attributes = await client.get_device_attributes("dev-1")
    raw = await client.get_device_attributes_raw("dev-1")

    by_id = {a.identifier: a for a in attributes}
    assert by_id["temperature"].value == 21.5
    assert by_id["temperature"].model is not None
    assert by_id["temperature"].model.attr_type == "report"
    assert by_id["temperature"].model.data_type == "number"
    assert by_id["temperature"].model.data_options == {"unit": "°C"}
    assert by_id["relay"].value is False
    assert raw == {"temperature": 21.5, "relay": False}
    assert [e.raw_path for e in api_requests(sim_state)] == [
        "/api/v1/device/dev-1/attributes",
        "/api/v1/device/dev-1/attributes_raw",
    ]


async def test_attribute_series_query(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    base = sim_state.now_ms()
    for step in range(5):
        sim_state.set_attributes("dev-1", {"temperature": 20 + step}, ts=base + step * 1000)
    start = datetime.fromtimestamp(base / 1000, UTC)
    end = start + timedelta(seconds=3)

    points = await client.get_attribute_series(
        "dev-1", "temperature", page=1, page_records=2, start_time=start, end_time=end
    )

    assert [p.value for p in points] == [23, 22]
    assert points[0].ts == datetime.fromtimestamp((base + 3000) / 1000, UTC)
    assert points[0].name == "temperature"
    entry = only_request(sim_state)
    assert entry.raw_path.startswith("/api/v1/device/dev-1/attribute/temperature/series?")
    assert entry.query == {
        "page": "1",
        "page_records": "2",
        "start_time": str(base),
        "end_time": str(base + 3000),
    }


async def test_remove_attributes(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    await client.remove_device_attributes("dev-1", ["relay"])

    entry = only_request(sim_state)
    assert (entry.method, entry.raw_path, entry.json) == (
        "POST",
        "/api/v1/device/dev-1/attributes_remove",
        {"keys": ["relay"]},
    )
    assert "relay" not in sim_state.devices["dev-1"].attributes


async def test_push_and_cloud_attributes(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.push_attributes("dev-1", {"relay": True})
    await client.set_cloud_attributes("dev-1", {"relay": False})

    post, put = api_requests(sim_state)
    assert (post.method, post.raw_path, post.json) == (
        "POST",
        "/api/v1/control/device/dev-1/attributes",
        {"relay": True},
    )
    assert (put.method, put.raw_path, put.json) == (
        "PUT",
        "/api/v1/control/device/dev-1/attributes",
        {"relay": False},
    )
    assert [(w.kind, w.attributes) for w in sim_state.writes["dev-1"]] == [
        ("device", {"relay": True}),
        ("cloud", {"relay": False}),
    ]


async def test_send_command(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    await client.send_command("dev-1", "reboot", {"delay": 5}, command_id=7)
    await client.send_command("dev-1", "ping")

    first, second = api_requests(sim_state)
    assert (first.method, first.raw_path) == ("POST", "/api/v1/control/device/dev-1/command")
    assert first.json == {"method": "reboot", "params": {"delay": 5}, "id": 7}
    assert second.json == {"method": "ping", "params": {}}
    assert [(c.method, c.id) for c in sim_state.commands["dev-1"]] == [
        ("reboot", 7),
        ("ping", None),
    ]


async def test_send_data_stream_sends_msg(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.send_data_stream("dev-1", "stream", "hex", "01 03 01 FF")
    await client.send_data_stream("dev-1", "stream", "text", "t:45", push_mode="tcp")
    await client.send_data_stream("dev-1", "stream", "json", {"led": "ON"})
    await client.send_data_stream("dev-1", "stream", "json", '{"led": "OFF"}')

    entries = api_requests(sim_state)
    assert [(e.method, e.raw_path) for e in entries] == [
        ("POST", "/api/v1/control/device/dev-1/data/stream/set?push_mode=mqtt"),
        ("POST", "/api/v1/control/device/dev-1/data/stream/set?push_mode=tcp"),
        ("POST", "/api/v1/control/device/dev-1/data/stream/set?push_mode=mqtt"),
        ("POST", "/api/v1/control/device/dev-1/data/stream/set?push_mode=mqtt"),
    ]
    assert [e.json for e in entries] == [
        {"type": "hex", "msg": "01 03 01 FF"},
        {"type": "text", "msg": "t:45"},
        {"type": "json", "msg": {"led": "ON"}},
        {"type": "json", "msg": {"led": "OFF"}},
    ]
    assert [(r.type, r.push_mode) for r in sim_state.data_streams["dev-1"]] == [
        ("hex", "mqtt"),
        ("text", "tcp"),
        ("json", "mqtt"),
        ("json", "mqtt"),
    ]


async def test_alarm_logs(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    logs = await client.get_alarm_logs()
    device_logs = await client.get_device_alarm_logs("dev-2")
    none = await client.get_device_alarm_logs("dev-1")

    assert [(log.device_id, log.alarm_level, log.alarm_status) for log in logs] == [("dev-2", 2, 1)]
    assert logs[0].device_name == "Kitchen"
    assert logs[0].alarm_info == {"reason": "hot"}
    assert device_logs == logs
    assert none == []
    assert [e.raw_path for e in api_requests(sim_state)] == [
        "/api/v1/alarm_logs",
        "/api/v1/device/dev-2/alarm_logs",
        "/api/v1/device/dev-1/alarm_logs",
    ]


async def test_customers_and_roles(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    customers = await client.get_customers()
    roles = await client.get_customer_roles()
    alice = await client.get_customer("cust-1")

    assert {c.id for c in customers} == {"cust-1", "中文/客户"}
    assert [(r.id, r.name, r.customer_count) for r in roles] == [("role-1", "Viewer", 1)]
    assert (alice.id, alice.account, alice.device_count) == ("cust-1", "alice", 2)
    assert [e.raw_path for e in api_requests(sim_state)] == [
        "/api/v1/customers",
        "/api/v1/customer_roles",
        "/api/v1/customer/cust-1",
    ]


async def test_customer_devices(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    page = await client.get_customer_devices_page("cust-1")
    everything = await client.get_all_customer_devices("cust-1")

    assert [d.id for d in page.items] == ["dev-1", "dev-2"]
    assert [d.id for d in everything] == ["dev-1", "dev-2"]
    entries = api_requests(sim_state)
    assert [(e.raw_path, e.query) for e in entries] == [
        ("/api/v1/customer/cust-1/devices?page=1", {"page": "1"}),
        ("/api/v1/customer/cust-1/devices?page=1", {"page": "1"}),
    ]


async def test_customer_lifecycle(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    created = await client.create_customer(
        "Carol", "carol", "pw-1", descr="d", email="c@x.io", mobile="123", tags={"vip": "yes"}
    )
    await client.update_customer_info(created.id, name="Caroline", mobile="456")
    await client.update_customer_password(created.id, "pw-2")
    await client.update_customer_tags(created.id, {"vip": "no"})
    verified = await client.customer_auth("carol", "pw-2")
    await client.delete_customer(created.id)

    create, info, pwd, tags, auth, delete = api_requests(sim_state)
    assert (create.method, create.raw_path, create.json) == (
        "POST",
        "/api/v1/customer",
        {
            "name": "Carol",
            "account": "carol",
            "password": "pw-1",
            "descr": "d",
            "email": "c@x.io",
            "mobile": "123",
            "tags": {"vip": "yes"},
        },
    )
    path = f"/api/v1/customer/{created.id}"
    assert (info.method, info.raw_path, info.json) == (
        "PUT",
        f"{path}/info",
        {"name": "Caroline", "mobile": "456"},
    )
    assert (pwd.method, pwd.raw_path, pwd.json) == ("PUT", f"{path}/pwd", {"password": "pw-2"})
    assert (tags.method, tags.raw_path, tags.json) == (
        "PUT",
        f"{path}/tags",
        {"tags": {"vip": "no"}},
    )
    assert (auth.method, auth.raw_path, auth.json) == (
        "POST",
        "/api/v1/customer_auth",
        {"account": "carol", "password": "pw-2"},
    )
    assert (verified.id, verified.name) == (created.id, "Caroline")
    assert (delete.method, delete.raw_path) == ("DELETE", path)
    assert created.id not in sim_state.customers


async def test_customer_auth_failure_is_an_api_error(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    with pytest.raises(ThingsCloudApiError) as err:
        await client.customer_auth("alice", "wrong")

    assert err.value.errcode == 400
    assert "wrong" not in str(err.value)
    assert sim_state.count("customer_auth") == 1


async def test_update_customer_info_needs_a_field(client: ThingsCloudClient) -> None:
    with pytest.raises(ValueError, match="at least one"):
        await client.update_customer_info("cust-1")


async def test_admin(admin_client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    admin = await admin_client.get_admin()

    assert (admin.id, admin.account, admin.name, admin.email) == (
        "adm-1",
        ADMIN_ACCOUNT,
        "Root",
        "r@x.io",
    )
    assert admin_client.is_admin
    assert sim_state.count("admin_login") == 1
    assert sim_state.count("access_token") == 0
    assert only_request(sim_state).route == "admin"


async def test_admin_with_an_app_token_is_refused(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    assert not client.is_admin
    with pytest.raises(ThingsCloudApiError):
        await client.get_admin()
    # result:false 400 is not a token problem: no refresh, no retry.
    assert sim_state.count("access_token") == 1
    assert sim_state.count("admin") == 1


async def test_wrong_admin_password(
    simulator: RunningSimulator, sim_state: SimulatorState, session: aiohttp.ClientSession
) -> None:
    api = ThingsCloudClient(
        simulator.url, AdminCredentials(APP_ID, ADMIN_ACCOUNT, "nope"), session=session
    )

    with pytest.raises(ThingsCloudAuthError) as err:
        await api.get_project()

    assert "nope" not in str(err.value)
    assert sim_state.count("admin_login") == 1
    assert sim_state.count("project") == 0
