"""The client's set-up: endpoint, session ownership, argument checks, odd `info` shapes."""

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from custom_components.thingscloud.api import (
    AppCredentials,
    ThingsCloudApiError,
    ThingsCloudClient,
    ThingsCloudInvalidEndpointError,
    normalize_endpoint,
)
from simulator.state import SimulatorState
from simulator.testing import RunningSimulator

from .common import ACCESS_KEY, APP_ID, SECRET_KEY, FakeApi, ok, serve

CREDENTIALS = AppCredentials("a", "k", "s")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://sh-1-api.iot-api.com", "https://sh-1-api.iot-api.com"),
        ("https://sh-1-api.iot-api.com/", "https://sh-1-api.iot-api.com"),
        ("https://sh-1-api.iot-api.com/api/v1", "https://sh-1-api.iot-api.com"),
        ("  https://sh-1-api.iot-api.com/api/v1/ \n", "https://sh-1-api.iot-api.com"),
        ("HTTPS://SH-1-API.iot-api.com:443/API/V1", "https://sh-1-api.iot-api.com"),
        ("sh-1-api.iot-api.com", "https://sh-1-api.iot-api.com"),
        ("https://api.example.com:8443/", "https://api.example.com:8443"),
        ("https://bücher.example", "https://xn--bcher-kva.example"),
        ("http://127.0.0.1:8081", "http://127.0.0.1:8081"),
        ("http://127.1.2.3:80/api/v1/", "http://127.1.2.3"),
        ("http://localhost:8081/", "http://localhost:8081"),
        ("http://[::1]:8081/api/v1", "http://[::1]:8081"),
    ],
)
def test_normalize_endpoint(url: str, expected: str) -> None:
    assert normalize_endpoint(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "http://sh-1-api.iot-api.com",
        "http://127.0.0.1.example.com",
        "http://10.0.0.1:8081",
        "ftp://sh-1-api.iot-api.com",
        "https://host/path",
        "https://host/api/v2",
        "https://host/api/v1/devices",
        "https://user:pw@host",
        "https://@host",
        "https://host?x=1",
        "https://host/#frag",
        "https://",
        "https://host:99999",
        "https://host:port",
        "https://ho st",
        "https://host\x00",
        5,
        None,
    ],
)
def test_normalize_endpoint_refuses(url: object) -> None:
    with pytest.raises(ThingsCloudInvalidEndpointError) as err:
        normalize_endpoint(url)  # type: ignore[arg-type]
    assert isinstance(err.value, ValueError)


def test_constructor_checks() -> None:
    with pytest.raises(ThingsCloudInvalidEndpointError):
        ThingsCloudClient("http://example.com", CREDENTIALS)
    with pytest.raises(TypeError):
        ThingsCloudClient("https://x.io", {"app_id": "a"})  # type: ignore[arg-type]
    for timeout in (0, -1, True):
        with pytest.raises(ValueError, match="request_timeout"):
            ThingsCloudClient("https://x.io", CREDENTIALS, request_timeout=timeout)

    client = ThingsCloudClient("https://x.io/api/v1/", CREDENTIALS)
    assert client.endpoint == "https://x.io"
    assert not client.is_admin


def session_of(api: ThingsCloudClient) -> aiohttp.ClientSession | None:
    return api._transport.session


async def test_own_session_is_created_and_closed(simulator: RunningSimulator) -> None:
    async with ThingsCloudClient(
        simulator.api_url, AppCredentials(APP_ID, ACCESS_KEY, SECRET_KEY)
    ) as api:
        project = await api.get_project()
        own_session = session_of(api)
        assert own_session is not None
        open_inside = not own_session.closed

    assert open_inside
    assert project.id == simulator.state.project.id
    assert own_session.closed
    assert session_of(api) is None
    await api.close()  # closing twice is harmless


async def test_injected_session_is_left_open(
    simulator: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    api = ThingsCloudClient(
        simulator.url, AppCredentials(APP_ID, ACCESS_KEY, SECRET_KEY), session=session
    )
    await api.get_project()
    await api.close()

    assert not session.closed
    assert api._transport.session is session


async def test_close_without_any_request() -> None:
    api = ThingsCloudClient("https://x.io", CREDENTIALS)
    await api.close()
    assert api._transport.session is None


def _bad_calls(client: ThingsCloudClient) -> list[Callable[[], Awaitable[object]]]:
    bad: object = "bad"
    return [
        lambda: client.update_device_tags("dev-1", {}),
        lambda: client.update_device_tags("dev-1", ["a"]),  # type: ignore[arg-type]
        lambda: client.remove_device_tags("dev-1", []),
        lambda: client.remove_device_tags("dev-1", "floor"),
        lambda: client.remove_device_tags("dev-1", [1]),  # type: ignore[list-item]
        lambda: client.update_device_groups("dev-1", "grp-1"),
        lambda: client.create_device(""),
        lambda: client.create_device(None),  # type: ignore[arg-type]
        lambda: client.update_device_standard_info("dev-1", "", {"a": 1}),
        lambda: client.update_device_standard_info("dev-1", "location", {}),
        lambda: client.update_device_extend_infos("dev-1", {}),
        lambda: client.remove_device_attributes("dev-1", []),
        lambda: client.push_attributes("dev-1", {}),
        lambda: client.set_cloud_attributes("dev-1", {}),
        lambda: client.send_command("dev-1", ""),
        lambda: client.send_command("dev-1", "m", ["x"]),  # type: ignore[arg-type]
        lambda: client.send_command("dev-1", "m", command_id=-1),
        lambda: client.send_command("dev-1", "m", command_id="1"),  # type: ignore[arg-type]
        lambda: client.send_data_stream("dev-1", "s", "xml", "x"),  # type: ignore[arg-type]
        lambda: client.send_data_stream("dev-1", "s", "text", "x", push_mode="http"),  # type: ignore[arg-type]
        lambda: client.send_data_stream("dev-1", "s", "text", ""),
        lambda: client.send_data_stream("dev-1", "s", "text", {"a": 1}),
        lambda: client.send_data_stream("dev-1", "s", "hex", "0G"),
        lambda: client.send_data_stream("dev-1", "s", "hex", "012"),
        lambda: client.send_data_stream("dev-1", "s", "json", "[1]"),
        lambda: client.send_data_stream("dev-1", "s", "json", "{bad"),
        lambda: client.send_data_stream("dev-1", "s", "json", bad),  # type: ignore[arg-type]
        lambda: client.send_data_stream("dev-1", "s", "json", 5),  # type: ignore[arg-type]
        lambda: client.create_customer("", "acc", "pw"),
        lambda: client.create_customer("n", "", "pw"),
        lambda: client.create_customer("n", "acc", ""),
        lambda: client.update_customer_password("cust-1", ""),
        lambda: client.update_customer_tags("cust-1", {}),
        lambda: client.customer_auth("", "pw"),
        lambda: client.customer_auth("acc", ""),
    ]


async def test_bad_arguments_are_refused_before_sending(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    for number, call in enumerate(_bad_calls(client)):
        with pytest.raises(ValueError) as err:
            await call()
        assert err.value.args, number

    assert sim_state.requests() == []


async def test_hex_message_may_be_spaced_and_mixed_case(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.send_data_stream("dev-1", "stream", "hex", "0a FF\n1b")

    assert sim_state.requests("control_data_stream")[0].json == {
        "type": "hex",
        "msg": "0a FF\n1b",
    }


async def _call_with(info: object, method: str, *args: object) -> Any:
    """Run one client method against a fake answering `info` for every API path."""
    fake = FakeApi()
    for verb in ("GET", "POST", "PUT", "DELETE"):
        for path in (
            "/api/v1/project",
            "/api/v1/devices_stat",
            "/api/v1/device_types",
            "/api/v1/device_groups_tree",
            "/api/v1/devices",
            "/api/v1/device/d",
            "/api/v1/device",
            "/api/v1/device/d/certificate",
            "/api/v1/device/d/customers",
            "/api/v1/device/d/attributes",
            "/api/v1/device/d/attributes_raw",
            "/api/v1/device/d/attribute/i/series",
            "/api/v1/device/d/extend_infos",
            "/api/v1/device/d/standard_infos",
            "/api/v1/alarm_logs",
            "/api/v1/customers",
            "/api/v1/customer",
            "/api/v1/customer_roles",
            "/api/v1/customer/c",
            "/api/v1/customer/c/devices",
            "/api/v1/customer_auth",
            "/api/v1/admin",
        ):
            fake.on(verb, path, ok(info))
    async with aiohttp.ClientSession() as session, serve(fake.app()) as url:
        api = ThingsCloudClient(url, CREDENTIALS, session=session)
        return await getattr(api, method)(*args)


LIST_METHODS: list[tuple[str, tuple[object, ...]]] = [
    ("get_device_types", ()),
    ("get_device_groups_tree", ()),
    ("get_device_customers", ("d",)),
    ("get_device_attributes", ("d",)),
    ("get_attribute_series", ("d", "i")),
    ("get_device_extend_infos", ("d",)),
    ("get_alarm_logs", ()),
    ("get_customers", ()),
    ("get_customer_roles", ()),
    ("get_all_devices", ()),
    ("get_all_customer_devices", ("c",)),
]

OBJECT_METHODS: list[tuple[str, tuple[object, ...]]] = [
    ("get_devices_stat", ()),
    ("get_device_attributes_raw", ("d",)),
    ("update_device_standard_info", ("d", "location", {"a": 1})),
    ("update_device_extend_infos", ("d", {"a": 1})),
]

SINGLE_METHODS: list[tuple[str, tuple[object, ...]]] = [
    ("get_project", ()),
    ("get_device", ("d",)),
    ("get_device_certificate", ("d",)),
    ("get_customer", ("c",)),
    ("get_admin", ()),
    ("create_device", ("name",)),
    ("create_customer", ("n", "a", "p")),
    ("customer_auth", ("a", "p")),
]


@pytest.mark.parametrize("info", [None, "text", 5, {}, {"items": None}])
@pytest.mark.parametrize(("method", "args"), LIST_METHODS)
async def test_list_endpoints_tolerate_odd_info(
    info: object, method: str, args: tuple[object, ...]
) -> None:
    assert await _call_with(info, method, *args) == []


@pytest.mark.parametrize("info", [None, "text", [1, 2]])
@pytest.mark.parametrize(("method", "args"), OBJECT_METHODS)
async def test_object_endpoints_tolerate_odd_info(
    info: object, method: str, args: tuple[object, ...]
) -> None:
    assert await _call_with(info, method, *args) == {}


@pytest.mark.parametrize("info", [None, "text", [{"id": "x"}]])
@pytest.mark.parametrize(("method", "args"), SINGLE_METHODS)
async def test_single_object_endpoints_refuse_odd_info(
    info: object, method: str, args: tuple[object, ...]
) -> None:
    with pytest.raises(ThingsCloudApiError, match="no usable"):
        await _call_with(info, method, *args)


async def test_bare_list_and_extra_fields() -> None:
    types = await _call_with([{"id": "t", "name": "T", "new_field": [1]}], "get_device_types")
    stat = await _call_with({"device_total": "3", "note": "x", "ratio": 0.5}, "get_devices_stat")
    page = await _call_with([{"id": "a"}, {"id": "b"}], "get_devices_page")

    assert [t.id for t in types] == ["t"]
    assert types[0].raw["new_field"] == [1]
    assert stat == {"device_total": 3, "ratio": 0}
    assert [d.id for d in page.items] == ["a", "b"]
    assert page.page_total == 1


async def test_write_methods_ignore_info() -> None:
    assert await _call_with(None, "delete_device", "d") is None
    assert await _call_with("odd", "delete_customer", "c") is None
