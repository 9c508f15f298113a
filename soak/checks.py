"""What the soak checks: the log, the final states, memory, sockets. Pure functions mostly."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
import math
from pathlib import Path
import re
import statistics
from typing import Any

from homeassistant.util import unit_conversion

from tests.e2e.harness import log_records

# ---------------------------------------------------------------------------------- log

_LOGGER_NAME = re.compile(r"^\S+ \S+ ([A-Z]+) \(([^)]*)\) \[([^\]]+)\] ?(.*)$")
# The integration by name, not a path or name that merely contains the word (Python itself may
# live in ~/.cache/thingscloud-ha/, see scripts/setup).
_ABOUT_US = re.compile(
    r"custom_components[/.]thingscloud\b|(?<![\w/.-])thingscloud(?![\w/-])", re.IGNORECASE
)
_LINGERING = re.compile(
    r"still running|lingering|Task was destroyed but it is pending|was never retrieved"
    r"|Unclosed client session|Unclosed connection|Unclosed connector|unclosed transport"
    r"|Detected that custom integration 'thingscloud'",
    re.IGNORECASE,
)
# Home Assistant's baseline without optional binaries and modules (no ffmpeg, no libturbojpeg,
# integrations whose requirements --skip-pip did not install): not about the integration.
_ENVIRONMENT_LOGGERS = (
    "haffmpeg",
    "homeassistant.components.ffmpeg",
    "homeassistant.components.camera",
    "homeassistant.setup",
)
_TEMPLATE_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:https?|wss?)://\S+"), "<url>"),
    (re.compile(r"\b(?:gen-\d+|dev-[0-9A-Za-z_-]+|meter-\d+)\b"), "<device>"),
    (re.compile(r"\b[0-9A-HJKMNP-TV-Z]{26}\b"), "<ulid>"),
    (re.compile(r"\b[0-9a-f]{12,}\b", re.IGNORECASE), "<hex>"),
    (re.compile(r"'[^'\n]{0,200}'"), "'<s>'"),
    (re.compile(r"\b(?:sensor|binary_sensor|number|switch|select|text)\.\w+"), "<entity>"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
)


def template(message: str) -> str:
    """A log message with its variable parts (ids, numbers, URLs, quoted text) replaced."""
    text = message.strip()
    for pattern, replacement in _TEMPLATE_RULES:
        text = pattern.sub(replacement, text)
    return text[:240]


@dataclass(frozen=True)
class Record:
    """One record of Home Assistant's log."""

    level: str
    logger: str
    message: str  # its first line, after the logger
    text: str  # the whole record (with a traceback, if any)
    episode: int  # index into the episode names

    @property
    def about_us(self) -> bool:
        """Logged by the integration, or by Home Assistant about it."""
        return self.logger.startswith("custom_components.thingscloud") or bool(
            _ABOUT_US.search(self.message)
        )

    @property
    def traceback(self) -> bool:
        """Carries a traceback."""
        return "Traceback (most recent call last)" in self.text


def read_records(log: bytes, boundaries: Sequence[int]) -> list[Record]:
    """The records of a log; `episode` is how many of the byte `boundaries` precede each."""
    text = log.decode("utf-8", errors="replace")
    # Byte offsets to character offsets (the log is UTF-8).
    char_bounds = [len(log[:offset].decode("utf-8", errors="replace")) for offset in boundaries]
    records: list[Record] = []
    position = 0
    for level, record in log_records(text):
        start = text.find(record, position)
        position = max(position, start)
        first = record.split("\n", 1)[0]
        match = _LOGGER_NAME.match(first)
        logger, message = (match.group(3), match.group(4)) if match else ("?", first)
        episode = sum(1 for bound in char_bounds if bound <= start)
        records.append(Record(level, logger, message, record, episode))
    return records


@dataclass
class LogReport:
    """What the log check found."""

    about_us: int = 0  # warnings and errors about the integration
    templates: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    # (level, logger, template) -> {episode: count} where the count is more than one
    repeated: dict[tuple[str, str, str], dict[int, int]] = field(default_factory=dict)
    tracebacks: list[Record] = field(default_factory=list)
    # Home Assistant's environment (_ENVIRONMENT_LOGGERS), nothing of the integration.
    environment_tracebacks: list[Record] = field(default_factory=list)
    # DEBUG records: DataUpdateCoordinator adds "Full error:" with the traceback to a failed
    # update when the integration's logger is at debug level.
    debug_tracebacks: list[Record] = field(default_factory=list)
    lingering: list[Record] = field(default_factory=list)
    other_warnings: Counter[tuple[str, str, str]] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        """No repetition, no traceback, no lingering task."""
        return not self.repeated and not self.tracebacks and not self.lingering


def analyse_log(records: Sequence[Record], *, lingering_from: int) -> LogReport:
    """Group warnings and errors by template and episode; find tracebacks and lingering tasks.

    `lingering_from`: the first episode in which "still running" warnings count (the unload).
    """
    report = LogReport()
    per_episode: dict[tuple[str, str, str], Counter[int]] = defaultdict(Counter)
    for record in records:
        if record.traceback:
            if record.level == "DEBUG":
                report.debug_tracebacks.append(record)
            elif record.logger.startswith(_ENVIRONMENT_LOGGERS) and not _ABOUT_US.search(
                record.text
            ):
                report.environment_tracebacks.append(record)
            else:
                report.tracebacks.append(record)
        if record.episode >= lingering_from and _LINGERING.search(record.text):
            report.lingering.append(record)
        if record.level not in ("WARNING", "ERROR", "CRITICAL"):
            continue
        key = (record.level, record.logger, template(record.message))
        if record.about_us:
            report.about_us += 1
            report.templates[key] += 1
            per_episode[key][record.episode] += 1
        else:
            report.other_warnings[key] += 1
    for key, episodes in per_episode.items():
        many = {episode: count for episode, count in episodes.items() if count > 1}
        if many:
            report.repeated[key] = many
    return report


def simulator_tracebacks(text: str) -> list[str]:
    """The tracebacks in the simulator's output, each with the line before it."""
    lines = text.splitlines()
    found: list[str] = []
    for index, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            end = index + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end]):
                end += 1
            last = lines[end] if end < len(lines) else ""
            found.append(f"{lines[index - 1] if index else ''} ... {last}".strip())
    return found


# ---------------------------------------------------------------------------------- states


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _converted(value: float, shown: float, unit: str | None, tolerance: float) -> bool:
    """Whether `shown` is `value` converted to `unit` from another unit of its quantity."""
    for converter in vars(unit_conversion).values():
        if (
            isinstance(converter, type)
            and issubclass(converter, unit_conversion.BaseUnitConverter)
            and unit in getattr(converter, "VALID_UNITS", ())
        ):
            for source in converter.VALID_UNITS:
                if source == unit:
                    continue
                try:
                    converted = converter.convert(value, source, unit)
                except ValueError, ZeroDivisionError:
                    continue
                if math.isclose(converted, shown, rel_tol=1e-6, abs_tol=tolerance):
                    return True
    return False


def _precision(entry: dict[str, Any]) -> int | None:
    """The display precision of a registry entry (user's or suggested), if any."""
    options = entry.get("options") or {}
    for domain in ("sensor", "number"):
        shown = options.get(domain) or {}
        for key in ("display_precision", "suggested_display_precision"):
            value = shown.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def value_mismatch(
    domain: str, state: dict[str, Any], value: Any, precision: int | None
) -> str | None:
    """Why an entity's state does not show a simulator value (None when it does).

    Numbers: equal within half a unit of the display precision (or 1e-9), or converted to
    the unit Home Assistant shows; booleans: on/off; strings: equal (or cut with an ellipsis
    at Home Assistant's 255 characters); objects and arrays are not compared.
    """
    shown: str = state["state"]
    attributes: dict[str, Any] = state.get("attributes") or {}
    if shown in ("unavailable", "unknown"):
        return f"is {shown}"
    if isinstance(value, bool):
        return None if shown == ("on" if value else "off") else f"{shown!r} for {value!r}"
    if "options" in attributes and not isinstance(value, int | float):
        return None if shown in attributes["options"] else f"{shown!r} not an option"
    if isinstance(value, int | float):
        number = _number(shown)
        if number is None:
            return f"{shown[:40]!r} for {value!r}"
        tolerance = 0.5 * 10**-precision + 1e-9 if precision is not None else 1e-9
        if math.isclose(number, value, rel_tol=1e-9, abs_tol=tolerance):
            return None
        unit = attributes.get("unit_of_measurement")
        if domain == "sensor" and _converted(value, number, unit, tolerance):
            return None
        return f"{shown!r} {unit or ''} for {value!r}"
    if isinstance(value, str):
        if shown == value or (shown.endswith("…") and value.startswith(shown[:-1])):
            return None
        return f"{shown[:40]!r} for {value[:40]!r}"
    return None


@dataclass
class StateReport:
    """What the comparison with the simulator found."""

    compared: int = 0
    disabled: int = 0
    mismatches: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # simulator things without an entity
    stale: list[str] = field(default_factory=list)  # entities/devices the simulator lacks

    @property
    def ok(self) -> bool:
        """Everything matches."""
        return not (self.mismatches or self.missing or self.stale)

    @property
    def unavailable(self) -> int:
        """Mismatches that are entities shown unavailable."""
        return sum(1 for m in self.mismatches if m.endswith(": is unavailable"))

    @property
    def problems(self) -> list[str]:
        """Every finding, one line each."""
        return (
            [f"mismatch: {m}" for m in self.mismatches]
            + [f"missing: {m}" for m in self.missing]
            + [f"stale: {m}" for m in self.stale]
        )


def compare_states(
    sim_state: dict[str, Any],
    registry: Sequence[dict[str, Any]],
    devices: Sequence[dict[str, Any]],
    states: Sequence[dict[str, Any]],
) -> StateReport:
    """Compare every entity of the integration with the simulator's state."""
    report = StateReport()
    entries = {e["unique_id"]: e for e in registry if e["platform"] == "thingscloud"}
    by_entity = {s["entity_id"]: s for s in states}
    sim_devices = {d["id"]: d for d in sim_state["devices"]}
    project_id: str = sim_state["project"]["id"]

    def check(unique_id: str, value: Any) -> None:
        entry = entries.get(unique_id)
        if entry is None:
            report.missing.append(f"no entity {unique_id}")
            return
        if entry["disabled_by"] is not None:
            report.disabled += 1
            return
        entity_id: str = entry["entity_id"]
        state = by_entity.get(entity_id)
        if state is None:
            report.mismatches.append(f"{entity_id} ({unique_id}) has no state")
            return
        report.compared += 1
        domain = entity_id.split(".", 1)[0]
        if problem := value_mismatch(domain, state, value, _precision(entry)):
            report.mismatches.append(f"{entity_id} ({unique_id}): {problem}")

    for device_id, device in sim_devices.items():
        check(f"{device_id}_online", bool(device["online"]))
        if f"{device_id}_alarm" in entries:
            check(f"{device_id}_alarm", bool(device["alarm"].get("alarm_status")))
        for identifier, value in device["attributes"].items():
            check(f"{device_id}_attr_{identifier}", value)
    for key, value in sim_state["devices_stat"].items():
        if f"{project_id}_{key}" in entries:
            check(f"{project_id}_{key}", value)

    # Entities and devices of devices the simulator no longer has.
    identifier_of: dict[str, str] = {}
    for device in devices:
        for domain, identifier in device["identifiers"]:
            if domain == "thingscloud":
                identifier_of[device["id"]] = identifier
                if not identifier.startswith("project_") and identifier not in sim_devices:
                    report.stale.append(f"device {identifier} ({device['name']})")
    for unique_id, entry in entries.items():
        owner = identifier_of.get(entry.get("device_id") or "")
        if owner is not None and not owner.startswith("project_") and owner not in sim_devices:
            report.stale.append(f"entity {entry['entity_id']} ({unique_id})")
    known = {
        identifier
        for device in devices
        for domain, identifier in device["identifiers"]
        if domain == "thingscloud"
    }
    report.missing.extend(
        f"device {d} not in the device registry" for d in sim_devices if d not in known
    )
    return report


# ---------------------------------------------------------------------------------- memory


@dataclass(frozen=True)
class Sample:
    """One measurement of the Home Assistant process."""

    t: float  # s since the soak began
    rss_kb: int
    fds: int
    threads: int


def proc_status(pid: int) -> dict[str, str]:
    """/proc/<pid>/status as a mapping."""
    fields: dict[str, str] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def sample(pid: int, t: float) -> Sample:
    """RSS (VmRSS), open file descriptors and threads of a process now."""
    status = proc_status(pid)
    rss = int(status["VmRSS"].split()[0])
    threads = int(status["Threads"])
    fds = sum(1 for _ in Path(f"/proc/{pid}/fd").iterdir())
    return Sample(t, rss, fds, threads)


def slope_per_hour(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, value) points, in value per hour."""
    if len(points) < 3:
        return 0.0
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    denominator = sum((x - mean_x) ** 2 for x in xs)
    if denominator == 0:
        return 0.0
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / denominator
    return slope * 3600


@dataclass
class MemoryReport:
    """RSS over the soak: thirds, and the trend of the second half."""

    samples: int
    first_mb: float
    last_mb: float
    peak_mb: float
    thirds_mb: tuple[float, float, float]
    slope_mb_per_hour: float  # over the second half (after warm-up)
    fds: tuple[int, int, int]  # first, max, last
    threads: tuple[int, int, int]
    limit_mb_per_hour: float

    @property
    def ok(self) -> bool:
        """Flat: the second half grows less than the limit."""
        return self.slope_mb_per_hour <= self.limit_mb_per_hour


def memory_report(samples: Sequence[Sample], limit_mb_per_hour: float) -> MemoryReport:
    """Summarise samples (at least three)."""
    mb = [s.rss_kb / 1024 for s in samples]
    third = max(1, len(mb) // 3)
    thirds = (
        statistics.fmean(mb[:third]),
        statistics.fmean(mb[third : len(mb) - third] or mb),
        statistics.fmean(mb[-third:]),
    )
    half = samples[len(samples) // 2 :]
    slope = slope_per_hour([(s.t, s.rss_kb / 1024) for s in half])
    fds = [s.fds for s in samples]
    threads = [s.threads for s in samples]
    return MemoryReport(
        samples=len(samples),
        first_mb=mb[0],
        last_mb=mb[-1],
        peak_mb=max(mb),
        thirds_mb=thirds,
        slope_mb_per_hour=slope,
        fds=(fds[0], max(fds), fds[-1]),
        threads=(threads[0], max(threads), threads[-1]),
        limit_mb_per_hour=limit_mb_per_hour,
    )


# ---------------------------------------------------------------------------------- sockets

_TCP_STATES = {
    "01": "ESTABLISHED",
    "02": "SYN_SENT",
    "03": "SYN_RECV",
    "04": "FIN_WAIT1",
    "05": "FIN_WAIT2",
    "06": "TIME_WAIT",
    "07": "CLOSE",
    "08": "CLOSE_WAIT",
    "09": "LAST_ACK",
    "0A": "LISTEN",
    "0B": "CLOSING",
}


def _address(text: str) -> tuple[str, int]:
    host, port = text.split(":")
    if len(host) == 8:
        address = ".".join(str(int(host[i : i + 2], 16)) for i in (6, 4, 2, 0))
    else:
        address = host
    return address, int(port, 16)


def sockets_to(pid: int, port: int) -> list[str]:
    """The TCP sockets the process holds whose remote port is `port` ("STATE local->remote").

    The process's socket inodes (/proc/<pid>/fd) matched with /proc/<pid>/net/tcp{,6}.
    """
    inodes: set[str] = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found: list[str] = []
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            parts = line.split()
            local, remote, state, inode = parts[1], parts[2], parts[3], parts[9]
            remote_host, remote_port = _address(remote)
            if inode in inodes and remote_port == port:
                local_host, local_port = _address(local)
                found.append(
                    f"{_TCP_STATES.get(state, state)} {local_host}:{local_port}"
                    f"->{remote_host}:{remote_port}"
                )
    return found
