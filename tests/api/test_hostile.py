"""Hostile input: integers too big for a float, deep nesting, NaN bodies, odd Retry-After."""

from collections.abc import Awaitable, Callable
import math
from typing import Any

import aiohttp
import pytest

from custom_components.thingscloud.api import (
    Admin,
    AlarmLog,
    AppCredentials,
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
    ThingsCloudApiError,
    ThingsCloudClient,
    ThingsCloudConnectionError,
    ThingsCloudRateLimitError,
    parse_number,
    parse_timestamp,
)
from custom_components.thingscloud.api.models import numeric_fields
from simulator.state import SimulatorState

from .common import FakeApi, ok, serve

HUGE = 10**400
HUGER = 10**5000  # more digits than int() and str() convert
DEEP = 150_000


def _deep_list(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def _deep_dict(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


def _deep_text(depth: int) -> str:
    return "[" * depth + "]" * depth


HOSTILE: list[object] = [
    HUGE,
    -HUGE,
    HUGER,
    1e308,
    -1e308,
    float("nan"),
    float("inf"),
    "1e400",
    "9" * 5000,
    "9999-12-31T23:59:59-08:00",
    "0001-01-01T00:00:00+08:00",
    _deep_list(DEEP),
    _deep_dict(DEEP),
    _deep_text(DEEP),
    [HUGE, HUGER],
    {"id": HUGER, "alarm_level": HUGE, "device_count": HUGE, "data_options": _deep_text(DEEP)},
    True,
    None,
]
FIELDS = [
    "name", "descr", "device_key", "tags", "create_time", "update_time", "alarm", "active",
    "online", "type", "type_info", "groups", "value", "attr_type", "data_type", "ts",
    "timestamp", "model", "data_options", "items", "total", "page_total", "device_count",
    "conn_protocol", "conn_type", "children", "info_type", "enabled", "options", "is_standard",
    "access_token", "project_key", "alarm_status", "alarm_level", "alarm_info", "notify_logs",
    "device", "device_id", "account", "role_id", "email", "mobile", "locale", "count",
    "allow_operate_device", "allow_alarm_msg_maintain", "allow_add_device", "customer_count",
    "level", "status", "info",
]  # fmt: skip
PARSERS: list[Callable[[object], object]] = [
    Project.from_api,
    DeviceTypeInfo.from_api,
    DeviceAlarm.from_api,
    Device.from_api,
    DevicePage.from_api,
    DeviceType.from_api,
    DeviceGroup.from_api,
    ExtendInfo.from_api,
    DeviceCertificate.from_api,
    AttributeModel.from_api,
    Attribute.from_api,
    SeriesPoint.from_api,
    AlarmLog.from_api,
    Customer.from_api,
    CustomerRole.from_api,
    Admin.from_api,
    CreatedResource.from_api,
    numeric_fields,
]


def _refusal(parser: Callable[[object], object], data: object) -> str | None:
    """Parse; return the message of a ValueError instead of raising it."""
    try:
        parser(data)
    except ValueError as err:
        return str(err)
    return None


@pytest.mark.parametrize("value", HOSTILE, ids=lambda value: type(value).__name__)
def test_models_of_hostile_data_never_raise(value: object) -> None:
    nested = dict.fromkeys(FIELDS, value)
    data = {**nested, "id": "x", "identifier": "x", "alarm": nested, "type_info": nested}
    for parser in PARSERS:
        assert _refusal(parser, data) is None
        refusal = _refusal(parser, nested)  # no id: at most the documented ValueError
        assert refusal is None or "no usable" in refusal
    device = Device.from_api({**data, "active": {"a": value, "b": 1_700_000_000_000}})
    assert device.last_active is not None
    assert device.type_name is None or isinstance(device.type_name, str)
    DevicePage.from_api({"items": [data, nested], "page_total": value}).has_page_total  # noqa: B018


@pytest.mark.parametrize("value", HOSTILE, ids=lambda value: type(value).__name__)
def test_models_without_an_id_only_say_so(value: object) -> None:
    nested = dict.fromkeys(FIELDS, value)
    for parser in (Project, Device, DeviceType, DeviceGroup, ExtendInfo, Customer, CustomerRole):
        with pytest.raises(ValueError, match="no usable 'id'"):
            parser.from_api({**nested, "id": HUGER})


def test_huge_numbers_are_no_numbers() -> None:
    device = Device.from_api(
        {
            "id": "d",
            "name": HUGER,
            "tags": {"a": HUGER, "b": HUGE},
            "create_time": HUGE,
            "alarm": {"alarm_status": HUGE, "alarm_level": HUGE},
            "active": {"attributes": HUGE, "online": 1_700_000_000_000},
            "groups": [HUGER, {"id": HUGER}, "g"],
        }
    )
    log = AlarmLog.from_api({"id": HUGER, "alarm_status": HUGE, "alarm_level": "1e400"})

    assert (device.name, device.tags, device.create_time) == ("", {"b": str(HUGE)}, None)
    assert (device.alarm.active, device.alarm.level) == (False, None)
    assert device.active == {"online": 1_700_000_000_000}
    assert device.groups == ("g",)
    assert (log.id, log.alarm_status, log.alarm_level) == ("", None, None)
    assert numeric_fields({"a": HUGE, "b": 2**60, "c": "3"}) == {"b": 2**60, "c": 3}
    assert parse_number(HUGE) is None
    assert parse_timestamp(HUGE) is None
    assert parse_timestamp("9999-12-31T23:59:59-08:00") is None


def test_deeply_nested_data_options_are_no_options() -> None:
    model = AttributeModel.from_api({"data_options": _deep_text(DEEP)})
    info = ExtendInfo.from_api({"id": "e", "options": _deep_text(DEEP)})

    assert model.data_options == {}
    assert info.options == {}


async def _answer(session: aiohttp.ClientSession, body: bytes | object) -> object:
    fake = FakeApi()
    fake.on("GET", "/api/v1/project", (200, body, {}))
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        return await api.get_project()


@pytest.mark.parametrize(
    "body",
    [
        b'{"result": true, "info": ' + _deep_text(DEEP).encode() + b"}",
        b'{"result": true, "info": {"id": 1' + b"0" * 5000 + b"}}",
    ],
    ids=["deep", "long-integer"],
)
async def test_unusable_json_fails_that_request_only(
    session: aiohttp.ClientSession, body: bytes
) -> None:
    with pytest.raises(ThingsCloudConnectionError, match="not usable JSON"):
        await _answer(session, body)


async def test_huge_numbers_in_answers(session: aiohttp.ClientSession) -> None:
    fake = FakeApi(token_info={"access_token": "t", "expires_in": HUGE})
    fake.on("GET", "/api/v1/project", ok({"id": "p", "name": HUGE}))
    fake.on("GET", "/api/v1/devices_stat", ok({"device_total": HUGE, "online_device_total": 3}))
    fake.on("GET", "/api/v1/devices", (200, {"result": False, "errcode": HUGE, "message": "m"}, {}))
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        project = await api.get_project()
        stat = await api.get_devices_stat()
        with pytest.raises(ThingsCloudApiError) as err:
            await api.get_devices_page()

    assert project.name == str(HUGE)
    assert stat == {"online_device_total": 3}
    assert err.value.errcode is None


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"Retry-After": "1e400"}, {}),
        ({"Retry-After": "9" * 500}, {}),
        ({"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, {}),
        ({"Retry-After": "Fri, 31 Dec 9999 23:59:59 -2359"}, {}),
        ({"Retry-After": "Mon, 01 Jan 0001 00:00:00 +2359"}, {}),
        ({"Retry-After": "Mon, 01 Jan 99999 00:00:00 GMT"}, {}),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 -0000"}, {}),
        ({}, {"retry_after": HUGE}),
        ({}, {"retry_after": "1e400"}),
        ({}, {"retryAfter": -HUGE}),
        ({}, {"info": {"retry_after": 1e308}}),
        ({}, {"info": {"retryAfter": "nan"}}),
    ],
)
async def test_retry_after_is_finite_or_none(
    session: aiohttp.ClientSession, headers: dict[str, str], body: object
) -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/project", (429, body, headers))
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        with pytest.raises(ThingsCloudRateLimitError) as err:
            await api.get_project()

    retry_after = err.value.retry_after
    assert retry_after is None or (math.isfinite(retry_after) and retry_after >= 0)
    assert api.pacing.spacing <= 60


def _nan_calls(client: ThingsCloudClient) -> list[Callable[[], Awaitable[object]]]:
    nan, inf = float("nan"), float("inf")
    return [
        lambda: client.push_attributes("dev-1", {"relay": nan}),
        lambda: client.push_attributes("dev-1", {"deep": _deep_list(DEEP)}),
        lambda: client.set_cloud_attributes("dev-1", {"limit": inf}),
        lambda: client.set_cloud_attributes("dev-1", {"when": object()}),  # type: ignore[dict-item]
        lambda: client.send_command("dev-1", "set", {"level": -inf}),
        lambda: client.send_command("dev-1", "set", {"levels": [1, nan]}),
        lambda: client.send_data_stream("dev-1", "s", "json", {"v": nan}),
        lambda: client.send_data_stream("dev-1", "s", "json", '{"v": NaN}'),
        lambda: client.send_data_stream("dev-1", "s", "json", '{"v": Infinity}'),
        lambda: client.send_data_stream("dev-1", "s", "json", _deep_text(DEEP)),
        lambda: client.update_device_extend_infos("dev-1", {"ext": nan}),
        lambda: client.update_device_standard_info("dev-1", "location", {"lat": nan}),
    ]


async def test_bodies_that_are_not_json_are_refused_before_sending(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    for number, call in enumerate(_nan_calls(client)):
        with pytest.raises(ValueError, match="JSON") as err:
            await call()
        assert err.value.args, number

    assert sim_state.requests() == []  # not even a token request


async def test_json_bodies_still_carry_finite_numbers(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.send_command("dev-1", "set", {"level": 1e308, "big": HUGE})

    (entry,) = sim_state.requests("control_command")
    assert entry.json == {"method": "set", "params": {"level": 1e308, "big": HUGE}}
