"""An attribute's history over any range: 30-day windows, pages of 100, odd servers."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
import logging
import random

import aiohttp
from aiohttp import web
import pytest

from custom_components.thingscloud.api import (
    AppCredentials,
    SeriesPoint,
    ThingsCloudClient,
    client as client_module,
)
from simulator.scenarios import meter_history
from simulator.state import SimulatorState

from .common import START, serve

DAY_MS = 86_400_000
END_MS = int(START * 1000)


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def _values(points: list[SeriesPoint]) -> list[tuple[int, object]]:
    return [(round(p.ts.timestamp() * 1000), p.value) for p in points if p.ts is not None]


async def test_a_meter_history_over_35_days(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    rng = random.Random(3)  # noqa: S311
    history = meter_history(END_MS, 321.5, rng, days=35, reset_days_ago=20, gap_days_ago=5)
    sim_state.series[("dev-1", "energy")] = history
    start, end = END_MS - 35 * DAY_MS, END_MS + 1

    points = await client.get_attribute_series_range("dev-1", "energy", _dt(start), _dt(end))

    assert _values(points) == [(p.ts, p.value) for p in history]  # the reset and gap as they are
    queries = [entry.query for entry in sim_state.requests("attribute_series")]
    windows = sorted({(int(q["start_time"]), int(q["end_time"])) for q in queries})
    assert windows == [(start, start + 30 * DAY_MS), (start + 30 * DAY_MS, end)]
    assert {q["page_records"] for q in queries} == {"100"}
    first_window = [q for q in queries if int(q["start_time"]) == start]
    assert [int(q["page"]) for q in first_window] == list(range(1, 88))  # 8,640 points
    assert len(queries) == 87 + 14  # then 1,441 points less the 72 of the gap


async def test_range_bounds_are_start_inclusive_end_exclusive(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    base = END_MS - DAY_MS
    for step in range(10):
        sim_state.set_attributes("dev-2", {"temperature": step}, ts=base + step * 1000)

    points = await client.get_attribute_series_range(
        "dev-2", "temperature", _dt(base + 2000), _dt(base + 7000)
    )

    assert [p.value for p in points] == [2, 3, 4, 5, 6]
    empty = await client.get_attribute_series_range("dev-2", "temperature", _dt(base), _dt(base))
    assert empty == []
    assert sim_state.count("attribute_series") == 1  # an empty range sends nothing


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2025, 1, 2, tzinfo=UTC), datetime(2025, 1, 1, tzinfo=UTC)),
        ("2025-01-01", datetime(2025, 1, 2, tzinfo=UTC)),
        (datetime(2025, 1, 1, tzinfo=UTC), 1_735_776_000),
    ],
)
async def test_range_arguments_are_checked_before_sending(
    client: ThingsCloudClient, sim_state: SimulatorState, start: object, end: object
) -> None:
    with pytest.raises(ValueError):
        await client.get_attribute_series_range("dev-1", "t", start, end)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        await client.get_attribute_series_range("../x", "t", start, end)  # type: ignore[arg-type]

    assert sim_state.requests() == []


class SeriesApi:
    """A history server with the habits of different ThingsCloud versions."""

    def __init__(
        self,
        points: list[tuple[int, object]],
        *,
        newest_first: bool = True,
        ignore_page: bool = False,
        stamp: Callable[[int], dict[str, object]] = lambda ms: {"ts": ms},
    ) -> None:
        self.points = points
        self.newest_first = newest_first
        self.ignore_page = ignore_page
        self.stamp = stamp
        self.queries: list[dict[str, str]] = []

    async def series(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.queries.append(query)
        start, end = int(query["start_time"]), int(query["end_time"])
        found = sorted((p for p in self.points if start <= p[0] <= end), reverse=self.newest_first)
        size = int(query["page_records"])
        page = 1 if self.ignore_page else int(query["page"])
        items = [
            {**self.stamp(ms), "name": "e", "value": value, "type": "report"}
            for ms, value in found[(page - 1) * size : page * size]
        ]
        return web.json_response({"result": True, "info": items})

    async def token(self, request: web.Request) -> web.Response:
        return web.json_response({"result": True, "info": {"access_token": "t"}})

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v1/access_token", self.token)
        app.router.add_get("/api/v1/device/{device_id}/attribute/{identifier}/series", self.series)
        return app


async def _walk(
    api: SeriesApi, session: aiohttp.ClientSession, start_ms: int, end_ms: int
) -> list[SeriesPoint]:
    async with serve(api.app()) as url:
        client = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        return await client.get_attribute_series_range("d", "e", _dt(start_ms), _dt(end_ms))


def _points(count: int, step_ms: int = 60_000) -> list[tuple[int, object]]:
    return [(END_MS - (count - n) * step_ms, float(n)) for n in range(count)]


@pytest.mark.parametrize("newest_first", [True, False])
async def test_either_order(session: aiohttp.ClientSession, newest_first: bool) -> None:
    points = _points(250)
    api = SeriesApi(points, newest_first=newest_first)

    found = await _walk(api, session, END_MS - DAY_MS, END_MS + 1)

    assert _values(found) == points
    assert [q["page"] for q in api.queries] == ["1", "2", "3"]


async def test_a_server_that_ignores_page(session: aiohttp.ClientSession) -> None:
    points = _points(250)
    api = SeriesApi(points, ignore_page=True)

    found = await _walk(api, session, END_MS - DAY_MS, END_MS + 1)

    assert _values(found) == points[-100:]  # all it ever gives
    assert [q["page"] for q in api.queries] == ["1", "2"]


@pytest.mark.parametrize(
    ("stamp", "unit"),
    [
        (lambda ms: {"ts": ms // 1000}, "seconds"),
        (lambda ms: {"ts": str(ms)}, "text"),
        (lambda ms: {"timestamp": _dt(ms).isoformat()}, "iso"),
        (lambda ms: {"ts": None, "timestamp": _dt(ms).isoformat()}, "iso without ts"),
    ],
)
async def test_timestamps_in_any_unit(
    session: aiohttp.ClientSession, stamp: Callable[[int], dict[str, object]], unit: str
) -> None:
    points = _points(150)
    api = SeriesApi(points, stamp=stamp)

    found = await _walk(api, session, END_MS - DAY_MS, END_MS + 1)

    assert _values(found) == points, unit


async def test_points_without_a_usable_time_are_skipped(session: aiohttp.ClientSession) -> None:
    points = _points(120)

    def stamp(ms: int) -> dict[str, object]:
        return {"ts": "soon"} if ms % 120_000 == 0 else {"ts": ms}

    found = await _walk(SeriesApi(points, stamp=stamp), session, END_MS - DAY_MS, END_MS + 1)

    assert _values(found) == [p for p in points if p[0] % 120_000]


async def test_nothing_usable_stops_the_window(session: aiohttp.ClientSession) -> None:
    api = SeriesApi(_points(300), stamp=lambda ms: {"ts": "soon"})

    assert await _walk(api, session, END_MS - DAY_MS, END_MS + 1) == []
    assert len(api.queries) == 1


async def test_duplicates_keep_the_first(session: aiohttp.ClientSession) -> None:
    points = [(END_MS - 5000, 1.0), (END_MS - 5000, 2.0), (END_MS - 4000, 3.0)]

    found = await _walk(SeriesApi(points), session, END_MS - DAY_MS, END_MS + 1)

    assert _values(found) == [(END_MS - 5000, 2.0), (END_MS - 4000, 3.0)]


async def test_pages_per_window_are_capped(
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(client_module, "SERIES_RANGE_MAX_PAGES", 3)
    points = _points(31 * 24 * 20, step_ms=180_000)  # 31 days, 20 an hour

    found = await _walk(SeriesApi(points), session, END_MS - 31 * DAY_MS, END_MS)

    # Window 1 (30 days): 3 pages of its newest points; window 2 (1 day): 300 of its 480.
    assert len(found) == 600
    assert "after 3 pages of one window" in caplog.text
    assert caplog.records[-1].levelno == logging.WARNING


async def test_range_requests_are_background_by_default(
    client: ThingsCloudClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    original = client._transport.pacer.run

    async def run(call: Callable[[], Awaitable[object]], **kwargs: bool) -> object:
        seen.append(kwargs.get("background", False))
        return await original(call, **kwargs)

    monkeypatch.setattr(client._transport.pacer, "run", run)
    await client.authenticate()
    seen.clear()
    start = datetime.now(UTC) - timedelta(days=1)
    await client.get_attribute_series_range("dev-1", "temperature", start, start + timedelta(1))
    await client.get_attribute_series_range(
        "dev-1", "temperature", start, start + timedelta(1), background=False
    )

    assert seen == [True, False]
