"""The state of one simulated ThingsCloud project: resources, tokens, history, log, faults."""

from __future__ import annotations

import asyncio
import bisect
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
import math
import random
import secrets
import time
from typing import Final, Literal

from .faults import FaultRegistry
from .jsontypes import Json, JsonObject

APP_TOKEN_LIFETIME: Final = 86400.0
ADMIN_TOKEN_LIFETIME: Final = 7 * 86400.0
DEFAULT_PAGE_RECORDS: Final = 20
MAX_PAGE_RECORDS: Final = 100

TokenKind = Literal["app", "admin"]


def wall_clock() -> float:
    """time.time(), looked up on each call so that a frozen time (freezegun) applies."""
    return time.time()


def is_number(value: object) -> bool:
    """True for int and float values, but not for bool."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def number_option(options: Mapping[str, Json], key: str) -> float | None:
    """A numeric data option (min, max, step...) or None when absent or not a number."""
    value = options.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


@dataclass(slots=True)
class Project:
    """The project itself."""

    id: str
    name: str
    descr: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> JsonObject:
        return {"id": self.id, "name": self.name, "descr": self.descr, "tags": dict(self.tags)}


@dataclass(slots=True)
class AttributeModel:
    """One attribute of a thing model, as the API shows it under `model`."""

    identifier: str
    name: str
    attr_type: str
    data_type: str
    data_options: JsonObject = field(default_factory=dict)

    def as_json(self) -> JsonObject:
        return {
            "name": self.name,
            "attr_type": self.attr_type,
            "data_type": self.data_type,
            "data_options": dict(self.data_options),
        }

    @property
    def kind(self) -> str:
        """Normalised attr_type: report, push, share, cloud or unknown."""
        return normalize_attr_type(self.attr_type)


_ATTR_TYPES: Final[dict[str, str]] = {
    "report": "report",
    "设备上报": "report",
    "push": "push",
    "云端下发": "push",
    "share": "share",
    "shared": "share",
    "设备云端共享": "share",
    "cloud": "cloud",
    "云端私有": "cloud",
}


def normalize_attr_type(attr_type: str) -> str:
    return _ATTR_TYPES.get(attr_type.strip().lower(), "unknown")


_DATA_TYPES: Final[dict[str, str]] = {
    "number": "number",
    "boolean": "boolean",
    "bool": "boolean",
    "switch": "boolean",
    "string": "string",
    "text": "string",
    "enum": "enum",
    "json": "json",
    "object": "json",
    "array": "array",
    "list": "array",
    "location": "location",
    "map_point": "location",
}


def normalize_data_type(data_type: str) -> str:
    return _DATA_TYPES.get(data_type.strip().lower(), "unknown")


@dataclass(slots=True)
class ExtendInfoDef:
    """The definition of one extend info of a device type (standard or custom)."""

    id: str
    info_type: str
    name: str
    descr: str = ""
    enabled: bool = True
    options: JsonObject = field(default_factory=dict)
    create_time: int = 0
    update_time: int = 0
    is_standard: bool = False
    default: Json = None

    def as_json(self) -> JsonObject:
        return {
            "id": self.id,
            "info_type": self.info_type,
            "name": self.name,
            "descr": self.descr,
            "enabled": self.enabled,
            "options": dict(self.options),
            "create_time": self.create_time,
            "update_time": self.update_time,
            "is_standard": self.is_standard,
        }


@dataclass(slots=True)
class DeviceType:
    """A device type with its thing model and extend info definitions."""

    id: str
    name: str
    descr: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    create_time: int = 0
    conn_protocol: str = "mqtt"
    conn_type: str = "direct"
    models: dict[str, AttributeModel] = field(default_factory=dict)
    extend_infos: list[ExtendInfoDef] = field(default_factory=list)

    def info_json(self) -> JsonObject:
        return {
            "id": self.id,
            "name": self.name,
            "conn_type": self.conn_type,
            "conn_protocol": self.conn_protocol,
        }


@dataclass(slots=True)
class DeviceGroup:
    """A device group; `parent` is None for a top-level group."""

    id: str
    name: str
    descr: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    create_time: int = 0
    parent: str | None = None


@dataclass(slots=True)
class AttributeValue:
    """The current value of one attribute and when it was set (ms)."""

    value: Json
    ts: int


@dataclass(slots=True)
class Device:
    """One device."""

    id: str
    name: str
    type_id: str | None = None
    descr: str = ""
    device_key: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    create_time: int = 0
    groups: list[str] = field(default_factory=list)
    online: bool = False
    alarm: JsonObject = field(default_factory=dict)
    active: dict[str, int] = field(default_factory=dict)
    attributes: dict[str, AttributeValue] = field(default_factory=dict)
    extend_values: dict[str, Json] = field(default_factory=dict)
    standard_infos: dict[str, JsonObject] = field(default_factory=dict)
    access_token: str = ""
    view_token: str = ""
    device_code: str = ""

    @property
    def alarm_level(self) -> int:
        """The alarm level while alarming, else 0."""
        level = self.alarm.get("alarm_level")
        if self.alarm.get("alarm_status") and isinstance(level, int):
            return level
        return 0


@dataclass(slots=True)
class Customer:
    """An end user of the project."""

    id: str
    account: str
    password: str
    name: str
    descr: str = ""
    role_id: str = ""
    email: str = ""
    mobile: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    locale: str = "zh-CN"
    create_time: int = 0
    device_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class CustomerRole:
    """A role of customers."""

    id: str
    name: str
    descr: str = ""
    allow_operate_device: bool = True
    allow_alarm_msg_maintain: bool = False
    allow_add_device: bool = False
    create_time: int = 0


@dataclass(slots=True)
class Admin:
    """A project administrator (admin_login)."""

    id: str
    account: str
    password: str
    name: str
    email: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> JsonObject:
        return {
            "id": self.id,
            "account": self.account,
            "name": self.name,
            "email": self.email,
            "tags": dict(self.tags),
        }


@dataclass(slots=True)
class AlarmLog:
    """One alarm message."""

    id: str
    device_id: str
    device_name: str
    alarm_status: int
    alarm_level: int
    alarm_info: JsonObject
    create_time: int
    notify_logs: list[Json] = field(default_factory=list)

    def as_json(self) -> JsonObject:
        return {
            "id": self.id,
            "device_id": self.device_id,
            "alarm_status": self.alarm_status,
            "alarm_level": self.alarm_level,
            "alarm_info": dict(self.alarm_info),
            "create_time": self.create_time,
            "notify_logs": list(self.notify_logs),
            "device": {"id": self.device_id, "name": self.device_name},
        }


@dataclass(slots=True)
class SeriesPoint:
    """One point of attribute history."""

    ts: int
    name: str
    value: Json
    type: str

    def as_json(self) -> JsonObject:
        return {"ts": self.ts, "name": self.name, "value": self.value, "type": self.type}


def _point_ts(point: SeriesPoint) -> int:
    return point.ts


@dataclass(slots=True)
class Token:
    """An issued access token."""

    value: str
    kind: TokenKind
    subject: str
    issued_at: float
    expires_at: float


@dataclass(slots=True)
class LogEntry:
    """One request as the simulator received it."""

    time: float
    method: str
    path: str
    raw_path: str
    route: str | None
    query: dict[str, str]
    json: Json
    status: int | None = None

    def as_json(self) -> JsonObject:
        return {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "raw_path": self.raw_path,
            "route": self.route,
            "query": dict(self.query),
            "json": self.json,
            "status": self.status,
        }


@dataclass(slots=True)
class CommandRecord:
    """A command sent to a device."""

    ts: int
    method: str
    params: JsonObject
    id: int | None

    def as_json(self) -> JsonObject:
        return {"ts": self.ts, "method": self.method, "params": self.params, "id": self.id}


@dataclass(slots=True)
class DataStreamRecord:
    """A custom data stream message sent to a device."""

    ts: int
    identifier: str
    type: str
    message: Json
    push_mode: str

    def as_json(self) -> JsonObject:
        return {
            "ts": self.ts,
            "identifier": self.identifier,
            "type": self.type,
            "message": self.message,
            "push_mode": self.push_mode,
        }


@dataclass(slots=True)
class WriteRecord:
    """An attribute write: `device` (POST, sent to the device) or `cloud` (PUT)."""

    ts: int
    kind: Literal["device", "cloud"]
    attributes: JsonObject
    applied: bool

    def as_json(self) -> JsonObject:
        return {
            "ts": self.ts,
            "kind": self.kind,
            "attributes": self.attributes,
            "applied": self.applied,
        }


@dataclass(frozen=True, slots=True)
class Drift:
    """How a numeric attribute moves on a tick: a random step of at most `step`."""

    step: float
    increasing: bool = False


type ReportListener = Callable[[Device, JsonObject, int], None]
"""Told of each attribute report: the device, what it reported, the report's ts (ms)."""


class SimulatorState:
    """One simulated project. Mutate it directly in tests; the app reads it per request."""

    def __init__(
        self,
        project: Project,
        *,
        app_id: str,
        access_key: str,
        secret_key: str,
        project_key: str = "",
        view_key: str = "",
        view_secret: str = "",
        clock: Callable[[], float] = wall_clock,
        seed: int = 0,
        log_limit: int = 10000,
    ) -> None:
        self.project = project
        self.app_id = app_id
        self.access_key = access_key
        self.secret_key = secret_key
        self.project_key = project_key or f"pk-{project.id}"
        # MQTT app subscription (ProjectViewKey / ProjectViewSecret), served by broker.py.
        self.view_key = view_key or f"vk-{project.id}"
        self.view_secret = view_secret or f"vs-{project.id}"
        self.clock = clock
        self.rng = random.Random(seed)

        self.admins: dict[str, Admin] = {}
        self.device_types: dict[str, DeviceType] = {}
        self.groups: dict[str, DeviceGroup] = {}
        self.devices: dict[str, Device] = {}
        self.customers: dict[str, Customer] = {}
        self.roles: dict[str, CustomerRole] = {}
        self.alarm_logs: list[AlarmLog] = []
        self.standard_infos: list[ExtendInfoDef] = []
        self.series: dict[tuple[str, str], list[SeriesPoint]] = {}
        self.series_limit = 20_000  # per attribute: 69 days of reports every 5 minutes

        # Behaviour switches.
        self.app_token_lifetime = APP_TOKEN_LIFETIME
        self.admin_token_lifetime = ADMIN_TOKEN_LIFETIME
        self.ignore_page_records = False
        self.validate_writes = True
        # Rate limit (set_rate_limit): the times of accepted requests, per access token.
        self.rate_limit: float | None = None
        self.rate_limit_retry_after = True
        self._rate_windows: dict[str, deque[float]] = {}

        # Ticks: which devices change (change_share of the candidates) and how.
        self.change_share = 0.0
        self.drift: dict[str, dict[str, Drift]] = {}
        self.ticks = 0

        self.tokens: dict[str, Token] = {}
        self.faults = FaultRegistry()
        self.log: deque[LogEntry] = deque(maxlen=log_limit)
        self._counts: Counter[str] = Counter()
        self.commands: defaultdict[str, list[CommandRecord]] = defaultdict(list)
        self.data_streams: defaultdict[str, list[DataStreamRecord]] = defaultdict(list)
        self.writes: defaultdict[str, list[WriteRecord]] = defaultdict(list)
        self._id_counters: Counter[str] = Counter()
        self._hangs: set[asyncio.Event] = set()
        self._report_listeners: list[ReportListener] = []

    @property
    def pushes(self) -> dict[str, list[WriteRecord]]:
        """Attribute writes sent to devices (POST control attributes), per device."""
        return self._writes_of("device")

    @property
    def cloud_writes(self) -> dict[str, list[WriteRecord]]:
        """Cloud attribute writes (PUT control attributes), per device."""
        return self._writes_of("cloud")

    def _writes_of(self, kind: str) -> dict[str, list[WriteRecord]]:
        found = {k: [w for w in v if w.kind == kind] for k, v in self.writes.items()}
        return {k: v for k, v in found.items() if v}

    # ----------------------------------------------------------------- time and ids

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def new_id(self, prefix: str) -> str:
        """A deterministic new id: `<prefix>-0001`, `<prefix>-0002`, ..."""
        while True:
            self._id_counters[prefix] += 1
            candidate = f"{prefix}-{self._id_counters[prefix]:04d}"
            if candidate not in self.devices and candidate not in self.customers:
                return candidate

    # ----------------------------------------------------------------- building

    def add_device_type(self, device_type: DeviceType) -> DeviceType:
        self.device_types[device_type.id] = device_type
        return device_type

    def add_group(self, group: DeviceGroup) -> DeviceGroup:
        self.groups[group.id] = group
        return group

    def add_device(self, device: Device) -> Device:
        if not device.access_token:
            device.access_token = f"devtoken-{device.id}"
        if not device.view_token:
            device.view_token = f"view-{device.id}"
        if not device.device_code:
            device.device_code = f"code-{device.id}"
        self.devices[device.id] = device
        return device

    def add_customer(self, customer: Customer) -> Customer:
        self.customers[customer.id] = customer
        return customer

    def model_of(self, device: Device, identifier: str) -> AttributeModel | None:
        device_type = self.device_types.get(device.type_id or "")
        return device_type.models.get(identifier) if device_type else None

    # ----------------------------------------------------------------- tokens

    def issue_token(self, kind: TokenKind, subject: str) -> Token:
        now = self.clock()
        lifetime = self.app_token_lifetime if kind == "app" else self.admin_token_lifetime
        token = Token(f"sim-{kind}-{secrets.token_hex(16)}", kind, subject, now, now + lifetime)
        self.tokens[token.value] = token
        return token

    def check_token(self, value: str) -> Token | None:
        token = self.tokens.get(value)
        if token is None:
            return None
        if self.clock() >= token.expires_at:
            del self.tokens[value]
            return None
        return token

    def expire_tokens(self) -> int:
        """Invalidate every token issued so far; return how many there were."""
        count = len(self.tokens)
        self.tokens.clear()
        return count

    # ----------------------------------------------------------------- request log

    def record_request(
        self,
        method: str,
        path: str,
        *,
        raw_path: str,
        route: str | None,
        query: dict[str, str],
        body: Json,
    ) -> LogEntry:
        entry = LogEntry(self.clock(), method, path, raw_path, route, query, body)
        self.log.append(entry)
        self._counts[route or "not_found"] += 1
        return entry

    def request_counts(self) -> dict[str, int]:
        """Requests received per route name (unknown paths under `not_found`)."""
        return dict(self._counts)

    def count(self, route: str) -> int:
        return self._counts[route]

    def requests(self, route: str | None = None) -> list[LogEntry]:
        """Logged requests, optionally of one route only."""
        if route is None:
            return list(self.log)
        return [entry for entry in self.log if entry.route == route]

    def clear_log(self) -> None:
        self.log.clear()
        self._counts.clear()

    # ----------------------------------------------------------------- rate limit

    def set_rate_limit(self, per_second: float | None, retry_after: bool = True) -> None:
        """Accept at most `per_second` API requests per second and access token (None: no limit).

        A sliding window: floor(per_second) requests (at least 1) per floor/per_second
        seconds, so 5 is 5 per second and 0.5 is 1 per 2 seconds. Beyond it, HTTP 429
        (with a `Retry-After` header of whole seconds when `retry_after`). Token requests
        are never limited: they have no access token to count them by.
        """
        if per_second is not None and (
            isinstance(per_second, bool)
            or not isinstance(per_second, int | float)
            or not 0 < per_second < math.inf
        ):
            raise ValueError("per_second must be a positive number or None")
        self.rate_limit = None if per_second is None else float(per_second)
        self.rate_limit_retry_after = retry_after
        self._rate_windows.clear()

    def take_rate(self, token: str) -> float | None:
        """Count one request of `token`: None if accepted, else seconds until one would be."""
        if self.rate_limit is None:
            return None
        capacity = max(1, math.floor(self.rate_limit))
        window = capacity / self.rate_limit
        now = self.clock()
        accepted = self._rate_windows.setdefault(token, deque())
        while accepted and accepted[0] <= now - window:
            accepted.popleft()
        if len(accepted) >= capacity:
            return accepted[0] + window - now
        accepted.append(now)
        return None

    # ----------------------------------------------------------------- hangs

    async def hang(self, seconds: float) -> bool:
        """Wait `seconds` or until `release_hangs`; True if released early."""
        event = asyncio.Event()
        self._hangs.add(event)
        try:
            async with asyncio.timeout(seconds):
                await event.wait()
        except TimeoutError:
            return False
        finally:
            self._hangs.discard(event)
        return True

    def release_hangs(self) -> int:
        count = len(self._hangs)
        for event in list(self._hangs):
            event.set()
        return count

    # ----------------------------------------------------------------- statistics

    def devices_stat(self) -> dict[str, int]:
        devices = self.devices.values()
        total = len(self.devices)
        online = sum(1 for d in devices if d.online)
        active = sum(1 for d in devices if d.active)
        alarm = sum(1 for d in devices if d.alarm_level)
        return {
            "device_total": total,
            "online_device_total": online,
            "offline_device_total": total - online,
            "active_device_total": active,
            "inactive_device_total": total - active,
            "alarm_device_total": alarm,
        }

    def devices_alarm_stat(self) -> dict[str, int]:
        levels = Counter(d.alarm_level for d in self.devices.values())
        total = len(self.devices)
        return {
            "device_total": total,
            "alarm_1_total": levels[1],
            "alarm_2_total": levels[2],
            "alarm_3_total": levels[3],
            "normal_total": total - sum(n for level, n in levels.items() if level),
        }

    # ----------------------------------------------------------------- groups

    def group_ids_under(self, group_id: str) -> set[str]:
        """The group and all its subgroups."""
        found = {group_id}
        changed = True
        while changed:
            changed = False
            for group in self.groups.values():
                if group.parent in found and group.id not in found:
                    found.add(group.id)
                    changed = True
        return found

    # ----------------------------------------------------------------- attributes

    def set_attributes(
        self,
        device_id: str,
        values: Mapping[str, Json],
        *,
        source: Literal["report", "cloud"] = "report",
        ts: int | None = None,
    ) -> None:
        """Store values as the device reports them (`report`) or as a cloud write (`cloud`).

        A report moves `active["attributes"]`; a cloud write does not. Both add series points.
        """
        device = self.devices[device_id]
        if ts is None:
            ts = self.now_ms()
            if source == "report":
                ts = max(ts, device.active.get("attributes", 0) + 1)
        for identifier, value in values.items():
            device.attributes[identifier] = AttributeValue(value, ts)
            self.add_point(device, identifier, value, ts, source)
        if source == "report" and values:
            device.active["attributes"] = max(ts, device.active.get("attributes", 0))
            for listener in list(self._report_listeners):
                listener(device, dict(values), ts)

    def add_report_listener(self, listener: ReportListener) -> None:
        """Call `listener(device, attributes, ts)` whenever a device reports attributes."""
        self._report_listeners.append(listener)

    def remove_report_listener(self, listener: ReportListener) -> None:
        if listener in self._report_listeners:
            self._report_listeners.remove(listener)

    def add_point(self, device: Device, identifier: str, value: Json, ts: int, kind: str) -> None:
        points = self.series.setdefault((device.id, identifier), [])
        point = SeriesPoint(ts, identifier, value, kind)
        if points and points[-1].ts > ts:
            bisect.insort(points, point, key=lambda p: p.ts)
        else:
            points.append(point)
        if len(points) > self.series_limit:
            del points[: len(points) - self.series_limit]

    def remove_attributes(self, device_id: str, keys: Iterable[str]) -> list[str]:
        device = self.devices[device_id]
        removed = []
        for key in keys:
            if device.attributes.pop(key, None) is not None:
                removed.append(key)
            self.series.pop((device_id, key), None)
        return removed

    def series_points(
        self, device_id: str, identifier: str, start: int | None, end: int | None
    ) -> list[SeriesPoint]:
        """Points in [start, end], newest first."""
        return self.series_page(device_id, identifier, start, end)

    def series_page(
        self,
        device_id: str,
        identifier: str,
        start: int | None,
        end: int | None,
        *,
        offset: int = 0,
        count: int | None = None,
    ) -> list[SeriesPoint]:
        """Points in [start, end], newest first, from the `offset`-th on (at most `count`).

        Found by bisection: a long history costs no more than a short one.
        """
        points = self.series.get((device_id, identifier), [])
        low = 0 if start is None else bisect.bisect_left(points, start, key=_point_ts)
        high = len(points) if end is None else bisect.bisect_right(points, end, key=_point_ts)
        top = high - offset
        bottom = low if count is None else max(low, top - count)
        return points[bottom:top][::-1] if top > bottom else []

    # ----------------------------------------------------------------- device life

    def set_online(self, device_id: str, online: bool) -> None:
        device = self.devices[device_id]
        device.online = online
        device.active["online"] = max(self.now_ms(), device.active.get("online", 0) + 1)

    def set_alarm(self, device_id: str, level: int | None, info: JsonObject | None = None) -> None:
        """Raise (level 1-3) or clear (None/0) a device's alarm, writing an alarm log."""
        device = self.devices[device_id]
        now = self.now_ms()
        if level:
            device.alarm = {"alarm_status": 1, "alarm_level": level, "alarm_info": info or {}}
            status = 1
        else:
            level = device.alarm_level
            info = info or {}
            device.alarm = {}
            status = 0
        device.active["alarm"] = now
        self.alarm_logs.append(
            AlarmLog(self.new_id("alarm"), device.id, device.name, status, level, info or {}, now)
        )

    def delete_device(self, device_id: str) -> None:
        del self.devices[device_id]
        for key in [k for k in self.series if k[0] == device_id]:
            del self.series[key]
        for customer in self.customers.values():
            if device_id in customer.device_ids:
                customer.device_ids.remove(device_id)

    def customers_of(self, device_id: str) -> list[Customer]:
        return [c for c in self.customers.values() if device_id in c.device_ids]

    # ----------------------------------------------------------------- ticks

    def tick(self) -> list[str]:
        """Apply one tick: change_share of the drifting online devices report new values.

        Returns the ids of the devices that changed, in id order.
        """
        self.ticks += 1
        candidates = [
            device_id
            for device_id, drift in self.drift.items()
            if drift and device_id in self.devices and self.devices[device_id].online
        ]
        if not candidates or self.change_share <= 0:
            return []
        count = min(len(candidates), max(1, round(self.change_share * len(candidates))))
        chosen = sorted(self.rng.sample(candidates, count))
        for device_id in chosen:
            device = self.devices[device_id]
            values: JsonObject = {}
            for identifier, drift in self.drift[device_id].items():
                current = device.attributes.get(identifier)
                if current is None or not isinstance(current.value, int | float):
                    continue
                new = self._drifted(device, identifier, current.value, drift)
                if new is not None:
                    values[identifier] = new
            self.set_attributes(device_id, values)
        return chosen

    def _drifted(self, device: Device, identifier: str, value: float, drift: Drift) -> Json | None:
        """The value after a random step within the model's bounds.

        None when it cannot move: an integer too large for a float stays as it is.
        """
        try:
            start = float(value)
        except OverflowError:
            return None
        new = start + self.rng.uniform(0 if drift.increasing else -drift.step, drift.step)
        model = self.model_of(device, identifier)
        options = model.data_options if model else {}
        low, high = number_option(options, "min"), number_option(options, "max")
        if low is not None:
            new = max(new, low)
        if high is not None:
            new = min(new, high)
        precision = options.get("precision")
        if not isinstance(precision, int) or isinstance(precision, bool):
            return round(new) if isinstance(value, int) else round(new, 2)
        return round(new, precision)
