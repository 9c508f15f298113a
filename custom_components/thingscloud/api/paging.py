"""Walks over paged answers: the pages of a device list, the windows and pages of a history.

Both stop on what a misbehaving server may do: an empty page, a page that brings nothing
new (a server that ignores ``page``), and a cap on the number of pages.
"""

import asyncio
from collections.abc import Awaitable, Callable
import logging

from .const import MAX_DEVICE_PAGES, MAX_LISTING_CACHES, MAX_PARALLEL_PAGES
from .models import Device, DevicePage, SeriesPoint

_LOGGER = logging.getLogger(__name__)

type ListingKey = tuple[str | None, str | None]
"""A device list filter: (device type, group)."""
type PageFetch = Callable[[int], Awaitable[DevicePage]]
type SeriesFetch = Callable[[int, int, int], Awaitable[list[SeriesPoint]]]
"""Fetch one history page: (page, start ms, end ms) → its points."""


class DeviceListings:
    """The devices of the last complete walk of each device list filter, for reuse.

    Device lists are read every polling cycle and rarely change: an item equal to the
    one a kept device was parsed from gives that device again. Each complete walk of a
    filter replaces what is kept for it, so only devices listed now are kept (for the
    MAX_LISTING_CACHES filters walked last).
    """

    def __init__(self) -> None:
        """Start with nothing kept."""
        self._by_filter: dict[ListingKey, dict[str, Device]] = {}

    def __len__(self) -> int:
        """Return how many devices are kept (a device of two filters counts twice)."""
        return sum(len(devices) for devices in self._by_filter.values())

    def parse(self, data: object, key: ListingKey | None = None) -> Device:
        """Return ``Device.from_api(data)``, or a kept device parsed from an equal item.

        The devices of filter ``key`` are looked at first, then those of the others.
        """
        if isinstance(data, dict) and isinstance(device_id := data.get("id"), str):
            first = self._by_filter.get(key) if key is not None else None
            known = first.get(device_id) if first is not None else None
            if known is not None and known.raw == data:
                return known
            for devices in self._by_filter.values():
                known = devices.get(device_id)
                if known is not None and known.raw == data:
                    return known
        return Device.from_api(data)

    def replace(self, key: ListingKey, devices: list[Device]) -> None:
        """Keep the devices of a complete walk of ``key`` instead of the last ones."""
        self._by_filter.pop(key, None)
        self._by_filter[key] = {device.id: device for device in devices}
        while len(self._by_filter) > MAX_LISTING_CACHES:
            del self._by_filter[next(iter(self._by_filter))]


async def walk_device_pages(fetch: PageFetch) -> list[Device]:
    """Collect the devices of every page.

    Stops after ``page_total`` pages, on an empty page, on a page that brings no new
    device (a server that ignores ``page``), without ``page_total`` once ``total``
    devices are collected (or at once without ``total``), and after MAX_DEVICE_PAGES.

    Pages 1 and 2 are read one after the other; once page 2 brought new devices (the
    server pages), the pages ``page_total`` announces are read MAX_PARALLEL_PAGES at a
    time, and still checked in order with the rules above.
    """
    devices: dict[str, Device] = {}
    page = 1
    batch = [await fetch(page)]
    while True:
        for result in batch:
            new = [device for device in result.items if device.id not in devices]
            for device in new:
                devices[device.id] = device
            if not new:
                return list(devices.values())
            if result.has_page_total:
                if page >= result.page_total:
                    return list(devices.values())
            elif result.total is None or len(devices) >= result.total:
                return list(devices.values())
            if page >= MAX_DEVICE_PAGES:
                _LOGGER.warning("Stopped reading devices after %s pages", MAX_DEVICE_PAGES)
                return list(devices.values())
            page += 1
        last = batch[-1]
        end = page
        if page > 2 and last.has_page_total:
            end = min(page + MAX_PARALLEL_PAGES - 1, last.page_total, MAX_DEVICE_PAGES)
        batch = await _fetch_pages(fetch, range(page, end + 1))


async def _fetch_pages(fetch: PageFetch, pages: range) -> list[DevicePage]:
    """Fetch pages concurrently; raise the error of the first page that failed."""
    if len(pages) == 1:
        return [await fetch(pages[0])]
    results = await asyncio.gather(*(fetch(page) for page in pages), return_exceptions=True)
    pages_read: list[DevicePage] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        pages_read.append(result)
    return pages_read


def point_ms(point: SeriesPoint) -> int | None:
    """Return the time of a history point in epoch milliseconds, if it has one."""
    return None if point.ts is None else round(point.ts.timestamp() * 1000)


async def walk_series_range(
    fetch: SeriesFetch,
    start_ms: int,
    end_ms: int,
    *,
    window_ms: int,
    page_records: int,
    max_pages: int,
    what: str,
) -> list[SeriesPoint]:
    """Return every point with ``start_ms <= ts < end_ms``, oldest first, one per time.

    Walks windows of at most ``window_ms``; in each, pages until a short or empty page,
    a page without a new time, or ``max_pages`` pages (then a warning, and the next
    window). The order of the answers (newest or oldest first) does not matter; points
    without a usable time are skipped.
    """
    found: dict[int, SeriesPoint] = {}
    window_start = start_ms
    while window_start < end_ms:
        window_end = min(end_ms, window_start + window_ms)
        seen: set[int] = set()
        for page in range(1, max_pages + 1):
            batch = await fetch(page, window_start, window_end)
            new = False
            for point in batch:
                when = point_ms(point)
                if when is None or when in seen:
                    continue
                seen.add(when)
                new = True
                if start_ms <= when < end_ms and when not in found:
                    found[when] = point
            if len(batch) < page_records or not new:
                break
        else:
            _LOGGER.warning(
                "Stopped reading the history of %s after %s pages of one window",
                what,
                max_pages,
            )
        window_start = window_end
    return [found[when] for when in sorted(found)]
