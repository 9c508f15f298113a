"""The ThingsCloud thing model, described for Home Assistant.

This module is the one place that knows the thing-model vocabulary. It turns an
attribute (identifier, current value, optional model) into an ``AttributeSpec``: the
platform, unit, device class, limits and options of its entity, and the conversions
between API values and entity states. Pure functions: no I/O, no ``hass``.

Decisions the platforms rely on:

- ``attr_type``: ``report``/设备上报 is read-only; ``push``/云端下发 and ``share``/
  ``shared``/设备云端共享 are written with ``POST control/device/<id>/attributes``
  (``Access.DEVICE``); ``cloud``/云端私有 with ``PUT`` on that path (``Access.CLOUD``).
  A missing or unknown ``attr_type`` (and a missing model) is read-only.
- ``data_type`` picks the value type; a missing or unknown one falls back to the
  value (bool, number, string, object/list; ``None`` is text). A guessed value type
  never gets a writable platform: the entity is a sensor or binary sensor.
- Enums need ``data_options.items`` (a list of ``{value, label}`` or a mapping value
  -> label); without usable items the attribute is text. Labels are made unique
  (a repeated label gets `` (<value>)`` appended). A value that is not one of the
  options has the state ``None`` (unknown). Mapping keys that are integer literals
  become integers (JSON object keys are always strings).
- Writable numbers take ``min``/``max``/``step`` from ``data_options``. A missing
  bound defaults to ``-1e6``/``1e6`` (``0``/``100`` for ``%``), so the UI shows an
  input box rather than a slider over an invented range. A ``min`` above ``max`` is
  swapped. The default step is ``10**-precision`` when a precision is given, else
  ``1`` when the current value is whole, else ``0.01``. Read-only numbers keep the
  model's limits or ``None``.
- Units are mapped to Home Assistant units (Chinese names included); unknown units
  are kept verbatim. A device class is set only where Home Assistant accepts the unit
  for it; ambiguous units (``%``, ``ppm``, lengths, durations, ...) need a hint in the
  identifier or name (``humidity``/湿度, ``battery``/电量, ``co2``/二氧化碳, ...).
- Booleans accept true/false, 1/0 and on/off words (and the model's on/off text);
  booleans whose current value is ``0``/``1`` are written back as ``0``/``1``.
- Complex values (object, array, location, or a complex guess) are read-only sensors:
  the state is ``"<lat>, <lon>"`` for an object with latitude/longitude keys (which
  also become ``latitude``/``longitude`` attributes, for the map), the compact JSON
  when it has at most 64 characters, else ``"<n> keys"``/``"<n> items"``; the full
  value is the ``value`` attribute. Every string state is at most 255 characters;
  a text state at most ``max_length`` (``data_options.max_length``, 1..255, else 255).
- ``to_api_value`` raises ``ValueError`` for a value that does not fit (an unknown
  option, a non-number, a non-boolean).
"""

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import pairwise
import json
import math
import re
from typing import Final, TypedDict

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
from homeassistant.const import (
    DEGREE,
    LIGHT_LUX,
    MAX_LENGTH_STATE_STATE,
    PERCENTAGE,
    REVOLUTIONS_PER_MINUTE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT,
    Platform,
    UnitOfApparentPower,
    UnitOfConductivity,
    UnitOfDensity,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfIrradiance,
    UnitOfLength,
    UnitOfMass,
    UnitOfPower,
    UnitOfPressure,
    UnitOfRatio,
    UnitOfReactivePower,
    UnitOfSoundPressure,
    UnitOfSpeed,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
    UnitOfVolumeFlowRate,
    UnitOfVolumetricFlux,
)

from .api.models import Attribute, AttributeModel, JsonValue

MAX_TEXT_LENGTH: Final = MAX_LENGTH_STATE_STATE
DEFAULT_MIN_VALUE: Final = -1_000_000.0
DEFAULT_MAX_VALUE: Final = 1_000_000.0
DEFAULT_STEP: Final = 1.0
DEFAULT_FRACTIONAL_STEP: Final = 0.01
MAX_PRECISION: Final = 6
# A complex value whose compact JSON is at most this long is shown as such.
MAX_INLINE_JSON_LENGTH: Final = 64


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


# --- vocabulary ----------------------------------------------------------------------

_ATTR_TYPE_ALIASES: Final[dict[Access, tuple[str, ...]]] = {
    Access.READ_ONLY: ("report", "设备上报", "上报"),
    Access.DEVICE: ("push", "云端下发", "下发", "share", "shared", "设备云端共享", "共享"),
    Access.CLOUD: ("cloud", "云端私有", "私有"),
}

# Canonical data type -> (value type, aliases).
_DATA_TYPE_ALIASES: Final[dict[str, tuple[ValueType, tuple[str, ...]]]] = {
    "number": (
        ValueType.NUMBER,
        ("number", "int", "integer", "float", "double", "数值", "数字", "数值型"),
    ),
    "boolean": (ValueType.BOOLEAN, ("boolean", "bool", "switch", "布尔", "布尔型", "开关")),
    "string": (ValueType.TEXT, ("string", "text", "str", "字符串", "文本")),
    "enum": (ValueType.ENUM, ("enum", "枚举", "枚举型")),
    "json": (ValueType.COMPLEX, ("json", "object", "json对象", "对象")),
    "array": (ValueType.COMPLEX, ("array", "list", "数组")),
    "location": (
        ValueType.COMPLEX,
        ("location", "map_point", "mappoint", "位置", "地理位置", "定位"),
    ),
}

_PLATFORMS: Final[dict[ValueType, tuple[Platform, Platform]]] = {
    # value type: (read-only platform, writable platform)
    ValueType.NUMBER: (Platform.SENSOR, Platform.NUMBER),
    ValueType.BOOLEAN: (Platform.BINARY_SENSOR, Platform.SWITCH),
    ValueType.ENUM: (Platform.SENSOR, Platform.SELECT),
    ValueType.TEXT: (Platform.SENSOR, Platform.TEXT),
    ValueType.COMPLEX: (Platform.SENSOR, Platform.SENSOR),
}

_TRUE_WORDS: Final = frozenset({"true", "1", "on", "yes", "开", "是"})
_FALSE_WORDS: Final = frozenset({"false", "0", "off", "no", "关", "否"})

# --- units ---------------------------------------------------------------------------

# Home Assistant unit (or a canonical spelling where HA has none) -> the spellings seen
# in thing models. Whitespace is ignored; case is ignored for spellings of three or more
# characters when that is unambiguous (short ones like mV/MV are listed explicitly).
_UNIT_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    UnitOfTemperature.CELSIUS: ("°C", "℃", "°c", "C", "c", "摄氏度", "摄氏", "degC", "celsius"),
    UnitOfTemperature.FAHRENHEIT: ("°F", "℉", "°f", "华氏度", "华氏", "degF", "fahrenheit"),
    UnitOfTemperature.KELVIN: ("K", "开尔文", "kelvin"),
    PERCENTAGE: ("%", "\uff05", "百分比", "百分号", "percent", "pct", "%RH", "RH%", "\uff05RH"),
    UnitOfPressure.PA: ("Pa", "帕", "帕斯卡", "pa", "PA"),
    UnitOfPressure.HPA: ("hPa", "百帕"),
    UnitOfPressure.KPA: ("kPa", "千帕"),
    "MPa": ("兆帕", "MPA", "Mpa"),
    UnitOfPressure.BAR: ("bar", "巴"),
    UnitOfPressure.MBAR: ("mbar", "毫巴"),
    UnitOfPressure.PSI: ("psi",),
    UnitOfPressure.MMHG: ("mmHg", "毫米汞柱"),
    UnitOfElectricPotential.VOLT: ("V", "v", "伏", "伏特"),
    UnitOfElectricPotential.MILLIVOLT: ("mV", "mv", "毫伏"),
    UnitOfElectricPotential.KILOVOLT: ("kV", "kv", "KV", "千伏"),
    UnitOfElectricCurrent.AMPERE: ("A", "安", "安培"),
    UnitOfElectricCurrent.MILLIAMPERE: ("mA", "ma", "毫安"),
    UnitOfElectricCurrent.MICROAMPERE: ("μA", "µA", "uA", "微安"),
    UnitOfPower.WATT: ("W", "w", "瓦", "瓦特"),
    UnitOfPower.KILO_WATT: ("kW", "kw", "KW", "Kw", "千瓦"),
    UnitOfPower.MILLIWATT: ("mW", "毫瓦"),
    UnitOfEnergy.KILO_WATT_HOUR: ("kWh", "度", "千瓦时", "千瓦·时", "kW·h", "kW.h", "kW*h"),
    UnitOfEnergy.WATT_HOUR: ("Wh", "瓦时", "W·h"),
    UnitOfEnergy.MEGA_WATT_HOUR: ("MWh", "兆瓦时"),
    UnitOfApparentPower.VOLT_AMPERE: ("VA", "伏安"),
    UnitOfReactivePower.VOLT_AMPERE_REACTIVE: ("var", "乏"),
    UnitOfFrequency.HERTZ: ("Hz", "hz", "HZ", "赫兹", "赫"),
    UnitOfFrequency.KILOHERTZ: ("kHz", "千赫", "千赫兹"),
    UnitOfFrequency.MEGAHERTZ: ("MHz", "兆赫", "兆赫兹"),
    LIGHT_LUX: ("lx", "LX", "Lx", "lux", "勒克斯", "勒"),
    UnitOfSoundPressure.DECIBEL: ("dB", "db", "DB", "分贝"),
    UnitOfSoundPressure.WEIGHTED_DECIBEL_A: ("dBA", "dB(A)"),
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT: ("dBm", "分贝毫瓦"),
    UnitOfRatio.PARTS_PER_MILLION: ("ppm",),
    UnitOfRatio.PARTS_PER_BILLION: ("ppb",),
    UnitOfDensity.MICROGRAMS_PER_CUBIC_METER: (
        "μg/m³",
        "µg/m³",
        "ug/m³",
        "μg/m3",
        "µg/m3",
        "ug/m3",
        "ug/m^3",
        "μg/m^3",
        "微克/立方米",
        "微克每立方米",
    ),
    UnitOfDensity.MILLIGRAMS_PER_CUBIC_METER: ("mg/m³", "mg/m3", "mg/m^3", "毫克/立方米"),
    UnitOfLength.METERS: ("m", "米"),
    UnitOfLength.CENTIMETERS: ("cm", "厘米"),
    UnitOfLength.MILLIMETERS: ("mm", "毫米"),
    UnitOfLength.KILOMETERS: ("km", "KM", "Km", "千米", "公里"),
    UnitOfMass.KILOGRAMS: ("kg", "KG", "Kg", "千克", "公斤"),
    UnitOfMass.GRAMS: ("g", "克"),
    UnitOfMass.MILLIGRAMS: ("mg", "毫克"),
    UnitOfVolume.LITERS: ("L", "l", "升"),
    UnitOfVolume.MILLILITERS: ("mL", "ml", "毫升"),
    UnitOfVolume.CUBIC_METERS: ("m³", "m3", "M3", "m^3", "立方米", "方"),
    UnitOfTime.MILLISECONDS: ("ms", "毫秒"),
    UnitOfTime.SECONDS: ("s", "秒", "sec", "second", "seconds"),
    UnitOfTime.MINUTES: ("min", "分钟", "分", "minute", "minutes"),
    UnitOfTime.HOURS: ("h", "小时", "时", "hr", "hour", "hours"),
    UnitOfTime.DAYS: ("d", "天", "日", "day", "days"),
    UnitOfSpeed.METERS_PER_SECOND: ("m/s", "米/秒", "米每秒"),
    UnitOfSpeed.KILOMETERS_PER_HOUR: ("km/h", "千米/小时", "公里/小时", "千米每小时", "kph"),
    UnitOfVolumeFlowRate.CUBIC_METERS_PER_HOUR: ("m³/h", "m3/h", "立方米/小时"),
    UnitOfVolumeFlowRate.LITERS_PER_MINUTE: ("L/min", "升/分钟"),
    UnitOfVolumeFlowRate.LITERS_PER_HOUR: ("L/h", "升/小时"),
    UnitOfVolumetricFlux.MILLIMETERS_PER_HOUR: ("mm/h", "毫米/小时"),
    UnitOfIrradiance.WATTS_PER_SQUARE_METER: ("W/m²", "W/m2", "瓦/平方米"),
    UnitOfConductivity.MICROSIEMENS_PER_CM: ("μS/cm", "µS/cm", "uS/cm", "微西门子/厘米"),
    UnitOfConductivity.MILLISIEMENS_PER_CM: ("mS/cm", "毫西门子/厘米"),
    REVOLUTIONS_PER_MINUTE: ("rpm", "r/min", "转/分", "转/分钟", "转每分"),
    DEGREE: ("°", "deg", "degree", "degrees"),
}

_HA_UNITS: Final[tuple[type[StrEnum], ...]] = (
    UnitOfApparentPower,
    UnitOfConductivity,
    UnitOfDensity,
    UnitOfElectricCurrent,
    UnitOfElectricPotential,
    UnitOfEnergy,
    UnitOfFrequency,
    UnitOfIrradiance,
    UnitOfLength,
    UnitOfMass,
    UnitOfPower,
    UnitOfPressure,
    UnitOfRatio,
    UnitOfReactivePower,
    UnitOfSoundPressure,
    UnitOfSpeed,
    UnitOfTemperature,
    UnitOfTime,
    UnitOfVolume,
    UnitOfVolumeFlowRate,
    UnitOfVolumetricFlux,
)

# The device class a unit implies on its own. Ambiguous units (%, ppm, μg/m³, lengths,
# durations, volumes, dB, °) are left to the identifier and name hints below.
_UNIT_DEVICE_CLASSES: Final[dict[str, SensorDeviceClass]] = {
    **dict.fromkeys(UnitOfTemperature, SensorDeviceClass.TEMPERATURE),
    **dict.fromkeys(UnitOfPressure, SensorDeviceClass.PRESSURE),
    **dict.fromkeys(UnitOfElectricPotential, SensorDeviceClass.VOLTAGE),
    **dict.fromkeys(UnitOfElectricCurrent, SensorDeviceClass.CURRENT),
    **dict.fromkeys(UnitOfPower, SensorDeviceClass.POWER),
    **dict.fromkeys(UnitOfEnergy, SensorDeviceClass.ENERGY),
    **dict.fromkeys(UnitOfApparentPower, SensorDeviceClass.APPARENT_POWER),
    **dict.fromkeys(UnitOfReactivePower, SensorDeviceClass.REACTIVE_POWER),
    **dict.fromkeys(UnitOfFrequency, SensorDeviceClass.FREQUENCY),
    **dict.fromkeys(UnitOfSpeed, SensorDeviceClass.SPEED),
    **dict.fromkeys(UnitOfVolumeFlowRate, SensorDeviceClass.VOLUME_FLOW_RATE),
    **dict.fromkeys(UnitOfVolumetricFlux, SensorDeviceClass.PRECIPITATION_INTENSITY),
    **dict.fromkeys(UnitOfIrradiance, SensorDeviceClass.IRRADIANCE),
    **dict.fromkeys(UnitOfConductivity, SensorDeviceClass.CONDUCTIVITY),
    **dict.fromkeys(UnitOfMass, SensorDeviceClass.WEIGHT),
    LIGHT_LUX: SensorDeviceClass.ILLUMINANCE,
    SIGNAL_STRENGTH_DECIBELS_MILLIWATT: SensorDeviceClass.SIGNAL_STRENGTH,
    UnitOfSoundPressure.WEIGHTED_DECIBEL_A: SensorDeviceClass.SOUND_PRESSURE,
}

# Device classes suggested by words of the identifier, name or unit, in priority order.
# ASCII hints match whole words (camelCase and separators split words; two adjacent
# words also match joined, so "pm2.5" matches "pm25"); other hints match substrings.
# A hinted class is used only where Home Assistant accepts the unit for it.
_SENSOR_HINT_TABLE: Final[tuple[tuple[SensorDeviceClass, tuple[str, ...]], ...]] = (
    (SensorDeviceClass.MOISTURE, ("moisture", "soil", "土壤", "墒情")),
    (SensorDeviceClass.HUMIDITY, ("humidity", "hum", "humi", "rh", "湿度")),
    (SensorDeviceClass.BATTERY, ("battery", "bat", "batt", "电量", "电池")),
    (SensorDeviceClass.POWER_FACTOR, ("pf", "powerfactor", "功率因数")),
    (SensorDeviceClass.CO2, ("co2", "二氧化碳")),
    (SensorDeviceClass.CO, ("co", "一氧化碳")),
    (SensorDeviceClass.VOLATILE_ORGANIC_COMPOUNDS_PARTS, ("voc", "tvoc", "挥发性有机物")),
    (SensorDeviceClass.VOLATILE_ORGANIC_COMPOUNDS, ("voc", "tvoc", "挥发性有机物")),
    (SensorDeviceClass.PM1, ("pm1",)),
    (SensorDeviceClass.PM25, ("pm25", "细颗粒物")),
    (SensorDeviceClass.PM10, ("pm10", "可吸入颗粒物")),
    (SensorDeviceClass.NITROGEN_DIOXIDE, ("no2", "二氧化氮")),
    (SensorDeviceClass.OZONE, ("o3", "ozone", "臭氧")),
    (SensorDeviceClass.SULPHUR_DIOXIDE, ("so2", "二氧化硫")),
    (SensorDeviceClass.ATMOSPHERIC_PRESSURE, ("atmospheric", "baro", "barometer", "气压")),
    (SensorDeviceClass.WIND_SPEED, ("wind", "风速")),
    (SensorDeviceClass.WIND_DIRECTION, ("wind", "风向")),
    (SensorDeviceClass.SOUND_PRESSURE, ("noise", "sound", "噪声", "噪音", "声音")),
    (SensorDeviceClass.SIGNAL_STRENGTH, ("rssi", "signal", "snr", "信号")),
    (
        SensorDeviceClass.PRECIPITATION,
        ("rain", "rainfall", "precipitation", "雨量", "降雨", "降水"),
    ),
    (SensorDeviceClass.DISTANCE, ("distance", "range", "height", "depth", "level", "length")),
    (SensorDeviceClass.DISTANCE, ("距离", "高度", "深度", "液位", "水位", "长度")),
    (SensorDeviceClass.DURATION, ("duration", "runtime", "uptime", "interval", "delay", "time")),
    (SensorDeviceClass.DURATION, ("时长", "时间", "间隔", "延时")),
    (SensorDeviceClass.VOLUME_STORAGE, ("tank", "storage", "水箱", "储")),
    (SensorDeviceClass.WATER, ("water", "用水", "水量")),
    (SensorDeviceClass.GAS, ("gas", "燃气", "天然气", "煤气")),
    (SensorDeviceClass.PH, ("ph", "酸碱")),
    (SensorDeviceClass.AQI, ("aqi", "空气质量指数")),
)

_BINARY_SENSOR_HINT_TABLE: Final[tuple[tuple[BinarySensorDeviceClass, tuple[str, ...]], ...]] = (
    (BinarySensorDeviceClass.DOOR, ("door", "门磁")),
    (BinarySensorDeviceClass.WINDOW, ("window", "窗磁", "窗户")),
    (BinarySensorDeviceClass.MOTION, ("motion", "pir", "人体", "移动")),
    (BinarySensorDeviceClass.OCCUPANCY, ("occupancy", "presence", "有人", "存在")),
    (BinarySensorDeviceClass.SMOKE, ("smoke", "烟雾", "烟感")),
    (BinarySensorDeviceClass.GAS, ("gas", "燃气", "可燃气")),
    (BinarySensorDeviceClass.MOISTURE, ("leak", "flood", "水浸", "漏水")),
    (BinarySensorDeviceClass.VIBRATION, ("vibration", "震动", "振动")),
    (BinarySensorDeviceClass.TAMPER, ("tamper", "防拆")),
    (BinarySensorDeviceClass.PROBLEM, ("fault", "error", "problem", "故障")),
    (BinarySensorDeviceClass.CONNECTIVITY, ("online", "connected", "connectivity", "在线")),
)

# Default number range for units with a natural one.
_UNIT_RANGES: Final[dict[str, tuple[float, float]]] = {PERCENTAGE: (0.0, 100.0)}

_LATITUDE_KEYS: Final = ("latitude", "lat")
_LONGITUDE_KEYS: Final = ("longitude", "lon", "lng", "long")

_MEASUREMENT_STATE_CLASSES: Final = (
    SensorStateClass.MEASUREMENT,
    SensorStateClass.MEASUREMENT_ANGLE,
    SensorStateClass.TOTAL_INCREASING,
)


def _fold(text: str) -> str:
    """Return ``text`` without whitespace, ``_`` and ``-``, case-folded."""
    return re.sub(r"[\s_\-]+", "", text).casefold()


def _alias_index[T](aliases: Mapping[T, tuple[str, ...]]) -> dict[str, T]:
    """Return folded alias -> key."""
    return {_fold(alias): key for key, names in aliases.items() for alias in names}


_ATTR_TYPES: Final = _alias_index(_ATTR_TYPE_ALIASES)
_DATA_TYPES: Final = _alias_index({key: names for key, (_, names) in _DATA_TYPE_ALIASES.items()})


def _unit_indexes() -> tuple[dict[str, str], dict[str, str]]:
    """Return (exact spelling -> unit, case-folded spelling -> unit) lookups.

    Every Home Assistant unit spells itself, so that a case-insensitive match that
    would confuse two of them (mWh and MWh, mHz and MHz) is never made.
    """
    exact: dict[str, str] = {}
    folded: dict[str, set[str]] = {}
    spellings = [(str(unit), (str(unit),)) for units in _HA_UNITS for unit in units]
    for unit, aliases in [*spellings, *_UNIT_ALIASES.items()]:
        for alias in (unit, *aliases):
            key = re.sub(r"\s+", "", alias)
            exact[key] = str(unit)
            if len(key) >= 3:
                folded.setdefault(key.casefold(), set()).add(str(unit))
    return exact, {key: units.pop() for key, units in folded.items() if len(units) == 1}


_UNITS_EXACT, _UNITS_FOLDED = _unit_indexes()


# --- value helpers -------------------------------------------------------------------


def _finite_number(value: object) -> float | None:
    """Return a finite float from a number or numeric string (never from a bool)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _number_value(value: object) -> int | float | None:
    """Return an int or float state from a number or numeric string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _finite_number(value)
    if number is None:
        return None
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        return int(value.strip())
    return number


def _bool_value(
    value: object, on_text: str | None = None, off_text: str | None = None
) -> bool | None:
    """Return a boolean from a bool, 0/1, a boolean word or the model's on/off text."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return True if value == 1 else False if value == 0 else None
    if isinstance(value, str):
        word = value.strip().casefold()
        if word in _TRUE_WORDS or (on_text is not None and word == on_text.casefold()):
            return True
        if word in _FALSE_WORDS or (off_text is not None and word == off_text.casefold()):
            return False
    return None


def _compact_json(value: JsonValue) -> str:
    """Return ``value`` as compact JSON, keeping non-ASCII text readable."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def _truncate(text: str, limit: int = MAX_TEXT_LENGTH) -> str:
    """Return ``text`` cut to ``limit`` characters (the last one an ellipsis)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text_of(value: JsonValue) -> str | None:
    """Return the text form of any JSON value (``None`` stays ``None``)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return _compact_json(value)


def _match_key(value: object) -> str:
    """Return a key under which equal-looking values (1, 1.0, "1") compare equal."""
    if isinstance(value, bool):
        return f"b:{value}"
    number = _finite_number(value)
    if number is not None:
        return f"n:{number!r}"
    if isinstance(value, str):
        return f"s:{value.strip()}"
    return f"j:{json.dumps(value, sort_keys=True, default=str)}"


def _decoded(value: JsonValue) -> JsonValue:
    """Return a JSON object or array encoded in a string, decoded; else ``value``."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            decoded: JsonValue = json.loads(value)
        except ValueError, RecursionError:
            return value
        return decoded
    return value


def _coordinates(value: JsonValue) -> tuple[float, float] | None:
    """Return (latitude, longitude) of an object with such keys, else ``None``."""
    if not isinstance(value, dict):
        return None
    numbers = {key.casefold(): _finite_number(item) for key, item in value.items()}
    latitude = next((numbers[k] for k in _LATITUDE_KEYS if numbers.get(k) is not None), None)
    longitude = next((numbers[k] for k in _LONGITUDE_KEYS if numbers.get(k) is not None), None)
    if latitude is None or longitude is None:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


def _summary(value: JsonValue) -> str | None:
    """Return a short state for a complex value."""
    value = _decoded(value)
    if (coordinates := _coordinates(value)) is not None:
        return f"{coordinates[0]}, {coordinates[1]}"
    if isinstance(value, (dict, list)):
        compact = _compact_json(value)
        if len(compact) <= MAX_INLINE_JSON_LENGTH:
            return compact
        count = len(value)
        noun = ("key" if isinstance(value, dict) else "item") + ("" if count == 1 else "s")
        return f"{count} {noun}"
    text = _text_of(value)
    return None if text is None else _truncate(text)


def _json_of(value: object) -> JsonValue:
    """Return ``value`` as a JSON value; anything else becomes its text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, Mapping):
        return {str(key): _json_of(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_of(item) for item in value]
    return str(value)


# --- the description -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EnumOption:
    """One option of an enum attribute: the API value and its (unique) label."""

    value: JsonValue
    label: str


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """How one ThingsCloud attribute appears in Home Assistant.

    ``device_class`` is a ``SensorDeviceClass``, ``NumberDeviceClass`` or
    ``BinarySensorDeviceClass`` member matching ``platform`` (``None`` for switches,
    selects and texts); ``state_class`` a ``SensorStateClass`` (numeric sensors only).
    ``min_value``/``max_value``/``step`` are always set for ``Platform.NUMBER``.
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
    max_length: int = MAX_TEXT_LENGTH
    data_type: str | None = None
    attr_type: str | None = None
    boolean_as_number: bool = False

    @property
    def writable(self) -> bool:
        """Return whether the entity of this attribute can write it."""
        return self.platform not in (Platform.SENSOR, Platform.BINARY_SENSOR)

    @property
    def option_labels(self) -> list[str]:
        """Return the labels of the enum options (the select/sensor options)."""
        return [option.label for option in self.options]

    def native_value(self, raw: JsonValue) -> str | int | float | bool | None:
        """Return the entity state of an API value (``None`` when it does not fit)."""
        return _NATIVE_VALUES[self.value_type](self, raw)

    def extra_attributes(self, raw: JsonValue) -> dict[str, JsonValue] | None:
        """Return the state attributes of an API value: the full value of complex ones."""
        if self.value_type is not ValueType.COMPLEX:
            return None
        attributes: dict[str, JsonValue] = {"value": raw}
        if (coordinates := _coordinates(_decoded(raw))) is not None:
            attributes["latitude"], attributes["longitude"] = coordinates
        return attributes

    def to_api_value(self, ha_value: object) -> JsonValue:
        """Return the API value to write for an entity value.

        Raises ``ValueError`` when ``ha_value`` does not fit (an unknown option, a
        non-numeric number, a non-boolean boolean).
        """
        return _API_VALUES[self.value_type](self, ha_value)

    def option_for(self, raw: JsonValue) -> EnumOption | None:
        """Return the enum option of an API value."""
        key = _match_key(raw)
        return next((option for option in self.options if _match_key(option.value) == key), None)


def _native_number(spec: AttributeSpec, raw: JsonValue) -> int | float | None:
    return _number_value(raw)


def _native_boolean(spec: AttributeSpec, raw: JsonValue) -> bool | None:
    return _bool_value(raw, spec.on_text, spec.off_text)


def _native_enum(spec: AttributeSpec, raw: JsonValue) -> str | None:
    option = spec.option_for(raw)
    return option.label if option is not None else None


def _native_text(spec: AttributeSpec, raw: JsonValue) -> str | None:
    text = _text_of(raw)
    return None if text is None else _truncate(text, spec.max_length)


def _native_complex(spec: AttributeSpec, raw: JsonValue) -> str | None:
    return _summary(raw)


_NATIVE_VALUES: Final[
    dict[ValueType, Callable[[AttributeSpec, JsonValue], str | int | float | bool | None]]
] = {
    ValueType.NUMBER: _native_number,
    ValueType.BOOLEAN: _native_boolean,
    ValueType.ENUM: _native_enum,
    ValueType.TEXT: _native_text,
    ValueType.COMPLEX: _native_complex,
}


def _api_number(spec: AttributeSpec, ha_value: object) -> JsonValue:
    number = _finite_number(ha_value)
    if number is None:
        raise ValueError(f"{ha_value!r} is not a number")
    step_is_whole = spec.step is None or float(spec.step).is_integer()
    if step_is_whole and number.is_integer():
        return int(number)
    return round(number, 10)


def _api_boolean(spec: AttributeSpec, ha_value: object) -> JsonValue:
    value = _bool_value(ha_value, spec.on_text, spec.off_text)
    if value is None:
        raise ValueError(f"{ha_value!r} is not a boolean")
    return int(value) if spec.boolean_as_number else value


def _api_enum(spec: AttributeSpec, ha_value: object) -> JsonValue:
    labelled = next((option for option in spec.options if option.label == ha_value), None)
    option = labelled or spec.option_for(_json_of(ha_value))
    if option is None:
        raise ValueError(f"{ha_value!r} is not an option of {spec.identifier}")
    return option.value


def _api_text(spec: AttributeSpec, ha_value: object) -> JsonValue:
    return ha_value if isinstance(ha_value, str) else _text_of(_json_of(ha_value))


def _api_complex(spec: AttributeSpec, ha_value: object) -> JsonValue:
    return _decoded(_json_of(ha_value))


_API_VALUES: Final[dict[ValueType, Callable[[AttributeSpec, object], JsonValue]]] = {
    ValueType.NUMBER: _api_number,
    ValueType.BOOLEAN: _api_boolean,
    ValueType.ENUM: _api_enum,
    ValueType.TEXT: _api_text,
    ValueType.COMPLEX: _api_complex,
}


# --- describing ----------------------------------------------------------------------


def parse_access(attr_type: str | None) -> Access:
    """Return the access of an ``attr_type`` (read-only when missing or unknown)."""
    if attr_type is None:
        return Access.READ_ONLY
    return _ATTR_TYPES.get(_fold(attr_type), Access.READ_ONLY)


def parse_data_type(data_type: str | None) -> str | None:
    """Return the canonical data type (``number``, ``enum``, ...) or ``None`` if unknown."""
    if data_type is None:
        return None
    return _DATA_TYPES.get(_fold(data_type))


def value_type_of(value: JsonValue) -> ValueType:
    """Return the value type a bare value suggests (the fallback without a model)."""
    if isinstance(value, bool):
        return ValueType.BOOLEAN
    if isinstance(value, (int, float)):
        return ValueType.NUMBER
    if isinstance(value, (dict, list)):
        return ValueType.COMPLEX
    return ValueType.TEXT


def map_unit(unit: object) -> str | None:
    """Return the Home Assistant unit of a model unit; unknown units are kept verbatim."""
    if isinstance(unit, Mapping):
        unit = next((unit[key] for key in ("symbol", "unit", "name") if unit.get(key)), None)
    return _map_unit_text(unit) if isinstance(unit, str) else None


@lru_cache(maxsize=1024)
def _map_unit_text(unit: str) -> str | None:
    """Return the Home Assistant unit of a unit text (``None`` for a blank one)."""
    key = re.sub(r"\s+", "", unit)
    if not key:
        return None
    return _UNITS_EXACT.get(key) or _UNITS_FOLDED.get(key.casefold()) or unit.strip()


def _hint_words(*texts: str | None) -> tuple[frozenset[str], str]:
    """Return the words (and adjacent word pairs) and the folded text of ``texts``."""
    joined = " ".join(text for text in texts if text)
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", joined).casefold()
    words = [word for word in re.split(r"[^0-9a-z]+", spaced) if word]
    return frozenset(words) | {first + second for first, second in pairwise(words)}, spaced


class _Hints[T]:
    """A hint table, indexed: classes whose hints appear in texts, in table order."""

    def __init__(self, table: tuple[tuple[T, tuple[str, ...]], ...]) -> None:
        self._classes = [device_class for device_class, _ in table]
        self._words: dict[str, list[int]] = {}
        self._substrings: list[tuple[str, int]] = []
        for index, (_, names) in enumerate(table):
            for name in names:
                if name.isascii():
                    self._words.setdefault(name, []).append(index)
                else:
                    self._substrings.append((name, index))
        # Identifiers and names repeat across devices of one type: remember answers.
        self.match = lru_cache(maxsize=4096)(self._match)

    def _match(self, *texts: str | None) -> tuple[T, ...]:
        words, text = _hint_words(*texts)
        indices = {index for word in words for index in self._words.get(word, ())}
        if not text.isascii():
            indices.update(index for name, index in self._substrings if name in text)
        return tuple(self._classes[index] for index in sorted(indices))


_SENSOR_HINTS: Final = _Hints(_SENSOR_HINT_TABLE)
_BINARY_SENSOR_HINTS: Final = _Hints(_BINARY_SENSOR_HINT_TABLE)


def _sensor_units(device_class: SensorDeviceClass) -> Collection[object]:
    """Return the units Home Assistant accepts for a sensor device class."""
    return SENSOR_DEVICE_CLASS_UNITS.get(device_class, ())


def _number_units(device_class: SensorDeviceClass) -> Collection[object]:
    """Return the units Home Assistant accepts for the number twin of a device class."""
    number_class = NumberDeviceClass(device_class.value)
    return NUMBER_DEVICE_CLASS_UNITS.get(number_class, ())


def _device_class(
    unit: str | None,
    accepted_units: Callable[[SensorDeviceClass], Collection[object]],
    *texts: str | None,
) -> SensorDeviceClass | None:
    """Return the first hinted (else unit-implied) class that accepts ``unit``."""
    candidates = list(_SENSOR_HINTS.match(*texts))
    if unit is not None and unit in _UNIT_DEVICE_CLASSES:
        candidates.append(_UNIT_DEVICE_CLASSES[unit])
    for device_class in candidates:
        if unit in accepted_units(device_class):
            return device_class
    return None


def _state_class(device_class: SensorDeviceClass | None) -> SensorStateClass | None:
    """Return the state class of a numeric sensor with ``device_class``."""
    if device_class is None:
        return SensorStateClass.MEASUREMENT
    allowed = DEVICE_CLASS_STATE_CLASSES.get(device_class, set())
    return next((cls for cls in _MEASUREMENT_STATE_CLASSES if cls in allowed), None)


def _precision(value: JsonValue) -> int | None:
    """Return a display precision 0..6 from an int, whole float or digit string."""
    number = _finite_number(value)
    if number is None or not number.is_integer() or not 0 <= number <= MAX_PRECISION:
        return None
    return int(number)


def _text_option(value: JsonValue) -> str | None:
    """Return a non-empty stripped string option."""
    return value.strip() or None if isinstance(value, str) else None


def _enum_key(key: str) -> JsonValue:
    """Return a mapping key as an API value: integer literals become integers."""
    return int(key) if re.fullmatch(r"[+-]?\d+", key.strip()) else key


_LABEL_KEYS: Final = ("label", "name", "text", "desc", "description")


def _enum_pairs(items: JsonValue) -> list[tuple[JsonValue, JsonValue]]:
    """Return (value, label) pairs of either shape of ``items`` (or of its JSON text)."""
    items = _decoded(items)
    if isinstance(items, dict):
        return [(_enum_key(key), label) for key, label in items.items()]
    if not isinstance(items, list):
        return []
    pairs: list[tuple[JsonValue, JsonValue]] = []
    for item in items:
        if isinstance(item, dict):
            if "value" in item:
                label = next((item[key] for key in _LABEL_KEYS if key in item), None)
                pairs.append((item["value"], label))
        elif isinstance(item, list):
            if len(item) == 2:
                pairs.append((item[0], item[1]))
        elif item is not None:
            pairs.append((item, item))
    return pairs


def _label(label: JsonValue, value: JsonValue) -> str:
    """Return the trimmed text of a scalar label, else of the value."""
    text = _text_of(label) if not isinstance(label, (dict, list)) else None
    return (text or "").strip() or (_text_of(value) or "").strip()


def enum_options(items: JsonValue) -> tuple[EnumOption, ...]:
    """Return the options of ``data_options.items`` with unique values and labels.

    Values must be scalars; a value seen before (``1``, ``1.0`` and ``"1"`` are the
    same) is skipped. A repeated label gets `` (<value>)`` appended; an option whose
    label stays empty or repeated is skipped.
    """
    options: list[EnumOption] = []
    values: set[str] = set()
    labels: set[str] = set()
    for value, label in _enum_pairs(items):
        key = _match_key(value)
        if value is None or isinstance(value, (dict, list)) or key in values:
            continue
        text = _label(label, value)
        if text in labels:
            text = f"{text} ({_text_of(value)})"
        if not text or text in labels:
            continue
        values.add(key)
        labels.add(text)
        options.append(EnumOption(value=value, label=text))
    return tuple(options)


def _limits(options: Mapping[str, JsonValue]) -> tuple[float | None, float | None]:
    """Return the model's (min, max), swapped when reversed."""
    low = _finite_number(options.get("min"))
    high = _finite_number(options.get("max"))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return low, high


def _number_limits(
    options: Mapping[str, JsonValue],
    unit: str | None,
    value: JsonValue,
    precision: int | None,
    writable: bool,
) -> tuple[float | None, float | None, float | None]:
    """Return (min, max, step); a writable number always gets all three."""
    low, high = _limits(options)
    step = _finite_number(options.get("step"))
    if step is not None and step <= 0:
        step = None
    if not writable:
        return low, high, step
    default_low, default_high = _UNIT_RANGES.get(unit or "", (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE))
    if low is None:
        low = default_low if high is None or default_low <= high else high
    if high is None:
        high = default_high if default_high >= low else low
    if step is None:
        current = _finite_number(value)
        if precision is not None:
            step = 10.0**-precision
        elif current is None or current.is_integer():
            step = DEFAULT_STEP
        else:
            step = DEFAULT_FRACTIONAL_STEP
    return low, high, step


class _Details(TypedDict, total=False):
    """The fields of an ``AttributeSpec`` that depend on its value type."""

    native_unit: str | None
    device_class: str | None
    state_class: str | None
    precision: int | None
    min_value: float | None
    max_value: float | None
    step: float | None
    on_text: str | None
    off_text: str | None
    boolean_as_number: bool
    max_length: int


@dataclass(frozen=True, slots=True)
class _Subject:
    """What the per-type describers look at."""

    identifier: str
    name: str
    platform: Platform
    value: JsonValue
    options: Mapping[str, JsonValue]


def describe_attribute(
    identifier: str,
    value: JsonValue,
    model: AttributeModel | None,
    *,
    attr_type: str | None = None,
    data_type: str | None = None,
) -> AttributeSpec:
    """Describe an attribute for Home Assistant; never raises.

    ``attr_type`` and ``data_type`` (an attribute item's own fields) take precedence
    over the model's.
    """
    attr_type = attr_type or (model.attr_type if model else None) or None
    data_type = data_type or (model.data_type if model else None) or None
    options = model.data_options if model else {}
    access = parse_access(attr_type)
    canonical = parse_data_type(data_type)
    items = enum_options(options.get("items")) if canonical == "enum" else ()
    if canonical is None:
        value_type = value_type_of(value)
    elif canonical == "enum" and not items:
        value_type = ValueType.TEXT
    else:
        value_type = _DATA_TYPE_ALIASES[canonical][0]
    writable = canonical is not None and access is not Access.READ_ONLY
    subject = _Subject(
        identifier=identifier,
        name=((model.name or "").strip() if model else "") or identifier,
        platform=_PLATFORMS[value_type][writable],
        value=value,
        options=options,
    )
    return AttributeSpec(
        identifier=identifier,
        name=subject.name,
        access=access,
        value_type=value_type,
        platform=subject.platform,
        options=items,
        data_type=data_type,
        attr_type=attr_type,
        **_DESCRIBERS[value_type](subject),
    )


def describe_api_attribute(attribute: Attribute) -> AttributeSpec:
    """Describe an ``Attribute`` of ``GET device/<id>/attributes``."""
    return describe_attribute(
        attribute.identifier,
        attribute.value,
        attribute.model,
        attr_type=attribute.attr_type,
        data_type=attribute.data_type,
    )


def _number_details(subject: _Subject) -> _Details:
    raw_unit = subject.options.get("unit")
    unit = map_unit(raw_unit)
    precision = _precision(subject.options.get("precision"))
    writable = subject.platform is Platform.NUMBER
    low, high, step = _number_limits(subject.options, unit, subject.value, precision, writable)
    texts = (subject.identifier, subject.name, raw_unit if isinstance(raw_unit, str) else None)
    if writable:
        sensor_class = _device_class(unit, _number_units, *texts)
        device_class: str | None = sensor_class and NumberDeviceClass(sensor_class.value)
        state_class = None
    else:
        device_class = sensor_class = _device_class(unit, _sensor_units, *texts)
        state_class = _state_class(sensor_class)
    return _Details(
        native_unit=unit,
        device_class=device_class,
        state_class=state_class,
        precision=precision,
        min_value=low,
        max_value=high,
        step=step,
    )


def _boolean_details(subject: _Subject) -> _Details:
    hinted = _BINARY_SENSOR_HINTS.match(subject.identifier, subject.name)
    value = subject.value
    return _Details(
        device_class=hinted[0] if hinted and subject.platform is Platform.BINARY_SENSOR else None,
        on_text=_text_option(subject.options.get("on_text")),
        off_text=_text_option(subject.options.get("off_text")),
        boolean_as_number=isinstance(value, int) and not isinstance(value, bool),
    )


def _enum_details(subject: _Subject) -> _Details:
    if subject.platform is Platform.SENSOR:
        return _Details(device_class=SensorDeviceClass.ENUM)
    return _Details()


def _text_details(subject: _Subject) -> _Details:
    limit = _finite_number(subject.options.get("max_length"))
    if limit is None or not limit.is_integer() or limit < 1:
        return _Details()
    return _Details(max_length=int(min(limit, MAX_TEXT_LENGTH)))


def _no_details(subject: _Subject) -> _Details:
    return _Details()


_DESCRIBERS: Final[dict[ValueType, Callable[[_Subject], _Details]]] = {
    ValueType.NUMBER: _number_details,
    ValueType.BOOLEAN: _boolean_details,
    ValueType.ENUM: _enum_details,
    ValueType.TEXT: _text_details,
    ValueType.COMPLEX: _no_details,
}

__all__ = [
    "DEFAULT_FRACTIONAL_STEP",
    "DEFAULT_MAX_VALUE",
    "DEFAULT_MIN_VALUE",
    "DEFAULT_STEP",
    "MAX_TEXT_LENGTH",
    "Access",
    "AttributeSpec",
    "EnumOption",
    "ValueType",
    "describe_api_attribute",
    "describe_attribute",
    "enum_options",
    "map_unit",
    "parse_access",
    "parse_data_type",
    "value_type_of",
]
