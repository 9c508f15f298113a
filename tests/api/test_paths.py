"""Path parameters: each one is exactly one percent-encoded segment, or refused unsent."""

from collections.abc import Awaitable, Callable
from urllib.parse import quote

import pytest

from custom_components.thingscloud.api import (
    ThingsCloudApiError,
    ThingsCloudClient,
    ThingsCloudInvalidIdError,
    encode_path_segment,
)
from simulator.state import SimulatorState

from .common import ODD_IDS, api_requests, only_request


@pytest.mark.parametrize("device_id", ODD_IDS)
async def test_odd_device_ids_reach_their_own_device(
    client: ThingsCloudClient, sim_state: SimulatorState, device_id: str
) -> None:
    device = await client.get_device(device_id)

    assert device.id == device_id
    assert device.name == f"odd {device_id}"
    entry = only_request(sim_state)
    assert entry.route == "device"
    assert entry.raw_path == "/api/v1/device/" + quote(device_id, safe="")


@pytest.mark.parametrize("device_id", ["../project", "a/b", "中文"])
async def test_odd_ids_on_nested_routes(
    client: ThingsCloudClient, sim_state: SimulatorState, device_id: str
) -> None:
    await client.push_attributes(device_id, {"x": 1})
    await client.send_data_stream(device_id, "a/b", "text", "hi")

    post, stream = api_requests(sim_state)
    assert post.route == "control_attributes_post"
    assert sim_state.writes[device_id][0].attributes == {"x": 1}
    encoded = quote(device_id, safe="")
    assert stream.raw_path == (f"/api/v1/control/device/{encoded}/data/a%2Fb/set?push_mode=mqtt")
    assert sim_state.data_streams[device_id][0].identifier == "a/b"


async def test_odd_identifier_reaches_its_series(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.set_attributes("dev-1", {"../x?y": 1, "中文": 2})

    odd = await client.get_attribute_series("dev-1", "../x?y")
    chinese = await client.get_attribute_series("dev-1", "中文")

    assert [p.value for p in odd] == [1]
    assert [p.value for p in chinese] == [2]
    assert [e.route for e in api_requests(sim_state)] == ["attribute_series"] * 2


async def test_odd_customer_id(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    customer = await client.get_customer("中文/客户")

    assert customer.account == "bob"
    entry = only_request(sim_state)
    assert entry.route == "customer"
    assert entry.raw_path == "/api/v1/customer/%E4%B8%AD%E6%96%87%2F%E5%AE%A2%E6%88%B7"


async def test_odd_device_type_id_is_its_own_segment(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    with pytest.raises(ThingsCloudApiError) as err:
        await client.get_device_type_extend_infos("../device_types")

    assert err.value.errcode == 404  # no such type, and not the /device_types list
    entry = only_request(sim_state)
    assert entry.route == "device_type_extend_infos"
    assert entry.raw_path == "/api/v1/device_type/..%2Fdevice_types/extend_infos"


async def test_query_values_are_encoded(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.get_devices_page(device_type="a&page=9", group="g#1")

    entry = only_request(sim_state)
    assert entry.query == {"page": "1", "page_records": "100", "type": "a&page=9", "group": "g#1"}


BAD_IDS: list[object] = [
    "",
    "   ",
    ".",
    "..",
    "a\x00b",
    "a\nb",
    "tab\there",
    "\x7f",
    "\u0085",
    "\ud800",
    "x" * 257,
    None,
    123,
    b"dev-1",
]


def _calls(client: ThingsCloudClient, bad: object) -> list[Callable[[], Awaitable[object]]]:
    value: str = bad  # type: ignore[assignment]
    return [
        lambda: client.get_device(value),
        lambda: client.delete_device(value),
        lambda: client.get_device_certificate(value),
        lambda: client.push_attributes(value, {"a": 1}),
        lambda: client.get_attribute_series("dev-1", value),
        lambda: client.send_data_stream("dev-1", value, "text", "x"),
        lambda: client.get_customer(value),
        lambda: client.get_all_customer_devices(value),
        lambda: client.get_device_type_extend_infos(value),
    ]


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
async def test_bad_ids_are_refused_before_anything_is_sent(
    client: ThingsCloudClient, sim_state: SimulatorState, bad: object
) -> None:
    for call in _calls(client, bad):
        with pytest.raises(ThingsCloudInvalidIdError) as err:
            await call()
        assert isinstance(err.value, ValueError)

    assert sim_state.requests() == []  # not even a token request


@pytest.mark.parametrize("bad", ["", " ", "a\x00b", "a\nb", "x" * 257, 5], ids=repr)
async def test_bad_filters_are_refused_before_anything_is_sent(
    client: ThingsCloudClient, sim_state: SimulatorState, bad: object
) -> None:
    value: str = bad  # type: ignore[assignment]
    for call in (
        lambda: client.get_devices_page(device_type=value),
        lambda: client.get_devices_page(group=value),
        lambda: client.get_all_devices(device_type=value),
        lambda: client.get_all_devices(group=value),
    ):
        with pytest.raises(ThingsCloudInvalidIdError):
            await call()

    assert sim_state.requests() == []


def test_encode_path_segment() -> None:
    assert encode_path_segment("dev-1") == "dev-1"
    assert encode_path_segment("a/b") == "a%2Fb"
    assert encode_path_segment("../project") == "..%2Fproject"
    assert encode_path_segment("a?b#c d%") == "a%3Fb%23c%20d%25"
    assert encode_path_segment("中文") == "%E4%B8%AD%E6%96%87"
    assert encode_path_segment("x" * 256) == "x" * 256
    with pytest.raises(ThingsCloudInvalidIdError, match=r"device_id must not be '\.' or '\.\.'"):
        encode_path_segment("..", "device_id")
    with pytest.raises(ThingsCloudInvalidIdError, match="longer than 256"):
        encode_path_segment("x" * 257)
