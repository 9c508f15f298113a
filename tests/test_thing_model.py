"""Tests of the thing-model mapping (pure functions, no Home Assistant instance)."""

import math
from typing import Any

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.number.const import NumberDeviceClass
from homeassistant.components.sensor.const import (
    DEVICE_CLASS_STATE_CLASSES,
    DEVICE_CLASS_UNITS,
    SensorDeviceClass,
    SensorStateClass,
)
from homeassistant.const import Platform
import pytest

from custom_components.thingscloud.api.models import Attribute, AttributeModel, JsonValue
from custom_components.thingscloud.thing_model import (
    DEFAULT_MAX_VALUE,
    DEFAULT_MIN_VALUE,
    MAX_TEXT_LENGTH,
    Access,
    AttributeSpec,
    EnumOption,
    ValueType,
    describe_api_attribute,
    describe_attribute,
    enum_options,
    map_unit,
    parse_access,
    parse_data_type,
    value_type_of,
)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package-wide fixture: these tests need no hass instance."""
    return


def model(
    data_type: str | None = None,
    attr_type: str | None = "report",
    name: str | None = None,
    **data_options: Any,
) -> AttributeModel:
    """Build an attribute model the way the client does."""
    fields = {"data_type": data_type, "attr_type": attr_type, "name": name}
    raw: dict[str, Any] = {key: value for key, value in fields.items() if value is not None}
    return AttributeModel.from_api({**raw, "data_options": data_options})


def describe(
    identifier: str = "attr",
    value: JsonValue = None,
    data_type: str | None = None,
    attr_type: str | None = "report",
    name: str | None = None,
    **data_options: Any,
) -> AttributeSpec:
    """Describe an attribute with a model."""
    return describe_attribute(identifier, value, model(data_type, attr_type, name, **data_options))


# --- attr_type -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attr_type", "access"),
    [
        ("report", Access.READ_ONLY),
        ("Report", Access.READ_ONLY),
        (" REPORT ", Access.READ_ONLY),
        ("设备上报", Access.READ_ONLY),
        ("push", Access.DEVICE),
        ("PUSH", Access.DEVICE),
        ("云端下发", Access.DEVICE),
        ("share", Access.DEVICE),
        ("shared", Access.DEVICE),
        ("Shared ", Access.DEVICE),
        ("设备云端共享", Access.DEVICE),
        ("cloud", Access.CLOUD),
        ("Cloud", Access.CLOUD),
        ("云端私有", Access.CLOUD),
        ("readwrite", Access.READ_ONLY),
        ("", Access.READ_ONLY),
        (None, Access.READ_ONLY),
    ],
)
def test_attr_type_access(attr_type: str | None, access: Access) -> None:
    """Every attr_type spelling gives its access; unknown and missing are read-only."""
    assert parse_access(attr_type) is access
    spec = describe(value=1, data_type="number", attr_type=attr_type)
    assert spec.access is access
    assert spec.attr_type == (attr_type or None)
    assert spec.platform is (Platform.SENSOR if access is Access.READ_ONLY else Platform.NUMBER)
    assert spec.writable is (access is not Access.READ_ONLY)


# --- data_type -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data_type", "canonical"),
    [
        *[(alias, "number") for alias in ("number", "int", "integer", "float", "double")],
        *[(alias, "number") for alias in ("数值", "数字", "Number", " NUMBER ", "Integer")],
        *[(alias, "boolean") for alias in ("boolean", "bool", "switch", "布尔", "开关", "BOOL")],
        *[(alias, "string") for alias in ("string", "text", "字符串", "文本", "String")],
        *[(alias, "enum") for alias in ("enum", "枚举", "ENUM")],
        *[(alias, "json") for alias in ("json", "object", "JSON 对象", "JSON", "Object")],
        *[(alias, "array") for alias in ("array", "list", "数组", "Array")],
        *[(alias, "location") for alias in ("location", "map_point", "位置", "地理位置")],
        *[(alias, "location") for alias in ("Map_Point", "map-point", "MAP POINT")],
        ("binary", None),
        ("", None),
        (None, None),
    ],
)
def test_data_type_aliases(data_type: str | None, canonical: str | None) -> None:
    """Every data_type spelling is recognised; anything else is unknown."""
    assert parse_data_type(data_type) == canonical


_WRITABLE = ("push", "cloud")


@pytest.mark.parametrize(
    ("data_type", "value", "value_type", "read_platform", "write_platform"),
    [
        ("number", 21.5, ValueType.NUMBER, Platform.SENSOR, Platform.NUMBER),
        ("boolean", True, ValueType.BOOLEAN, Platform.BINARY_SENSOR, Platform.SWITCH),
        ("string", "hello", ValueType.TEXT, Platform.SENSOR, Platform.TEXT),
        ("json", {"a": 1}, ValueType.COMPLEX, Platform.SENSOR, Platform.SENSOR),
        ("array", [1, 2], ValueType.COMPLEX, Platform.SENSOR, Platform.SENSOR),
        ("location", {"lat": 1, "lng": 2}, ValueType.COMPLEX, Platform.SENSOR, Platform.SENSOR),
        # The model wins over the value.
        ("number", "42", ValueType.NUMBER, Platform.SENSOR, Platform.NUMBER),
        ("string", 42, ValueType.TEXT, Platform.SENSOR, Platform.TEXT),
        ("boolean", 1, ValueType.BOOLEAN, Platform.BINARY_SENSOR, Platform.SWITCH),
        ("json", "text", ValueType.COMPLEX, Platform.SENSOR, Platform.SENSOR),
    ],
)
def test_platform_by_data_type_and_access(
    data_type: str,
    value: JsonValue,
    value_type: ValueType,
    read_platform: Platform,
    write_platform: Platform,
) -> None:
    """Read-only and writable attributes of each data type land on their platform."""
    spec = describe(value=value, data_type=data_type)
    assert (spec.value_type, spec.platform, spec.writable) == (
        value_type,
        read_platform,
        False,
    )
    assert spec.data_type == data_type
    for attr_type in _WRITABLE:
        spec = describe(value=value, data_type=data_type, attr_type=attr_type)
        assert (spec.value_type, spec.platform) == (value_type, write_platform)
        assert spec.access is parse_access(attr_type)
        assert spec.writable is (write_platform is not Platform.SENSOR)


@pytest.mark.parametrize("attr_type", ["report", "push", "cloud"])
def test_enum_platform(attr_type: str) -> None:
    """A read-only enum is an enum sensor, a writable one a select."""
    spec = describe(value=1, data_type="enum", attr_type=attr_type, items={"1": "Low"})
    assert spec.value_type is ValueType.ENUM
    if attr_type == "report":
        assert spec.platform is Platform.SENSOR
        assert spec.device_class == SensorDeviceClass.ENUM
    else:
        assert spec.platform is Platform.SELECT
        assert spec.device_class is None
    assert spec.option_labels == ["Low"]


@pytest.mark.parametrize(
    ("value", "value_type", "platform"),
    [
        (True, ValueType.BOOLEAN, Platform.BINARY_SENSOR),
        (False, ValueType.BOOLEAN, Platform.BINARY_SENSOR),
        (3, ValueType.NUMBER, Platform.SENSOR),
        (2.5, ValueType.NUMBER, Platform.SENSOR),
        ("12", ValueType.TEXT, Platform.SENSOR),
        ("on", ValueType.TEXT, Platform.SENSOR),
        ({"a": 1}, ValueType.COMPLEX, Platform.SENSOR),
        ([1, 2, 3], ValueType.COMPLEX, Platform.SENSOR),
        (None, ValueType.TEXT, Platform.SENSOR),
    ],
)
def test_value_driven_fallback(value: JsonValue, value_type: ValueType, platform: Platform) -> None:
    """Without a model, or with an unknown data type, the value decides; never writable."""
    assert value_type_of(value) is value_type
    bare = describe_attribute("thing", value, None)
    assert (bare.value_type, bare.platform, bare.access) == (value_type, platform, Access.READ_ONLY)
    assert bare.name == "thing"
    assert (bare.data_type, bare.attr_type) == (None, None)
    # A writable attr_type with an unknown or missing data type keeps its access but the
    # entity stays read-only: the value type is a guess.
    for data_type in ("float64", None):
        guessed = describe("thing", value, data_type, "push")
        assert (guessed.value_type, guessed.platform) == (value_type, platform)
        assert guessed.access is Access.DEVICE
        assert not guessed.writable


def test_fallback_number_is_a_measurement() -> None:
    """A bare number is a measurement sensor without a unit."""
    spec = describe_attribute("count", 7, None)
    assert (spec.native_unit, spec.device_class) == (None, None)
    assert spec.state_class == SensorStateClass.MEASUREMENT
    assert spec.native_value(7) == 7


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("温度", "温度"),
        ("  Temperature ", "Temperature"),
        ("", "temp"),
        ("   ", "temp"),
        (None, "temp"),
    ],
)
def test_name_from_model(name: str | None, expected: str) -> None:
    """The model name (trimmed) names the entity; the identifier otherwise."""
    assert describe("temp", 1, "number", name=name).name == expected


def test_item_fields_override_the_model() -> None:
    """An attribute item's own attr_type/data_type win over its model's."""
    attribute = Attribute.from_api(
        {
            "identifier": "mode",
            "value": "1",
            "attr_type": "cloud",
            "data_type": "number",
            "model": {"name": "Mode", "attr_type": "report", "data_type": "string"},
        }
    )
    spec = describe_api_attribute(attribute)
    assert (spec.identifier, spec.name) == ("mode", "Mode")
    assert (spec.access, spec.value_type, spec.platform) == (
        Access.CLOUD,
        ValueType.NUMBER,
        Platform.NUMBER,
    )
    assert spec.native_value(attribute.value) == 1

    no_model = describe_api_attribute(
        Attribute.from_api({"identifier": "x", "value": 1, "data_type": "boolean"})
    )
    assert (no_model.value_type, no_model.platform) == (ValueType.BOOLEAN, Platform.BINARY_SENSOR)


# --- units ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        *[(u, "°C") for u in ("°C", "℃", "C", "c", "°c", "摄氏度", " ℃ ", "celsius")],
        *[(u, "°F") for u in ("°F", "℉", "华氏度", "°f")],
        *[(u, "%") for u in ("%", "\uff05", "百分比", "%RH", "percent")],
        *[(u, "Pa") for u in ("Pa", "帕", "PA")],
        *[(u, "hPa") for u in ("hPa", "百帕", "HPA", "hpa")],
        *[(u, "kPa") for u in ("kPa", "千帕", "KPA")],
        *[(u, "MPa") for u in ("MPa", "兆帕", "MPA")],
        ("bar", "bar"),
        *[(u, "V") for u in ("V", "v", "伏", "伏特")],
        *[(u, "mV") for u in ("mV", "毫伏")],
        ("MV", "MV"),
        *[(u, "A") for u in ("A", "安", "安培")],
        *[(u, "mA") for u in ("mA", "毫安")],
        *[(u, "W") for u in ("W", "w", "瓦", "瓦特")],
        *[(u, "kW") for u in ("kW", "KW", "千瓦")],
        *[(u, "kWh") for u in ("kWh", "KWH", "kwh", "度", "千瓦时", "kW·h")],
        *[(u, "Wh") for u in ("Wh", "瓦时")],
        ("MWh", "MWh"),
        ("mWh", "mWh"),
        ("mwh", "mwh"),  # mWh or MWh: too ambiguous to guess, kept verbatim
        *[(u, "Hz") for u in ("Hz", "hz", "HZ", "赫兹")],
        *[(u, "lx") for u in ("lx", "勒克斯", "lux", "LUX")],
        *[(u, "dB") for u in ("dB", "db", "分贝")],
        *[(u, "dBm") for u in ("dBm", "dbm", "DBM")],
        *[(u, "ppm") for u in ("ppm", "PPM")],
        *[(u, "μg/m³") for u in ("μg/m³", "µg/m³", "ug/m3", "UG/M3", "ug/m³", "μg/m3")],
        *[(u, "μg/m³") for u in ("微克/立方米", "ug / m3")],
        *[(u, "mg/m³") for u in ("mg/m3", "毫克/立方米")],
        *[(u, "m") for u in ("m", "米")],
        *[(u, "cm") for u in ("cm", "厘米")],
        *[(u, "mm") for u in ("mm", "毫米")],
        *[(u, "km") for u in ("km", "千米", "公里", "KM")],
        *[(u, "kg") for u in ("kg", "千克", "公斤", "KG")],
        *[(u, "g") for u in ("g", "克")],
        *[(u, "L") for u in ("L", "l", "升")],
        *[(u, "mL") for u in ("mL", "ml", "毫升")],
        *[(u, "m³") for u in ("m³", "m3", "立方米")],
        *[(u, "s") for u in ("s", "秒", "sec")],
        *[(u, "min") for u in ("min", "分钟")],
        *[(u, "h") for u in ("h", "小时")],
        *[(u, "m/s") for u in ("m/s", "米/秒")],
        *[(u, "km/h") for u in ("km/h", "千米/小时", "公里/小时", "KM/H", "km / h")],
        *[(u, "rpm") for u in ("rpm", "RPM", "r/min", "转/分")],
        ("gal", "gal"),  # any Home Assistant unit spells itself
        ("widgets", "widgets"),
        (" 个 ", "个"),
        ("", None),
        ("   ", None),
        (None, None),
        (12, None),
        (["°C"], None),
        ({"symbol": "℃", "name": "摄氏度"}, "°C"),
        ({"name": "千帕"}, "kPa"),
        ({"other": "x"}, None),
    ],
)
def test_map_unit(unit: object, expected: str | None) -> None:
    """Model units map to Home Assistant units; unknown ones are kept verbatim."""
    mapped = map_unit(unit)
    assert mapped == expected
    assert mapped is None or type(mapped) is str


# (identifier, model name, unit) -> (HA unit, device class, state class)
_NUMBER_SENSORS: list[tuple[str, str | None, str | None, str | None, str | None, str | None]] = [
    ("temperature", None, "℃", "°C", "temperature", "measurement"),
    ("t1", "温度", "°F", "°F", "temperature", "measurement"),
    ("level", None, "%", "%", None, "measurement"),
    ("humidity", None, "%", "%", "humidity", "measurement"),
    ("h1", "湿度", "%", "%", "humidity", "measurement"),
    ("x", None, "%RH", "%", "humidity", "measurement"),
    ("soil_humidity", None, "%", "%", "moisture", "measurement"),
    ("s1", "土壤湿度", "%", "%", "moisture", "measurement"),
    ("batteryLevel", None, "%", "%", "battery", "measurement"),
    ("b1", "电量", "%", "%", "battery", "measurement"),
    ("battery_voltage", None, "V", "V", "voltage", "measurement"),
    ("powerFactor", None, "%", "%", "power_factor", "measurement"),
    ("pf", None, None, None, "power_factor", "measurement"),
    ("kwh_total", "用电量", "度", "kWh", "energy", "total_increasing"),
    ("co2", None, "ppm", "ppm", "carbon_dioxide", "measurement"),
    ("c1", "二氧化碳", "ppm", "ppm", "carbon_dioxide", "measurement"),
    ("co", None, "ppm", "ppm", "carbon_monoxide", "measurement"),
    ("count", None, "ppm", "ppm", None, "measurement"),
    ("pm25", None, "ug/m3", "μg/m³", "pm25", "measurement"),
    ("PM2.5", None, "μg/m³", "μg/m³", "pm25", "measurement"),
    ("pm2_5", None, "μg/m³", "μg/m³", "pm25", "measurement"),
    ("PM25Value", None, "μg/m³", "μg/m³", "pm25", "measurement"),
    ("pm10", None, "μg/m³", "μg/m³", "pm10", "measurement"),
    ("pm1.0", None, "μg/m³", "μg/m³", "pm1", "measurement"),
    ("dust", None, "μg/m³", "μg/m³", None, "measurement"),
    ("pm25", None, "ppm", "ppm", None, "measurement"),
    ("tvoc", None, "ppb", "ppb", "volatile_organic_compounds_parts", "measurement"),
    ("tvoc", None, "mg/m3", "mg/m³", "volatile_organic_compounds", "measurement"),
    ("pressure", None, "hPa", "hPa", "pressure", "measurement"),
    ("baro", None, "百帕", "hPa", "atmospheric_pressure", "measurement"),
    ("p1", "大气压", "kPa", "kPa", "atmospheric_pressure", "measurement"),
    ("pipe", None, "MPa", "MPa", None, "measurement"),
    ("u", None, "伏", "V", "voltage", "measurement"),
    ("i", None, "毫安", "mA", "current", "measurement"),
    ("p", None, "千瓦", "kW", "power", "measurement"),
    ("e", None, "Wh", "Wh", "energy", "total_increasing"),
    ("f", None, "赫兹", "Hz", "frequency", "measurement"),
    ("light", None, "勒克斯", "lx", "illuminance", "measurement"),
    ("wifi", None, "dBm", "dBm", "signal_strength", "measurement"),
    ("noise", None, "分贝", "dB", "sound_pressure", "measurement"),
    ("rssi", None, "dB", "dB", "signal_strength", "measurement"),
    ("gain", None, "dB", "dB", None, "measurement"),
    ("distance", None, "米", "m", "distance", "measurement"),
    ("w1", "水位", "cm", "cm", "distance", "measurement"),
    ("offset", None, "m", "m", None, "measurement"),
    ("runtime", None, "秒", "s", "duration", "measurement"),
    ("t2", "运行时长", "小时", "h", "duration", "measurement"),
    ("period", None, "s", "s", None, "measurement"),
    ("rain", None, "mm", "mm", "precipitation", "measurement"),
    ("rain_rate", None, "mm/h", "mm/h", "precipitation_intensity", "measurement"),
    ("windSpeed", None, "m/s", "m/s", "wind_speed", "measurement"),
    ("f2", "风速", "km/h", "km/h", "wind_speed", "measurement"),
    ("speed", None, "km/h", "km/h", "speed", "measurement"),
    ("wind_direction", None, "°", "°", "wind_direction", "measurement_angle"),
    ("angle", None, "°", "°", None, "measurement"),
    ("water_total", None, "m3", "m³", "water", "total_increasing"),
    ("gas", None, "立方米", "m³", "gas", "total_increasing"),
    ("tank", None, "L", "L", "volume_storage", "measurement"),
    ("volume", None, "L", "L", None, "measurement"),
    ("flow", None, "m³/h", "m³/h", "volume_flow_rate", "measurement"),
    ("weight", None, "公斤", "kg", "weight", "measurement"),
    ("radiation", None, "W/m2", "W/m²", "irradiance", "measurement"),
    ("ec", None, "uS/cm", "μS/cm", "conductivity", "measurement"),
    ("ph", None, None, None, "ph", "measurement"),
    ("p2", "酸碱度", None, None, "ph", "measurement"),
    ("aqi", None, None, None, "aqi", "measurement"),
    ("temperature", None, None, None, None, "measurement"),
    ("temperature", None, "%", "%", None, "measurement"),
    ("fan", None, "rpm", "rpm", None, "measurement"),
    ("x", None, "widgets", "widgets", None, "measurement"),
    ("colour", None, "ppm", "ppm", None, "measurement"),  # "co" is a whole word only
]


type _NumberCase = tuple[str, str | None, str | None, str | None, str | None, str | None]


@pytest.mark.parametrize("case", _NUMBER_SENSORS, ids=lambda case: f"{case[0]}-{case[2]}")
def test_number_sensor_unit_and_classes(case: _NumberCase) -> None:
    """Units map, and a device class is set only where HA accepts the unit for it."""
    identifier, name, unit, ha_unit, device_class, state_class = case
    options = {"unit": unit} if unit is not None else {}
    spec = describe(identifier, 1, "number", name=name, **options)
    assert spec.platform is Platform.SENSOR
    assert (spec.native_unit, spec.device_class, spec.state_class) == (
        ha_unit,
        device_class,
        state_class,
    )
    if device_class is not None:
        sensor_class = SensorDeviceClass(device_class)
        assert ha_unit in DEVICE_CLASS_UNITS[sensor_class]
        assert SensorStateClass(str(state_class)) in DEVICE_CLASS_STATE_CLASSES[sensor_class]


@pytest.mark.parametrize("case", _NUMBER_SENSORS, ids=lambda case: f"{case[0]}-{case[2]}")
def test_writable_number_classes(case: _NumberCase) -> None:
    """A writable number gets the number twin of the device class and no state class."""
    identifier, name, unit, ha_unit, device_class, _ = case
    options = {"unit": unit} if unit is not None else {}
    spec = describe(identifier, 1, "number", "cloud", name=name, **options)
    assert spec.platform is Platform.NUMBER
    assert spec.native_unit == ha_unit
    assert spec.state_class is None
    if device_class is None:
        assert spec.device_class is None
    else:
        assert spec.device_class is NumberDeviceClass(device_class)


_HINT_WORDS = (
    "x", "humidity", "battery", "soil", "co2", "co", "tvoc", "pm25", "pm10", "pm1", "no2",
    "o3", "so2", "baro", "wind", "noise", "rssi", "rain", "distance", "runtime", "tank",
    "water", "gas", "ph", "aqi", "pf", "湿度", "电量", "水位", "风向",
)  # fmt: skip


def test_device_class_always_accepts_the_unit() -> None:
    """No combination of unit and hint yields a class that HA rejects for that unit."""
    from custom_components.thingscloud import thing_model

    units = {None, *thing_model._UNITS_EXACT}
    classes: set[SensorDeviceClass] = set()
    for unit in units:
        for word in _HINT_WORDS:
            options = {"unit": unit} if unit is not None else {}
            spec = describe(word, 1, "number", **options)
            if spec.device_class is not None:
                sensor_class = SensorDeviceClass(spec.device_class)
                classes.add(sensor_class)
                assert spec.native_unit in DEVICE_CLASS_UNITS[sensor_class], (unit, word)
                assert spec.state_class in DEVICE_CLASS_STATE_CLASSES[sensor_class]
    assert len(classes) >= 40  # the sweep did exercise the class tables


# --- number options ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("precision", "expected"),
    [
        (0, 0),
        (2, 2),
        (6, 6),
        (2.0, 2),
        ("3", 3),
        (" 1 ", 1),
        (2.5, None),
        (-1, None),
        (7, None),
        (True, None),
        ("two", None),
        (None, None),
        ([2], None),
    ],
)
def test_precision(precision: object, expected: int | None) -> None:
    """The display precision is an integer 0..6; anything else is ignored."""
    assert describe(value=1.5, data_type="number", precision=precision).precision == expected


@pytest.mark.parametrize(
    ("options", "value", "expected"),
    [
        ({"min": 10, "max": 30, "step": 0.5}, 20, (10.0, 30.0, 0.5)),
        ({"min": "10", "max": "30", "step": "2"}, 20, (10.0, 30.0, 2.0)),
        ({}, 20, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 1.0)),
        ({"unit": "%"}, 20, (0.0, 100.0, 1.0)),
        ({"unit": "百分比", "max": 50}, 20, (0.0, 50.0, 1.0)),
        ({"min": 5}, 20, (5.0, DEFAULT_MAX_VALUE, 1.0)),
        ({"max": 50}, 20, (DEFAULT_MIN_VALUE, 50.0, 1.0)),
        ({"max": -2e6}, 20, (-2e6, -2e6, 1.0)),
        ({"min": 2e6}, 20, (2e6, 2e6, 1.0)),
        ({"min": 30, "max": 10}, 20, (10.0, 30.0, 1.0)),
        ({"min": 1, "max": 1}, 1, (1.0, 1.0, 1.0)),
        ({"step": 0}, 20, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 1.0)),
        ({"step": -1}, 20, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 1.0)),
        ({"step": "fast"}, 20, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 1.0)),
        ({"min": "low", "max": [1], "step": True}, 20, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 1.0)),
        ({"min": "nan", "max": "inf"}, 20, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 1.0)),
        ({"precision": 1}, 20, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 0.1)),
        ({"precision": 2, "step": 0.5}, 20, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 0.5)),
        ({}, 21.5, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 0.01)),
        ({}, "21.5", (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 0.01)),
        ({}, 21.0, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 1.0)),
        ({}, None, (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 1.0)),
    ],
)
def test_writable_number_limits(
    options: dict[str, Any], value: JsonValue, expected: tuple[float, float, float]
) -> None:
    """A writable number always has a range and a step, from the model or defaults."""
    spec = describe(value=value, data_type="number", attr_type="cloud", **options)
    assert spec.platform is Platform.NUMBER
    assert (spec.min_value, spec.max_value, spec.step) == pytest.approx(expected)
    assert spec.min_value is not None
    assert spec.max_value is not None
    assert spec.min_value <= spec.max_value


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, (None, None, None)),
        ({"min": 0, "max": 100, "step": 5}, (0.0, 100.0, 5.0)),
        ({"min": 100, "max": 0, "step": -5}, (0.0, 100.0, None)),
        ({"precision": 2}, (None, None, None)),
    ],
)
def test_read_only_number_keeps_model_limits(
    options: dict[str, Any], expected: tuple[float | None, ...]
) -> None:
    """A read-only number reports the model's limits, without invented defaults."""
    spec = describe(value=1, data_type="number", **options)
    assert (spec.min_value, spec.max_value, spec.step) == expected


# --- enums ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            [{"value": 0, "label": "Off"}, {"value": 1, "label": "On"}],
            ((0, "Off"), (1, "On")),
        ),
        ({"0": "关闭", "1": "低速", "-2": "反转"}, ((0, "关闭"), (1, "低速"), (-2, "反转"))),
        ({"auto": "Auto", "1.5": "One and a half"}, (("auto", "Auto"), ("1.5", "One and a half"))),
        (["low", "high"], (("low", "low"), ("high", "high"))),
        ([[1, "One"], [2, "Two"], [3]], ((1, "One"), (2, "Two"))),
        (
            [{"value": "a", "name": "Alpha"}, {"value": "b", "text": " Beta "}],
            (("a", "Alpha"), ("b", "Beta")),
        ),
        (
            [{"value": 1}, {"value": 2, "label": ""}, {"value": 3, "label": 3}],
            ((1, "1"), (2, "2"), (3, "3")),
        ),
        (
            [{"value": 1, "label": "Low"}, {"value": 2, "label": "Low"}],
            ((1, "Low"), (2, "Low (2)")),
        ),
        (
            [
                {"value": 1, "label": "A"},
                {"value": 2, "label": "A"},
                {"value": 3, "label": "A (2)"},
            ],
            ((1, "A"), (2, "A (2)"), (3, "A (2) (3)")),
        ),
        (
            [
                {"value": 1, "label": "A"},
                {"value": 2, "label": "A (x)"},
                {"value": "x", "label": "A"},
            ],
            ((1, "A"), (2, "A (x)")),
        ),
        ({"": "", " ": "  ", "1": ""}, ((1, "1"),)),
        (
            [
                {"value": 1, "label": "A"},
                {"value": "1", "label": "B"},
                {"value": 1.0, "label": "C"},
            ],
            ((1, "A"),),
        ),
        ([{"label": "no value"}, {"value": None, "label": "null"}, None, {"value": {"a": 1}}], ()),
        ([{"value": [1], "label": "list"}, {"value": True, "label": "yes"}], ((True, "yes"),)),
        ([{"value": 1, "label": {"en": "One"}}], ((1, "1"),)),
        ('[{"value": 1, "label": "One"}]', ((1, "One"),)),
        ('{"1": "One"}', ((1, "One"),)),
        ("not json", ()),
        ("[broken", ()),
        ([], ()),
        ({}, ()),
        (None, ()),
        (42, ()),
    ],
)
def test_enum_options(items: JsonValue, expected: tuple[tuple[JsonValue, str], ...]) -> None:
    """Both item shapes are read; values and labels come out unique."""
    options = enum_options(items)
    assert tuple((option.value, option.label) for option in options) == expected
    assert all(
        type(option.value) is type(value)
        for option, (value, _) in zip(options, expected, strict=True)
    )


@pytest.mark.parametrize("items", [None, [], {}, "", [{"label": "x"}], "nope"])
@pytest.mark.parametrize("attr_type", ["report", "cloud"])
def test_enum_without_items_is_text(items: JsonValue, attr_type: str) -> None:
    """An enum without usable items is text (sensor or text entity)."""
    options: dict[str, Any] = {"items": items} if items is not None else {}
    spec = describe(value="x", data_type="枚举", attr_type=attr_type, **options)
    assert spec.value_type is ValueType.TEXT
    assert spec.platform is (Platform.SENSOR if attr_type == "report" else Platform.TEXT)
    assert spec.options == ()
    assert spec.native_value("x") == "x"


def test_options_only_on_enums() -> None:
    """Items in the options of another data type are ignored."""
    assert describe(value=1, data_type="number", items={"1": "One"}).options == ()


_MODE_ITEMS = [
    {"value": 0, "label": "Off"},
    {"value": 1, "label": "Low"},
    {"value": 2, "label": "High"},
    {"value": "eco", "label": "Eco"},
]


@pytest.mark.parametrize(
    ("raw", "label"),
    [
        (0, "Off"),
        (1, "Low"),
        ("1", "Low"),
        (1.0, "Low"),
        (" 2 ", "High"),
        ("eco", "Eco"),
        (" eco ", "Eco"),
        (3, None),
        ("ECO", None),
        (True, None),
        (None, None),
        ({"v": 1}, None),
    ],
)
def test_enum_native_value(raw: JsonValue, label: str | None) -> None:
    """An enum state is its option's label; a value outside the options is unknown."""
    spec = describe("mode", raw, "enum", "push", items=_MODE_ITEMS)
    assert spec.native_value(raw) == label
    assert spec.extra_attributes(raw) is None
    if label is not None:
        assert label in spec.option_labels


@pytest.mark.parametrize(
    ("ha_value", "api_value"),
    [("Off", 0), ("Low", 1), ("High", 2), ("Eco", "eco"), (2, 2), ("2", 2), ("eco", "eco")],
)
def test_enum_to_api_value(ha_value: object, api_value: JsonValue) -> None:
    """A select writes its option's value (a label, or an option value itself)."""
    spec = describe("mode", 0, "enum", "push", items=_MODE_ITEMS)
    written = spec.to_api_value(ha_value)
    assert written == api_value
    assert type(written) is type(api_value)


@pytest.mark.parametrize("ha_value", ["Turbo", 7, None, ["Low"]])
def test_enum_to_api_value_rejects_unknown(ha_value: object) -> None:
    """Writing something that is no option raises ValueError."""
    spec = describe("mode", 0, "enum", "push", items=_MODE_ITEMS)
    with pytest.raises(ValueError, match="not an option of mode"):
        spec.to_api_value(ha_value)


def test_enum_round_trip() -> None:
    """Every option's value survives value -> label -> value."""
    spec = describe("mode", 0, "enum", "push", items={"0": "Off", "1": "On", "x": "X"})
    for option in spec.options:
        assert isinstance(option, EnumOption)
        assert spec.to_api_value(spec.native_value(option.value)) == option.value


# --- booleans ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        (1.0, True),
        (0.0, False),
        (2, None),
        (-1, None),
        ("true", True),
        ("FALSE", False),
        (" on ", True),
        ("Off", False),
        ("1", True),
        ("0", False),
        ("yes", True),
        ("no", False),
        ("开", True),
        ("关", False),
        ("Open", True),  # the model's on_text
        ("closed", False),  # the model's off_text
        ("maybe", None),
        ("", None),
        (None, None),
        ([True], None),
        ({"on": True}, None),
    ],
)
def test_boolean_native_value(raw: JsonValue, expected: bool | None) -> None:
    """Booleans accept bools, 0/1, boolean words and the model's on/off text."""
    spec = describe("relay", raw, "bool", on_text="open", off_text=" Closed ")
    assert spec.native_value(raw) is expected
    assert spec.extra_attributes(raw) is None


@pytest.mark.parametrize(
    ("options", "on_text", "off_text"),
    [
        ({"on_text": "开启", "off_text": "关闭"}, "开启", "关闭"),
        ({"on_text": " ", "off_text": 0}, None, None),
        ({"on_text": ["x"], "off_text": None}, None, None),
        ({}, None, None),
    ],
)
def test_boolean_texts(options: dict[str, Any], on_text: str | None, off_text: str | None) -> None:
    """on_text/off_text are kept when they are non-empty strings."""
    spec = describe(value=True, data_type="boolean", **options)
    assert (spec.on_text, spec.off_text) == (on_text, off_text)


@pytest.mark.parametrize(
    ("identifier", "name", "device_class"),
    [
        ("door", None, BinarySensorDeviceClass.DOOR),
        ("d1", "门磁", BinarySensorDeviceClass.DOOR),
        ("frontDoor", None, BinarySensorDeviceClass.DOOR),
        ("window_state", None, BinarySensorDeviceClass.WINDOW),
        ("pir", None, BinarySensorDeviceClass.MOTION),
        ("m1", "人体感应", BinarySensorDeviceClass.MOTION),
        ("presence", None, BinarySensorDeviceClass.OCCUPANCY),
        ("smoke_alarm", None, BinarySensorDeviceClass.SMOKE),
        ("leak", None, BinarySensorDeviceClass.MOISTURE),
        ("w1", "水浸", BinarySensorDeviceClass.MOISTURE),
        ("gas_leak", None, BinarySensorDeviceClass.GAS),
        ("water_leak", None, BinarySensorDeviceClass.MOISTURE),
        ("gas", None, BinarySensorDeviceClass.GAS),
        ("vibration", None, BinarySensorDeviceClass.VIBRATION),
        ("tamper", None, BinarySensorDeviceClass.TAMPER),
        ("fault", None, BinarySensorDeviceClass.PROBLEM),
        ("online", None, BinarySensorDeviceClass.CONNECTIVITY),
        ("relay1", None, None),
        ("indoor", None, None),  # "door" must be a whole word
    ],
)
def test_binary_sensor_device_class(
    identifier: str, name: str | None, device_class: BinarySensorDeviceClass | None
) -> None:
    """Read-only booleans get a device class from identifier/name hints; switches none."""
    spec = describe(identifier, True, "boolean", name=name)
    assert spec.platform is Platform.BINARY_SENSOR
    assert spec.device_class == device_class
    switch = describe(identifier, True, "boolean", "push", name=name)
    assert switch.platform is Platform.SWITCH
    assert switch.device_class is None


@pytest.mark.parametrize(
    ("current", "ha_value", "api_value"),
    [
        (True, True, True),
        (False, False, False),
        (None, True, True),
        ("on", "on", True),
        (1, True, 1),
        (0, False, 0),
        (0, "off", 0),
        (1, 1, 1),
    ],
)
def test_boolean_to_api_value(current: JsonValue, ha_value: object, api_value: JsonValue) -> None:
    """A switch writes a bool, or 0/1 where the attribute holds 0/1."""
    spec = describe("relay", current, "boolean", "push")
    written = spec.to_api_value(ha_value)
    assert written == api_value
    assert type(written) is type(api_value)
    assert spec.native_value(written) is bool(api_value)


@pytest.mark.parametrize("ha_value", ["maybe", 2, None, [True]])
def test_boolean_to_api_value_rejects(ha_value: object) -> None:
    """A non-boolean cannot be written to a switch."""
    with pytest.raises(ValueError, match="is not a boolean"):
        describe("relay", True, "boolean", "push").to_api_value(ha_value)


# --- numbers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (5, 5),
        (-3, -3),
        (5.5, 5.5),
        ("5", 5),
        (" -5 ", -5),
        ("5.50", 5.5),
        ("1e3", 1000.0),
        ("abc", None),
        ("", None),
        (None, None),
        (True, None),
        (math.nan, None),
        (math.inf, None),
        ("inf", None),
        ([1], None),
        ({"v": 1}, None),
    ],
)
def test_number_native_value(raw: JsonValue, expected: float | None) -> None:
    """Numbers and numeric strings become numbers; anything else is unknown."""
    spec = describe("n", raw, "number")
    value = spec.native_value(raw)
    assert value == expected
    assert type(value) is type(expected)
    assert spec.extra_attributes(raw) is None


@pytest.mark.parametrize(
    ("options", "ha_value", "api_value"),
    [
        ({}, 21.0, 21),
        ({}, 21, 21),
        ({"step": 1}, 21.5, 21.5),
        ({"step": 0.5}, 21.0, 21.0),
        ({"step": 0.5}, 21.5, 21.5),
        ({"step": 0.1}, 0.1 + 0.2, 0.3),
        ({"precision": 1}, 20.0, 20.0),
        ({}, "7", 7),
        ({}, " 7.25 ", 7.25),
    ],
)
def test_number_to_api_value(options: dict[str, Any], ha_value: object, api_value: float) -> None:
    """A number is written as an int when its step and value are whole, else a float."""
    spec = describe("n", 1, "number", "cloud", **options)
    written = spec.to_api_value(ha_value)
    assert written == api_value
    assert type(written) is type(api_value)


def test_read_only_number_to_api_value() -> None:
    """Without a step (a sensor), whole values are still written as integers."""
    spec = describe("n", 1, "number")
    assert spec.step is None
    assert spec.to_api_value(3.0) == 3
    assert isinstance(spec.to_api_value(3.0), int)


@pytest.mark.parametrize("ha_value", ["abc", None, True, math.nan, [1]])
def test_number_to_api_value_rejects(ha_value: object) -> None:
    """A non-number cannot be written to a number."""
    with pytest.raises(ValueError, match="is not a number"):
        describe("n", 1, "number", "cloud").to_api_value(ha_value)


# --- text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hello", "hello"),
        ("", ""),
        ("  padded ", "  padded "),
        (12, "12"),
        (1.5, "1.5"),
        (True, "true"),
        (False, "false"),
        ({"b": 1, "a": "é"}, '{"a":"é","b":1}'),
        ([1, 2], "[1,2]"),
        (None, None),
    ],
)
def test_text_native_value(raw: JsonValue, expected: str | None) -> None:
    """Text states are strings; other JSON is shown as text."""
    spec = describe("t", raw, "string")
    assert spec.native_value(raw) == expected
    assert spec.extra_attributes(raw) is None
    assert spec.max_length == MAX_TEXT_LENGTH == 255


def test_text_is_truncated_to_a_valid_state() -> None:
    """Long text is cut to 255 characters, marked with an ellipsis."""
    spec = describe("t", "", "text", "cloud")
    state = spec.native_value("x" * 300)
    assert isinstance(state, str)
    assert len(state) == 255
    assert state.endswith("…")
    assert spec.native_value("y" * 255) == "y" * 255


@pytest.mark.parametrize(
    ("max_length", "expected"),
    [
        (64, 64),
        ("10", 10),
        (1, 1),
        (255, 255),
        (1000, 255),
        (0, 255),
        (-5, 255),
        (10.5, 255),
        ("long", 255),
        (True, 255),
        (None, 255),
    ],
)
def test_text_max_length(max_length: object, expected: int) -> None:
    """data_options.max_length (1..255) bounds a text; the state is cut to it."""
    options: dict[str, Any] = {"max_length": max_length} if max_length is not None else {}
    spec = describe("t", "x", "string", "push", **options)
    assert spec.max_length == expected
    state = spec.native_value("z" * 300)
    assert isinstance(state, str)
    assert len(state) == expected
    assert spec.native_value("z" * expected) == "z" * expected


@pytest.mark.parametrize(
    ("ha_value", "api_value"),
    [("hello", "hello"), ("", ""), (12, "12"), (True, "true"), (None, None)],
)
def test_text_to_api_value(ha_value: object, api_value: JsonValue) -> None:
    """A text entity writes a string."""
    spec = describe("t", "x", "string", "push")
    assert spec.to_api_value(ha_value) == api_value
    assert spec.native_value(spec.to_api_value("round trip")) == "round trip"


# --- complex -------------------------------------------------------------------------


_LONG_OBJECT = {f"key{i}": "v" * 10 for i in range(4)}
_LONG_LIST = list(range(40))


@pytest.mark.parametrize(
    ("data_type", "raw", "state", "attributes"),
    [
        (
            "location",
            {"lat": 31.23, "lng": 121.47},
            "31.23, 121.47",
            {"latitude": 31.23, "longitude": 121.47},
        ),
        (
            "map_point",
            {"Latitude": "0", "Longitude": "0"},
            "0.0, 0.0",
            {"latitude": 0.0, "longitude": 0.0},
        ),
        (
            "location",
            {"latitude": 39.9, "lon": 116.4, "alt": 50},
            "39.9, 116.4",
            {"latitude": 39.9, "longitude": 116.4},
        ),
        ("location", '{"lat": 1.5, "long": 2.5}', "1.5, 2.5", {"latitude": 1.5, "longitude": 2.5}),
        ("location", {"lat": 95, "lng": 10}, '{"lat":95,"lng":10}', {}),
        ("location", {"lat": 10, "lng": 190}, '{"lat":10,"lng":190}', {}),
        ("location", {"lat": "x", "lng": 10}, '{"lat":"x","lng":10}', {}),
        ("location", [121.47, 31.23], "[121.47,31.23]", {}),
        ("location", "121.47,31.23", "121.47,31.23", {}),
        ("json", {"b": 2, "a": 1}, '{"a":1,"b":2}', {}),
        ("json", _LONG_OBJECT, "4 keys", {}),
        ("json", {"only": "v" * 100}, "1 key", {}),
        ("array", [1, 2, 3], "[1,2,3]", {}),
        ("array", _LONG_LIST, "40 items", {}),
        ("list", ["v" * 100], "1 item", {}),
        ("json", "[1, 2]", "[1,2]", {}),
        ("json", "{not json", "{not json", {}),
        ("json", "z" * 300, "z" * 254 + "…", {}),
        ("json", 5, "5", {}),
        ("json", True, "true", {}),
        ("json", None, None, {}),
        (None, {"a": 1}, '{"a":1}', {}),
    ],
)
def test_complex_state_and_attributes(
    data_type: str | None,
    raw: JsonValue,
    state: str | None,
    attributes: dict[str, JsonValue],
) -> None:
    """Complex values get a short state and the full value as attributes."""
    spec = describe("c", raw, data_type, "cloud")
    assert spec.value_type is ValueType.COMPLEX
    assert spec.platform is Platform.SENSOR
    assert not spec.writable
    assert spec.native_value(raw) == state
    assert spec.extra_attributes(raw) == {"value": raw, **attributes}


@pytest.mark.parametrize(
    ("ha_value", "api_value"),
    [
        ({"a": 1}, {"a": 1}),
        ({"a": (1, 2), 3: None}, {"a": [1, 2], "3": None}),
        ('{"a": 1}', {"a": 1}),
        ("[1, 2]", [1, 2]),
        ("plain", "plain"),
        ("{broken", "{broken"),
        (5, 5),
    ],
)
def test_complex_to_api_value(ha_value: object, api_value: JsonValue) -> None:
    """Complex values are written as JSON (JSON text is decoded)."""
    assert describe("c", {}, "json", "cloud").to_api_value(ha_value) == api_value


def test_complex_to_api_value_of_other_objects() -> None:
    """A value that is no JSON is written as its text."""

    class Thing:
        def __str__(self) -> str:
            return "thing"

    assert describe("c", {}, "json", "cloud").to_api_value([Thing()]) == ["thing"]


# --- robustness ----------------------------------------------------------------------

_MALFORMED_OPTIONS: list[dict[str, Any]] = [
    {"unit": 5, "min": "a", "max": None, "step": [], "precision": "x", "items": 3},
    {"unit": {"symbol": None}, "min": True, "max": False, "step": {}, "precision": 1.5},
    {"unit": [], "on_text": 1, "off_text": {}, "items": [1, [2], {"value": 3}, None, "4"]},
    {"min": 1e308, "max": -1e308, "step": 1e-300, "precision": 6, "items": {"": ""}},
    {"items": [{"value": "x", "label": None}, {"value": "y", "label": "x"}]},
]


@pytest.mark.parametrize("options", _MALFORMED_OPTIONS)
@pytest.mark.parametrize(
    "data_type", ["number", "boolean", "string", "enum", "json", "array", "location", "weird", None]
)
def test_malformed_models_never_raise(options: dict[str, Any], data_type: str | None) -> None:
    """Any model with any value describes, and every conversion answers."""
    for attr_type in ("report", "push", "cloud", None):
        values: tuple[JsonValue, ...] = (None, 1, "1", True, {"lat": 1}, [1])
        for value in values:
            _check_invariants(describe("attr", value, data_type, attr_type, **options), value)


def _check_invariants(spec: AttributeSpec, value: JsonValue) -> None:
    """Assert what every platform relies on, for one spec and value."""
    state = spec.native_value(value)
    assert state is None or isinstance(state, (str, int, float, bool))
    if isinstance(state, str):
        assert len(state) <= MAX_TEXT_LENGTH
    if spec.value_type is ValueType.ENUM:
        assert len(set(spec.option_labels)) == len(spec.options)
        assert state is None or state in spec.option_labels
    if spec.platform is Platform.NUMBER:
        assert spec.min_value is not None
        assert spec.max_value is not None
        assert spec.min_value <= spec.max_value
        assert spec.step is not None
        assert spec.step > 0
    if spec.writable and state is not None:
        assert spec.native_value(spec.to_api_value(state)) == state
    attributes = spec.extra_attributes(value)
    if spec.value_type is ValueType.COMPLEX:
        assert attributes is not None
        assert attributes["value"] == value
    else:
        assert attributes is None


def test_enum_with_labels_colliding_after_fallback() -> None:
    """A missing label falls back to the value and still stays unique."""
    spec = describe(
        "e", "x", "enum", items=[{"value": "x", "label": None}, {"value": "y", "label": "x"}]
    )
    assert spec.option_labels == ["x", "x (y)"]
    assert spec.native_value("y") == "x (y)"


def test_data_options_as_json_text() -> None:
    """A model whose data_options arrive as JSON text is read the same way."""
    attribute = AttributeModel.from_api(
        {"data_type": "number", "attr_type": "report", "data_options": '{"unit": "℃"}'}
    )
    spec = describe_attribute("temp", 20, attribute)
    assert (spec.native_unit, spec.device_class) == ("°C", "temperature")
