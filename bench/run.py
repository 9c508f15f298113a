"""Benchmarks of the ThingsCloud integration against the simulator; print tables.

Without a mode flag: the polling benchmark. For every size N the benchmark starts the
simulator's generated scenario (N devices, 10 numeric attributes each, 5 % of the online
devices changing per tick) in its own process with a latency on every API answer, sets the
integration up in a Home Assistant test instance, then runs steady cycles: one simulator
tick, one ``coordinator.async_refresh()``.

Figures per size:

* requests per steady cycle by endpoint (the simulator's request counts), beside the plan's
  floor ``pages + 2 + changed devices`` and the naive ``N + pages + 2``;
* cycle wall time and CPU time (``time.process_time`` around ``async_refresh``), medians;
* ``state_changed`` events per cycle beside the attribute values that really changed (from
  the simulator's state before and after the tick), and the state writes that changed
  nothing (``Entity.async_write_ha_state`` calls after which the state object is the same);
* setup: wall time from ``async_setup`` to every entity created, and the RSS growth;
* setup memory: what Python allocated for the setup and still holds (``tracemalloc``, in a
  separate setup of its own so that tracing does not slow the timed one; target at 1000
  devices: at most 120 MiB).

Modes (each flag adds one; ``--polling`` adds the polling benchmark to them, ``--all`` runs
everything), at ``--devices`` devices (1000):

* ``--realtime`` (bench/push.py): real-time updates through the simulator's MQTT broker.
  Latency from an admin report to the entity's ``state_changed`` (p50/p95/max; target p95
  <= 1 s, goal 0.2 s), CPU per message, API requests per hour with the subscription up
  against polling only every 60 s (target: at most a fifth), and 10 forced reconnects with
  reports while the link is down (target: no attribute entity differs from the simulator at
  the end, nor after each reconnect's catch-up poll). The integration's reconnection delays
  are patched to 0.2 s doubling to 2 s; each drop waits for the refresh debouncer's 10 s
  cooldown since the last poll (sooner, the catch-up poll would wait for it).
* ``--no-dispatch`` (bench/push.py): steady-cycle wall/CPU and CPU per pushed message with
  the coordinator's per-device dispatch and with every device listener called on every
  update (``DeviceListeners.notify`` patched), side by side.
* ``--rate-limit [N]`` (bench/ratelimit.py): setup and steady cycles with the simulator
  limiting each access token to N requests/s (5), beside an unlimited run: setup time,
  requests, 429 answers, entity count (target: equal), changed devices read per cycle
  (target: all), ``client.pacing`` at the end.
* ``--backfill`` (bench/backfill.py): the first import of the energy statistics of
  ``--meters`` meters (10; 30 days of 5-minute reports each) with the recorder on a
  temporary SQLite file, then the same hour again and the next hour: requests, wall time.

Home Assistant refuses more than 10,000 enabled entities per config entry; a project of
1000 devices with 10 attributes wants more. The benchmark lifts that cap by default so
that every entity exists and is measured (``--keep-entity-limit`` keeps it: the entities
over the cap are not created and the integration raises its repair issue).
"""

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
import gc
import logging
import math
from pathlib import Path
import re
import statistics
import sys
import time
import traceback
import tracemalloc

from homeassistant import loader
from homeassistant.const import EVENT_STATE_CHANGED
from homeassistant.helpers import entity_registry as er, issue_registry as ir

from custom_components.thingscloud.const import DOMAIN
from custom_components.thingscloud.coordinator import ThingsCloudCoordinator

from .backfill import check_backfill, measure_backfill, render_backfill
from .harness import (
    ATTRIBUTES,
    CHANGE_SHARE,
    Cycle,
    WriteCounter,
    bench_entry,
    flush_registries,
    ha_instance,
    lifted_entity_limit,
    machine,
    ms,
    plain_resolver,
    rss_bytes,
    run_cycle,
)
from .push import (
    check_dispatch,
    check_realtime,
    measure_dispatch,
    measure_realtime,
    render_dispatch,
    render_realtime,
)
from .ratelimit import check_rate_limit, measure_rate_limit, render_rate_limit
from .simproc import SimulatorProcess

REALTIME_MIN_REPORTS = 200
PAGE_RECORDS = 100  # what the client asks for (DEVICES_PAGE_RECORDS)
SERVER_DEFAULT_PAGE_RECORDS = 20  # what a server that ignores page_records sends
STAT_ROUTES = ("devices_stat", "devices_alarm_stat")
DEVICE_ROUTES = ("attributes_raw", "attributes")
SETUP_MEMORY_TARGET = 120 * 2**20  # tracemalloc, at 1000 devices
_STDLIB = re.compile(r"/lib/python3\.\d+/")
_ROOT = f"{Path(__file__).resolve().parent.parent}/"


@dataclass(slots=True)
class SizeResult:
    """The figures of one project size."""

    devices: int
    ignore_page_records: bool
    setup_wall: float
    setup_cpu: float
    setup_rss: int
    setup_traced: int
    setup_requests: int
    reload_wall: float
    reload_cpu: float
    entities: int
    enabled_entities: int
    repair_issue: bool
    idle: Cycle
    cycles: list[Cycle]
    setup_memory_by_file: list[tuple[str, int]] = field(default_factory=list)
    """Where the setup's memory was allocated (tracemalloc): (file, bytes), largest first."""

    @property
    def pages(self) -> int:
        """Pages of /devices per walk, as the server paginates."""
        per_page = SERVER_DEFAULT_PAGE_RECORDS if self.ignore_page_records else PAGE_RECORDS
        return max(1, math.ceil(self.devices / per_page))

    def median(self, key: Callable[[Cycle], float]) -> float:
        """The median of one figure over the steady cycles."""
        return statistics.median(key(cycle) for cycle in self.cycles)


async def measure(
    devices: int,
    *,
    cycles: int,
    latency_ms: float,
    keep_entity_limit: bool,
    ignore_page_records: bool = False,
    progress: Callable[[str], None] = lambda _: None,
) -> SizeResult:
    """Set the integration up against a generated project of ``devices`` and measure it."""
    sim = await SimulatorProcess.start(
        devices,
        ATTRIBUTES,
        CHANGE_SHARE,
        latency_ms,
        ignore_page_records=ignore_page_records,
    )
    try:
        async with ha_instance() as hass:
            counter = WriteCounter(hass)
            hass.bus.async_listen(EVENT_STATE_CHANGED, counter.on_state_changed)
            entry = bench_entry(sim.url, devices)
            entry.add_to_hass(hass)
            with lifted_entity_limit(keep_entity_limit), plain_resolver(), counter.wrap_writes():
                # Load the integration's modules before the clock starts (a real start
                # imports them before setting entries up too).
                await loader.async_get_integration(hass, DOMAIN)
                await sim.clear_counts()
                gc.collect()
                rss = rss_bytes()
                wall, cpu = time.perf_counter(), time.process_time()
                if not await hass.config_entries.async_setup(entry.entry_id):
                    raise RuntimeError("the entry did not set up")
                await hass.async_block_till_done()
                setup_cpu = time.process_time() - cpu
                setup_wall = time.perf_counter() - wall
                setup_rss = rss_bytes() - rss
                setup_requests = sum((await sim.counts()).values())
                progress(f"N={devices}: set up in {setup_wall:.2f} s")

                registry = er.async_get(hass)
                registered = er.async_entries_for_config_entry(registry, entry.entry_id)
                counter.attribute_entity_ids = {
                    item.entity_id for item in registered if "_attr_" in item.unique_id
                }
                # The registries save themselves 10 s after the setup, once: do it now,
                # so that it does not land inside a measured cycle.
                await flush_registries(hass)
                coordinator: ThingsCloudCoordinator = entry.runtime_data.coordinator
                idle = await run_cycle(sim, hass, coordinator, counter, tick=False)
                steady = [
                    await run_cycle(sim, hass, coordinator, counter, tick=True)
                    for _ in range(cycles)
                ]
                # A restart: the registries already know every entity.
                wall, cpu = time.perf_counter(), time.process_time()
                if not await hass.config_entries.async_reload(entry.entry_id):
                    raise RuntimeError("the entry did not reload")
                await hass.async_block_till_done()
                reload_cpu = time.process_time() - cpu
                reload_wall = time.perf_counter() - wall
                repair_issue = any(domain == DOMAIN for domain, _ in ir.async_get(hass).issues)
                result = SizeResult(
                    devices=devices,
                    ignore_page_records=ignore_page_records,
                    setup_wall=setup_wall,
                    setup_cpu=setup_cpu,
                    setup_rss=setup_rss,
                    setup_traced=0,
                    setup_requests=setup_requests,
                    reload_wall=reload_wall,
                    reload_cpu=reload_cpu,
                    entities=len(registered),
                    enabled_entities=len(hass.states.async_entity_ids()),
                    repair_issue=repair_issue,
                    idle=idle,
                    cycles=steady,
                )
                await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_block_till_done()
    finally:
        await sim.close()
    return result


async def measure_setup_memory(
    devices: int, *, latency_ms: float, keep_entity_limit: bool, ignore_page_records: bool
) -> tuple[int, list[tuple[str, int]]]:
    """Bytes Python allocated to set the integration up and still holds afterwards.

    Also where they were allocated: (source file, bytes) per file, largest first.
    """
    sim = await SimulatorProcess.start(
        devices, ATTRIBUTES, CHANGE_SHARE, latency_ms, ignore_page_records=ignore_page_records
    )
    try:
        async with ha_instance() as hass:
            entry = bench_entry(sim.url, devices)
            entry.add_to_hass(hass)
            with lifted_entity_limit(keep_entity_limit), plain_resolver():
                await loader.async_get_integration(hass, DOMAIN)
                gc.collect()
                tracemalloc.start()
                before = tracemalloc.get_traced_memory()[0]
                if not await hass.config_entries.async_setup(entry.entry_id):
                    raise RuntimeError("the entry did not set up")
                await hass.async_block_till_done()
                gc.collect()
                traced = tracemalloc.get_traced_memory()[0] - before
                by_file = [
                    (_source(stat.traceback[0].filename), stat.size)
                    for stat in tracemalloc.take_snapshot().statistics("filename")
                ]
                tracemalloc.stop()
                await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_block_till_done()
    finally:
        await sim.close()
    return traced, by_file


def _source(filename: str) -> str:
    """A source file's path from its package on (``homeassistant/core.py``)."""
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1]
    if filename.startswith(_ROOT):
        return filename.removeprefix(_ROOT)
    stdlib = _STDLIB.split(filename, maxsplit=1)
    return f"stdlib/{stdlib[1]}" if len(stdlib) == 2 else filename


def _memory_by_package(by_file: Sequence[tuple[str, int]]) -> str:
    totals: dict[str, int] = {}
    for source, size in by_file:
        package = source.split("/", 1)[0] if "/" in source else "(other)"
        if source.startswith("custom_components/"):
            package = "custom_components"
        totals[package] = totals.get(package, 0) + size
    top = sorted(totals.items(), key=lambda item: -item[1])[:6]
    return ", ".join(f"{package} {size / 2**20:.1f}" for package, size in top)


# ------------------------------------------------------------------------------ output


def _requests(cycle: Cycle) -> str:
    counts = cycle.requests
    parts = [f"{counts.get(route, 0)}" for route in ("devices", *STAT_ROUTES, *DEVICE_ROUTES)]
    other = cycle.total_requests - sum(
        counts.get(route, 0) for route in ("devices", *STAT_ROUTES, *DEVICE_ROUTES)
    )
    text = "+".join(parts)
    return f"{text}+{other}" if other else text


def _label(result: SizeResult) -> str:
    return f"{result.devices}*" if result.ignore_page_records else str(result.devices)


def render(results: Sequence[SizeResult], *, latency_ms: float, cycles: int) -> str:
    """The tables of the results (markdown)."""
    lines = [
        (
            f"ThingsCloud polling benchmark: {ATTRIBUTES} attributes per device, "
            f"{CHANGE_SHARE:.0%} of the devices change per cycle, "
            f"{latency_ms:g} ms server latency, medians of {cycles} steady cycles; "
            f"{machine()}."
        ),
        "",
        (
            "Requests per steady cycle (devices pages + devices_stat + devices_alarm_stat "
            "+ attributes_raw + attributes):"
        ),
        "",
        "| N | changed devices | requests | total | floor: pages+2+changed | naive: N+pages+2 |",
        "|--:|--:|:--|--:|--:|--:|",
    ]
    for r in results:
        cycle = _median_cycle(r)
        floor = r.pages + 2 + cycle.changed_devices
        lines.append(
            f"| {_label(r)} | {cycle.changed_devices} | {_requests(cycle)} | "
            f"{cycle.total_requests} | {floor} | {r.devices + r.pages + 2} |"
        )
    lines += [
        "",
        "Per steady cycle (medians) and setup:",
        "",
        (
            "| N | cycle wall ms | cycle CPU ms | idle cycle CPU ms | values changed | "
            "state_changed (attribute entities) | writes | unchanged writes | "
            "entities (enabled) | setup s | setup CPU s | setup RSS MB | setup traced MiB | "
            "reload s (CPU s) | repair issue |"
        ),
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|",
    ]
    for r in results:
        lines.append(
            f"| {_label(r)} | {ms(r.median(lambda c: c.wall))} | "
            f"{ms(r.median(lambda c: c.cpu))} | {ms(r.idle.cpu)} | "
            f"{r.median(lambda c: c.changed_values):.0f} | "
            f"{r.median(lambda c: c.state_changed):.0f} "
            f"({r.median(lambda c: c.attribute_state_changed):.0f}) | "
            f"{r.median(lambda c: c.writes):.0f} | "
            f"{r.median(lambda c: c.unchanged_writes):.0f} | "
            f"{r.entities} ({r.enabled_entities}) | {r.setup_wall:.2f} | {r.setup_cpu:.2f} | "
            f"{r.setup_rss / 2**20:.0f} | {r.setup_traced / 2**20:.0f} | "
            f"{r.reload_wall:.2f} ({r.reload_cpu:.2f}) | "
            f"{'yes' if r.repair_issue else 'no'} |"
        )
    if any(r.ignore_page_records for r in results):
        lines += ["", "* the server ignores page_records (20 devices per page)."]
    for r in results:
        if r.setup_memory_by_file and r is max(results, key=lambda item: item.devices):
            lines += [
                "",
                (
                    f"Setup memory at N={_label(r)} ({r.setup_traced / 2**20:.0f} MiB, "
                    f"tracemalloc) by package, MiB: {_memory_by_package(r.setup_memory_by_file)}"
                    "; largest files: "
                    + ", ".join(
                        f"{source} {size / 2**20:.1f}"
                        for source, size in r.setup_memory_by_file[:8]
                    )
                    + "."
                ),
            ]
    return "\n".join(lines)


def _median_cycle(result: SizeResult) -> Cycle:
    """The steady cycle with the median request count."""
    ordered = sorted(result.cycles, key=lambda c: c.total_requests)
    return ordered[len(ordered) // 2]


def check_targets(results: Sequence[SizeResult]) -> list[str]:
    """The targets a result misses (empty: all met)."""
    misses = []
    for r in results:
        for cycle in r.cycles:
            floor = r.pages + 2 + cycle.changed_devices
            if cycle.total_requests > floor:
                misses.append(f"N={_label(r)}: {cycle.total_requests} requests > {floor}")
            if cycle.unchanged_writes:
                misses.append(
                    f"N={_label(r)}: {cycle.unchanged_writes} unchanged writes, e.g. "
                    + ", ".join(sorted(set(cycle.unchanged_entity_ids))[:5])
                )
        if r.devices >= 1000 and not r.ignore_page_records:
            if r.median(lambda c: c.wall) > 1.0:
                misses.append(f"N={r.devices}: cycle wall time over 1 s")
            if r.median(lambda c: c.cpu) > 0.05:
                misses.append(f"N={r.devices}: cycle CPU time over 0.05 s")
            if r.setup_wall > 10:
                misses.append(f"N={r.devices}: setup over 10 s")
            if r.setup_traced > SETUP_MEMORY_TARGET:
                misses.append(
                    f"N={r.devices}: setup holds {r.setup_traced / 2**20:.0f} MiB "
                    f"(tracemalloc) > {SETUP_MEMORY_TARGET / 2**20:.0f} MiB"
                )
    return misses


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/bench",
        description=__doc__.splitlines()[0],
        epilog="Without a mode flag: the polling benchmark only. The exit status is 1 when "
        "a target is missed. See the docstring of bench/run.py for every figure.",
    )
    polling = parser.add_argument_group("polling benchmark (the default)")
    polling.add_argument("--sizes", default="10,100,1000", help="device counts (10,100,1000)")
    polling.add_argument("--cycles", type=int, default=7, help="steady cycles per size (7, >= 5)")
    polling.add_argument(
        "--quick", action="store_true", help="sizes 10,100 and 5 cycles (a smoke run)"
    )
    polling.add_argument(
        "--ignore-page-records",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run the largest size against a server that ignores page_records "
        "(default: yes, except with --quick)",
    )
    modes = parser.add_argument_group("modes (each adds one; several may be given)")
    modes.add_argument(
        "--realtime",
        action="store_true",
        help="real-time updates: report->state latency, CPU per message, requests per hour "
        "against polling only, 10 forced reconnects (bench/push.py)",
    )
    modes.add_argument(
        "--no-dispatch",
        action="store_true",
        help="steady cycles and pushed messages with and without per-device dispatch",
    )
    modes.add_argument(
        "--rate-limit",
        type=float,
        nargs="?",
        const=5.0,
        default=None,
        metavar="N",
        help="setup and steady cycles with the simulator limiting each token to N "
        "requests/s (N=5 when omitted), beside an unlimited run",
    )
    modes.add_argument(
        "--backfill",
        action="store_true",
        help="the first import of the energy statistics of --meters meters, with the recorder",
    )
    modes.add_argument(
        "--polling", action="store_true", help="run the polling benchmark too (with modes)"
    )
    modes.add_argument("--all", action="store_true", help="the polling benchmark and every mode")
    common = parser.add_argument_group("common")
    common.add_argument("--latency-ms", type=float, default=20.0, help="server latency (20)")
    common.add_argument(
        "--devices", type=int, default=1000, help="devices of the modes' project (1000)"
    )
    common.add_argument("--meters", type=int, default=10, help="--backfill: energy meters (10)")
    common.add_argument(
        "--reports", type=int, default=240, help="--realtime: paced reports (240, >= 200)"
    )
    common.add_argument(
        "--report-rate", type=float, default=15.0, help="--realtime: reports per second (15)"
    )
    common.add_argument(
        "--keep-entity-limit",
        action="store_true",
        help="keep Home Assistant's 10,000 enabled entities per entry cap",
    )
    args = parser.parse_args(argv)
    if args.all:
        args.polling = args.realtime = args.no_dispatch = args.backfill = True
        if args.rate_limit is None:
            args.rate_limit = 5.0
    any_mode = args.realtime or args.no_dispatch or args.backfill or args.rate_limit is not None
    args.polling = args.polling or not any_mode
    if args.quick:
        args.sizes, args.cycles = "10,100", 5
    if args.ignore_page_records is None:
        args.ignore_page_records = not args.quick
    try:
        args.sizes = [int(size) for size in args.sizes.split(",") if size.strip()]
    except ValueError:
        parser.error("--sizes takes numbers separated by commas")
    if not args.sizes or min(args.sizes) < 1:
        parser.error("--sizes needs positive device counts")
    if args.cycles < 1:
        parser.error("--cycles must be at least 1")
    if args.devices < 1 or args.meters < 1 or args.reports < 1 or not args.report_rate > 0:
        parser.error("--devices, --meters, --reports and --report-rate must be positive")
    if args.realtime and args.reports < REALTIME_MIN_REPORTS:
        parser.error(f"--realtime needs at least {REALTIME_MIN_REPORTS} --reports")
    if args.rate_limit is not None and not args.rate_limit > 0:
        parser.error("--rate-limit must be a positive number of requests per second")
    return args


def _progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)  # noqa: T201


async def _polling(args: argparse.Namespace) -> tuple[str, list[str]]:
    runs = [(size, False) for size in args.sizes]
    if args.ignore_page_records:
        runs.append((max(args.sizes), True))
    results = []
    for size, ignore in runs:
        result = await measure(
            size,
            cycles=args.cycles,
            latency_ms=args.latency_ms,
            keep_entity_limit=args.keep_entity_limit,
            ignore_page_records=ignore,
            progress=_progress,
        )
        result.setup_traced, result.setup_memory_by_file = await measure_setup_memory(
            size,
            latency_ms=args.latency_ms,
            keep_entity_limit=args.keep_entity_limit,
            ignore_page_records=ignore,
        )
        _progress(f"N={size}: setup holds {result.setup_traced / 2**20:.0f} MiB (tracemalloc)")
        results.append(result)
    return render(results, latency_ms=args.latency_ms, cycles=args.cycles), check_targets(results)


async def _realtime(args: argparse.Namespace) -> tuple[str, list[str]]:
    result = await measure_realtime(
        args.devices,
        latency_ms=args.latency_ms,
        keep_entity_limit=args.keep_entity_limit,
        reports=args.reports,
        rate=args.report_rate,
        progress=_progress,
    )
    return render_realtime(result), check_realtime(result)


async def _dispatch(args: argparse.Namespace) -> tuple[str, list[str]]:
    result = await measure_dispatch(
        args.devices,
        latency_ms=args.latency_ms,
        keep_entity_limit=args.keep_entity_limit,
        cycles=args.cycles,
        progress=_progress,
    )
    return render_dispatch(result), check_dispatch(result)


async def _rate_limit(args: argparse.Namespace) -> tuple[str, list[str]]:
    result = await measure_rate_limit(
        args.devices,
        args.rate_limit,
        latency_ms=args.latency_ms,
        keep_entity_limit=args.keep_entity_limit,
        progress=_progress,
    )
    return render_rate_limit(result), check_rate_limit(result)


async def _backfill(args: argparse.Namespace) -> tuple[str, list[str]]:
    result = await measure_backfill(
        args.meters,
        latency_ms=args.latency_ms,
        keep_entity_limit=args.keep_entity_limit,
        progress=_progress,
    )
    return render_backfill(result), check_backfill(result)


async def _main(args: argparse.Namespace) -> int:
    modes: list[tuple[str, Callable[[argparse.Namespace], Awaitable[tuple[str, list[str]]]]]] = [
        (name, run)
        for name, wanted, run in (
            ("polling", args.polling, _polling),
            ("realtime", args.realtime, _realtime),
            ("no-dispatch", args.no_dispatch, _dispatch),
            ("rate-limit", args.rate_limit is not None, _rate_limit),
            ("backfill", args.backfill, _backfill),
        )
        if wanted
    ]
    misses: list[str] = []
    for number, (name, run) in enumerate(modes):
        start = time.perf_counter()
        try:
            table, missed = await run(args)
        except Exception as err:  # noqa: BLE001 - one broken mode must not lose the others
            traceback.print_exc()
            table, missed = f"{name}: failed ({type(err).__name__}: {err})", [f"{name}: failed"]
        if number:
            print()  # noqa: T201
        print(table)  # noqa: T201
        print(f"\n({name}: {time.perf_counter() - start:.0f} s; {machine()})")  # noqa: T201
        misses += missed
    print()  # noqa: T201
    if misses:
        print("Targets missed:", *misses, sep="\n  ")  # noqa: T201
    else:
        print("All targets met.")  # noqa: T201
    return 1 if misses else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit status 1 when a target is missed."""
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # "We found a custom integration ...", once per size.
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    return asyncio.run(_main(args))
