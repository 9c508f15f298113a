"""The ThingsCloud thing model, described for Home Assistant.

``describe_attribute`` turns an attribute (identifier, value, effective model) into an
``AttributeSpec``: the platform, unit, classes, limits and options of its entity, and the
conversions between API values and states. The words come from ``api.vocabulary``; this
module maps them to Home Assistant. Nothing here raises, except ``to_api_value``'s
``ValueError`` for an entity value that does not fit.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
import math
import re
import reprlib
from typing import Final

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.number.const import (
    DEVICE_CLASS_UNITS as NUMBER_DEVICE_CLASS_UNITS,
    NumberDeviceClass,
)
from homeassistant.components.sensor.const import (
    DEVICE_CLASS_STATE_CLASSES,
    DEVICE_CLASS_UNITS as SENSOR_DEVICE_CLASS_UNITS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import MAX_LENGTH_STATE_STATE, Platform
from homeassistant.helpers.json import json_bytes

from .api import vocabulary as vocab
from .api.models import AttributeModel, JsonValue, parse_bool, parse_number
from .api.values import (
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


# --- the vocabulary in Home Assistant's terms --------------------------------------------

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
# value type: (read-only platform, writable platform)
_PLATFORMS: Final = {
    ValueType.NUMBER: (Platform.SENSOR, Platform.NUMBER),
    ValueType.BOOLEAN: (Platform.BINARY_SENSOR, Platform.SWITCH),
    ValueType.ENUM: (Platform.SENSOR, Platform.SELECT),
    ValueType.TEXT: (Platform.SENSOR, Platform.TEXT),
    ValueType.COMPLEX: (Platform.SENSOR, Platform.SENSOR),
    ValueType.LOCATION: (Platform.DEVICE_TRACKER, Platform.SENSOR),
}
_WRITABLE: Final = frozenset({Platform.NUMBER, Platform.SWITCH, Platform.SELECT, Platform.TEXT})
# Unit -> the device class it implies on its own.
_UNIT_DEVICE_CLASSES: Final = {
    unit: cls for cls, units in vocab.UNIT_DEVICE_CLASSES.items() for unit in units
}
# Device class -> the units Home Assistant accepts for it, on a sensor and on a number.
_SENSOR_UNITS: Final = {str(cls): units for cls, units in SENSOR_DEVICE_CLASS_UNITS.items()}
_NUMBER_UNITS: Final = {str(cls): units for cls, units in NUMBER_DEVICE_CLASS_UNITS.items()}


def _fold(text: str) -> str:  # words compare without whitespace, "_" and "-", case-folded
    return re.sub(r"[\s_\-]+", "", text).casefold()


def _index(words: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {_fold(alias): key for key, aliases in words.items() for alias in (key, *aliases)}


_ATTR_TYPES: Final = _index(vocab.ATTR_TYPES)
_DATA_TYPES: Final = _index(vocab.DATA_TYPES)


def _unit_indexes() -> tuple[dict[str, str], dict[str, str]]:
    """Return (exact spelling -> unit, case-folded spelling -> unit) lookups.

    Case is ignored for the vocabulary's spellings of three or more characters, unless
    another Home Assistant unit folds alike (mWh and MWh, kb/s and kB/s).
    """
    tables = (*_SENSOR_UNITS.values(), *_NUMBER_UNITS.values())
    known = sorted({str(unit) for units in tables for unit in units if unit is not None})
    exact = {re.sub(r"\s+", "", unit): unit for unit in known}
    folded: dict[str, set[str]] = {}
    implied = [(unit, ()) for units in vocab.UNIT_DEVICE_CLASSES.values() for unit in units]
    for unit, aliases in [*vocab.UNITS.items(), *implied]:
        for alias in (unit, *aliases):
            key = re.sub(r"\s+", "", alias)
            exact[key] = unit
            if len(key) >= 3:
                folded.setdefault(key.casefold(), set()).add(unit)
    for unit in known:
        if (units := folded.get(unit.casefold())) is not None:
            units.add(unit)
    return exact, {key: units.pop() for key, units in folded.items() if len(units) == 1}


_UNITS_EXACT, _UNITS_FOLDED = _unit_indexes()


@lru_cache(maxsize=4096)  # identifiers and names repeat across devices of one type
def _hinted(table: tuple[tuple[str, tuple[str, ...]], ...], *texts: str | None) -> tuple[str, ...]:
    """Return the classes of a hint table whose hints appear in ``texts``, in table order.

    ASCII hints match whole words (camelCase and separators split words; two adjacent
    words also match joined, so "pm2.5" matches "pm25"); other hints match substrings.
    """
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", " ".join(filter(None, texts))).casefold()
    words = [word for word in re.split(r"[^0-9a-z]+", text) if word]
    found = {*words, *(first + second for first, second in pairwise(words))}
    return tuple(
        device_class
        for device_class, hints in table
        if any(hint in found if hint.isascii() else hint in text for hint in hints)
    )


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """How one ThingsCloud attribute appears in Home Assistant.

    ``device_class`` is a ``SensorDeviceClass``, ``NumberDeviceClass`` or
    ``BinarySensorDeviceClass`` member matching ``platform`` (``None`` for switches,
    selects, texts and trackers); ``state_class`` a ``SensorStateClass`` (numeric sensors
    only). ``min_value``/``max_value``/``step`` are always set for ``Platform.NUMBER``.
    ``data_type``/``attr_type`` are the raw model strings. ``boolean_as_number``: the
    attribute holds 0/1, so a switch writes 0/1 rather than false/true.
    """

    identifier: str
    name: str
    access: Access
    value_type: ValueType
    platform: Platform
    native_unit: str | None = None
    device_class: str | None = None
    state_class: str | None = None
    precision: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    step: float | None = None
    options: tuple[EnumOption, ...] = ()
    on_text: str | None = None
    off_text: str | None = None
    max_length: int = MAX_LENGTH_STATE_STATE
    data_type: str | None = None
    attr_type: str | None = None
    boolean_as_number: bool = False

    @property
    def writable(self) -> bool:
        """Return whether the entity of this attribute can write it."""
        return self.platform in _WRITABLE

    @property
    def option_labels(self) -> list[str]:
        """Return the labels of the enum options (the select/sensor options)."""
        return [option.label for option in self.options]

    def native_value(self, raw: JsonValue) -> str | int | float | bool | None:
        """Return the entity state of an API value (``None`` when it does not fit).

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

    def extra_attributes(self, raw: JsonValue) -> dict[str, JsonValue] | None:
        """Return the state attributes of a complex value or location: the full ``value``.

        A complex value holding a position also gets ``latitude``/``longitude`` (the map).
        """
        if self.value_type not in (ValueType.COMPLEX, ValueType.LOCATION):
            return None
        # Home Assistant stores attributes as JSON: what it cannot encode is shown as text.
        try:
            json_bytes(raw)
        except TypeError, ValueError, RecursionError:
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

    def to_api_value(self, ha_value: object) -> JsonValue:
        """Return the API value to write for an entity value; ``ValueError`` if it does not fit."""
        match self.value_type:
            case ValueType.NUMBER if (number := parse_number(ha_value)) is not None:
                whole_step = self.step is None or float(self.step).is_integer()
                return int(number) if whole_step and number.is_integer() else round(number, 10)
            case ValueType.BOOLEAN if (
                state := parse_bool(ha_value, self.on_text, self.off_text)
            ) is not None:
                return int(state) if self.boolean_as_number else state
            case ValueType.ENUM if option := (
                next((opt for opt in self.options if opt.label == ha_value), None)
                or self.option_for(ha_value)
            ):
                return option.value
            case ValueType.TEXT if ha_value is None or isinstance(ha_value, str):
                return ha_value
            case ValueType.TEXT:
                return text_of(json_to_write(ha_value))
            case ValueType.COMPLEX | ValueType.LOCATION:
                return json_to_write(decoded(ha_value) if isinstance(ha_value, str) else ha_value)
        kind = "an option of" if self.value_type is ValueType.ENUM else f"a {self.value_type} for"
        raise ValueError(f"{reprlib.repr(ha_value)} is not {kind} {self.identifier}")


def _data_type(data_type: str | None) -> str | None:
    """Return the canonical data type (``number``, ``enum``, ...), ``None`` if unknown."""
    return _DATA_TYPES.get(_fold(data_type or ""))


def _value_type_of(value: object) -> ValueType:
    """Return the value type a bare value suggests (never a location)."""
    if isinstance(value, bool):
        return ValueType.BOOLEAN
    if isinstance(value, (int, float)):
        return ValueType.NUMBER
    return ValueType.COMPLEX if isinstance(value, (dict, list)) else ValueType.TEXT


def _map_unit(unit: object) -> str | None:
    """Return the Home Assistant unit of a model unit; unknown units are kept verbatim."""
    if isinstance(unit, Mapping):
        unit = next((unit[key] for key in ("symbol", "unit", "name") if unit.get(key)), None)
    return _map_unit_text(unit) if isinstance(unit, str) else None


@lru_cache(maxsize=1024)
def _map_unit_text(unit: str) -> str | None:
    key = re.sub(r"\s+", "", unit)
    if not key:
        return None
    return _UNITS_EXACT.get(key) or _UNITS_FOLDED.get(key.casefold()) or unit.strip()


def _device_class(unit: str | None, *texts: str | None, number: bool) -> SensorDeviceClass | None:
    """Return the first hinted, else unit-implied, class whose sensor (number) takes ``unit``."""
    candidates = [*_hinted(vocab.SENSOR_HINTS, *texts), _UNIT_DEVICE_CLASSES.get(unit or "")]
    accepted = _NUMBER_UNITS if number else _SENSOR_UNITS
    found = next((cls for cls in candidates if cls and unit in accepted.get(cls, ())), None)
    return SensorDeviceClass(found) if found else None


def _state_class(device_class: SensorDeviceClass | None) -> SensorStateClass | None:
    """Return a numeric sensor's state class: cumulative where nothing else is allowed."""
    if device_class is None:
        return SensorStateClass.MEASUREMENT
    allowed = DEVICE_CLASS_STATE_CLASSES.get(device_class, set())
    preferred = ("measurement", "measurement_angle", "total_increasing")
    return next((SensorStateClass(cls) for cls in preferred if cls in allowed), None)


def _whole(value: object, low: float, high: float) -> int | None:
    number = parse_number(value)
    if number is None or not number.is_integer() or not low <= number <= high:
        return None
    return int(number)


def _text_option(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _number(spec: AttributeSpec, value: object, options: Mapping[str, object]) -> AttributeSpec:
    """Return ``spec`` with unit, classes and limits; a writable number gets them all.

    A missing bound of a writable number is -1e6/1e6 (0/100 for %), so the UI shows a box
    rather than a slider over an invented range; its step is 10**-precision, else 1 for a
    whole current value, else 0.01. A reversed range is swapped.
    """
    raw_unit = options.get("unit")
    unit = _map_unit(raw_unit)
    precision = _whole(options.get("precision"), 0, _MAX_PRECISION)
    hints = (spec.identifier, spec.name, raw_unit if isinstance(raw_unit, str) else None)
    low, high = parse_number(options.get("min")), parse_number(options.get("max"))
    if low is not None and high is not None and low > high:
        low, high = high, low
    step = parse_number(options.get("step"))
    step = step if step is not None and step > 0 else None
    sensor_class = _device_class(unit, *hints, number=spec.writable)
    device_class: str | None = sensor_class
    state_class = _state_class(sensor_class)
    if spec.writable:
        device_class = sensor_class and NumberDeviceClass(sensor_class.value)
        state_class = None
        defaults = vocab.UNIT_RANGES.get(unit or "", (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE))
        if low is None:
            low = defaults[0] if high is None or defaults[0] <= high else high
        high = max(defaults[1], low) if high is None else high
        if step is None and precision is not None:
            step = 10.0**-precision
        elif step is None:
            current = parse_number(value)
            step = DEFAULT_STEP if current is None or current.is_integer() else _FRACTIONAL_STEP
    return replace(
        spec,
        native_unit=unit,
        device_class=device_class,
        state_class=state_class,
        precision=precision,
        min_value=low,
        max_value=high,
        step=step,
    )


def _details(spec: AttributeSpec, value: object, options: Mapping[str, object]) -> AttributeSpec:
    """Return ``spec`` with the fields that depend on its value type."""
    match spec.value_type:
        case ValueType.NUMBER:
            return _number(spec, value, options)
        case ValueType.BOOLEAN:
            hinted = _hinted(vocab.BINARY_SENSOR_HINTS, spec.identifier, spec.name)
            device_class = BinarySensorDeviceClass(hinted[0]) if hinted else None
            return replace(
                spec,
                device_class=None if spec.writable else device_class,
                on_text=_text_option(options.get("on_text")),
                off_text=_text_option(options.get("off_text")),
                boolean_as_number=isinstance(value, int) and not isinstance(value, bool),
            )
        case ValueType.ENUM if not spec.writable:
            return replace(spec, device_class=SensorDeviceClass.ENUM)
        case ValueType.TEXT if limit := _whole(options.get("max_length"), 1, math.inf):
            return replace(spec, max_length=min(limit, MAX_LENGTH_STATE_STATE))
    return spec


def _field(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def describe_attribute(
    identifier: str, value: JsonValue, model: AttributeModel | None
) -> AttributeSpec:
    """Describe an attribute by its effective model (``None``: by its value); never raises.

    A missing or unknown attr_type is read-only. Without a model, or with an unknown data
    type, the value decides and the entity is read-only (and never a tracker). An enum
    without usable items is text. A read-only location is a device tracker.
    """
    model = model if isinstance(model, AttributeModel) else None
    attr_type = _field(model.attr_type) if model else None
    data_type = _field(model.data_type) if model else None
    options = model.data_options if model and isinstance(model.data_options, Mapping) else {}
    access = _ACCESS.get(_ATTR_TYPES.get(_fold(attr_type or ""), ""), Access.READ_ONLY)
    canonical = _data_type(data_type)
    items = enum_options(options.get("items")) if canonical == "enum" else ()
    writable = canonical is not None and access is not Access.READ_ONLY
    if canonical is None:
        value_type = _value_type_of(value)
    elif canonical == "enum" and not items:
        value_type = ValueType.TEXT
    else:
        value_type = _VALUE_TYPES[canonical]
    if value_type is ValueType.LOCATION and writable:
        value_type = ValueType.COMPLEX
    spec = AttributeSpec(
        identifier=identifier,
        name=(_text_option(model.name) if model else None) or identifier,
        access=access,
        value_type=value_type,
        platform=_PLATFORMS[value_type][writable],
        options=items,
        data_type=data_type,
        attr_type=attr_type,
    )
    return _details(spec, value, options)
