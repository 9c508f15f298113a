"""Tolerant readers of the fields of API answers (none of them raises), and ``ApiModel``.

Numbers go through ``parse_number`` (integers too large for a float, NaN and infinities
are no number), on/off words through ``parse_bool``, times through ``parse_timestamp``.
A model declares each field with the reader that fills it (``api_field``, ``api_id``).
"""

from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields
from datetime import UTC, datetime
import json
import logging
import math
from typing import Any, ClassVar, Self, cast, dataclass_transform

from .vocabulary import FALSE_WORDS, TRUE_WORDS

_LOGGER = logging.getLogger(__name__)

type JsonValue = str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None
type JsonObject = dict[str, JsonValue]

# Timestamps above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
_MS_THRESHOLD = 1e11


# --- field helpers -------------------------------------------------------------------


def as_object(value: object) -> JsonObject:
    """Return ``value`` if it is a JSON object, else an empty one."""
    if isinstance(value, dict):
        return {str(key): item for key, item in value.items()}
    return {}


def parse_number(value: object) -> float | None:
    """Return a finite float from a number or a numeric string; never raises.

    Booleans, NaN, infinities and integers too large for a float give ``None``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError, OverflowError:
        return None
    return number if math.isfinite(number) else None


def parse_bool(
    value: object, on_text: str | None = None, off_text: str | None = None
) -> bool | None:
    """Return the on/off meaning of a value; ``None`` when it has none.

    Booleans are themselves, 1 and 0 are on and off, and the words of the vocabulary (any
    case), or the given on/off texts, are on or off.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return True if value == 1 else False if value == 0 else None
    if not isinstance(value, str):
        return None
    word = value.strip().casefold()
    if word in TRUE_WORDS or (on_text is not None and word == on_text.strip().casefold()):
        return True
    if word in FALSE_WORDS or (off_text is not None and word == off_text.strip().casefold()):
        return False
    return None


def parse_int(value: object) -> int | None:
    """Return an integer from a number or a numeric string (truncated); never raises.

    What ``parse_number`` refuses (integers too large for a float too) gives ``None``.
    """
    number = parse_number(value)
    if number is None:
        return None
    return value if isinstance(value, int) else int(number)


def parse_text(value: object) -> str | None:
    """Return a string; numbers become their text, anything else ``None``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return str(value)
        except ValueError:  # an integer with more digits than Python converts
            return None
    return None


def text_of(value: object) -> str:
    """Return a string, ``""`` when there is none."""
    return parse_text(value) or ""


def nonempty_text(value: object) -> str | None:
    """Return a string, ``None`` when there is none or it is empty."""
    return parse_text(value) or None


def as_sent(value: JsonValue) -> JsonValue:
    """Return a value as the API sent it."""
    return value


def list_of(value: object) -> list[JsonValue]:
    """Return a list as sent, an empty one for anything else."""
    return list(value) if isinstance(value, list) else []


def parse_id(value: object) -> str | None:
    """Return a usable id (non-empty string or integer) as a string."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return parse_text(value)
    return None


def id_or_empty(value: object) -> str:
    """Return a usable id, ``""`` when there is none."""
    return parse_id(value) or ""


def parse_tags(value: object) -> dict[str, str]:
    """Return tags as strings; values that are not scalars are dropped."""
    tags: dict[str, str] = {}
    for key, item in as_object(value).items():
        if isinstance(item, bool):
            tags[key] = "true" if item else "false"
        elif (text := parse_text(item)) is not None:
            tags[key] = text
    return tags


def parse_options(value: object) -> JsonObject:
    """Return an options object; a JSON-encoded string is decoded (if it is usable)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError, RecursionError:
            return {}
    return as_object(value)


def parse_timestamp(value: object) -> datetime | None:
    """Return an aware UTC datetime from seconds or milliseconds since the epoch.

    Accepts numbers and numeric strings (above 1e11 they are milliseconds) and, as a
    courtesy, ISO 8601 strings. Zero, negative and unusable values give ``None``.
    """
    number = parse_number(value)
    if number is None:
        if isinstance(value, str) and value.strip():
            try:
                parsed = datetime.fromisoformat(value.strip())
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=UTC)
                return parsed.astimezone(UTC)
            except ValueError, OverflowError:
                return None
        return None
    if number <= 0:
        return None
    if number > _MS_THRESHOLD:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except OverflowError, OSError, ValueError:
        return None


def items_of(info: object) -> list[object]:
    """Return the items of a list answer: ``info.items`` or a bare list."""
    if isinstance(info, list):
        return list(info)
    if isinstance(info, dict):
        items = info.get("items")
        if isinstance(items, list):
            return list(items)
    return []


def parse_items[T](parser: Callable[[object], T], info: object) -> list[T]:
    """Parse the object items of a list answer.

    Items that are not objects, and objects without their essential id, are skipped.
    """
    parsed: list[T] = []
    for item in items_of(info):
        if not isinstance(item, dict):
            _LOGGER.debug("Skipping a list item that is not an object")
            continue
        try:
            parsed.append(parser(item))
        except ValueError:
            _LOGGER.debug("Skipping an item without a usable id")
    return parsed


def numeric_fields(data: object) -> dict[str, int]:
    """Return the numeric fields of an object as integers (statistics answers)."""
    result: dict[str, int] = {}
    for key, value in as_object(data).items():
        number = parse_int(value)
        if number is not None:
            result[key] = number
    return result


# --- models read field by field ------------------------------------------------------

_READER = "thingscloud_reader"
_REQUIRED = "thingscloud_required"


def api_field[T](read: Callable[[JsonValue], T], *, shown: bool = True) -> T:
    """Declare a model field that ``read`` fills from the answer's key of the same name."""
    return cast("T", field(repr=shown, metadata={_READER: read, _REQUIRED: False}))


def api_id() -> str:
    """Declare the id an object cannot be without: ``from_api`` raises ``ValueError``."""
    return cast("str", field(metadata={_READER: parse_id, _REQUIRED: True}))


@dataclass_transform(frozen_default=True, field_specifiers=(field, api_field, api_id))
def api_model[M: ApiModel](cls: type[M]) -> type[M]:
    """Make ``cls`` a frozen slotted dataclass (the form of every API model)."""
    model = dataclass(frozen=True, slots=True)(cls)
    model.field_readers = tuple(
        (item.name, item.metadata[_READER], item.metadata[_REQUIRED])
        for item in fields(model)
        if _READER in item.metadata
    )
    return model


class ApiModel:
    """Base of the API models (``@api_model``, ``raw: JsonObject`` their last field).

    ``from_api`` fills the ``api_field``/``api_id`` fields and ``raw``; a model with fields
    of its own logic overrides it and passes those to ``build``.
    """

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, Field[Any]]]  # set by ``api_model``
    field_readers: ClassVar[tuple[tuple[str, Callable[[JsonValue], object], bool], ...]]
    """(name, reader, required) of each field a reader fills; set by ``api_model``."""

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from an API object; ``ValueError`` without the id it requires."""
        return cls.build(as_object(data))

    @classmethod
    def build(cls, raw: JsonObject, **given: object) -> Self:
        """Build from ``raw``: the ``given`` fields as given, the others by their readers."""
        read: dict[str, object] = {}
        for name, reader, required in cls.field_readers:
            value = read[name] = reader(raw.get(name))
            if value is None and required:
                raise ValueError(f"object has no usable {name!r}")
        make: Callable[..., Self] = cls
        return make(**read, **given, raw=raw)
