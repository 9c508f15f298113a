"""The ThingsCloud thing model, described for Home Assistant.

``describe_attribute`` reads an attribute with ``api.attributes`` and adds its Home
Assistant side: the platform, unit, and device and state classes of its entity. Nothing
here raises.
"""

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, fields
from functools import lru_cache
from itertools import pairwise
import re
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
from homeassistant.const import Platform
from homeassistant.helpers.json import json_bytes

from .api import vocabulary as vocab
from .api.attributes import AttributeTraits, ValueType, data_options, read_attribute
from .api.models import AttributeModel, JsonValue

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


_TRAITS: Final = tuple(field.name for field in fields(AttributeTraits))


@dataclass(frozen=True, slots=True)
class AttributeSpec(AttributeTraits):
    """How one ThingsCloud attribute appears in Home Assistant: its traits and entity.

    ``device_class`` is a ``SensorDeviceClass``, ``NumberDeviceClass`` or
    ``BinarySensorDeviceClass`` member matching ``platform`` (``None`` for switches,
    selects, texts and trackers); ``state_class`` a ``SensorStateClass`` (numeric sensors
    only). ``min_value``/``max_value``/``step`` are always set for ``Platform.NUMBER``.
    """

    platform: Platform
    _: KW_ONLY
    native_unit: str | None = None
    device_class: str | None = None
    state_class: str | None = None

    @property
    def writable(self) -> bool:
        """Return whether the entity of this attribute can write it."""
        return self.platform in _WRITABLE

    def extra_attributes(self, raw: JsonValue) -> dict[str, JsonValue] | None:
        """Return the state attributes of a complex value or location (see traits)."""
        return self.value_attributes(raw, _json_encodable)


def _json_encodable(raw: JsonValue) -> bool:
    """Return whether Home Assistant can store ``raw`` (attributes are stored as JSON)."""
    try:
        json_bytes(raw)
    except TypeError, ValueError, RecursionError:
        return False
    return True


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


def describe_attribute(
    identifier: str, value: JsonValue, model: AttributeModel | None
) -> AttributeSpec:
    """Describe an attribute by its effective model (``None``: by its value); never raises.

    The traits decide the platform: a settable one is written by its entity (a complex
    value from a service). A read-only location is a device tracker.
    """
    raw_unit = data_options(model).get("unit")
    unit = _map_unit(raw_unit)
    traits = read_attribute(identifier, value, model, unit)
    writable = traits.settable
    device_class: str | None = None
    state_class: str | None = None
    match traits.value_type:
        case ValueType.NUMBER:
            hints = (identifier, traits.name, raw_unit if isinstance(raw_unit, str) else None)
            sensor_class = _device_class(unit, *hints, number=writable)
            if writable:
                device_class = sensor_class and NumberDeviceClass(sensor_class.value)
            else:
                device_class, state_class = sensor_class, _state_class(sensor_class)
        case ValueType.BOOLEAN if not writable:
            hinted = _hinted(vocab.BINARY_SENSOR_HINTS, identifier, traits.name)
            device_class = BinarySensorDeviceClass(hinted[0]) if hinted else None
        case ValueType.ENUM if not writable:
            device_class = SensorDeviceClass.ENUM
    return AttributeSpec(
        **{name: getattr(traits, name) for name in _TRAITS},
        platform=_PLATFORMS[traits.value_type][writable],
        native_unit=unit if traits.value_type is ValueType.NUMBER else None,
        device_class=device_class,
        state_class=state_class,
    )
