"""Pacing under a rate limit (``--rate-limit N``).

The same generated project is set up twice, each in its own simulator and test instance:
without a limit (the reference entity count) and with the simulator answering HTTP 429 (with
``Retry-After``) beyond N API requests per second and access token. Each setup is followed
by steady cycles (a tick, a refresh). Figures: setup time (until the entry is loaded, Home
Assistant's own setup retries included; the benchmark gives up after MAX_FAILED_SETUPS failed
attempts and shows the last one's reason), setup requests and 429 answers, the pacing sampled
during the setup, entities, then per cycle whether every changed device's attribute entities
show the new values, and the client's pacing state (``client.pacing``) at the end.
"""

import asyncio
from collections.abc import Callable
import contextlib
from dataclasses import dataclass
import itertools
import time

from homeassistant import loader
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.helpers import entity_registry as er

from custom_components.thingscloud.api.pacing import PacingState
from custom_components.thingscloud.const import DOMAIN
from custom_components.thingscloud.coordinator import ThingsCloudConfigEntry

from .harness import (
    ATTRIBUTES,
    CHANGE_SHARE,
    PollCounter,
    attribute_entities,
    bench_entry,
    differing,
    flush_registries,
    ha_instance,
    lifted_entity_limit,
    machine,
    plain_resolver,
    wait_for,
)
from .simproc import SimulatorProcess

SETUP_TIMEOUT = 1800.0
# Home Assistant retries a setup that is not ready after 5, 10, 20, 40, 80 s...: give up
# after this many failed attempts (about 2.5 minutes).
MAX_FAILED_SETUPS = 6


@dataclass(slots=True)
class LimitedCycle:
    """One steady cycle under the limit."""

    changed_devices: int
    read_devices: int
    """Changed devices whose attribute entities all show the new values afterwards."""
    requests: int
    rate_limited: int
    wall: float
    success: bool


@dataclass(slots=True)
class SetupRun:
    """One setup and its cycles, with or without a limit."""

    rate_limit: float | None
    loaded: bool
    setup_wall: float
    failed_setups: int
    """Setup attempts that failed (Home Assistant retried them)."""
    setup_error: str | None
    """Why the last failed setup attempt failed (the entry's reason)."""
    setup_requests: int
    setup_rate_limited: int
    entities: int
    attribute_entities: int
    unavailable: int
    cycles: list[LimitedCycle]
    entities_after_cycles: int
    pacing: PacingState | None
    max_spacing: float
    """The largest request spacing sampled during the setup (s)."""
    min_concurrency: int | None
    """The lowest concurrency sampled during the setup."""


@dataclass(slots=True)
class RateLimitResult:
    """The figures of ``--rate-limit``."""

    devices: int
    latency_ms: float
    unlimited: SetupRun
    limited: SetupRun
    load: str = ""


async def _sample_pacing(entry: ThingsCloudConfigEntry, samples: list[PacingState]) -> None:
    """Sample the client's pacing every 0.25 s while the entry sets up."""
    while True:
        runtime = getattr(entry, "runtime_data", None)
        if runtime is not None:
            samples.append(runtime.client.pacing)
        await asyncio.sleep(0.25)


async def _setup_run(
    devices: int,
    rate_limit: float | None,
    *,
    latency_ms: float,
    keep_entity_limit: bool,
    cycles: int,
    progress: Callable[[str], None],
) -> SetupRun:
    label = f"{rate_limit:g}/s" if rate_limit else "unlimited"
    sim = await SimulatorProcess.start(
        devices, ATTRIBUTES, CHANGE_SHARE, latency_ms, rate_limit=rate_limit
    )
    try:
        async with ha_instance() as hass:
            entry = bench_entry(sim.url, devices)
            entry.add_to_hass(hass)
            polls = PollCounter()
            with lifted_entity_limit(keep_entity_limit), plain_resolver(), polls.counting():
                await loader.async_get_integration(hass, DOMAIN)
                await sim.clear_counts()
                samples: list[PacingState] = []
                sampler = asyncio.create_task(_sample_pacing(entry, samples))
                start = time.perf_counter()
                await hass.config_entries.async_setup(entry.entry_id)
                errors: list[str] = []

                def settled() -> bool:
                    if entry.state is ConfigEntryState.SETUP_RETRY and entry.reason:
                        errors.append(entry.reason)
                    return entry.state is ConfigEntryState.LOADED or (
                        entry.state is ConfigEntryState.SETUP_RETRY
                        and entry._tries >= MAX_FAILED_SETUPS  # noqa: SLF001 - retries so far
                    )

                with contextlib.suppress(TimeoutError):
                    await wait_for(settled, SETUP_TIMEOUT, "the entry to load", step=0.1)
                loaded = entry.state is ConfigEntryState.LOADED
                await hass.async_block_till_done()
                setup_wall = time.perf_counter() - start
                sampler.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await sampler
                log = await sim.log()
                failed = entry._tries  # noqa: SLF001 - Home Assistant's retry count
                progress(
                    f"rate limit {label}: "
                    + (f"loaded in {setup_wall:.1f} s" if loaded else "did not load")
                    + f" ({failed} failed setup attempts)"
                )
                registry = er.async_get(hass)
                registered = er.async_entries_for_config_entry(registry, entry.entry_id)
                entities = attribute_entities(hass, entry.entry_id)
                unavailable = sum(
                    1
                    for entity_id in entities
                    if (state := hass.states.get(entity_id)) is None
                    or state.state == STATE_UNAVAILABLE
                )
                done: list[LimitedCycle] = []
                pacing = None
                entities_after = len(registered)
                if loaded:
                    await flush_registries(hass)
                    coordinator = entry.runtime_data.coordinator
                    for _ in range(cycles):
                        changed = set(await sim.tick())
                        await sim.clear_counts()
                        wall = time.perf_counter()
                        await coordinator.async_refresh()
                        wall = time.perf_counter() - wall
                        await hass.async_block_till_done()
                        cycle_log = await sim.log()
                        shown = {
                            entity_id: key
                            for entity_id, key in attribute_entities(hass, entry.entry_id).items()
                            if key[0] in changed
                        }
                        wrong = differing(hass, shown, await sim.values())
                        # A changed device without attribute entities was not read either.
                        unread = {shown[entity_id][0] for entity_id in wrong} | (
                            changed - {device_id for device_id, _ in shown.values()}
                        )
                        done.append(
                            LimitedCycle(
                                changed_devices=len(changed),
                                read_devices=len(changed - unread),
                                requests=len(cycle_log),
                                rate_limited=sum(1 for e in cycle_log if e["status"] == 429),
                                wall=wall,
                                success=coordinator.last_update_success,
                            )
                        )
                    pacing = entry.runtime_data.client.pacing
                    entities_after = len(
                        er.async_entries_for_config_entry(registry, entry.entry_id)
                    )
                    await hass.config_entries.async_unload(entry.entry_id)
                    await hass.async_block_till_done()
                return SetupRun(
                    rate_limit=rate_limit,
                    loaded=loaded,
                    setup_wall=setup_wall,
                    failed_setups=failed,
                    setup_error=errors[-1] if errors else None,
                    setup_requests=len(log),
                    setup_rate_limited=sum(1 for e in log if e["status"] == 429),
                    entities=len(registered),
                    attribute_entities=len(entities),
                    unavailable=unavailable,
                    cycles=done,
                    entities_after_cycles=entities_after,
                    pacing=pacing,
                    max_spacing=max((state.spacing for state in samples), default=0.0),
                    min_concurrency=min((state.concurrency for state in samples), default=None),
                )
    finally:
        await sim.close()


async def measure_rate_limit(
    devices: int,
    per_second: float,
    *,
    latency_ms: float,
    keep_entity_limit: bool,
    cycles: int = 3,
    progress: Callable[[str], None] = lambda _: None,
) -> RateLimitResult:
    """Set a generated project up without and with a rate limit; steady cycles after."""
    unlimited = await _setup_run(
        devices,
        None,
        latency_ms=latency_ms,
        keep_entity_limit=keep_entity_limit,
        cycles=cycles,
        progress=progress,
    )
    limited = await _setup_run(
        devices,
        per_second,
        latency_ms=latency_ms,
        keep_entity_limit=keep_entity_limit,
        cycles=cycles,
        progress=progress,
    )
    return RateLimitResult(devices, latency_ms, unlimited, limited, load=machine())


def _pacing(state: PacingState | None) -> str:
    if state is None:
        return "-"
    last = (
        "no 429 seen"
        if state.since_rate_limited is None
        else f"{state.rate_limited} x 429 seen, the last {state.since_rate_limited:.0f} s ago"
    )
    return (
        f"concurrency {state.concurrency}, spacing {state.spacing:.2f} s, in flight "
        f"{state.in_flight}, {last}"
    )


def _loaded(run: SetupRun) -> str:
    if run.loaded:
        return "yes"
    return f"no, gave up after {run.failed_setups} failed attempts; last: {run.setup_error}"


def _cycles(run: SetupRun) -> list[str]:
    return [
        (
            f"{c.read_devices}/{c.changed_devices} read, {c.requests} requests "
            f"({c.rate_limited} x 429), {c.wall:.1f} s{'' if c.success else ', FAILED'}"
        )
        for c in run.cycles
    ]


def render_rate_limit(r: RateLimitResult) -> str:
    """The table of ``--rate-limit`` (markdown)."""
    a, b = r.unlimited, r.limited
    rows = [
        ("entry loaded", _loaded(a), _loaded(b)),
        ("setup s (until loaded or given up)", f"{a.setup_wall:.1f}", f"{b.setup_wall:.1f}"),
        (
            "failed setup attempts (retried by Home Assistant)",
            str(a.failed_setups),
            str(b.failed_setups),
        ),
        ("setup requests (all answers)", str(a.setup_requests), str(b.setup_requests)),
        ("setup 429 answers", str(a.setup_rate_limited), str(b.setup_rate_limited)),
        (
            "setup requests per second (effective)",
            f"{a.setup_requests / a.setup_wall:.1f}",
            f"{b.setup_requests / b.setup_wall:.1f}",
        ),
        (
            "pacing during the setup: largest spacing s, lowest concurrency",
            f"{a.max_spacing:.2f}, {a.min_concurrency}",
            f"{b.max_spacing:.2f}, {b.min_concurrency}",
        ),
        (
            "entities (attribute entities)",
            f"{a.entities} ({a.attribute_entities})",
            f"{b.entities} ({b.attribute_entities})",
        ),
        ("attribute entities unavailable after setup", str(a.unavailable), str(b.unavailable)),
    ]
    cycles = itertools.zip_longest(_cycles(a), _cycles(b), fillvalue="- (not loaded)")
    for number, (first, second) in enumerate(cycles, start=1):
        rows.append((f"steady cycle {number}: changed devices read", first, second))
    rows.append(
        (
            "entities after the steady cycles",
            str(a.entities_after_cycles),
            str(b.entities_after_cycles),
        )
    )
    rows.append(("client.pacing at the end", _pacing(a.pacing), _pacing(b.pacing)))
    lines = [
        (
            f"Pacing under a rate limit: N={r.devices} devices x {ATTRIBUTES} attributes, "
            f"{r.latency_ms:g} ms API latency, the simulator limits each access token to "
            f"{b.rate_limit:g} requests/s (429 with Retry-After; token requests not limited); "
            f"{r.load}."
        ),
        "",
        f"| figure | no limit | {b.rate_limit:g} requests/s |",
        "|:--|:--|:--|",
        *(f"| {name} | {first} | {second} |" for name, first, second in rows),
    ]
    return "\n".join(lines)


def check_rate_limit(r: RateLimitResult) -> list[str]:
    """The ``--rate-limit`` targets missed."""
    b = r.limited
    misses = []
    if not b.loaded:
        misses.append("rate limit: the entry did not load")
    if b.entities != r.unlimited.entities:
        misses.append(
            f"rate limit: {b.entities} entities, {r.unlimited.entities} without the limit"
        )
    if b.entities_after_cycles != r.unlimited.entities:
        misses.append(
            f"rate limit: {b.entities_after_cycles} entities after the steady cycles, "
            f"{r.unlimited.entities} without the limit"
        )
    misses.extend(
        f"rate limit: steady cycle {number} read {c.read_devices} of {c.changed_devices} "
        "changed devices"
        for number, c in enumerate(b.cycles, start=1)
        if c.read_devices < c.changed_devices
    )
    return misses
