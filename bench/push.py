"""Real-time updates (``--realtime``) and per-device dispatch on/off (``--no-dispatch``).

Both modes use one simulator and one test instance: the entry is set up polling only (steady
cycles measured there), then its options turn real-time updates on (the entry reloads), and
the benchmark waits until the subscription is up (``update_interval`` the scan interval
(60 s) times ``coordinator.REALTIME_POLL_FACTOR``, and the ``<project_id>_realtime`` binary
sensor on) and its catch-up poll is done.
The integration's reconnection delays are patched to ``RECONNECT_DELAYS`` (0.2 s doubling
to 2 s instead of 1 s to 300 s), so that forced reconnects take seconds. Each forced drop
waits until Home Assistant's refresh debouncer has cooled down (10 s after the last poll
started): a drop sooner after a poll has its catch-up poll held back until then.
"""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta
import logging
import math
import random
import statistics
import time
from typing import Any
from unittest.mock import patch

from homeassistant import loader
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_STATE_CHANGED, STATE_ON
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.update_coordinator import REQUEST_REFRESH_DEFAULT_COOLDOWN
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
)

from custom_components.thingscloud import realtime as realtime_module
from custom_components.thingscloud.const import CONF_SCAN_INTERVAL, DOMAIN, LOGGER
from custom_components.thingscloud.coordinator import (
    REALTIME_POLL_FACTOR,
    DeviceListeners,
    ThingsCloudCoordinator,
)
from custom_components.thingscloud.realtime import RealtimeLink

from .harness import (
    ATTRIBUTES,
    CHANGE_SHARE,
    DEFAULT_SCAN_INTERVAL,
    Cycle,
    PollCounter,
    WriteCounter,
    attribute_entities,
    bench_entry,
    differing,
    flush_registries,
    ha_instance,
    lifted_entity_limit,
    machine,
    ms,
    percentile,
    plain_resolver,
    realtime_options,
    run_cycle,
    shows,
    wait_for,
)
from .simproc import SimulatorProcess

RECONNECT_DELAYS = (0.2, 2.0)
REPORTS = 240
REPORT_RATE = 15.0
DISPATCH_REPORTS = 100
DISPATCH_REPORT_RATE = 10.0
PUSHED_TICKS = 10  # ten minutes of the polling benchmark's changes (one tick per minute)
RECONNECTS = 10
REPORTS_WHILE_DOWN = 5
REFUSE_AT_MOST = 10.0  # seconds the broker refuses logins after a drop, until one is refused
LANDING_TIMEOUT = 10.0
LATENCY_TARGET = 1.0
LATENCY_GOAL = 0.2
POLL_SHARE_TARGET = 0.2


@dataclass(slots=True)
class PushRun:
    """Reports sent through the admin API and how they reached the states."""

    reports: int
    devices: int
    """Distinct devices the reports went to."""
    rate: float
    latencies: list[float]
    lost: int
    messages: int
    wall: float
    cpu: float
    baseline_cpu: float
    """Process time of as many admin requests alone (the bench's own client)."""

    @property
    def cpu_per_message(self) -> float:
        """Process time per message received, without the admin client's share."""
        return (self.cpu - self.baseline_cpu) / self.messages if self.messages else math.nan

    @property
    def gross_cpu_per_message(self) -> float:
        """Process time per message received, the admin client's share included."""
        return self.cpu / self.messages if self.messages else math.nan


@dataclass(slots=True)
class Reconnect:
    """One forced reconnect."""

    down_after: float
    """Seconds from the drop until the integration saw the link down."""
    up_after: float
    """Seconds from the drop until the link was up again."""
    caught_up_after: float
    """Seconds from the drop until the catch-up poll after the reconnect finished."""
    requests: int
    """API requests from the drop until then (the catch-up poll's)."""
    refused: bool
    """Whether a login was refused while the link was down."""
    stale: list[str]
    """Entities reported while the link was down that did not show the value after the
    catch-up poll."""


@dataclass(slots=True)
class Session:
    """One simulator, one test instance, one generated project's entry."""

    sim: SimulatorProcess
    hass: HomeAssistant
    entry: MockConfigEntry
    polls: PollCounter
    counter: WriteCounter
    entities: dict[str, tuple[str, str]]
    rng: random.Random = field(default_factory=lambda: random.Random(1))  # noqa: S311
    _baselines: dict[tuple[int, float], float] = field(default_factory=dict)
    _next_report: int = 0

    @property
    def coordinator(self) -> ThingsCloudCoordinator:
        """The entry's coordinator now (a reload makes a new one)."""
        coordinator: ThingsCloudCoordinator = self.entry.runtime_data.coordinator
        return coordinator

    @property
    def link(self) -> RealtimeLink:
        """The entry's real-time link."""
        link: RealtimeLink | None = self.entry.runtime_data.realtime
        if link is None:
            raise RuntimeError("real-time updates are not configured")
        return link

    @property
    def devices(self) -> list[str]:
        """The devices that have attribute entities, in order."""
        return sorted({device_id for device_id, _ in self.entities.values()})

    def messages(self) -> int:
        """Messages the subscription delivered so far."""
        received: int = self.link.diagnostics()["messages"]
        return received

    async def cycles(self, count: int) -> list[Cycle]:
        """Steady polling cycles (a tick, a refresh), writes counted."""
        with self.counter.wrap_writes():
            return [
                await run_cycle(self.sim, self.hass, self.coordinator, self.counter, tick=True)
                for _ in range(count)
            ]

    async def enable_realtime(self) -> float:
        """Turn real-time updates on (the entry reloads); seconds until up and caught up."""
        start = time.perf_counter()
        self.hass.config_entries.async_update_entry(
            self.entry,
            options={
                **self.entry.options,
                CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
                **realtime_options(self.sim),
            },
        )
        await self.hass.async_block_till_done()
        await wait_for(
            lambda: (
                self.entry.state is ConfigEntryState.LOADED
                and self.entry.runtime_data.realtime is not None
            ),
            120,
            "the entry to reload with real-time updates",
        )
        scan = timedelta(seconds=DEFAULT_SCAN_INTERVAL)
        sensor = er.async_get(self.hass).async_get_entity_id(
            "binary_sensor", DOMAIN, f"{self.coordinator.project.id}_realtime"
        )

        def up() -> bool:
            state = self.hass.states.get(sensor) if sensor else None
            return (
                self.coordinator.update_interval == scan * REALTIME_POLL_FACTOR
                and state is not None
                and state.state == STATE_ON
            )

        await wait_for(up, 60, "the subscription (update_interval x factor, realtime sensor on)")
        await self._caught_up()
        await self.hass.async_block_till_done()
        await flush_registries(self.hass)
        return time.perf_counter() - start

    async def _caught_up(self) -> float:
        """Wait for the poll that follows the last link-up; return when it ended."""
        when = self.polls.last_link(up=True)
        if when is None:
            raise RuntimeError("the link never came up")
        await wait_for(
            lambda: any(ok for _, _, ok in self.polls.started_since(when)),
            60,
            "the catch-up poll after the reconnect",
        )
        return min(end for _, end, ok in self.polls.started_since(when) if ok)

    def _targets(self, count: int) -> list[tuple[str, str, str]]:
        """``count`` distinct (entity id, device id, identifier), spread over the devices."""
        by_key = {key: entity_id for entity_id, key in self.entities.items()}
        devices = self.devices
        identifiers = sorted({identifier for _, identifier in self.entities.values()})
        stride = max(1, len(devices) // 7)
        while math.gcd(stride, len(devices)) != 1:
            stride += 1
        targets = []
        for _ in range(min(count, len(by_key))):
            k = self._next_report
            self._next_report += 1
            device_id = devices[(k * stride) % len(devices)]
            identifier = identifiers[(k // len(devices) + k) % len(identifiers)]
            if (entity_id := by_key.get((device_id, identifier))) is not None:
                targets.append((entity_id, device_id, identifier))
        return targets

    def _new_value(self, current: Any) -> float:
        value = round(self.rng.uniform(0, 1000), 2)
        return round(value + 0.01, 2) if value == current else value

    async def _baseline(self, count: int, rate: float) -> float:
        """Process time of ``count`` admin requests at ``rate`` that make no report."""
        if (count, rate) not in self._baselines:
            loop = asyncio.get_running_loop()
            cpu = time.process_time()
            start = loop.time()
            tasks = []
            for k in range(count):
                if (delay := start + k / rate - loop.time()) > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(self.sim.ping()))
            await asyncio.gather(*tasks)
            await self.hass.async_block_till_done()
            self._baselines[count, rate] = time.process_time() - cpu
        return self._baselines[count, rate]

    async def push(self, count: int, rate: float) -> PushRun:
        """Paced reports of new values; the latency from request to state_changed."""
        hass = self.hass
        values = await self.sim.values()
        plan = [
            (entity_id, device_id, identifier, self._new_value(values.get((device_id, identifier))))
            for entity_id, device_id, identifier in self._targets(count)
        ]
        pending: dict[str, tuple[float, float]] = {}
        latencies: list[float] = []

        @callback
        def landed(event: Event[Any]) -> None:
            entity_id = event.data["entity_id"]
            if (item := pending.get(entity_id)) is None:
                return
            new_state = event.data["new_state"]
            if new_state is not None and shows(new_state.state, item[0]):
                latencies.append(time.perf_counter() - item[1])
                del pending[entity_id]

        remove = hass.bus.async_listen(EVENT_STATE_CHANGED, landed)
        await hass.async_block_till_done()
        messages = self.messages()
        loop = asyncio.get_running_loop()
        tasks = []
        cpu, wall = time.process_time(), time.perf_counter()
        start = loop.time()
        try:
            for k, (entity_id, device_id, identifier, value) in enumerate(plan):
                if (delay := start + k / rate - loop.time()) > 0:
                    await asyncio.sleep(delay)
                pending[entity_id] = (value, time.perf_counter())
                tasks.append(asyncio.create_task(self.sim.report(device_id, {identifier: value})))
            await asyncio.gather(*tasks)
            with contextlib.suppress(TimeoutError):
                await wait_for(lambda: not pending, LANDING_TIMEOUT, "the reports' states")
            await hass.async_block_till_done()
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        finally:
            remove()
        return PushRun(
            reports=len(plan),
            devices=len({device_id for _, device_id, _, _ in plan}),
            rate=rate,
            latencies=latencies,
            lost=len(pending),
            messages=self.messages() - messages,
            wall=wall,
            cpu=cpu,
            baseline_cpu=await self._baseline(len(plan), rate),
        )

    async def pushed_ticks(self, ticks: int) -> tuple[int, int]:
        """Simulator ticks delivered by push only; return (devices changed, messages)."""
        changed = 0
        messages = self.messages()
        for _ in range(ticks):
            devices = await self.sim.tick()
            changed += len(devices)
            wanted = messages + changed
            await wait_for(
                lambda: self.messages() >= wanted,  # noqa: B023 - awaited here
                LANDING_TIMEOUT,
                "a tick's messages",
            )
            await self.hass.async_block_till_done()
        return changed, self.messages() - messages

    async def poll_requests(self) -> dict[str, int]:
        """One forced poll with the subscription up: its requests by route."""
        await self.sim.clear_counts()
        await self.coordinator.async_refresh()
        if not self.coordinator.last_update_success:
            raise RuntimeError(f"the poll failed: {self.coordinator.last_exception}")
        await self.hass.async_block_till_done()
        return await self.sim.counts()

    async def _cooled_down(self) -> None:
        """Wait until the refresh debouncer's cooldown since the last poll has passed."""
        last = max((start for start, _, _ in self.polls.polls), default=None)
        if last is not None:
            remaining = last + REQUEST_REFRESH_DEFAULT_COOLDOWN + 0.1 - time.perf_counter()
            if remaining > 0:
                await asyncio.sleep(remaining)

    async def reconnect(self) -> Reconnect:
        """Drop the link, refuse logins a moment, report meanwhile; wait for the catch-up."""
        link = self.link
        await self._cooled_down()
        await self.sim.mqtt(refuse_credentials=True)
        await self.sim.clear_counts()
        dropped = time.perf_counter()
        await self.sim.mqtt_drop()
        down_after = await wait_for(lambda: not link.connected, 30, "the link to go down")
        values = await self.sim.values()
        reported: dict[str, tuple[str, str]] = {}
        for entity_id, device_id, identifier in self._targets(REPORTS_WHILE_DOWN):
            value = self._new_value(values.get((device_id, identifier)))
            await self.sim.report(device_id, {identifier: value})
            reported[entity_id] = (device_id, identifier)
        # Logins stay refused until one was (its retry then waits the longest delay).
        refused = True
        try:
            await wait_for(
                lambda: "refused" in (link.diagnostics()["last_error"] or ""),
                REFUSE_AT_MOST,
                "a refused login",
            )
        except TimeoutError:
            refused = False
        await self.sim.mqtt(refuse_credentials=False)
        await wait_for(lambda: link.connected, 60, "the link to come back")
        up_after = (self.polls.last_link(up=True) or time.perf_counter()) - dropped
        caught_up = await self._caught_up()
        await self.hass.async_block_till_done()
        requests = sum((await self.sim.counts()).values())
        stale = differing(self.hass, reported, await self.sim.values())
        return Reconnect(down_after, up_after, caught_up - dropped, requests, refused, stale)

    async def wrong_entities(self) -> list[str]:
        """The attribute entities whose state is not the simulator's value."""
        await self.hass.async_block_till_done()
        return differing(self.hass, self.entities, await self.sim.values())


@contextlib.asynccontextmanager
async def open_session(
    devices: int, *, latency_ms: float, keep_entity_limit: bool
) -> AsyncIterator[Session]:
    """Set a generated project up, polling only, and hand the session over."""
    sim = await SimulatorProcess.start(devices, ATTRIBUTES, CHANGE_SHARE, latency_ms)
    try:
        async with ha_instance() as hass:
            counter = WriteCounter(hass)
            hass.bus.async_listen(EVENT_STATE_CHANGED, counter.on_state_changed)
            entry = bench_entry(sim.url, devices)
            entry.add_to_hass(hass)
            polls = PollCounter()
            with (
                lifted_entity_limit(keep_entity_limit),
                plain_resolver(),
                polls.counting(),
                patch.object(realtime_module, "RECONNECT_DELAYS", RECONNECT_DELAYS),
            ):
                await loader.async_get_integration(hass, DOMAIN)
                if not await hass.config_entries.async_setup(entry.entry_id):
                    raise RuntimeError("the entry did not set up")
                await hass.async_block_till_done()
                entities = attribute_entities(hass, entry.entry_id)
                counter.attribute_entity_ids = set(entities)
                await flush_registries(hass)
                try:
                    yield Session(sim, hass, entry, polls, counter, entities)
                finally:
                    await hass.config_entries.async_unload(entry.entry_id)
                    await hass.async_block_till_done()
    finally:
        await sim.close()


class _RefusedLogins(logging.Filter):
    """Holds the integration's warnings about refused MQTT logins back (the bench forces them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "refused the view key or secret" not in record.getMessage()


@contextlib.contextmanager
def refused_logins_quiet() -> Iterator[None]:
    """Without the warnings of the logins the forced reconnects refuse on purpose."""
    quiet = _RefusedLogins()
    LOGGER.addFilter(quiet)
    try:
        yield
    finally:
        LOGGER.removeFilter(quiet)


@contextlib.contextmanager
def dispatch_to_all() -> Iterator[None]:
    """Every update calls every device listener (as without per-device dispatch)."""
    original = DeviceListeners.notify

    def notify_all(listeners: DeviceListeners, _touched: Iterable[str], success: bool) -> None:
        original(listeners, list(listeners._by_device), success)  # noqa: SLF001

    with patch.object(DeviceListeners, "notify", notify_all):
        yield


# ------------------------------------------------------------------------------ --realtime


@dataclass(slots=True)
class RealtimeResult:
    """The figures of ``--realtime``."""

    devices: int
    latency_ms: float
    entities: int
    polling: list[Cycle]
    enable_seconds: float
    push: PushRun
    ticks_changed: int
    ticks_messages: int
    poll: dict[str, int]
    poll_interval: float
    reconnects: list[Reconnect]
    reconnect_failures: list[str]
    wrong: list[str]
    load: str = ""

    @property
    def polling_requests(self) -> float:
        """Median requests of a steady polling-only cycle."""
        return statistics.median(sum(cycle.requests.values()) for cycle in self.polling)

    @property
    def polls_per_hour(self) -> float:
        """Polls per hour with the subscription up."""
        return 3600 / self.poll_interval

    @property
    def push_per_hour(self) -> float:
        """Requests per hour with the subscription up."""
        return sum(self.poll.values()) * self.polls_per_hour

    @property
    def polling_per_hour(self) -> float:
        """Requests per hour polling only, every 60 s."""
        return self.polling_requests * 3600 / DEFAULT_SCAN_INTERVAL


async def measure_realtime(
    devices: int,
    *,
    latency_ms: float,
    keep_entity_limit: bool,
    reports: int = REPORTS,
    rate: float = REPORT_RATE,
    reconnects: int = RECONNECTS,
    polling_cycles: int = 5,
    progress: Callable[[str], None] = lambda _: None,
) -> RealtimeResult:
    """Measure real-time updates on a generated project of ``devices``."""
    async with open_session(
        devices, latency_ms=latency_ms, keep_entity_limit=keep_entity_limit
    ) as session:
        progress(f"realtime: N={devices} set up ({len(session.entities)} attribute entities)")
        polling = await session.cycles(polling_cycles)
        enable = await session.enable_realtime()
        progress(f"realtime: subscription up and caught up {enable:.1f} s after the options")
        push = await session.push(reports, rate)
        progress(f"realtime: {push.reports} reports, {len(push.latencies)} landed")
        changed, messages = await session.pushed_ticks(PUSHED_TICKS)
        poll = await session.poll_requests()
        interval = session.coordinator.update_interval
        done: list[Reconnect] = []
        failures: list[str] = []
        with refused_logins_quiet():
            for number in range(reconnects):
                try:
                    done.append(await session.reconnect())
                except TimeoutError as err:
                    failures.append(f"reconnect {number + 1}: {err}")
        progress(f"realtime: {len(done)} reconnects done")
        wrong = await session.wrong_entities()
        return RealtimeResult(
            devices=devices,
            latency_ms=latency_ms,
            entities=len(session.entities),
            polling=polling,
            enable_seconds=enable,
            push=push,
            ticks_changed=changed,
            ticks_messages=messages,
            poll=poll,
            poll_interval=interval.total_seconds() if interval else math.inf,
            reconnects=done,
            reconnect_failures=failures,
            wrong=wrong,
            load=machine(),
        )


def _latencies(run: PushRun) -> str:
    values = run.latencies
    return (
        f"{ms(statistics.median(values) if values else math.nan)} / "
        f"{ms(percentile(values, 0.95))} / {ms(max(values, default=math.nan))}"
    )


def _spread(values: list[float]) -> str:
    """Median / max in seconds, or '-'."""
    return f"{statistics.median(values):.2f} / {max(values):.2f}" if values else "-"


def _requests(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{route} {count}" for route, count in sorted(counts.items()))


def render_realtime(r: RealtimeResult) -> str:
    """The table of ``--realtime`` (markdown)."""
    push = r.push
    reconnect_down = [item.down_after for item in r.reconnects]
    reconnect_up = [item.up_after for item in r.reconnects]
    caught_up = [item.caught_up_after for item in r.reconnects]
    after_up = [item.caught_up_after - item.up_after for item in r.reconnects]
    stale = sum(len(item.stale) for item in r.reconnects)
    share = r.push_per_hour / r.polling_per_hour if r.polling_per_hour else math.nan
    lines = [
        (
            f"ThingsCloud real-time benchmark: N={r.devices} devices x {ATTRIBUTES} attributes "
            f"({r.entities} attribute entities), {r.latency_ms:g} ms API latency, broker on "
            f"loopback; reconnect delays patched to {RECONNECT_DELAYS[0]:g} s doubling to "
            f"{RECONNECT_DELAYS[1]:g} s (integration: 1 s to 300 s), each drop at least "
            f"{REQUEST_REFRESH_DEFAULT_COOLDOWN} s after the last poll started (the refresh "
            f"debouncer's cooldown); polls {REALTIME_POLL_FACTOR}"
            f" times less often while the link is up (coordinator.REALTIME_POLL_FACTOR); "
            f"{r.load}."
        ),
        "",
        "| figure | value | target |",
        "|:--|:--|:--|",
        (
            f"| options changed -> subscription up and its catch-up poll done, s | "
            f"{r.enable_seconds:.1f} | |"
        ),
        (
            f"| report -> state_changed latency p50 / p95 / max, ms ({push.reports} reports "
            f"at {push.rate:g}/s over {push.devices} devices) | {_latencies(push)} | "
            f"p95 <= {LATENCY_TARGET * 1000:.0f} (goal {LATENCY_GOAL * 1000:.0f}) |"
        ),
        f"| reports whose state never came ({LANDING_TIMEOUT:g} s) | {push.lost} | 0 |",
        (
            f"| CPU per message, ms (bench process; without / with the admin client's "
            f"{ms(push.baseline_cpu / max(push.reports, 1))} ms per request) | "
            f"{ms(push.cpu_per_message)} / {ms(push.gross_cpu_per_message)} "
            f"({push.messages} messages, {push.cpu:.2f} s CPU in {push.wall:.1f} s) | |"
        ),
        (
            f"| poll with the subscription up, after {PUSHED_TICKS} pushed ticks "
            f"({r.ticks_changed} device reports, {r.ticks_messages} messages) | "
            f"{sum(r.poll.values())} requests ({_requests(r.poll)}) | |"
        ),
        (
            f"| requests per hour with the subscription (a poll every {r.poll_interval:g} s) | "
            f"{r.push_per_hour:.0f} | <= {POLL_SHARE_TARGET:.0%} of polling only |"
        ),
        (
            f"| requests per hour polling only (every {DEFAULT_SCAN_INTERVAL} s, "
            f"{r.polling_requests:g} per steady cycle, median of {len(r.polling)}) | "
            f"{r.polling_per_hour:.0f} | |"
        ),
        f"| with the subscription / polling only | {share:.1%} | <= {POLL_SHARE_TARGET:.0%} |",
        (
            f"| forced reconnects done (drop, {REPORTS_WHILE_DOWN} reports while down, logins "
            f"refused until one was: in {sum(item.refused for item in r.reconnects)}) | "
            f"{len(r.reconnects)} of {len(r.reconnects) + len(r.reconnect_failures)} | all |"
        ),
        f"| link seen down after the drop, s: median / max | {_spread(reconnect_down)} | |",
        f"| link up again after the drop, s: median / max | {_spread(reconnect_up)} | |",
        (
            "| catch-up poll done after the drop, s: median / max (requests per catch-up) | "
            + _spread(caught_up)
            + (
                f" ({statistics.median(item.requests for item in r.reconnects):g})"
                if r.reconnects
                else ""
            )
            + " | |"
        ),
        f"| catch-up poll done after the link came up, s: median / max | {_spread(after_up)} | |",
        (
            f"| reports made while down not shown after their catch-up poll | {stale} of "
            f"{REPORTS_WHILE_DOWN * len(r.reconnects)} | 0 |"
        ),
        (
            f"| attribute entities differing from the simulator at the end | "
            f"{len(r.wrong)} of {r.entities} | 0 |"
        ),
    ]
    if r.wrong:
        lines += ["", "Differing: " + ", ".join(sorted(r.wrong)[:10])]
    if r.reconnect_failures:
        lines += ["", *r.reconnect_failures]
    return "\n".join(lines)


def check_realtime(r: RealtimeResult) -> list[str]:
    """The ``--realtime`` targets missed."""
    misses = []
    p95 = percentile(r.push.latencies, 0.95)
    if math.isnan(p95) or p95 > LATENCY_TARGET:
        misses.append(f"realtime: latency p95 {ms(p95)} ms > {LATENCY_TARGET * 1000:.0f} ms")
    if r.push.lost:
        misses.append(f"realtime: {r.push.lost} reports never reached their entity")
    if not r.polling_per_hour or r.push_per_hour > POLL_SHARE_TARGET * r.polling_per_hour:
        misses.append(
            f"realtime: {r.push_per_hour:.0f} requests/h with the subscription > "
            f"{POLL_SHARE_TARGET:.0%} of {r.polling_per_hour:.0f} polling only"
        )
    misses.extend(f"realtime: {failure}" for failure in r.reconnect_failures)
    misses.extend(
        f"realtime: reconnect {number}: {len(item.stale)} reports made while down not shown "
        "after the catch-up poll, e.g. " + ", ".join(sorted(item.stale)[:3])
        for number, item in enumerate(r.reconnects, start=1)
        if item.stale
    )
    if r.wrong:
        misses.append(f"realtime: {len(r.wrong)} attribute entities differ after the reconnects")
    return misses


# ------------------------------------------------------------------------------ --no-dispatch


@dataclass(slots=True)
class DispatchResult:
    """The figures of ``--no-dispatch``: each with and without per-device dispatch."""

    devices: int
    latency_ms: float
    entities: int
    cycles_on: list[Cycle]
    cycles_off: list[Cycle]
    push_on: PushRun
    push_off: PushRun
    load: str = ""


async def measure_dispatch(
    devices: int,
    *,
    latency_ms: float,
    keep_entity_limit: bool,
    cycles: int = 7,
    reports: int = DISPATCH_REPORTS,
    rate: float = DISPATCH_REPORT_RATE,
    progress: Callable[[str], None] = lambda _: None,
) -> DispatchResult:
    """Steady cycles and pushed reports, with per-device dispatch and with every listener."""
    async with open_session(
        devices, latency_ms=latency_ms, keep_entity_limit=keep_entity_limit
    ) as session:
        progress(f"dispatch: N={devices} set up")
        cycles_on = await session.cycles(cycles)
        with dispatch_to_all():
            cycles_off = await session.cycles(cycles)
        progress("dispatch: cycles measured")
        await session.enable_realtime()
        push_on = await session.push(reports, rate)
        with dispatch_to_all():
            push_off = await session.push(reports, rate)
        progress("dispatch: pushes measured")
        return DispatchResult(
            devices=devices,
            latency_ms=latency_ms,
            entities=len(session.entities),
            cycles_on=cycles_on,
            cycles_off=cycles_off,
            push_on=push_on,
            push_off=push_off,
            load=machine(),
        )


def render_dispatch(r: DispatchResult) -> str:
    """The table of ``--no-dispatch`` (markdown)."""

    def median(cycles: list[Cycle], key: str) -> float:
        return float(statistics.median(getattr(cycle, key) for cycle in cycles))

    on, off = r.cycles_on, r.cycles_off
    rows = [
        (
            f"steady cycle wall ms (median of {len(on)})",
            ms(median(on, "wall")),
            ms(median(off, "wall")),
        ),
        ("steady cycle CPU ms (median)", ms(median(on, "cpu")), ms(median(off, "cpu"))),
        (
            "state writes per cycle (state_changed)",
            f"{median(on, 'writes'):g} ({median(on, 'state_changed'):g})",
            f"{median(off, 'writes'):g} ({median(off, 'state_changed'):g})",
        ),
        (
            (
                f"push: CPU per message ms, without / with the admin client "
                f"({r.push_on.reports} reports at {r.push_on.rate:g}/s)"
            ),
            f"{ms(r.push_on.cpu_per_message)} / {ms(r.push_on.gross_cpu_per_message)}",
            f"{ms(r.push_off.cpu_per_message)} / {ms(r.push_off.gross_cpu_per_message)}",
        ),
        ("push: latency p50 / p95 / max ms", _latencies(r.push_on), _latencies(r.push_off)),
        ("push: reports lost", str(r.push_on.lost), str(r.push_off.lost)),
    ]
    lines = [
        (
            f"Per-device dispatch: N={r.devices} devices x {ATTRIBUTES} attributes "
            f"({r.entities} attribute entities), {CHANGE_SHARE:.0%} change per cycle, "
            f"{r.latency_ms:g} ms API latency; 'off' patches DeviceListeners.notify to call "
            f"every device listener on every update; {r.load}."
        ),
        "",
        "| figure | dispatch on | dispatch off (every listener) |",
        "|:--|--:|--:|",
        *(f"| {name} | {first} | {second} |" for name, first, second in rows),
    ]
    return "\n".join(lines)


def check_dispatch(r: DispatchResult) -> list[str]:
    """The ``--no-dispatch`` targets missed (unchanged writes, lost reports)."""
    misses = [
        f"dispatch: {cycle.unchanged_writes} unchanged writes in a steady cycle"
        for cycle in (*r.cycles_on, *r.cycles_off)
        if cycle.unchanged_writes
    ]
    misses.extend(
        f"dispatch {name}: {run.lost} reports never reached their entity"
        for name, run in (("on", r.push_on), ("off", r.push_off))
        if run.lost
    )
    return misses
