"""The faults the soak injects, one episode at a time, in a seeded random order.

Every kind of `KINDS` comes once per shuffled round. An episode injects one fault and holds it
until it has done its work (an API fault until the simulator has applied it, at most
`API_FAULT_WAIT` s), then lingers a moment so that what it causes lands in its own stretch of
Home Assistant's log (`Episode.log_offset`: the check "once per cause" counts per episode).

While the real-time link is up the integration polls ten times less often; an API fault that
waits for a request then asks Home Assistant to refresh an entity of the integration (what a
user's *update entity* action does), so that it applies within the episode.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
import json
import random
import time
from typing import Any, Final

from simulator.scenarios import DEMO_VIEW_KEY

from .sim import Simulator

# The integration's HTTP timeout (api/const.py DEFAULT_REQUEST_TIMEOUT) is 15 s.
HANG_SHORT: Final = (3.0, 9.0)
HANG_LONG: Final = (17.0, 25.0)
API_FAULT_WAIT: Final = 60.0
NUDGE_EVERY: Final = 12.0
LINGER: Final = 8.0
# Routes every polling cycle requests (attributes_raw: whenever a device changed, i.e. always).
POLLED: Final = ("devices", "devices_stat", "devices_alarm_stat", "attributes_raw")
FAULT_ENDPOINTS: Final = (None, *POLLED)
GENERATED_TYPE: Final = "dt-generated"

NAN_LIKE: Final = (
    "NaN",
    "nan",
    "-NaN",
    "Infinity",
    "-Infinity",
    "inf",
    "-inf",
    "1e999",
    "-1e999",
    "NaN%",
    "null",
    "undefined",
    "",
    "   ",
    "0x1p3",
    "1,5",
    "\u0663\u066b\u0661\u0664",  # 3.14 in Arabic-Indic digits
)
DEPTH: Final = 100_000

# Kinds whose first occurrence raises the process's memory high-water mark once (parsing
# 100,000 levels of nesting grows the main thread's C stack and Python's arenas; big strings):
# the first round starts with them, so that this happens in the warm-up, not in the measure.
HIGH_WATER: Final = ("hostile_deep_http", "hostile_deep_mqtt", "hostile_huge_string")

KINDS: Final = (
    "http_5xx",
    "hang_short",
    "hang_long",
    "invalid_json",
    "result_false",
    "token_expired",
    "rate_limit_fault",
    "storm_retry_after",
    "storm_no_retry_after",
    "hostile_big_int",
    "hostile_nan_strings",
    "hostile_huge_string",
    "hostile_deep_mqtt",
    "hostile_deep_http",
    "hostile_literals_http",
    "device_delete",
    "device_add",
    "broker_drop",
    "broker_refused",
)


@dataclass
class Episode:
    """One injected fault."""

    index: int
    kind: str
    started: float  # s since the soak began
    log_offset: int  # size of Home Assistant's log when it began
    detail: str = ""
    outcome: str = ""
    applied: int | None = None  # API faults: how often the simulator applied it


@dataclass
class Injector:
    """Injects episodes until told to stop; `episodes` is what it did."""

    sim: Simulator
    rng: random.Random
    log_size: Callable[[], int]
    clock: Callable[[], float]  # s since the soak began
    nudge: Callable[[], Awaitable[None]]  # make Home Assistant poll now
    say: Callable[[str], None]
    # What Home Assistant shows for attributes of a device: {identifier: state}
    observe: Callable[[str, Sequence[str]], Awaitable[dict[str, str]]]
    episodes: list[Episode] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    busy: set[str] = field(default_factory=set)  # devices an episode is using
    _deck: list[str] = field(default_factory=list)
    _added_count: int = 0
    _rounds: int = 0

    async def run(self, deadline: float, kinds: tuple[str, ...] = KINDS) -> None:
        """Inject episodes until `deadline` (on `clock`); the last one may end a bit later."""
        while self.clock() < deadline - 15:
            if not self._deck:
                first = [kind for kind in kinds if kind in HIGH_WATER and not self._rounds]
                rest = [kind for kind in kinds if kind not in first]
                self.rng.shuffle(first)
                self.rng.shuffle(rest)
                self._deck = rest[::-1] + first[::-1]  # popped from the end
                self._rounds += 1
            kind = self._deck.pop()
            episode = Episode(len(self.episodes) + 1, kind, self.clock(), self.log_size())
            self.episodes.append(episode)
            handler: Callable[[Episode], Awaitable[None]] = getattr(self, f"_{kind}")
            try:
                await handler(episode)
            except Exception as err:  # noqa: BLE001 - the soak goes on; the error is reported
                episode.outcome = f"soak error: {type(err).__name__}: {err}"[:300]
            self.say(
                f"[{episode.started:6.1f} s] #{episode.index:<3} {kind:<22} {episode.detail}"
                + (f" -> {episode.outcome}" if episode.outcome else "")
            )
            await asyncio.sleep(self.rng.uniform(2, 6))

    async def stop(self) -> None:
        """Remove every fault and setting an episode may have left."""
        await self.sim.clear_faults()
        await self.sim.set_rate_limit(None)
        await self.sim.mqtt_settings(refuse_credentials=False)

    # ------------------------------------------------------------------ helpers

    async def _device(self, *, online: bool = True) -> dict[str, Any]:
        """A random device of the generated type that no episode is using."""
        state = await self.sim.state()
        candidates = [
            device
            for device in state["devices"]
            if device["type"] == GENERATED_TYPE
            and device["id"] not in self.busy
            and (device["online"] or not online)
        ]
        return self.rng.choice(candidates)

    def _number(self) -> float:
        return round(self.rng.uniform(0, 1000), 2)

    async def _api_fault(
        self,
        episode: Episode,
        kind: str,
        endpoint: str | None,
        count: int,
        linger: float = LINGER,
        **params: Any,
    ) -> None:
        """Set an API fault, wait until the simulator applied it `count` times, linger."""
        fault = await self.sim.set_fault(kind, endpoint, count, **params)
        shown = ", ".join(f"{key}={value}" for key, value in params.items() if key != "body")
        episode.detail = f"on {endpoint or 'every route'} x{count}" + (
            f" ({shown})" if shown else ""
        )
        episode.applied = await self._until_applied(fault["id"], count)
        episode.outcome = f"applied {episode.applied}/{count}"
        await asyncio.sleep(linger)

    async def _until_applied(self, fault_id: int, count: int) -> int:
        """Wait until a fault with a count is used up (at most API_FAULT_WAIT s); how often."""
        started = time.monotonic()
        nudged = 0.0
        while True:
            active = {fault["id"]: fault for fault in await self.sim.faults()}
            fault = active.get(fault_id)
            if fault is None:
                return count
            waited = time.monotonic() - started
            if waited > API_FAULT_WAIT:
                await self.sim.clear_faults()
                applied: int = fault["applied"]
                return applied
            if waited - nudged >= NUDGE_EVERY or nudged == 0.0:
                nudged = max(waited, 0.001)
                if await self.sim.mqtt_link_up():
                    await self.nudge()
            await asyncio.sleep(1)

    async def _hold(self, seconds: float) -> None:
        """Hold a condition for `seconds`, asking for a poll at its start if the link is up."""
        if await self.sim.mqtt_link_up():
            await self.nudge()
        await asyncio.sleep(seconds)

    def _consumer_of(self, before: int, entries: list[dict[str, Any]]) -> str | None:
        """The device of the first attributes_raw request after `before` requests."""
        if len(entries) <= before:
            return None
        path: str = entries[before]["path"]
        return path.split("/device/", 1)[1].split("/", 1)[0]

    # ------------------------------------------------------------------ API faults

    async def _http_5xx(self, episode: Episode) -> None:
        status = self.rng.choice((500, 502, 503, 504))
        endpoint = self.rng.choice(FAULT_ENDPOINTS)
        await self._api_fault(
            episode, "http_error", endpoint, self.rng.randint(1, 4), status=status
        )

    async def _hang_short(self, episode: Episode) -> None:
        seconds = round(self.rng.uniform(*HANG_SHORT), 1)
        endpoint = self.rng.choice(FAULT_ENDPOINTS)
        await self._api_fault(
            episode, "hang", endpoint, self.rng.randint(1, 3), linger=seconds + LINGER,
            seconds=seconds,
        )  # fmt: skip

    async def _hang_long(self, episode: Episode) -> None:
        seconds = round(self.rng.uniform(*HANG_LONG), 1)
        endpoint = self.rng.choice(FAULT_ENDPOINTS)
        await self._api_fault(
            episode, "hang", endpoint, self.rng.randint(1, 2), linger=seconds + LINGER,
            seconds=seconds,
        )  # fmt: skip

    async def _invalid_json(self, episode: Episode) -> None:
        body = self.rng.choice(
            ("<html>not json", "", '{"result": true, "info": {', "null", "[]", '"text"')
        )
        endpoint = self.rng.choice(FAULT_ENDPOINTS)
        await self._api_fault(episode, "invalid_json", endpoint, self.rng.randint(1, 3), body=body)
        episode.detail += f" body={body!r}"

    async def _result_false(self, episode: Episode) -> None:
        errcode = self.rng.choice((500, 400, 10001))
        endpoint = self.rng.choice(FAULT_ENDPOINTS)
        await self._api_fault(
            episode,
            "result_false",
            endpoint,
            self.rng.randint(1, 3),
            errcode=errcode,
            message="Simulated failure (soak)",
        )

    async def _token_expired(self, episode: Episode) -> None:
        if self.rng.random() < 0.5:
            await self._api_fault(episode, "token_expired", None, 1)
        else:
            expired = await self.sim.expire_tokens()
            episode.detail = f"POST /_sim/tokens/expire ({expired} tokens)"
            await self._hold(LINGER + 4)

    async def _rate_limit_fault(self, episode: Episode) -> None:
        retry_after = self.rng.choice((1, 5, 15, 30, 0.5))
        endpoint = self.rng.choice(FAULT_ENDPOINTS)
        await self._api_fault(
            episode,
            "rate_limit",
            endpoint,
            self.rng.randint(1, 6),
            linger=LINGER + retry_after,
            retry_after=retry_after,
        )

    async def _storm(self, episode: Episode, *, retry_after: bool) -> None:
        per_second = self.rng.choice((0.5, 1, 2, 3))
        seconds = round(self.rng.uniform(20, 45))
        before = sum((await self.sim.counts()).values())
        await self.sim.set_rate_limit(per_second, retry_after=retry_after)
        try:
            await self._hold(seconds)
        finally:
            await self.sim.set_rate_limit(None)
        requests = sum((await self.sim.counts()).values()) - before
        episode.detail = (
            f"{per_second}/s per token for {seconds} s,"
            f" {'with' if retry_after else 'without'} Retry-After"
        )
        episode.outcome = f"{requests} API requests meanwhile"
        await asyncio.sleep(LINGER)

    async def _storm_retry_after(self, episode: Episode) -> None:
        await self._storm(episode, retry_after=True)

    async def _storm_no_retry_after(self, episode: Episode) -> None:
        await self._storm(episode, retry_after=False)

    # ------------------------------------------------------------------ hostile values

    async def _hostile_report(
        self, episode: Episode, device: dict[str, Any], values: dict[str, Any], what: str
    ) -> None:
        """Report hostile values, hold them, then report ordinary numbers in their place."""
        device_id: str = device["id"]
        self.busy.add(device_id)
        try:
            await self.sim.report(device_id, values)
            seconds = round(self.rng.uniform(15, 30))
            episode.detail = f"{device_id} reports {what}, restored after {seconds} s"
            await self._hold(seconds / 2)
            episode.outcome = f"shown {await self.observe(device_id, list(values))}"
            await asyncio.sleep(seconds / 2)
            await self.sim.report(device_id, {key: self._number() for key in values})
        finally:
            self.busy.discard(device_id)
        await asyncio.sleep(LINGER)

    async def _hostile_big_int(self, episode: Episode) -> None:
        # On an identifier of its own: the simulator's tick cannot drift an int this big.
        device = await self._device()
        sign = self.rng.choice((1, -1))
        value = sign * int("9" * 400)
        await self._hostile_report(episode, device, {"x_big": value}, "x_big = a 400-digit int")

    async def _hostile_nan_strings(self, episode: Episode) -> None:
        device = await self._device()
        identifiers = [key for key in device["attributes"] if key.startswith("attr_")]
        chosen = self.rng.sample(identifiers, min(len(identifiers), self.rng.randint(1, 3)))
        values: dict[str, Any] = {key: self.rng.choice(NAN_LIKE) for key in chosen}
        values["x_nan"] = self.rng.choice(NAN_LIKE)
        await self._hostile_report(episode, device, values, json.dumps(values))

    async def _hostile_huge_string(self, episode: Episode) -> None:
        device = await self._device()
        identifiers = [key for key in device["attributes"] if key.startswith("attr_")]
        size = self.rng.choice((300, 65_536, 200_000))
        text = ("巨大な文字列 huge " * (size // 14 + 1))[:size]
        key = self.rng.choice([*identifiers, "x_text"])
        await self._hostile_report(
            episode, device, {key: text}, f"{key} = a string of {size} characters"
        )

    def _deep(self) -> str:
        if self.rng.random() < 0.5:
            return "[" * DEPTH + "]" * DEPTH
        return '{"a":' * DEPTH + "1" + "}" * DEPTH

    async def _hostile_deep_mqtt(self, episode: Episode) -> None:
        """Raw messages on the broker: 100,000 levels of nesting, NaN, a 400-digit int."""
        device = await self._device()
        device_id: str = device["id"]
        self.busy.add(device_id)
        try:
            topic = f"{DEMO_VIEW_KEY}/soak/attributes"
            ts = int(time.time() * 1000)
            head = f'{{"device": {{"id": "{device_id}", "name": "x"}}, "ts": {ts}, '
            payloads = {
                "deep": head + f'"attributes": {{"attr_01": {self._deep()}}}}}',
                "deep_message": "[" * DEPTH + "]" * DEPTH,
                "nan": head + '"attributes": {"attr_02": NaN, "attr_03": -Infinity}}',
                "big": head + f'"attributes": {{"attr_04": {"9" * 400}}}}}',
            }
            delivered = {
                name: await self.sim.mqtt_publish(topic, p) for name, p in payloads.items()
            }
            episode.detail = f"{device_id}: raw messages {delivered} (name: subscribers)"
            await asyncio.sleep(LINGER)
            shown = await self.observe(device_id, [f"attr_0{i}" for i in range(1, 5)])
            episode.outcome = f"shown {shown}"
            # Whatever was (wrongly) taken, the device reports again: it must show this.
            await self.sim.report(device_id, {f"attr_0{i}": self._number() for i in range(1, 5)})
        finally:
            self.busy.discard(device_id)
        await asyncio.sleep(LINGER)

    async def _hostile_deep_http(self, episode: Episode) -> None:
        """An answer of 100,000 levels of nesting (valid JSON) on the devices or values."""
        endpoint = self.rng.choice(("attributes_raw", "devices"))
        if endpoint == "devices":
            body = '{"result": true, "info": {"items": [' + self._deep() + '], "total": 1}}'
        else:
            body = '{"result": true, "info": {"attr_01": ' + self._deep() + "}}"
        await self._api_fault(episode, "invalid_json", endpoint, 1, body=body)
        episode.detail += " body=100,000 levels of nesting"

    async def _hostile_literals_http(self, episode: Episode) -> None:
        """Values no JSON has (NaN, Infinity) and a 400-digit int, in one device's values."""
        before = len(await self.sim.request_log("attributes_raw"))
        body = (
            '{"result": true, "info": {"attr_01": NaN, "attr_02": Infinity,'
            f' "attr_03": -Infinity, "attr_04": 1e999, "attr_05": {"9" * 400}}}}}'
        )
        await self._api_fault(episode, "invalid_json", "attributes_raw", 1, body=body)
        episode.detail += " body=NaN, Infinity, 1e999, 400 digits"
        device_id = self._consumer_of(before, await self.sim.request_log("attributes_raw"))
        if device_id is not None and device_id not in self.deleted:
            shown = await self.observe(device_id, [f"attr_0{i}" for i in range(1, 6)])
            episode.outcome += f", {device_id} shows {shown}"
            # The device reports again: whatever was taken from that answer must go.
            await self.sim.report(device_id, {f"attr_0{i}": self._number() for i in range(1, 6)})
            episode.outcome += f", {device_id} reported again"
            await asyncio.sleep(LINGER)

    # ------------------------------------------------------------------ devices, broker

    async def _device_delete(self, episode: Episode) -> None:
        state = await self.sim.state()
        candidates = [d["id"] for d in state["devices"] if d["id"] not in self.busy]
        device_id = self.rng.choice(candidates)
        await self.sim.delete_device(device_id)
        self.deleted.append(device_id)
        episode.detail = f"DELETE /api/v1/device/{device_id}"
        await self._hold(LINGER + 4)

    async def _device_add(self, episode: Episode) -> None:
        self._added_count += 1
        number = self._added_count
        device_id = await self.sim.create_device(
            f"浸泡 Soak device {number}", f"SOAK{number:04d}", GENERATED_TYPE
        )
        self.added.append(device_id)
        self.busy.add(device_id)
        try:
            await self.sim.set_online(device_id, online=True)
            await self.sim.report(device_id, {f"attr_0{i}": self._number() for i in range(1, 6)})
        finally:
            self.busy.discard(device_id)
        episode.detail = f"POST /api/v1/device -> {device_id}, online, 5 values reported"
        await self._hold(LINGER + 4)

    async def _broker_drop(self, episode: Episode) -> None:
        dropped = await self.sim.mqtt_drop()
        episode.detail = f"POST /_sim/mqtt/drop ({dropped} connections)"
        await asyncio.sleep(LINGER + 4)

    async def _broker_refused(self, episode: Episode) -> None:
        seconds = round(self.rng.uniform(20, 60))
        await self.sim.mqtt_settings(refuse_credentials=True)
        try:
            dropped = await self.sim.mqtt_drop()
            await asyncio.sleep(seconds)
        finally:
            await self.sim.mqtt_settings(refuse_credentials=False)
        episode.detail = f"drop ({dropped} connections), credentials refused for {seconds} s"
        await asyncio.sleep(LINGER)
