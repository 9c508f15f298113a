"""Orchestration of the soak: start, set up, inject, settle, check, unload, stop, report."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
from dataclasses import dataclass, field
import json
import os
from pathlib import Path
import random
import signal
import sys
import tempfile
import time
from typing import Any, Final

import aiohttp

from simulator.scenarios import (
    DEMO_ACCESS_KEY,
    DEMO_APP_ID,
    DEMO_SECRET_KEY,
    DEMO_VIEW_KEY,
    DEMO_VIEW_SECRET,
)
from tests.e2e.harness import (
    HomeAssistantApi,
    HttpError,
    Managed,
    free_port,
    spawn,
    start_simulator,
    wait_for,
    wait_http,
    write_ha_config,
)

from . import checks
from .faults import KINDS, Episode, Injector
from .sim import Simulator, SimulatorError

STARTUP_TIMEOUT: Final = 180.0
SETUP_TIMEOUT: Final = 240.0
INJECTOR_OVERRUN: Final = 90.0
# Home Assistant's shared HTTP client keeps idle connections 15 s, and closes them at its next
# cleanup (every 15 s): at most about 30 s.
UNLOAD_GRACE: Final = 35.0
BROKER_GRACE: Final = 5.0
QUIET_AFTER_UNLOAD: Final = 3.0  # requests still answered this long after the unload count not
HA_PYTHON_OPTIONS: Final = ("-W", "default::DeprecationWarning")
WS_IDLE: Final = 30.0  # Home Assistant closes a websocket that does not answer its pings (55 s)


class Api(HomeAssistantApi):
    """The harness's API client, with a websocket that survives idle minutes.

    Home Assistant pings its websockets every 55 s; the harness reads its websocket only while
    a command runs, so an idle one is closed by the server. Reconnect after an idle while, and
    once more when the connection turns out to be closed.
    """

    _last_ws: float = 0.0

    async def ws(self, command: str, **payload: Any) -> Any:
        """One websocket command on a fresh enough connection."""
        if time.monotonic() - self._last_ws > WS_IDLE:
            await self.close()
        try:
            result = await super().ws(command, **payload)
        except aiohttp.ClientError, ConnectionError, TypeError:
            await self.close()
            result = await super().ws(command, **payload)
        self._last_ws = time.monotonic()
        return result


def say(text: str = "") -> None:
    """Print a line at once."""
    print(text, flush=True)  # noqa: T201


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="scripts/soak",
        description=(
            "Soak test: a real Home Assistant with the integration against the simulator"
            " (generated project, real-time updates on), random faults for a few minutes,"
            " then checks of the log, the final states, memory and sockets after unload."
        ),
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="faults phase (10)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (printed)")
    parser.add_argument("--devices", type=int, default=200, help="generated devices (200)")
    parser.add_argument("--attributes", type=int, default=5, help="attributes per device (5)")
    parser.add_argument(
        "--change-share", type=float, default=0.05, help="share of devices a tick changes (0.05)"
    )
    parser.add_argument(
        "--tick-seconds", type=float, default=5.0, help="simulator tick period, at most 10 (5)"
    )
    parser.add_argument(
        "--settle-seconds", type=float, default=180.0, help="longest wait to converge (180)"
    )
    parser.add_argument(
        "--min-settle-seconds", type=float, default=30.0, help="shortest settle (30: 3 cycles)"
    )
    parser.add_argument("--sample-seconds", type=float, default=3.0, help="RSS sampling (3)")
    parser.add_argument(
        "--max-growth",
        type=float,
        default=60.0,
        metavar="MB_PER_HOUR",
        help="RSS trend over the second half that fails the memory check (60 MB/h)",
    )
    parser.add_argument(
        "--no-faults", action="store_true", help="ticks only (a baseline for the figures)"
    )
    parser.add_argument(
        "--kinds", default=None, help=f"comma-separated fault kinds (default all: {len(KINDS)})"
    )
    parser.add_argument(
        "--workdir", type=Path, default=None, help="where configs and logs go (a new temp dir)"
    )
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parsed and checked arguments."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not 0 < args.tick_seconds <= 10:
        parser.error("--tick-seconds must be in (0, 10]")
    if args.minutes <= 0 or args.devices < 1 or args.attributes < 1:
        parser.error("--minutes, --devices and --attributes must be positive")
    if args.kinds is not None:
        kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
        unknown = sorted(set(kinds) - set(KINDS))
        if unknown or not kinds:
            parser.error(f"unknown fault kinds {unknown}; known: {', '.join(KINDS)}")
        args.kinds = kinds
    else:
        args.kinds = KINDS
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1, 1_000_000)
    return args


@dataclass
class Outcome:
    """One row of the summary."""

    check: str
    ok: bool
    figures: list[str]
    details: list[str] = field(default_factory=list)


@dataclass
class Soak:
    """One run."""

    args: argparse.Namespace
    workdir: Path
    session: aiohttp.ClientSession
    sim_port: int
    ha_port: int
    sim: Simulator
    api: Api
    simulator: Managed | None = None
    hass: Managed | None = None
    entry_id: str = ""
    nudge_entity: str = ""
    t0: float = 0.0
    boundaries: list[tuple[str, int]] = field(default_factory=list)
    samples: list[checks.Sample] = field(default_factory=list)
    ticks: int = 0
    tick_changes: int = 0
    benign: list[str] = field(default_factory=list)
    tick_errors: list[str] = field(default_factory=list)
    nudges: int = 0
    outcomes: list[Outcome] = field(default_factory=list)
    _entity_ids: dict[str, str] = field(default_factory=dict)
    _background: set[asyncio.Task[Any]] = field(default_factory=set)

    # ------------------------------------------------------------------ small helpers

    def clock(self) -> float:
        """Seconds since the faults phase began."""
        return time.monotonic() - self.t0

    @property
    def config_dir(self) -> Path:
        """Home Assistant's configuration directory."""
        return self.workdir / "config"

    @property
    def log_path(self) -> Path:
        """Home Assistant's log file."""
        return self.config_dir / "home-assistant.log"

    def log_size(self) -> int:
        """How long Home Assistant's log is now (bytes)."""
        try:
            return self.log_path.stat().st_size
        except OSError:
            return 0

    def mark(self, name: str) -> None:
        """A new stretch of the log begins (for the once-per-cause check)."""
        self.boundaries.append((name, self.log_size()))

    @property
    def pid(self) -> int:
        """Home Assistant's process id."""
        if self.hass is None:
            raise RuntimeError("Home Assistant is not running")
        return self.hass.process.pid

    async def nudge(self) -> None:
        """Ask Home Assistant to refresh an entity of the integration (a poll), unawaited."""
        api = self.api

        async def call() -> None:
            with contextlib.suppress(Exception):
                await api.post(
                    "/api/services/homeassistant/update_entity", {"entity_id": self.nudge_entity}
                )

        self.nudges += 1
        task = asyncio.create_task(call())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def observe(self, device_id: str, identifiers: Sequence[str]) -> dict[str, str]:
        """What Home Assistant shows now for some attributes of a device (states, cut)."""
        wanted = [f"{device_id}_attr_{identifier}" for identifier in identifiers]
        if any(unique_id not in self._entity_ids for unique_id in wanted):
            registry = await self.api.ws("config/entity_registry/list")
            self._entity_ids = {
                e["unique_id"]: e["entity_id"] for e in registry if e["platform"] == "thingscloud"
            }
        shown: dict[str, str] = {}
        for identifier, unique_id in zip(identifiers, wanted, strict=True):
            entity_id = self._entity_ids.get(unique_id)
            if entity_id is None:
                shown[identifier] = "(no entity)"
                continue
            try:
                state = await self.api.get(f"/api/states/{entity_id}")
            except HttpError:
                shown[identifier] = "(no state)"
                continue
            text: str = state["state"]
            shown[identifier] = text if len(text) <= 24 else f"{text[:12]}...({len(text)})"
        return shown

    # ------------------------------------------------------------------ phases

    async def start(self) -> None:
        """Both processes, onboarding, a long-lived token."""
        args = self.args
        write_ha_config(self.config_dir, self.ha_port)
        self.simulator = await start_simulator(
            self.workdir / "simulator.log",
            self.sim_port,
            "--devices",
            str(args.devices),
            "--attributes",
            str(args.attributes),
            "--change-share",
            str(args.change_share),
            "--seed",
            str(args.seed),
            scenario="generated",
        )
        # Not in the repository: with it as the working directory (or on PYTHONPATH), the
        # `custom_components` namespace would span the checkout too, and Home Assistant would
        # find the integration twice.
        env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
        self.hass = await spawn(
            "Home Assistant",
            [
                sys.executable,
                *HA_PYTHON_OPTIONS,
                "-m",
                "homeassistant",
                "-c",
                str(self.config_dir),
                "--log-no-color",
                "--skip-pip",
            ],
            self.config_dir / "hass.out",
            env=env,
            cwd=self.config_dir,
        )
        sim_url, api = self.sim.url, self.api
        await wait_http(self.session, f"{sim_url}/_sim/counts", self.simulator, 30)
        await wait_http(self.session, f"{api.base_url}/api/onboarding", self.hass, STARTUP_TIMEOUT)
        say(f"Home Assistant (pid {self.pid}) on {api.base_url}, simulator on {sim_url}")
        password = "soak-password-1"  # noqa: S105 - a throwaway local owner
        await api.onboard(username="soak", password=password, name="Soak", full=False)
        # The onboarding token lasts 30 minutes; a long-lived one outlasts any run.
        api.token = await api.ws("auth/long_lived_access_token", client_name="soak", lifespan=2)
        await api.wait_running(STARTUP_TIMEOUT)

    async def _entry_state(self) -> str | None:
        entries = await self.api.get("/api/config/config_entries/entry?domain=thingscloud")
        for entry in entries:
            if entry["entry_id"] == self.entry_id:
                state: str = entry["state"]
                return state
        return None

    async def add_entry(self) -> None:
        """Config flow, then options (10 s, real-time on); until every entity exists."""
        api, sim = self.api, self.sim
        started = time.monotonic()
        created = await api.add_thingscloud_entry(
            f"{sim.api_url}/", DEMO_APP_ID, DEMO_ACCESS_KEY, DEMO_SECRET_KEY
        )
        if created.get("type") != "create_entry":
            raise RuntimeError(f"the config flow did not create an entry: {created}")
        self.entry_id = created["result"]["entry_id"]

        async def loaded() -> bool:
            return await self._entry_state() == "loaded"

        await wait_for(loaded, SETUP_TIMEOUT, "the config entry to load")
        form = await api.flow(
            "/api/config/config_entries/options/flow",
            {"handler": self.entry_id, "show_advanced_options": False},
        )
        if form.get("type") != "form":
            raise RuntimeError(f"the options flow did not show its form: {form}")
        done = await api.flow(
            f"/api/config/config_entries/options/flow/{form['flow_id']}",
            {
                "scan_interval": 10,
                "mqtt_url": sim.mqtt_url,
                "view_key": DEMO_VIEW_KEY,
                "view_secret": DEMO_VIEW_SECRET,
            },
        )
        if done.get("type") != "create_entry":
            raise RuntimeError(f"the options flow did not save: {done}")
        await asyncio.sleep(1)
        await wait_for(loaded, SETUP_TIMEOUT, "the config entry to load again")
        await wait_for(sim.mqtt_link_up, 60, "the real-time link to come up")
        sim_state = await sim.state()
        wanted = {f"{d['id']}_online" for d in sim_state["devices"]} | {
            f"{d['id']}_attr_{key}" for d in sim_state["devices"] for key in d["attributes"]
        }
        missing: set[str] = set()

        async def all_entities() -> dict[str, Any] | None:
            registry = await api.ws("config/entity_registry/list")
            ours = {e["unique_id"]: e for e in registry if e["platform"] == "thingscloud"}
            missing.clear()
            missing.update(wanted - ours.keys())
            return None if missing else ours

        ours = await wait_for(
            all_entities, SETUP_TIMEOUT, lambda: f"{len(missing)} entities, e.g. {min(missing)}"
        )
        project_id = sim_state["project"]["id"]
        self.nudge_entity = ours[f"{project_id}_device_total"]["entity_id"]
        say(
            f"entry {self.entry_id} loaded with real-time updates, {len(ours)} entities,"
            f" in {time.monotonic() - started:.0f} s"
        )

    async def _ticker(self, rng: random.Random, busy: set[str]) -> None:
        """Tick every tick_seconds; now and then flip a device's online state or alarm."""
        sim = self.sim
        while True:
            await asyncio.sleep(self.args.tick_seconds)
            try:
                self.tick_changes += len(await sim.tick())
                self.ticks += 1
                roll = rng.random()
                if roll < 0.25:
                    state = await sim.state()
                    devices = [d for d in state["devices"] if d["id"] not in busy]
                    device = rng.choice(devices)
                    if roll < 0.15:
                        await sim.set_online(device["id"], online=not device["online"])
                        self.benign.append(f"online {device['id']} -> {not device['online']}")
                    else:
                        level = None if device["alarm"] else rng.randint(1, 3)
                        await sim.set_alarm(device["id"], level)
                        self.benign.append(f"alarm {device['id']} -> {level}")
            except (SimulatorError, aiohttp.ClientError, TimeoutError) as err:
                self.tick_errors.append(f"{self.clock():.0f} s: {err}"[:300])

    async def _sampler(self) -> None:
        while True:
            try:
                self.samples.append(checks.sample(self.pid, self.clock()))
            except OSError:
                return
            await asyncio.sleep(self.args.sample_seconds)

    async def faults_phase(self, injector: Injector, rng: random.Random) -> asyncio.Task[None]:
        """Ticks and faults for --minutes; returns the sampler (still running)."""
        self.t0 = time.monotonic()
        sampler = asyncio.create_task(self._sampler())
        ticker = asyncio.create_task(self._ticker(rng, injector.busy))
        deadline = self.args.minutes * 60
        try:
            if self.args.no_faults:
                await asyncio.sleep(deadline)
            else:
                run = asyncio.create_task(injector.run(deadline, self.args.kinds))
                await asyncio.wait([run], timeout=deadline + INJECTOR_OVERRUN)
                if not run.done():
                    run.cancel()
                    say("the last episode overran; cut short")
                with contextlib.suppress(asyncio.CancelledError):
                    await run
                left = deadline - self.clock()
                if left > 0:
                    await asyncio.sleep(left)
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        return sampler

    async def compare(self) -> checks.StateReport:
        """The integration's entities against the simulator, now."""
        sim_state = await self.sim.state()
        registry = await self.api.ws("config/entity_registry/list")
        devices = await self.api.ws("config/device_registry/list")
        states = await self.api.get("/api/states")
        return checks.compare_states(sim_state, registry, devices, states)

    async def settle(self) -> tuple[checks.StateReport, float]:
        """Until everything matches (after the shortest settle) or the longest wait."""
        started = time.monotonic()
        report = checks.StateReport()
        while True:
            waited = time.monotonic() - started
            if waited >= self.args.min_settle_seconds:
                report = await self.compare()
                if report.ok or waited >= self.args.settle_seconds:
                    return report, waited
            await asyncio.sleep(5)

    async def unload(self) -> Outcome:
        """Unload the entry (websocket: disable); sockets, broker, requests afterwards."""
        sim = self.sim
        before = sum((await sim.counts()).values())
        await self.api.ws("config_entries/disable", entry_id=self.entry_id, disabled_by="user")
        unloaded_at = time.monotonic()

        async def unloaded() -> bool:
            return await self._entry_state() == "not_loaded"

        await wait_for(unloaded, 60, "the entry to unload")
        await asyncio.sleep(QUIET_AFTER_UNLOAD)
        settled = sum((await sim.counts()).values())
        first = checks.sockets_to(self.pid, self.sim_port)
        broker = (await sim.mqtt_status())["connections"]
        while broker and time.monotonic() - unloaded_at < BROKER_GRACE:
            await asyncio.sleep(0.5)
            broker = (await sim.mqtt_status())["connections"]
        left = first
        gone_after: float | None = 0.0 if not first else None
        while left and time.monotonic() - unloaded_at < UNLOAD_GRACE:
            await asyncio.sleep(1)
            left = checks.sockets_to(self.pid, self.sim_port)
            if not left:
                gone_after = time.monotonic() - unloaded_at
        await asyncio.sleep(max(0.0, 20 - (time.monotonic() - unloaded_at)))
        after = sum((await sim.counts()).values())
        late = after - settled
        threads = checks.proc_status(self.pid)["Threads"]
        figures = [
            f"requests during the unload {settled - before}, after it {late} (20 s)",
            f"sockets to the simulator {QUIET_AFTER_UNLOAD:.0f} s after: {len(first)}"
            + (f" ({', '.join(sorted({s.split()[0] for s in first}))})" if first else ""),
            "all closed "
            + (f"after {gone_after:.0f} s" if gone_after is not None else "NEVER")
            + f" (limit {UNLOAD_GRACE:.0f} s: HA's shared HTTP client keeps idle ones 15-30 s)",
            f"broker connections {broker}; HA threads {threads}",
        ]
        details = [f"left: {s}" for s in left]
        ok = not left and broker == 0 and late == 0
        return Outcome("unload", ok, figures, details)

    async def stop(self) -> int | None:
        """Stop Home Assistant (and its process group); its exit code."""
        for task in list(self._background):
            task.cancel()
        await self.api.close()
        if self.hass is None:
            return None
        return await self.hass.stop()


# ---------------------------------------------------------------------------------- report


def _stretches(soak: Soak, episodes: Sequence[Episode]) -> list[tuple[str, int]]:
    """Where each stretch of the log begins: every episode, then settle, unload, shutdown."""
    marks = [(f"#{e.index} {e.kind}", e.log_offset) for e in episodes] + soak.boundaries
    return sorted(marks, key=lambda mark: mark[1])


def log_outcome(soak: Soak, episodes: Sequence[Episode]) -> Outcome:
    """The once-per-cause and traceback check over Home Assistant's and the simulator's logs."""
    log = soak.log_path.read_bytes() if soak.log_path.exists() else b""
    stretches = _stretches(soak, episodes)
    names = ["startup"] + [name for name, _ in stretches]
    records = checks.read_records(log, [offset for _, offset in stretches])
    report = checks.analyse_log(records, lingering_from=0)
    sim_text = ""
    if soak.simulator is not None:
        sim_text = soak.simulator.log_path.read_text(errors="replace")
    sim_tracebacks = checks.simulator_tracebacks(sim_text)
    figures = [
        (
            f"{len(records)} records; {report.about_us} warnings/errors about the integration"
            f" in {len(report.templates)} templates"
        ),
        f"repeated within one cause: {len(report.repeated)} templates",
        (
            f"tracebacks: HA {len(report.tracebacks)}, simulator {len(sim_tracebacks)};"
            f" lingering-task warnings {len(report.lingering)}"
        ),
        (
            f"not counted: {len(report.debug_tracebacks)} DEBUG tracebacks (coordinator's"
            f' "Full error:"), {len(report.environment_tracebacks)} of the environment (ffmpeg...)'
        ),
        (
            "other warnings (not about the integration):"
            f" {sum(report.other_warnings.values())} in {len(report.other_warnings)} templates"
        ),
    ]
    details: list[str] = []
    for (level, logger, text), count in report.templates.most_common():
        mark = "REPEATED " if (level, logger, text) in report.repeated else ""
        details.append(f"{mark}{count:4d} x {level} [{logger}] {text}")
        for episode, times in sorted(report.repeated.get((level, logger, text), {}).items()):
            details.append(f"         {times} x in {names[min(episode, len(names) - 1)]}")
    for record in report.tracebacks:
        lines = record.text.splitlines()
        details.append(f"TRACEBACK {lines[0][:200]} ... {lines[-1][:200]}")
    for record in report.environment_tracebacks:
        lines = record.text.splitlines()
        details.append(f"(environment, not counted) {lines[0][:150]} ... {lines[-1][:100]}")
    details.extend(f"LINGERING {r.text.splitlines()[0][:300]}" for r in report.lingering)
    details.extend(f"SIMULATOR TRACEBACK {line[:300]}" for line in sim_tracebacks)
    for (level, logger, text), count in report.other_warnings.most_common(15):
        details.append(f"(other) {count:4d} x {level} [{logger}] {text}")
    ok = report.ok and not sim_tracebacks
    return Outcome("log", ok, figures, details)


def memory_outcome(soak: Soak, soak_end: float) -> Outcome:
    """RSS over the faults phase (warm-up: its first half)."""
    phase = [s for s in soak.samples if s.t <= soak_end]
    if len(phase) < 6:
        return Outcome("memory", ok=False, figures=[f"only {len(phase)} samples"])
    report = checks.memory_report(phase, soak.args.max_growth)
    after = soak.samples[-1]
    first, middle, last = report.thirds_mb
    return Outcome(
        "memory",
        report.ok,
        [
            (
                f"RSS (VmRSS of /proc/<pid>/status) every {soak.args.sample_seconds:g} s,"
                f" {report.samples} samples"
            ),
            (
                f"start {report.first_mb:.0f} MB, end {report.last_mb:.0f} MB,"
                f" peak {report.peak_mb:.0f} MB"
            ),
            f"thirds' means {first:.1f} / {middle:.1f} / {last:.1f} MB",
            (
                f"trend over the second half {report.slope_mb_per_hour:+.1f} MB/h"
                f" (limit {report.limit_mb_per_hour:g})"
            ),
            (
                f"fds {report.fds[0]}/{report.fds[1]}/{report.fds[2]},"
                f" threads {report.threads[0]}/{report.threads[1]}/{report.threads[2]}"
                " (first/max/last)"
            ),
            f"after settle: {after.rss_kb / 1024:.0f} MB, {after.fds} fds",
        ],
    )


def print_summary(soak: Soak, outcomes: Sequence[Outcome], episodes: Sequence[Episode]) -> None:
    """The table, then the details of each check."""
    say()
    say("=" * 100)
    say(
        f"SOAK SUMMARY  seed {soak.args.seed}  ({soak.args.minutes:g} min, {soak.args.devices}"
        f" devices x {soak.args.attributes} attributes, tick {soak.args.tick_seconds:g} s)"
    )
    say("=" * 100)
    kinds: dict[str, list[Episode]] = {}
    for episode in episodes:
        kinds.setdefault(episode.kind, []).append(episode)
    for kind in KINDS:
        if kind in kinds:
            applied = [e.applied for e in kinds[kind] if e.applied is not None]
            extra = f", applied {sum(applied)}" if applied else ""
            errors = sum(1 for e in kinds[kind] if e.outcome.startswith("soak error"))
            extra += f", {errors} soak errors" if errors else ""
            say(f"  injected {kind:<22} {len(kinds[kind])} x{extra}")
    say(
        f"  ticks {soak.ticks} ({soak.tick_changes} device reports), online/alarm changes"
        f" {len(soak.benign)}, tick errors {len(soak.tick_errors)}, polls asked {soak.nudges}"
    )
    say("-" * 100)
    for outcome in outcomes:
        result = "PASS" if outcome.ok else "FAIL"
        for index, figure in enumerate(outcome.figures or [""]):
            head = f"{outcome.check:<8} {result:<5}" if index == 0 else " " * 14
            say(f"{head} {figure}")
        say("-" * 100)
    for outcome in outcomes:
        if outcome.details:
            say(f"{outcome.check}:")
            for line in outcome.details[:60]:
                say(f"  {line}")
            if len(outcome.details) > 60:
                say(f"  ... {len(outcome.details) - 60} more")
    for line in soak.tick_errors[:10]:
        say(f"tick error: {line}")


# ---------------------------------------------------------------------------------- main


async def run(args: argparse.Namespace) -> int:
    """The whole soak; the exit code."""
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="tc-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)  # noqa: S311 - a seeded, repeatable sequence
    bound = 4 + args.minutes + (INJECTOR_OVERRUN + args.settle_seconds + 90) / 60
    say(
        f"soak: seed {args.seed} (repeat with --seed {args.seed}), {args.minutes:g} min of"
        f" faults, at most about {bound:.0f} min in all; logs in {workdir}"
    )
    session = aiohttp.ClientSession()
    sim_port, ha_port = free_port(), free_port()
    soak = Soak(
        args,
        workdir,
        session,
        sim_port,
        ha_port,
        Simulator(session, f"http://127.0.0.1:{sim_port}"),
        Api(session, f"http://127.0.0.1:{ha_port}"),
    )
    episodes: list[Episode] = []
    code = 2
    try:
        await soak.start()
        await soak.add_entry()
        soak.mark("running")
        injector = Injector(
            soak.sim,
            random.Random(rng.random()),  # noqa: S311
            soak.log_size,
            soak.clock,
            soak.nudge,
            say,
            soak.observe,
        )
        episodes = injector.episodes
        say(f"faults phase: {args.minutes:g} min")
        sampler = await soak.faults_phase(injector, rng)
        soak_end = soak.clock()
        await injector.stop()
        soak.mark("settle")
        say(f"faults stopped at {soak_end:.0f} s; settling (at most {args.settle_seconds:g} s)")
        state_report, waited = await soak.settle()
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
        soak.outcomes.append(
            Outcome(
                "states",
                state_report.ok,
                [
                    (
                        f"{state_report.compared} entities compared ({state_report.disabled}"
                        f" disabled skipped) after {waited:.0f} s of settling"
                    ),
                    (
                        f"mismatches {len(state_report.mismatches)}"
                        f" ({state_report.unavailable} unavailable), missing"
                        f" {len(state_report.missing)}, stale {len(state_report.stale)}"
                    ),
                    f"devices added {len(injector.added)}, deleted {len(injector.deleted)}",
                ],
                state_report.problems,
            )
        )
        soak.outcomes.append(memory_outcome(soak, soak_end))
        soak.mark("unload")
        soak.outcomes.append(await soak.unload())
        soak.mark("shutdown")
        exit_code = await soak.stop()
        soak.outcomes.insert(0, log_outcome(soak, episodes))
        soak.outcomes[0].figures.append(f"Home Assistant exit code {exit_code}")
        if exit_code != 0:
            soak.outcomes[0].ok = False
        print_summary(soak, soak.outcomes, episodes)
        (workdir / "report.json").write_text(
            json.dumps(
                {
                    "seed": args.seed,
                    "outcomes": [vars(o) for o in soak.outcomes],
                    "episodes": [vars(e) for e in episodes],
                    "samples": [vars(s) for s in soak.samples],
                },
                indent=1,
                ensure_ascii=False,
            )
        )
        code = 0 if all(o.ok for o in soak.outcomes) else 1
        say(f"{'PASS' if code == 0 else 'FAIL'}; logs and report.json in {workdir}")
    except (RuntimeError, TimeoutError, AssertionError, OSError, aiohttp.ClientError) as err:
        say(f"soak: setup or run failed: {type(err).__name__}: {err}")
        code = 2
    finally:
        with contextlib.suppress(Exception):
            await soak.stop()
        if soak.simulator is not None:
            await soak.simulator.stop()
        await session.close()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run the soak; stop both processes on Ctrl-C or SIGTERM too."""
    args = parse_args(argv)

    async def guarded() -> int:
        task = asyncio.current_task()
        if task is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await run(args)

    try:
        return asyncio.run(guarded())
    except KeyboardInterrupt, asyncio.CancelledError:
        say("soak: interrupted; both processes were stopped")
        return 130
