"""ThingsCloud attributes read from their thing model (HA-free).

``read_attribute`` turns an attribute (identifier, value, effective model) into
``AttributeTraits``: how it can be written, its value type, options and limits, and the
conversions between API values and shown values. ``thing_model`` maps them to Home
Assistant. Nothing here raises, except ``to_api_value``'s ``ValueError``.
"""

from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, replace
from enum import StrEnum
from functools import lru_cache
import math
import re
import reprlib
from typing import Final

from . import vocabulary as vocab
from .models import AttributeModel, JsonValue, parse_bool, parse_number
from .values import (
    MAX_TEXT_LENGTH,
    EnumOption,
    Position,
    decoded,
    enum_options,
    json_to_write,
    match_key,
    position_of,
    state_number,
    summary,
    text_of,
    truncate,
)

DEFAULT_MIN_VALUE: Final = -1_000_000.0
DEFAULT_MAX_VALUE: Final = 1_000_000.0
DEFAULT_STEP: Final = 1.0
_FRACTIONAL_STEP: Final = 0.01
_MAX_PRECISION: Final = 6


class Access(StrEnum):
    """How an attribute can be written."""

    READ_ONLY = "read_only"
    DEVICE = "device"  # POST control/device/<id>/attributes
    CLOUD = "cloud"  # PUT control/device/<id>/attributes


class ValueType(StrEnum):
    """The kind of value an attribute holds."""

    NUMBER = "number"
    BOOLEAN = "boolean"
    TEXT = "text"
    ENUM = "enum"
    COMPLEX = "complex"
    LOCATION = "location"  # read-only; a writable location is complex


_ACCESS: Final = {
    "report": Access.READ_ONLY,
    "push": Access.DEVICE,
    "share": Access.DEVICE,
    "cloud": Access.CLOUD,
}
_VALUE_TYPES: Final = {
    "number": ValueType.NUMBER,
    "boolean": ValueType.BOOLEAN,
    "string": ValueType.TEXT,
    "enum": ValueType.ENUM,
    "json": ValueType.COMPLEX,
    "array": ValueType.COMPLEX,
    "location": ValueType.LOCATION,
}


def _fold(text: str) -> str:  # words compare without whitespace, "_" and "-", case-folded
    return re.sub(r"[\s_\-]+", "", text).casefold()


def _index(words: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {_fold(alias): key for key, aliases in words.items() for alias in (key, *aliases)}


_ATTR_TYPES: Final = _index(vocab.ATTR_TYPES)
_DATA_TYPES: Final = _index(vocab.DATA_TYPES)


@lru_cache(maxsize=256)  # a project has few spellings
def _data_type(data_type: str | None) -> str | None:
    """Return the canonical data type (``number``, ``enum``, ...), ``None`` if unknown."""
    return _DATA_TYPES.get(_fold(data_type or ""))


@dataclass(frozen=True, slots=True)
class AttributeTraits:
    """What the thing model says of one attribute, and how its values convert.

    ``min_value``/``max_value``/``step`` are always set for a settable number;
    ``data_type``/``attr_type`` are the raw model strings. ``boolean_as_number``: the
    attribute holds 0/1, so a boolean is written as 0/1 rather than false/true.
    """

    identifier: str
    name: str
    access: Access
    value_type: ValueType
    _: KW_ONLY
    precision: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    step: float | None = None
    options: tuple[EnumOption, ...] = ()
    on_text: str | None = None
    off_text: str | None = None
    max_length: int = MAX_TEXT_LENGTH
    data_type: str | None = None
    attr_type: str | None = None
    boolean_as_number: bool = False

    @property
    def settable(self) -> bool:
        """Return whether the model lets the attribute be written (known type, not report)."""
        return self.access is not Access.READ_ONLY and _data_type(self.data_type) is not None

    @property
    def option_labels(self) -> list[str]:
        """Return the labels of the enum options."""
        return [option.label for option in self.options]

    def native_value(self, raw: JsonValue) -> str | int | float | bool | None:
        """Return the shown value of an API value (``None`` when it does not fit).

        A number beyond a float is ``None``; text is cut to ``max_length``; a complex value
        or location is ``"<lat>, <lon>"``, its JSON (up to 64 characters) or ``"<n> keys"``.
        """
        match self.value_type:
            case ValueType.NUMBER:
                return state_number(raw)
            case ValueType.BOOLEAN:
                return parse_bool(raw, self.on_text, self.off_text)
            case ValueType.ENUM:
                option = self.option_for(raw)
                return option.label if option is not None else None
            case ValueType.TEXT:
                text = text_of(raw)
                return None if text is None else truncate(text, self.max_length)
        return summary(raw)

    def value_attributes(
        self, raw: JsonValue, encodable: Callable[[JsonValue], bool]
    ) -> dict[str, JsonValue] | None:
        """Return the attributes of a complex value or location: the full ``value``.

        A value ``encodable`` refuses is its summary. A complex value holding a position
        also gets ``latitude``/``longitude``.
        """
        if self.value_type not in (ValueType.COMPLEX, ValueType.LOCATION):
            return None
        if not encodable(raw):
            raw = summary(raw)
        attributes: dict[str, JsonValue] = {"value": raw}
        if self.value_type is ValueType.COMPLEX and (position := self.position(raw)):
            attributes["latitude"], attributes["longitude"] = position.latitude, position.longitude
        return attributes

    def position(self, raw: JsonValue) -> Position | None:
        """Return the position in an API value (an object or its JSON text), if usable."""
        return position_of(decoded(raw))

    def option_for(self, raw: object) -> EnumOption | None:
        """Return the enum option of an API value (``1``, ``1.0`` and ``"1"`` are one)."""
        key = match_key(raw)
        return next((opt for opt in self.options if match_key(opt.value) == key), None)

    def to_api_value(self, shown: object) -> JsonValue:
        """Return the API value to write for a shown value; ``ValueError`` if it does not fit."""
        match self.value_type:
            case ValueType.NUMBER if (number := parse_number(shown)) is not None:
                whole_step = self.step is None or float(self.step).is_integer()
                return int(number) if whole_step and number.is_integer() else round(number, 10)
            case ValueType.BOOLEAN if (
                state := parse_bool(shown, self.on_text, self.off_text)
            ) is not None:
                return int(state) if self.boolean_as_number else state
            case ValueType.ENUM if option := (
                next((opt for opt in self.options if opt.label == shown), None)
                or self.option_for(shown)
            ):
                return option.value
            case ValueType.TEXT if shown is None or isinstance(shown, str):
                return shown
            case ValueType.TEXT:
                return text_of(json_to_write(shown))
            case ValueType.COMPLEX | ValueType.LOCATION:
                return json_to_write(decoded(shown) if isinstance(shown, str) else shown)
        kind = "an option of" if self.value_type is ValueType.ENUM else f"a {self.value_type} for"
        raise ValueError(f"{reprlib.repr(shown)} is not {kind} {self.identifier}")


def _value_type_of(value: object) -> ValueType:
    """Return the value type a bare value suggests (never a location)."""
    if isinstance(value, bool):
        return ValueType.BOOLEAN
    if isinstance(value, (int, float)):
        return ValueType.NUMBER
    return ValueType.COMPLEX if isinstance(value, (dict, list)) else ValueType.TEXT


def _whole(value: object, low: float, high: float) -> int | None:
    number = parse_number(value)
    if number is None or not number.is_integer() or not low <= number <= high:
        return None
    return int(number)


def _text_option(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _field(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def data_options(model: AttributeModel | None) -> Mapping[str, object]:
    """Return the model's data_options (empty when it has none usable)."""
    if isinstance(model, AttributeModel) and isinstance(model.data_options, Mapping):
        return model.data_options
    return {}


def _number(
    traits: AttributeTraits, value: object, options: Mapping[str, object], unit: str | None
) -> AttributeTraits:
    """Return ``traits`` with precision and limits; a settable number gets them all.

    A missing bound of a settable number is -1e6/1e6 (0/100 for %), so the UI shows a box
    rather than a slider over an invented range; its step is 10**-precision, else 1 for a
    whole current value, else 0.01. A reversed range is swapped.
    """
    precision = _whole(options.get("precision"), 0, _MAX_PRECISION)
    low, high = parse_number(options.get("min")), parse_number(options.get("max"))
    if low is not None and high is not None and low > high:
        low, high = high, low
    step = parse_number(options.get("step"))
    step = step if step is not None and step > 0 else None
    if traits.settable:
        defaults = vocab.UNIT_RANGES.get(unit or "", (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE))
        if low is None:
            low = defaults[0] if high is None or defaults[0] <= high else high
        high = max(defaults[1], low) if high is None else high
        if step is None and precision is not None:
            step = 10.0**-precision
        elif step is None:
            current = parse_number(value)
            step = DEFAULT_STEP if current is None or current.is_integer() else _FRACTIONAL_STEP
    return replace(traits, precision=precision, min_value=low, max_value=high, step=step)


def read_attribute(
    identifier: str, value: JsonValue, model: AttributeModel | None, unit: str | None = None
) -> AttributeTraits:
    """Read an attribute by its effective model (``None``: by its value); never raises.

    A missing or unknown attr_type is read-only. Without a model, or with an unknown data
    type, the value decides and the attribute is not settable. An enum without usable items
    is text; a settable location is complex. ``unit``: the model's unit, as the caller
    spells it (only its default range is read here).
    """
    model = model if isinstance(model, AttributeModel) else None
    attr_type = _field(model.attr_type) if model else None
    data_type = _field(model.data_type) if model else None
    options = data_options(model)
    canonical = _data_type(data_type)
    items = enum_options(options.get("items")) if canonical == "enum" else ()
    if canonical is None:
        value_type = _value_type_of(value)
    elif canonical == "enum" and not items:
        value_type = ValueType.TEXT
    else:
        value_type = _VALUE_TYPES[canonical]
    traits = AttributeTraits(
        identifier,
        (_text_option(model.name) if model else None) or identifier,
        _ACCESS.get(_ATTR_TYPES.get(_fold(attr_type or ""), ""), Access.READ_ONLY),
        value_type,
        options=items,
        data_type=data_type,
        attr_type=attr_type,
    )
    match value_type:
        case ValueType.LOCATION if traits.settable:
            return replace(traits, value_type=ValueType.COMPLEX)
        case ValueType.NUMBER:
            return _number(traits, value, options, unit)
        case ValueType.BOOLEAN:
            return replace(
                traits,
                on_text=_text_option(options.get("on_text")),
                off_text=_text_option(options.get("off_text")),
                boolean_as_number=isinstance(value, int) and not isinstance(value, bool),
            )
        case ValueType.TEXT if limit := _whole(options.get("max_length"), 1, math.inf):
            return replace(traits, max_length=min(limit, MAX_TEXT_LENGTH))
    return traits
