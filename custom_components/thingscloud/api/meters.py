"""A meter's hourly readings from its series (HA-free): last reading and running sum."""

from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from .models import SeriesPoint
from .parsing import parse_number


class HourlyReading(NamedTuple):
    """An hour with readings: its start, its last reading and the sum up to it."""

    start: datetime
    state: float
    sum: float


def hourly_readings(
    points: Iterable[SeriesPoint], state: float | None, total: float
) -> list[HourlyReading]:
    """Return one reading per hour with readings, oldest first (``points`` oldest first).

    ``state`` and ``total`` are where the previous import stopped. A reading lower than the
    one before is a meter reset: the sum goes on from the new reading. Unusable points are
    skipped.
    """
    hours: list[HourlyReading] = []
    for point in points:
        value = parse_number(point.value)
        if value is None or point.ts is None:
            continue
        if state is not None:
            total += value if value < state else value - state
        state = value
        hour = HourlyReading(point.ts.replace(minute=0, second=0, microsecond=0), value, total)
        if hours and hours[-1].start == hour.start:
            hours[-1] = hour
        else:
            hours.append(hour)
    return hours
