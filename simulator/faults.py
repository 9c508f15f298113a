"""Fault injection: misbehaviour of the API switched on and off while the simulator runs.

A fault applies to one route (by route name, see `simulator.routes`) or to every API route
(`endpoint=None`). With `count`, it applies that many times and then removes itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
import itertools
from typing import Final

from .jsontypes import JsonObject
from .routes import ROUTE_NAMES

type FaultParam = str | int | float | bool | None

FAULT_KINDS: Final[frozenset[str]] = frozenset(
    {
        "latency",  # ms: delay the answer, then answer normally
        "http_error",  # status (default 500), optional body: an HTML error page
        "hang",  # seconds (default 60): no answer for that long (cancellable)
        "invalid_json",  # HTTP 200 with a body that is not JSON
        "result_false",  # errcode (default 500), message: {"result": false, ...}
        "token_expired",  # every token issued so far becomes invalid (default count 1)
        "rate_limit",  # retry_after (default 1): HTTP 429 with Retry-After
    }
)

# Parameters each kind accepts, with their types.
_PARAMS: Final[dict[str, dict[str, tuple[type, ...]]]] = {
    "latency": {"ms": (int, float)},
    "http_error": {"status": (int,), "body": (str,)},
    "hang": {"seconds": (int, float)},
    "invalid_json": {"body": (str,)},
    "result_false": {"errcode": (int,), "message": (str,)},
    "token_expired": {},
    "rate_limit": {"retry_after": (int, float)},
}


@dataclass(slots=True)
class Fault:
    """One injected fault."""

    id: int
    kind: str
    endpoint: str | None = None
    count: int | None = None
    params: dict[str, FaultParam] = field(default_factory=dict)
    applied: int = 0

    def matches(self, route: str) -> bool:
        return self.endpoint is None or self.endpoint == route

    def number(self, name: str, default: float) -> float:
        """A numeric parameter (validated on set), or the default."""
        value = self.params.get(name)
        return float(value) if isinstance(value, int | float) else default

    def text(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if isinstance(value, str) else None

    def as_dict(self) -> JsonObject:
        params: JsonObject = dict(self.params)
        return {
            "id": self.id,
            "kind": self.kind,
            "endpoint": self.endpoint,
            "count": self.count,
            "params": params,
            "applied": self.applied,
        }


class FaultRegistry:
    """The set of active faults, in the order they were set."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def __bool__(self) -> bool:
        return bool(self._faults)

    def __len__(self) -> int:
        return len(self._faults)

    @property
    def active(self) -> list[Fault]:
        return list(self._faults)

    def set(
        self,
        kind: str,
        endpoint: str | None = None,
        *,
        count: int | None = None,
        **params: FaultParam,
    ) -> Fault:
        """Add a fault; raise ValueError on an unknown kind, endpoint or parameter."""
        validate_fault(kind, endpoint, count, params)
        if kind == "token_expired" and count is None:
            count = 1
        fault = Fault(next(self._ids), kind, endpoint, count, dict(params))
        self._faults.append(fault)
        return fault

    def clear(self, kind: str | None = None, endpoint: str | None = None) -> int:
        """Remove faults (all, or those of a kind and/or endpoint); return how many."""
        keep = [
            fault
            for fault in self._faults
            if (kind is not None and fault.kind != kind)
            or (endpoint is not None and fault.endpoint != endpoint)
        ]
        removed = len(self._faults) - len(keep)
        self._faults = keep
        return removed

    def take(self, route: str, *, auth: bool = True) -> list[Fault]:
        """Return the faults that apply to one request of `route` and use them up.

        `token_expired` only applies to routes that need a token.
        """
        if not self._faults:
            return []
        taken: list[Fault] = []
        for fault in self._faults:
            if not fault.matches(route) or (fault.kind == "token_expired" and not auth):
                continue
            fault.applied += 1
            if fault.count is not None:
                fault.count -= 1
            taken.append(fault)
        if taken:
            self._faults = [f for f in self._faults if f.count is None or f.count > 0]
        return taken


def validate_fault(
    kind: str, endpoint: str | None, count: int | None, params: Mapping[str, object]
) -> None:
    """Raise ValueError if a fault description is not usable."""
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; known: {sorted(FAULT_KINDS)}")
    if endpoint is not None and endpoint not in ROUTE_NAMES:
        raise ValueError(f"unknown endpoint {endpoint!r}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("count must be a positive integer")
    allowed = _PARAMS[kind]
    for name, value in params.items():
        if name not in allowed:
            raise ValueError(f"fault {kind!r} takes no parameter {name!r}")
        if isinstance(value, bool) or not isinstance(value, allowed[name]):
            raise ValueError(f"fault parameter {name!r} has the wrong type")  # noqa: TRY004
    status = params.get("status")
    if isinstance(status, int) and not 400 <= status <= 599:
        raise ValueError("status must be an HTTP error status (400-599)")
    for name in ("ms", "seconds", "retry_after"):
        number = params.get(name)
        if isinstance(number, int | float) and number < 0:
            raise ValueError(f"{name} must not be negative")
