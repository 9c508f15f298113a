"""Reading a long device list: concurrent pages from page 3 on, and parsed devices reused."""

import asyncio

import aiohttp
from aiohttp import web
import pytest

from custom_components.thingscloud.api import (
    AppCredentials,
    ThingsCloudClient,
    ThingsCloudConnectionError,
    paging,
)
from simulator.state import Device, SimulatorState

from .common import serve

PAGES = 10
PER_PAGE = 3


class PagedApi:
    """Pages of PER_PAGE devices; records when each page request starts and ends."""

    def __init__(self, failing_page: int | None = None) -> None:
        self.failing_page = failing_page
        self.events: list[tuple[str, int]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def devices(self, request: web.Request) -> web.Response:
        page = int(request.query["page"])
        self.events.append(("start", page))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(0.02)
        finally:
            self.in_flight -= 1
            self.events.append(("end", page))
        if page == self.failing_page:
            return web.Response(status=500, text="<html>boom</html>", content_type="text/html")
        items = [{"id": f"p{page}-{n}", "name": f"{page}/{n}"} for n in range(PER_PAGE)]
        return web.json_response(
            {
                "result": True,
                "info": {"items": items, "total": PAGES * PER_PAGE, "page_total": PAGES},
            }
        )

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response(
            {"result": True, "info": {"access_token": "t", "expires_in": 86400}}
        )

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/access_token", self.token)
        app.router.add_get("/api/v1/devices", self.devices)
        return app


async def _walk(api: PagedApi, session: aiohttp.ClientSession) -> list[str]:
    async with serve(api.app()) as url:
        client = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        return [device.id for device in await client.get_all_devices()]


async def test_pages_from_the_third_are_read_a_few_at_a_time(
    session: aiohttp.ClientSession,
) -> None:
    api = PagedApi()

    ids = await _walk(api, session)

    assert ids == [f"p{page}-{n}" for page in range(1, PAGES + 1) for n in range(PER_PAGE)]
    starts = [page for kind, page in api.events if kind == "start"]
    assert sorted(starts) == list(range(1, PAGES + 1))
    # Pages 1 and 2 one after the other (page 2 proves that the server pages) ...
    assert api.events[:4] == [("start", 1), ("end", 1), ("start", 2), ("end", 2)]
    # ... then MAX_PARALLEL_PAGES at a time.
    assert api.max_in_flight == paging.MAX_PARALLEL_PAGES == 4


async def test_a_failing_page_fails_the_walk(session: aiohttp.ClientSession) -> None:
    api = PagedApi(failing_page=5)

    with pytest.raises(ThingsCloudConnectionError):
        await _walk(api, session)


async def test_concurrent_pages_stop_at_the_cap(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "MAX_DEVICE_PAGES", 4)
    api = PagedApi()

    ids = await _walk(api, session)

    assert len(ids) == 4 * PER_PAGE
    assert sorted(page for kind, page in api.events if kind == "start") == [1, 2, 3, 4]


async def test_pages_of_a_server_that_ignores_page_records_keep_their_order(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    sim_state.ignore_page_records = True  # pages of 20
    for number in range(190):
        sim_state.add_device(Device(f"bulk-{number:04d}", f"Bulk {number}", "type-sensor"))

    devices = await client.get_all_devices()

    assert [device.id for device in devices] == list(sim_state.devices)
    assert sim_state.count("devices") == 11


async def test_unchanged_devices_are_not_parsed_again(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    first = {device.id: device for device in await client.get_all_devices()}
    sim_state.set_online("dev-2", True)

    second = {device.id: device for device in await client.get_all_devices()}

    assert second.keys() == first.keys()
    assert second["dev-2"] is not first["dev-2"]
    assert second["dev-2"].online is True
    assert all(second[device_id] is first[device_id] for device_id in first if device_id != "dev-2")


async def test_kept_devices_follow_the_listing(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    for device_id in [d for d in sim_state.devices if d not in ("dev-1", "dev-2")]:
        sim_state.delete_device(device_id)
    for number in range(7):
        sim_state.add_device(Device(f"churn-{number}", "Churn", "type-sensor", groups=["grp-2"]))
    added = 7
    for _ in range(30):  # each cycle three devices go and three new ones come
        for device_id in [d for d in sim_state.devices if d.startswith("churn-")][:3]:
            sim_state.delete_device(device_id)
        for _ in range(3):
            sim_state.add_device(Device(f"churn-{added}", "Churn", "type-sensor", groups=["grp-2"]))
            added += 1
        everything = await client.get_all_devices()
        of_type = await client.get_all_devices(device_type="type-sensor")
        of_group = await client.get_all_devices(group="grp-2")

        assert len(everything) == len(of_type) == 9
        assert len(of_group) == 8
        assert len(client._listings) == 9 + 9 + 8

    # A device listed by several filters is parsed once.
    by_id = {device.id: device for device in of_type}
    assert all(device is by_id[device.id] for device in everything + of_group)


async def test_a_failed_walk_keeps_what_was_kept(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    first = {device.id: device for device in await client.get_all_devices()}
    sim_state.faults.set("http_error", "devices", count=1, status=502)

    with pytest.raises(ThingsCloudConnectionError):
        await client.get_all_devices()
    page = await client.get_devices_page()  # a single page reuses, but keeps nothing new

    assert len(client._listings) == len(first)
    assert all(device is first[device.id] for device in page.items)


async def test_only_the_last_filters_are_kept(
    client: ThingsCloudClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paging, "MAX_LISTING_CACHES", 2)

    await client.get_all_devices(group="grp-1")
    await client.get_all_devices(group="grp-2")
    assert len(client._listings) == 2
    await client.get_all_devices(group="grp-1")  # walked again: now the newest
    await client.get_all_devices(device_type="type-sensor")

    assert len(client._listings) == 1 + 2  # grp-1's device and the 2 sensors
