"""ThingsCloud attribute values read as plain data: numbers, texts, JSON, positions, enum items.

HA-free; ``attributes`` converts with them, ``thing_model`` maps that to Home Assistant.
"""

from dataclasses import dataclass
import json
import math
import re
import reprlib
from typing import Final, cast

from . import vocabulary as vocab
from .models import JsonValue, parse_number

MAX_TEXT_LENGTH: Final = 255  # the longest text a state may hold
MAX_INLINE_JSON_LENGTH: Final = 64  # a complex value this short is its own state
MAX_INT_STATE: Final = 10**254  # the text of a bigger int does not fit in a state
_INT_LITERAL: Final = re.compile(r"\s*[+-]?\d+\s*")


def int_literal(value: object) -> object:
    """Return an integer literal (a string) as an int; None past 4300 digits; else as is."""
    if not isinstance(value, str) or not _INT_LITERAL.fullmatch(value):
        return value
    try:
        return int(value)
    except ValueError:
        return None


def state_number(value: object) -> int | float | None:
    """Return a number a state can show: an int that fits, else a finite float; else None."""
    if (number := parse_number(value)) is None:
        return None
    value = int_literal(value)
    return value if isinstance(value, int) and abs(value) < MAX_INT_STATE else number


def compact_json(value: object) -> str | None:
    """Return compact JSON text; None for what JSON cannot hold."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    except TypeError, ValueError, RecursionError:
        return None


def truncate(text: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """Return ``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text_of(value: object) -> str | None:
    """Return the text of a value; None for None and for what has no text."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, float) else compact_json(value)


def match_key(value: object) -> tuple[str, object] | None:
    """Return a key under which equal-looking values compare equal (1, 1.0 and "1")."""
    if isinstance(value, bool):
        return ("b", value)
    if (number := parse_number(value)) is not None:
        return ("n", number)
    return ("s", value.strip()) if isinstance(value, str) else None


def decoded(value: object) -> object:
    """Return a JSON object or array held in a string, decoded; anything else as is."""
    if isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError, RecursionError:
            pass
    return value


def json_to_write(value: object) -> JsonValue:
    """Return ``value`` as JSON to write (what JSON has no type for becomes its text)."""
    try:
        written: JsonValue = json.loads(json.dumps(value, default=str, allow_nan=False))
    except (TypeError, RecursionError) as err:  # ValueError (NaN, cycles) passes as is
        raise ValueError(f"{reprlib.repr(value)} cannot be written as JSON") from err
    return written


@dataclass(frozen=True, slots=True)
class Position:
    """A GPS position in degrees, with its accuracy radius in metres when known."""

    latitude: float
    longitude: float
    accuracy: float | None = None


def position_of(value: object) -> Position | None:
    """Return the position of an object with lat/lon keys (any case); None if unusable."""
    if not isinstance(value, dict):
        return None
    fields = {key.casefold(): item for key, item in value.items() if isinstance(key, str)}

    def first(keys: tuple[str, ...], low: float, high: float) -> float | None:
        numbers = (parse_number(fields.get(key)) for key in keys)
        return next((n for n in numbers if n is not None and low <= n <= high), None)

    latitude = first(vocab.LATITUDE_KEYS, -90, 90)
    longitude = first(vocab.LONGITUDE_KEYS, -180, 180)
    if latitude is None or longitude is None:
        return None
    return Position(latitude, longitude, first(vocab.ACCURACY_KEYS, 0, math.inf))


def summary(value: object) -> str | None:
    """Return a short state for a complex value: a position, short JSON, or "<n> keys"."""
    value = decoded(value)
    if (position := position_of(value)) is not None:
        return f"{position.latitude}, {position.longitude}"
    if isinstance(value, (dict, list)):
        compact = compact_json(value)
        if compact is not None and len(compact) <= MAX_INLINE_JSON_LENGTH:
            return compact
        noun = "key" if isinstance(value, dict) else "item"
        return f"{len(value)} {noun}{'' if len(value) == 1 else 's'}"
    text = text_of(value)
    return None if text is None else truncate(text)


@dataclass(frozen=True, slots=True)
class EnumOption:
    """One option of an enum attribute: the API value and its (unique) label."""

    value: JsonValue
    label: str


def _enum_pairs(items: object) -> list[tuple[object, object]]:
    """Return (value, label) pairs of either shape of ``items`` (or of its JSON text).

    Mapping keys that are integer literals become integers (JSON keys are strings).
    """
    items = decoded(items)
    if isinstance(items, dict):
        return [(int_literal(key), label) for key, label in items.items()]
    pairs: list[tuple[object, object]] = []
    for item in items if isinstance(items, list) else ():
        if isinstance(item, dict):
            if vocab.ENUM_VALUE_KEY in item:
                label = next((item[k] for k in vocab.ENUM_LABEL_KEYS if k in item), None)
                pairs.append((item[vocab.ENUM_VALUE_KEY], label))
        elif isinstance(item, list):
            if len(item) == 2:
                pairs.append((item[0], item[1]))
        else:
            pairs.append((item, item))
    return pairs


def enum_options(items: object) -> tuple[EnumOption, ...]:
    """Return the options of ``data_options.items`` with unique values and labels.

    Values must be booleans, strings or finite numbers; a value seen before is skipped.
    A label is the item's scalar label, else the value's text; a repeated one gets
    `` (<value>)`` appended; an option whose label stays empty or repeated is skipped.
    """
    options: list[EnumOption] = []
    values: set[tuple[str, object]] = set()
    labels: set[str] = set()
    for value, label in _enum_pairs(items):
        if (key := match_key(value)) is None or key in values:
            continue
        text = text_of(value) or ""
        shown = "" if isinstance(label, (dict, list)) else (text_of(label) or "").strip()
        shown = truncate(shown or text.strip())
        if shown in labels:
            shown = truncate(f"{shown} ({text})")
        if not shown or shown in labels:
            continue
        values.add(key)
        labels.add(shown)
        options.append(EnumOption(value=cast("JsonValue", value), label=shown))
    return tuple(options)
