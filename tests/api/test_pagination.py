"""Walking device pages and history pages."""

from datetime import UTC, datetime, timedelta
import math

import aiohttp
import pytest

from custom_components.thingscloud.api import (
    AppCredentials,
    ThingsCloudClient,
    paging,
)
from simulator.state import Device, SimulatorState

from .common import FakeApi, ok, serve


def add_devices(state: SimulatorState, count: int) -> None:
    for number in range(count):
        state.add_device(Device(f"bulk-{number:04d}", f"Bulk {number}", "type-sensor"))


async def test_all_devices_with_page_records(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    add_devices(sim_state, 240)
    total = len(sim_state.devices)  # 252

    devices = await client.get_all_devices()

    assert [d.id for d in devices] == list(sim_state.devices)
    entries = sim_state.requests("devices")
    assert [e.query for e in entries] == [
        {"page": str(page), "page_records": "100"} for page in range(1, math.ceil(total / 100) + 1)
    ]


async def test_all_devices_when_the_server_ignores_page_records(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.ignore_page_records = True  # pages of 20 whatever is asked
    add_devices(sim_state, 90)
    total = len(sim_state.devices)  # 102

    devices = await client.get_all_devices()

    assert len(devices) == total
    assert len({d.id for d in devices}) == total
    assert sim_state.count("devices") == math.ceil(total / 20)


async def test_all_devices_of_a_type_and_group(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    add_devices(sim_state, 150)

    of_type = await client.get_all_devices(device_type="type-sensor")
    of_group = await client.get_all_devices(group="grp-1")

    assert len(of_type) == 152
    assert [d.id for d in of_group] == ["dev-1"]
    queries = [e.query for e in sim_state.requests("devices")]
    assert queries == [
        {"page": "1", "page_records": "100", "type": "type-sensor"},
        {"page": "2", "page_records": "100", "type": "type-sensor"},
        {"page": "1", "page_records": "100", "group": "grp-1"},
    ]


async def test_no_devices(client: ThingsCloudClient, sim_state: SimulatorState) -> None:
    sim_state.devices.clear()

    assert await client.get_all_devices() == []
    assert sim_state.count("devices") == 1


async def test_all_customer_devices_walk_pages(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    add_devices(sim_state, 45)
    sim_state.customers["cust-1"].device_ids = [f"bulk-{n:04d}" for n in range(45)]

    devices = await client.get_all_customer_devices("cust-1")

    assert len(devices) == 45
    assert [e.query for e in sim_state.requests("customer_devices")] == [
        {"page": "1"},
        {"page": "2"},
        {"page": "3"},
    ]


def _device_page(ids: list[str], **extra: object) -> tuple[int, object, dict[str, str]]:
    return ok({"items": [{"id": i, "name": i} for i in ids], **extra})


async def _walk(fake: FakeApi, session: aiohttp.ClientSession) -> list[str]:
    async with serve(fake.app()) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        return [d.id for d in await api.get_all_devices()]


async def test_walk_stops_when_the_server_repeats_a_page(session: aiohttp.ClientSession) -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/devices", _device_page(["a", "b"], total=6, page_total=3))

    assert await _walk(fake, session) == ["a", "b"]
    assert len(fake.requests("/api/v1/devices")) == 2


async def test_walk_stops_on_an_empty_page(session: aiohttp.ClientSession) -> None:
    fake = FakeApi()
    fake.on(
        "GET",
        "/api/v1/devices",
        _device_page(["a"], page_total=5),
        _device_page([], page_total=5),
    )

    assert await _walk(fake, session) == ["a"]
    assert len(fake.requests("/api/v1/devices")) == 2


async def test_walk_without_page_total_follows_total(session: aiohttp.ClientSession) -> None:
    fake = FakeApi()
    fake.on(
        "GET",
        "/api/v1/devices",
        _device_page(["a", "b", "c"], total="5"),
        _device_page(["d", "e"], total=5),
        _device_page(["f"], total=5),
    )

    assert await _walk(fake, session) == ["a", "b", "c", "d", "e"]
    assert len(fake.requests("/api/v1/devices")) == 2


@pytest.mark.parametrize(
    "info",
    [
        [{"id": "a"}, {"id": "b"}, {"name": "no id"}, "junk"],
        {"items": [{"id": "a"}, {"id": "b"}]},
        {"items": [{"id": "a"}, {"id": "b"}], "page_total": None},
    ],
)
async def test_walk_of_a_single_page_without_totals(
    session: aiohttp.ClientSession, info: object
) -> None:
    fake = FakeApi()
    fake.on("GET", "/api/v1/devices", ok(info))

    assert await _walk(fake, session) == ["a", "b"]
    assert len(fake.requests("/api/v1/devices")) == 1


async def test_walk_is_capped(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "MAX_DEVICE_PAGES", 3)
    fake = FakeApi()
    fake.on(
        "GET",
        "/api/v1/devices",
        *(_device_page([f"d{n}"], page_total=1000) for n in range(10)),
    )

    assert await _walk(fake, session) == ["d0", "d1", "d2"]
    assert len(fake.requests("/api/v1/devices")) == 3


@pytest.mark.parametrize(("points", "requests"), [(250, 3), (200, 3), (99, 1), (0, 1)])
async def test_all_series_pages(
    client: ThingsCloudClient, sim_state: SimulatorState, points: int, requests: int
) -> None:
    base = sim_state.now_ms() - 10_000_000
    for step in range(points):
        sim_state.set_attributes("dev-2", {"temperature": step}, ts=base + step * 1000)

    series = await client.get_all_attribute_series("dev-2", "temperature")

    assert [p.value for p in series] == list(reversed(range(points)))
    entries = sim_state.requests("attribute_series")
    assert [e.query for e in entries] == [
        {"page": str(page), "page_records": "100"} for page in range(1, requests + 1)
    ]


async def test_all_series_with_range_and_cap(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    base = sim_state.now_ms() - 10_000_000
    for step in range(50):
        sim_state.set_attributes("dev-2", {"temperature": step}, ts=base + step * 1000)
    start = datetime.fromtimestamp(base / 1000, UTC)

    series = await client.get_all_attribute_series(
        "dev-2",
        "temperature",
        start_time=start,
        end_time=start + timedelta(seconds=29),
        page_records=10,
        max_pages=2,
    )

    assert [p.value for p in series] == list(range(29, 9, -1))
    queries = [e.query for e in sim_state.requests("attribute_series")]
    assert [q["page"] for q in queries] == ["1", "2"]
    assert {q["start_time"] for q in queries} == {str(base)}
    assert {q["end_time"] for q in queries} == {str(base + 29_000)}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"page": 0},
        {"page": True},
        {"page_records": 0},
        {"page_records": 101},
        {"page_records": 5.0},
        {
            "start_time": datetime(2025, 1, 2, tzinfo=UTC),
            "end_time": datetime(2025, 1, 1, tzinfo=UTC),
        },
        {
            "start_time": datetime(2025, 1, 1, tzinfo=UTC),
            "end_time": datetime(2025, 2, 1, tzinfo=UTC),
        },
    ],
)
async def test_series_arguments_are_checked_before_sending(
    client: ThingsCloudClient, sim_state: SimulatorState, kwargs: dict[str, object]
) -> None:
    with pytest.raises(ValueError):
        await client.get_attribute_series("dev-1", "temperature", **kwargs)  # type: ignore[arg-type]

    assert sim_state.requests() == []


async def test_thirty_days_exactly_is_allowed(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)

    await client.get_attribute_series(
        "dev-1", "temperature", start_time=start, end_time=start + timedelta(days=30)
    )

    assert sim_state.count("attribute_series") == 1


@pytest.mark.parametrize(
    ("method", "kwargs"),
    [
        ("get_devices_page", {"page": 0}),
        ("get_devices_page", {"page_records": 0}),
        ("get_customer_devices_page", {"customer_id": "cust-1", "page": -1}),
        ("get_all_attribute_series", {"device_id": "d", "identifier": "i", "max_pages": 0}),
    ],
)
async def test_page_arguments_are_checked_before_sending(
    client: ThingsCloudClient, sim_state: SimulatorState, method: str, kwargs: dict[str, object]
) -> None:
    with pytest.raises(ValueError):
        await getattr(client, method)(**kwargs)

    assert sim_state.requests() == []
