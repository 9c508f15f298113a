"""Tolerant parsing of the API's objects."""

from datetime import UTC, datetime

import pytest

from custom_components.thingscloud.api import (
    Admin,
    AlarmLog,
    Attribute,
    AttributeModel,
    CreatedResource,
    Customer,
    CustomerRole,
    Device,
    DeviceAlarm,
    DeviceCertificate,
    DeviceGroup,
    DevicePage,
    DeviceType,
    DeviceTypeInfo,
    ExtendInfo,
    Project,
    SeriesPoint,
    parse_timestamp,
)
from custom_components.thingscloud.api.models import items_of, numeric_fields, parse_items

GARBAGE: list[object] = [None, 1, "x", [], [1, 2], True, {"unknown": {"deep": [1]}}]
MS = 1_700_000_000_000
WHEN = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (MS, WHEN),
        (MS / 1000, WHEN),
        (str(MS), WHEN),
        (" 1700000000 ", WHEN),
        (1_700_000_000.5, datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)),
        ("2023-11-14T22:13:20Z", WHEN),
        ("2023-11-14T22:13:20", WHEN),
        ("2023-11-15T06:13:20+08:00", WHEN),
        (0, None),
        (-5, None),
        (None, None),
        (True, None),
        ("", None),
        ("soon", None),
        (float("nan"), None),
        (float("inf"), None),
        ("inf", None),
        (1e300, None),
        ([MS], None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize(
    ("data", "active", "level", "info"),
    [
        ({}, False, None, None),
        (None, False, None, None),
        ("alarm", False, None, None),
        ({"alarm_status": 1, "alarm_level": 2, "alarm_info": {"t": 1}}, True, 2, {"t": 1}),
        ({"alarm_status": 0, "alarm_level": 2}, False, 2, None),
        ({"alarm_level": 3}, True, 3, None),
        ({"alarm_level": 0}, False, 0, None),
        ({"level": "2", "info": "hot"}, True, 2, "hot"),
        ({"status": True}, True, None, None),
        ({"status": "false", "level": 1}, False, 1, None),
        ({"alarm": 1}, True, None, None),
        ({"alarm": "yes"}, True, None, None),
        ({"alarm": "1"}, True, None, None),
        ({"alarm_status": None, "alarm_level": 2}, False, 2, None),
        ({"alarm_status": [1]}, False, None, None),
    ],
)
def test_device_alarm(data: object, active: bool, level: int | None, info: object) -> None:
    alarm = DeviceAlarm.from_api(data)

    assert alarm.active is active
    assert alarm.level == level
    assert alarm.info == info
    assert alarm.raw == (data if isinstance(data, dict) else {})


def test_device_full() -> None:
    data = {
        "id": "dev-1",
        "name": "Lamp",
        "descr": "desc",
        "device_key": "k1",
        "tags": {"a": "b", "n": 5, "f": 1.5, "flag": False, "skip": None, "deep": {}},
        "create_time": MS,
        "alarm": {"alarm_status": 1, "alarm_level": 1},
        "active": {"online": MS, "attributes": str(MS + 5000), "bad": "x", "flag": True},
        "online": True,
        "type": "t1",
        "type_info": {"id": "t1", "name": "Type", "conn_type": "direct", "conn_protocol": "mqtt"},
        "groups": ["g1", {"id": "g2"}, {"name": "no id"}, 7, None, ""],
        "view_token": "extra",
    }

    device = Device.from_api(data)

    assert device.id == "dev-1"
    assert (device.name, device.descr, device.device_key) == ("Lamp", "desc", "k1")
    assert device.tags == {"a": "b", "n": "5", "f": "1.5", "flag": "false"}
    assert device.create_time == WHEN
    assert device.alarm.active is True
    assert device.active == {"online": MS, "attributes": MS + 5000}
    assert device.last_active == datetime(2023, 11, 14, 22, 13, 25, tzinfo=UTC)
    assert device.online is True
    assert device.type_id == "t1"
    assert device.type_info == DeviceTypeInfo.from_api(data["type_info"])
    assert device.type_name == "Type"
    assert device.groups == ("g1", "g2", "7")
    assert device.raw["view_token"] == "extra"


def test_device_minimal() -> None:
    device = Device.from_api({"id": 42})

    assert device.id == "42"
    assert (device.name, device.descr, device.device_key) == ("", "", None)
    assert device.tags == {}
    assert device.create_time is None
    assert device.alarm.active is False
    assert device.active == {}
    assert device.last_active is None
    assert device.online is None
    assert device.type_id is None
    assert device.type_info is None
    assert device.type_name is None
    assert device.groups == ()


@pytest.mark.parametrize(
    ("online", "expected"),
    [(True, True), (False, False), (1, True), (0, False), ("online", True), ("OFF", False)],
)
def test_device_online_variants(online: object, expected: bool) -> None:
    assert Device.from_api({"id": "d", "online": online}).online is expected


@pytest.mark.parametrize("online", [None, "maybe", "", [], {}])
def test_device_online_unknown(online: object) -> None:
    assert Device.from_api({"id": "d", "online": online}).online is None


def test_device_type_info_variants() -> None:
    from_info = Device.from_api({"id": "d", "type_info": {"id": "t9", "name": "Nine"}})
    id_from_type = Device.from_api({"id": "d", "type": "t1", "type_info": {"name": "One"}})
    empty_info = Device.from_api({"id": "d", "type": "t1", "type_info": {}})
    no_ids = Device.from_api({"id": "d", "type_info": {"name": "Anon"}})

    assert (from_info.type_id, from_info.type_name) == ("t9", "Nine")
    assert id_from_type.type_info is not None
    assert (id_from_type.type_id, id_from_type.type_info.id) == ("t1", "t1")
    assert (empty_info.type_id, empty_info.type_info) == ("t1", None)
    assert (no_ids.type_id, no_ids.type_name) == (None, "Anon")


@pytest.mark.parametrize("data", [*GARBAGE, {"id": ""}, {"id": "  "}, {"id": None}, {"id": True}])
def test_objects_without_an_id_are_refused(data: object) -> None:
    for parser in (Project, Device, DeviceType, DeviceGroup, ExtendInfo, Customer, CustomerRole):
        with pytest.raises(ValueError, match="id"):
            parser.from_api(data)
    with pytest.raises(ValueError, match="identifier"):
        Attribute.from_api(data)
    with pytest.raises(ValueError, match="id"):
        CreatedResource.from_api(data)


@pytest.mark.parametrize("data", GARBAGE)
def test_tolerant_models_never_raise(data: object) -> None:
    assert DeviceAlarm.from_api(data).active is False
    assert DeviceTypeInfo.from_api(data).id == ""
    assert DeviceCertificate.from_api(data).access_token is None
    assert AttributeModel.from_api(data).data_options == {}
    assert SeriesPoint.from_api(data).ts is None
    assert AlarmLog.from_api(data).notify_logs == []
    assert Admin.from_api(data).id == ""
    page = DevicePage.from_api(data, page=3)
    assert (page.items, page.total, page.page_total, page.page) == ((), None, 3, 3)


def test_project() -> None:
    project = Project.from_api({"id": "p", "name": "P", "descr": None, "tags": "bad", "x": 1})

    assert (project.id, project.name, project.descr, project.tags) == ("p", "P", "", {})
    assert project.raw == {"id": "p", "name": "P", "descr": None, "tags": "bad", "x": 1}


def test_device_page() -> None:
    page = DevicePage.from_api(
        {"items": [{"id": "a"}, {"nope": 1}, 5], "total": "12", "page_total": 2.0}, page=1
    )

    assert [d.id for d in page.items] == ["a"]
    assert (page.total, page.page_total, page.page) == (12, 2, 1)
    assert page.has_page_total
    assert not DevicePage.from_api({"page_total": -1}).has_page_total


def test_device_type() -> None:
    device_type = DeviceType.from_api(
        {
            "id": "t",
            "name": "T",
            "tags": {"k": "v"},
            "create_time": str(MS),
            "device_count": "3",
            "conn_protocol": "mqtt",
            "conn_type": 5,
        }
    )

    assert device_type.create_time == WHEN
    assert device_type.device_count == 3
    assert (device_type.conn_protocol, device_type.conn_type) == ("mqtt", "5")


def test_device_group_tree() -> None:
    group = DeviceGroup.from_api(
        {
            "id": "g1",
            "name": "One",
            "children": [
                {"id": "g1a", "children": [{"id": "g1a1"}]},
                {"name": "no id"},
                "junk",
            ],
        }
    )

    assert [c.id for c in group.children] == ["g1a"]
    assert [c.id for c in group.children[0].children] == ["g1a1"]
    assert DeviceGroup.from_api({"id": "x", "children": {"id": "y"}}).children == ()


def test_device_group_depth_is_capped() -> None:
    data: dict[str, object] = {"id": "leaf"}
    for depth in range(100):
        data = {"id": f"g{depth}", "children": [data]}

    group = DeviceGroup.from_api(data)

    depth = 0
    while group.children:
        group = group.children[0]
        depth += 1
    assert depth == 32


def test_extend_info() -> None:
    info = ExtendInfo.from_api(
        {
            "id": "e",
            "info_type": "text",
            "name": "N",
            "value": {"a": 1},
            "enabled": "true",
            "options": '{"max": 5}',
            "create_time": MS,
            "update_time": "bad",
            "is_standard": 0,
        }
    )

    assert info.value == {"a": 1}
    assert info.enabled is True
    assert info.options == {"max": 5}
    assert (info.create_time, info.update_time) == (WHEN, None)
    assert info.is_standard is False
    assert ExtendInfo.from_api({"id": "e", "options": "not json"}).options == {}
    assert ExtendInfo.from_api({"id": "e", "options": "[1]"}).options == {}


def test_attribute_with_model() -> None:
    attribute = Attribute.from_api(
        {
            "identifier": "temperature",
            "value": "21.5",
            "ts": MS,
            "model": {
                "name": "Temperature",
                "attr_type": "report",
                "data_type": "number",
                "data_options": '{"unit": "°C", "min": -40}',
            },
        }
    )

    assert attribute.value == "21.5"
    assert attribute.ts == WHEN
    assert attribute.model is not None
    assert (attribute.model.attr_type, attribute.model.data_type) == ("report", "number")
    assert attribute.model.name == "Temperature"
    assert attribute.model.data_options == {"unit": "°C", "min": -40}
    assert not hasattr(attribute, "attr_type")
    assert not hasattr(attribute, "data_type")


def test_attribute_model_takes_the_items_own_types() -> None:
    own = Attribute.from_api(
        {
            "identifier": "x",
            "attr_type": "cloud",
            "data_type": "",
            "model": {"name": "X", "attr_type": "report", "data_type": "number"},
        }
    )
    without_model = Attribute.from_api({"identifier": "x", "data_type": "boolean", "value": 1})
    bad_model = Attribute.from_api({"identifier": "x", "model": "number"})
    nothing = Attribute.from_api({"identifier": "x", "attr_type": None, "model": None})

    assert own.model is not None
    assert (own.model.name, own.model.attr_type, own.model.data_type) == ("X", "cloud", "number")
    assert own.model.raw == {"name": "X", "attr_type": "report", "data_type": "number"}
    assert without_model.model is not None
    assert (without_model.model.attr_type, without_model.model.data_type) == (None, "boolean")
    assert (without_model.model.name, without_model.model.data_options) == (None, {})
    assert bad_model.model is None
    assert (bad_model.value, bad_model.ts) == (None, None)
    assert nothing.model is None


def test_series_point() -> None:
    point = SeriesPoint.from_api({"ts": MS, "name": "t", "value": [1, 2], "type": "report"})

    assert (point.ts, point.name, point.value, point.type) == (WHEN, "t", [1, 2], "report")


@pytest.mark.parametrize(
    "data",
    [
        {"timestamp": "2023-11-14T22:13:20Z"},
        {"timestamp": "2023-11-15T06:13:20+08:00", "ts": None},
        {"timestamp": "2000-01-01T00:00:00Z", "ts": MS},
        {"timestamp": "2023-11-14T22:13:20", "ts": "soon"},
    ],
)
def test_series_point_time_from_timestamp(data: dict[str, object]) -> None:
    assert SeriesPoint.from_api(data).ts == WHEN


def test_alarm_log() -> None:
    log = AlarmLog.from_api(
        {
            "id": "a1",
            "alarm_status": "1",
            "alarm_level": 3,
            "alarm_info": "fire",
            "create_time": MS,
            "notify_logs": [{"sms": True}],
            "device": {"id": "d1", "name": "Boiler"},
        }
    )

    assert (log.id, log.device_id, log.device_name) == ("a1", "d1", "Boiler")
    assert (log.alarm_status, log.alarm_level, log.alarm_info) == (1, 3, "fire")
    assert log.create_time == WHEN
    assert log.notify_logs == [{"sms": True}]
    assert AlarmLog.from_api({"device_id": "d2", "device": {"id": "d1"}}).device_id == "d2"


def test_customer() -> None:
    customer = Customer.from_api(
        {
            "id": "c",
            "account": "acc",
            "name": "N",
            "role_id": 7,
            "email": "e@x",
            "mobile": 138,
            "tags": {"a": "b"},
            "locale": "zh-CN",
            "create_time": MS,
            "count": {"device_count": "4"},
        }
    )

    assert (customer.account, customer.role_id, customer.mobile) == ("acc", "7", "138")
    assert customer.device_count == 4
    assert Customer.from_api({"id": "c", "device_count": 2}).device_count == 2
    assert Customer.from_api({"id": "c", "count": None}).device_count is None


def test_customer_role() -> None:
    role = CustomerRole.from_api(
        {
            "id": "r",
            "name": "R",
            "allow_operate_device": True,
            "allow_alarm_msg_maintain": "no",
            "allow_add_device": None,
            "customer_count": 2,
        }
    )

    assert (role.allow_operate_device, role.allow_alarm_msg_maintain) == (True, False)
    assert role.allow_add_device is None
    assert role.customer_count == 2


def test_admin_certificate_created() -> None:
    admin = Admin.from_api({"id": "a", "account": "root", "name": "Root", "tags": {"x": "y"}})
    certificate = DeviceCertificate.from_api(
        {"id": "d", "name": "D", "access_token": "secret-token", "project_key": "pk"}
    )
    created = CreatedResource.from_api({"id": "n", "name": "New"})

    assert (admin.id, admin.account, admin.tags) == ("a", "root", {"x": "y"})
    assert (certificate.access_token, certificate.project_key) == ("secret-token", "pk")
    assert "secret-token" not in repr(certificate)
    assert (created.id, created.name) == ("n", "New")


def test_list_helpers() -> None:
    assert items_of([1]) == [1]
    assert items_of({"items": [2]}) == [2]
    assert items_of({"items": {"a": 1}}) == []
    assert items_of(None) == []
    assert items_of("items") == []
    assert [d.id for d in parse_items(Device.from_api, [{"id": "a"}, {}, None, {"id": "b"}])] == [
        "a",
        "b",
    ]


def test_numeric_fields() -> None:
    assert numeric_fields(
        {"a": 1, "b": "2", "c": 3.0, "d": True, "e": None, "f": "x", "g": [1], "h": 2.7}
    ) == {"a": 1, "b": 2, "c": 3, "h": 2}
    assert numeric_fields(None) == {}
    assert numeric_fields([1, 2]) == {}
