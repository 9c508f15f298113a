"""Measure the integration's polling cost for a few project sizes and print a table.

For every size N the benchmark starts the simulator's generated scenario (N devices, 10
numeric attributes each, 5 % of the online devices changing per tick) in its own process
with a latency on every API answer, sets the integration up in a Home Assistant test
instance, then runs steady cycles: one simulator tick, one ``coordinator.async_refresh()``.

Figures per size:

* requests per steady cycle by endpoint (the simulator's request counts), beside the plan's
  floor ``pages + 2 + changed devices`` and the naive ``N + pages + 2``;
* cycle wall time and CPU time (``time.process_time`` around ``async_refresh``), medians;
* ``state_changed`` events per cycle beside the attribute values that really changed (from
  the simulator's state before and after the tick), and the state writes that changed
  nothing (``Entity.async_write_ha_state`` calls after which the state object is the same);
* setup: wall time from ``async_setup`` to every entity created, and the RSS growth;
* setup memory: what Python allocated for the setup and still holds (``tracemalloc``, in a
  separate setup of its own so that tracing does not slow the timed one).

Home Assistant refuses more than 10,000 enabled entities per config entry; a project of
1000 devices with 10 attributes wants more. The benchmark lifts that cap by default so
that every entity exists and is measured (``--keep-entity-limit`` keeps it: the entities
over the cap are not created and the integration raises its repair issue).
"""

import argparse
import asyncio
from collections.abc import Callable, Iterator, Sequence
import contextlib
from dataclasses import dataclass, field
import gc
import logging
import math
import os
from pathlib import Path
import statistics
import sys
import time
import tracemalloc
from typing import Any
from unittest.mock import patch

from aiohttp.resolver import ThreadedResolver
from homeassistant import loader
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE, EVENT_STATE_CHANGED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_platform, entity_registry as er, issue_registry as ir
from homeassistant.helpers.entity import Entity
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.thingscloud.const import (
    AUTH_TYPE_APP,
    CONF_ACCESS_KEY,
    CONF_APP_ID,
    CONF_AUTH_TYPE,
    CONF_ENDPOINT,
    CONF_SCAN_INTERVAL,
    CONF_SECRET_KEY,
    DOMAIN,
)
from custom_components.thingscloud.coordinator import ThingsCloudCoordinator
from simulator.scenarios import DEMO_ACCESS_KEY, DEMO_APP_ID, DEMO_SECRET_KEY

from .simproc import SimulatorProcess

ATTRIBUTES = 10
CHANGE_SHARE = 0.05
PAGE_RECORDS = 100  # what the client asks for (DEVICES_PAGE_RECORDS)
SERVER_DEFAULT_PAGE_RECORDS = 20  # what a server that ignores page_records sends
STAT_ROUTES = ("devices_stat", "devices_alarm_stat")
DEVICE_ROUTES = ("attributes_raw", "attributes")


def _rss_bytes() -> int:
    """The process's resident set size now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


@dataclass(slots=True)
class WriteCounter:
    """Counts state writes and state_changed events."""

    hass: HomeAssistant
    attribute_entity_ids: set[str] = field(default_factory=set)
    writes: int = 0
    unchanged_writes: int = 0
    unchanged_entity_ids: list[str] = field(default_factory=list)
    state_changed: int = 0
    attribute_state_changed: int = 0

    def reset(self) -> None:
        """Start counting again."""
        self.writes = self.unchanged_writes = 0
        self.unchanged_entity_ids = []
        self.state_changed = self.attribute_state_changed = 0

    @callback
    def on_state_changed(self, event: Event[Any]) -> None:
        """Count one state_changed event."""
        self.state_changed += 1
        if event.data["entity_id"] in self.attribute_entity_ids:
            self.attribute_state_changed += 1

    @contextlib.contextmanager
    def wrap_writes(self) -> Iterator[None]:
        """Count every ``Entity.async_write_ha_state`` and the ones that changed nothing."""
        original: Callable[[Entity], None] = Entity.async_write_ha_state
        states = self.hass.states

        def counting_write(entity: Entity) -> None:
            before = states.get(entity.entity_id) if entity.entity_id else None
            original(entity)
            self.writes += 1
            if before is not None and states.get(entity.entity_id) is before:
                self.unchanged_writes += 1
                self.unchanged_entity_ids.append(entity.entity_id)

        with patch.object(Entity, "async_write_ha_state", counting_write):
            yield


@dataclass(slots=True)
class Cycle:
    """The figures of one polling cycle."""

    requests: dict[str, int]
    wall: float
    cpu: float
    changed_devices: int
    changed_values: int
    state_changed: int
    attribute_state_changed: int
    writes: int
    unchanged_writes: int
    unchanged_entity_ids: list[str]

    @property
    def total_requests(self) -> int:
        """Every API request of the cycle."""
        return sum(self.requests.values())


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

    @property
    def pages(self) -> int:
        """Pages of /devices per walk, as the server paginates."""
        per_page = SERVER_DEFAULT_PAGE_RECORDS if self.ignore_page_records else PAGE_RECORDS
        return max(1, math.ceil(self.devices / per_page))

    def median(self, key: Callable[[Cycle], float]) -> float:
        """The median of one figure over the steady cycles."""
        return statistics.median(key(cycle) for cycle in self.cycles)


async def _run_cycle(
    sim: SimulatorProcess,
    hass: HomeAssistant,
    coordinator: ThingsCloudCoordinator,
    counter: WriteCounter,
    *,
    tick: bool,
) -> Cycle:
    """One cycle: a simulator tick (optional), then one coordinator refresh."""
    changed_devices: list[str] = []
    changed_values = 0
    if tick:
        before = await sim.values()
        changed_devices = await sim.tick()
        after = await sim.values()
        changed_values = sum(1 for key, value in after.items() if before.get(key) != value)
    await sim.clear_counts()
    await hass.async_block_till_done()
    counter.reset()
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    await coordinator.async_refresh()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if not coordinator.last_update_success:
        raise RuntimeError(f"the cycle failed: {coordinator.last_exception}")
    await hass.async_block_till_done()
    return Cycle(
        requests=await sim.counts(),
        wall=wall,
        cpu=cpu,
        changed_devices=len(changed_devices),
        changed_values=changed_values,
        state_changed=counter.state_changed,
        attribute_state_changed=counter.attribute_state_changed,
        writes=counter.writes,
        unchanged_writes=counter.unchanged_writes,
        unchanged_entity_ids=counter.unchanged_entity_ids,
    )


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
    limit = contextlib.nullcontext() if keep_entity_limit else _lifted_entity_limit()
    try:
        async with async_test_home_assistant() as hass:
            # Let Home Assistant find custom_components/thingscloud (as tests/conftest.py does).
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            counter = WriteCounter(hass)
            hass.bus.async_listen(EVENT_STATE_CHANGED, counter.on_state_changed)
            entry = _bench_entry(sim.url, devices)
            entry.add_to_hass(hass)
            with limit, _plain_resolver(), counter.wrap_writes():
                # Load the integration's modules before the clock starts (a real start
                # imports them before setting entries up too).
                await loader.async_get_integration(hass, DOMAIN)
                await sim.clear_counts()
                gc.collect()
                rss = _rss_bytes()
                wall, cpu = time.perf_counter(), time.process_time()
                if not await hass.config_entries.async_setup(entry.entry_id):
                    raise RuntimeError("the entry did not set up")
                await hass.async_block_till_done()
                setup_cpu = time.process_time() - cpu
                setup_wall = time.perf_counter() - wall
                setup_rss = _rss_bytes() - rss
                setup_requests = sum((await sim.counts()).values())
                progress(f"N={devices}: set up in {setup_wall:.2f} s")

                registry = er.async_get(hass)
                registered = er.async_entries_for_config_entry(registry, entry.entry_id)
                counter.attribute_entity_ids = {
                    item.entity_id for item in registered if "_attr_" in item.unique_id
                }
                # The registries save themselves 10 s after the setup, once: do it now,
                # so that it does not land inside a measured cycle.
                hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
                await hass.async_block_till_done()
                coordinator: ThingsCloudCoordinator = entry.runtime_data
                idle = await _run_cycle(sim, hass, coordinator, counter, tick=False)
                steady = [
                    await _run_cycle(sim, hass, coordinator, counter, tick=True)
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
) -> int:
    """Bytes Python allocated to set the integration up and still holds afterwards."""
    sim = await SimulatorProcess.start(
        devices, ATTRIBUTES, CHANGE_SHARE, latency_ms, ignore_page_records=ignore_page_records
    )
    limit = contextlib.nullcontext() if keep_entity_limit else _lifted_entity_limit()
    try:
        async with async_test_home_assistant() as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            entry = _bench_entry(sim.url, devices)
            entry.add_to_hass(hass)
            with limit, _plain_resolver():
                await loader.async_get_integration(hass, DOMAIN)
                gc.collect()
                tracemalloc.start()
                before = tracemalloc.get_traced_memory()[0]
                if not await hass.config_entries.async_setup(entry.entry_id):
                    raise RuntimeError("the entry did not set up")
                await hass.async_block_till_done()
                gc.collect()
                traced = tracemalloc.get_traced_memory()[0] - before
                tracemalloc.stop()
                await hass.config_entries.async_unload(entry.entry_id)
                await hass.async_block_till_done()
    finally:
        await sim.close()
    return traced


def _bench_entry(url: str, devices: int) -> MockConfigEntry:
    """The config entry of a generated project (the benchmark drives the cycles itself)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Generated ({devices} devices)",
        data={
            CONF_ENDPOINT: url,
            CONF_AUTH_TYPE: AUTH_TYPE_APP,
            CONF_APP_ID: DEMO_APP_ID,
            CONF_ACCESS_KEY: DEMO_ACCESS_KEY,
            CONF_SECRET_KEY: DEMO_SECRET_KEY,
        },
        options={CONF_SCAN_INTERVAL: 3600},
    )


@contextlib.contextmanager
def _plain_resolver() -> Iterator[None]:
    """Resolve host names without zeroconf (as the test plugin does; the simulator is 127.0.0.1)."""

    def make_resolver(hass: HomeAssistant) -> ThreadedResolver:
        resolver = ThreadedResolver()
        resolver.real_close = resolver.close  # type: ignore[attr-defined]
        return resolver

    with patch("homeassistant.helpers.aiohttp_client._async_make_resolver", make_resolver):
        yield


@contextlib.contextmanager
def _lifted_entity_limit() -> Iterator[None]:
    with patch.object(entity_platform, "MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY", 10**9):
        yield


# ------------------------------------------------------------------------------ output


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}" if seconds >= 0.01 else f"{seconds * 1000:.1f}"


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
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    lines = [
        (
            f"ThingsCloud polling benchmark: {ATTRIBUTES} attributes per device, "
            f"{CHANGE_SHARE:.0%} of the devices change per cycle, "
            f"{latency_ms:g} ms server latency, medians of {cycles} steady cycles; "
            f"{os.cpu_count()} CPUs, load average {load}."
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
            f"| {_label(r)} | {_ms(r.median(lambda c: c.wall))} | "
            f"{_ms(r.median(lambda c: c.cpu))} | {_ms(r.idle.cpu)} | "
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
                misses.append(f"N={r.devices}: {cycle.total_requests} requests > {floor}")
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
    return misses


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000", help="device counts (10,100,1000)")
    parser.add_argument("--cycles", type=int, default=7, help="steady cycles per size (7, >= 5)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="server latency (20)")
    parser.add_argument(
        "--quick", action="store_true", help="sizes 10,100 and 5 cycles (a smoke run)"
    )
    parser.add_argument(
        "--ignore-page-records",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also run the largest size against a server that ignores page_records "
        "(default: yes, except with --quick)",
    )
    parser.add_argument(
        "--keep-entity-limit",
        action="store_true",
        help="keep Home Assistant's 10,000 enabled entities per entry cap",
    )
    args = parser.parse_args(argv)
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
    return args


async def _main(args: argparse.Namespace) -> int:
    def progress(text: str) -> None:
        print(text, file=sys.stderr, flush=True)  # noqa: T201

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
            progress=progress,
        )
        result.setup_traced = await measure_setup_memory(
            size,
            latency_ms=args.latency_ms,
            keep_entity_limit=args.keep_entity_limit,
            ignore_page_records=ignore,
        )
        progress(f"N={size}: setup holds {result.setup_traced / 2**20:.0f} MiB (tracemalloc)")
        results.append(result)
    print(render(results, latency_ms=args.latency_ms, cycles=args.cycles))  # noqa: T201
    misses = check_targets(results)
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
