"""Energy backfill (``--backfill``): the first import of the meters' hourly statistics.

The simulator's generated scenario with ``--meters M`` (each meter: 30 days of reports every
5 minutes) and, by default, no other device. Home Assistant's recorder runs in the test
instance on a temporary SQLite file, so the integration creates its ``EnergyStatistics``;
its own start (import at setup, then hourly) is held back so that the benchmark runs each
import itself: the first (30 days back), the same hour again, and the next hour (the
statistics module's clock moved one hour on).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
import tempfile
import time
from typing import Any
from unittest.mock import patch

from homeassistant import loader
from homeassistant.components.recorder import CONF_COMMIT_INTERVAL, CONF_DB_URL
from homeassistant.core import HomeAssistant
from homeassistant.helpers import recorder as recorder_helper
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.components.recorder.common import (  # type: ignore[import-untyped]
    async_wait_recording_done,
)

from custom_components.thingscloud import statistics as statistics_module
from custom_components.thingscloud.const import DOMAIN
from custom_components.thingscloud.statistics import BACKFILL, EnergyStatistics

from .harness import (
    ATTRIBUTES,
    CHANGE_SHARE,
    bench_entry,
    flush_registries,
    ha_instance,
    lifted_entity_limit,
    machine,
    plain_resolver,
)
from .simproc import SimulatorProcess

SERIES_ROUTE = "attribute_series"
# The first import reads BACKFILL (30 days) back: every meter gets nearly an hourly row per
# hour of it (a day's slack for the hours at the edges).
MIN_FIRST_ROWS = int((BACKFILL - timedelta(days=1)) / timedelta(hours=1))


class _LaterClock:
    """``homeassistant.util.dt`` for the statistics module, ``shift`` later."""

    def __init__(self, shift: timedelta) -> None:
        self._shift = shift

    def utcnow(self) -> datetime:
        return dt_util.utcnow() + self._shift

    def __getattr__(self, name: str) -> Any:
        return getattr(dt_util, name)


@dataclass(slots=True)
class Import:
    """One import run."""

    requests: dict[str, int]
    wall: float
    cpu: float
    loop_cpu: float
    """CPU time of the event loop's thread alone (the integration's side of the import)."""
    committed: float
    """Seconds until the recorder had written the rows (the import's own wall included)."""
    rows: int
    least_rows: int
    """The fewest hourly rows one statistic got."""
    errors: int

    @property
    def series_requests(self) -> int:
        """Requests of the series endpoint."""
        return self.requests.get(SERIES_ROUTE, 0)


@dataclass(slots=True)
class BackfillResult:
    """The figures of ``--backfill``."""

    meters: int
    devices: int
    latency_ms: float
    statistics: int
    first: Import
    again: Import
    next_hour: Import
    load: str = ""


async def _import(
    sim: SimulatorProcess, hass: HomeAssistant, statistics: EnergyStatistics
) -> Import:
    before = {key: status.rows for key, status in statistics.status.items()}
    await sim.clear_counts()
    wall, cpu, loop_cpu = time.perf_counter(), time.process_time(), time.thread_time()
    await statistics.async_import()
    cpu, loop_cpu = time.process_time() - cpu, time.thread_time() - loop_cpu
    done = time.perf_counter()
    await async_wait_recording_done(hass)
    committed = time.perf_counter() - wall
    return Import(
        requests=await sim.counts(),
        wall=done - wall,
        cpu=cpu,
        loop_cpu=loop_cpu,
        committed=committed,
        rows=sum(status.rows for status in statistics.status.values()) - sum(before.values()),
        least_rows=min(
            (status.rows - before.get(key, 0) for key, status in statistics.status.items()),
            default=0,
        ),
        errors=sum(1 for status in statistics.status.values() if status.error),
    )


async def measure_backfill(
    meters: int,
    *,
    devices: int = 0,
    latency_ms: float,
    keep_entity_limit: bool,
    progress: Callable[[str], None] = lambda _: None,
) -> BackfillResult:
    """Measure the energy statistics imports of ``meters`` meters."""
    sim = await SimulatorProcess.start(devices, ATTRIBUTES, CHANGE_SHARE, latency_ms, meters=meters)
    try:
        with tempfile.TemporaryDirectory(prefix="thingscloud-bench-") as folder:
            async with ha_instance() as hass:
                recorder_helper.async_initialize_recorder(hass)
                db_url = f"sqlite:///{Path(folder) / 'recorder.db'}"
                if not await async_setup_component(
                    hass, "recorder", {"recorder": {CONF_DB_URL: db_url, CONF_COMMIT_INTERVAL: 0}}
                ):
                    raise RuntimeError("the recorder did not set up")
                await async_wait_recording_done(hass)
                entry = bench_entry(sim.url, devices + meters)
                entry.add_to_hass(hass)
                with (
                    lifted_entity_limit(keep_entity_limit),
                    plain_resolver(),
                    # The benchmark runs the imports itself.
                    patch.object(EnergyStatistics, "async_start", lambda self: None),
                ):
                    await loader.async_get_integration(hass, DOMAIN)
                    if not await hass.config_entries.async_setup(entry.entry_id):
                        raise RuntimeError("the entry did not set up")
                    await hass.async_block_till_done()
                    statistics = entry.runtime_data.statistics
                    if statistics is None:
                        raise RuntimeError("no energy statistics: the recorder is not loaded")
                    progress(f"backfill: {meters} meters set up, first import")
                    first = await _import(sim, hass, statistics)
                    progress(f"backfill: first import {first.wall:.1f} s")
                    again = await _import(sim, hass, statistics)
                    with patch.object(
                        statistics_module, "dt_util", _LaterClock(timedelta(hours=1))
                    ):
                        next_hour = await _import(sim, hass, statistics)
                    count = len(statistics.status)
                    await hass.config_entries.async_unload(entry.entry_id)
                    await hass.async_block_till_done()
                # The final write stops the recorder's thread (else the process never ends).
                await flush_registries(hass)
    finally:
        await sim.close()
    return BackfillResult(
        meters=meters,
        devices=devices,
        latency_ms=latency_ms,
        statistics=count,
        first=first,
        again=again,
        next_hour=next_hour,
        load=machine(),
    )


def render_backfill(r: BackfillResult) -> str:
    """The table of ``--backfill`` (markdown)."""

    def row(name: str, item: Import) -> str:
        other = sum(item.requests.values()) - item.series_requests
        return (
            f"| {name} | {item.series_requests}"
            + (f" (+{other} other)" if other else "")
            + f" | {item.wall:.2f} | {item.committed:.2f} | {item.cpu:.2f} | "
            f"{item.loop_cpu:.2f} | {item.rows} ({item.least_rows}) | {item.errors} |"
        )

    return "\n".join(
        [
            (
                f"Energy backfill: {r.meters} meters (30 days of 5-minute reports each)"
                + (f" and {r.devices} generated devices" if r.devices else "")
                + f", {r.statistics} statistics, {r.latency_ms:g} ms API latency, recorder on "
                f"a temporary SQLite file; {r.load}."
            ),
            "",
            (
                "| import | series requests | wall s | until committed s | "
                "process CPU s (all threads) | event loop thread CPU s | "
                "hourly rows (fewest of one statistic) | errors |"
            ),
            "|:--|--:|--:|--:|--:|--:|--:|--:|",
            row("first (30 days back)", r.first),
            row("same hour again", r.again),
            row("next hour (clock +1 h)", r.next_hour),
        ]
    )


def check_backfill(r: BackfillResult) -> list[str]:
    """The ``--backfill`` targets missed: the first import brings every meter's 30 days."""
    misses = []
    if failed := r.first.errors + r.again.errors + r.next_hour.errors:
        misses.append(f"backfill: {failed} statistic imports failed")
    if r.statistics < r.meters:
        misses.append(f"backfill: {r.statistics} statistics for {r.meters} meters")
    if r.first.least_rows < MIN_FIRST_ROWS:
        misses.append(
            f"backfill: a statistic got {r.first.least_rows} hourly rows from the first "
            f"import (< {MIN_FIRST_ROWS})"
        )
    return misses
