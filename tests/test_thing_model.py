"""Tests of the thing-model mapping: platforms, units and classes (no hass instance)."""

import ast
from pathlib import Path

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.components.number.const import (
    DEVICE_CLASS_UNITS as NUMBER_DEVICE_CLASS_UNITS,
    NumberDeviceClass,
)
from homeassistant.components.sensor.const import (
    DEVICE_CLASS_STATE_CLASSES,
    DEVICE_CLASS_UNITS,
    SensorDeviceClass,
    SensorStateClass,
)
import homeassistant.const as ha_const
from homeassistant.const import Platform
import pytest

from custom_components.thingscloud import thing_model
from custom_components.thingscloud.api import attributes, vocabulary as vocab
from custom_components.thingscloud.api.attributes import Access, ValueType
from custom_components.thingscloud.api.models import AttributeModel, JsonValue
from custom_components.thingscloud.thing_model import describe_attribute

from .thing_model_helpers import describe


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package-wide fixture: these tests need no hass instance."""
    return


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
    assert attributes._data_type(data_type) == canonical


_WRITABLE = {"push": Access.DEVICE, "cloud": Access.CLOUD}


@pytest.mark.parametrize(
    ("data_type", "value", "value_type", "read_platform", "write_platform"),
    [
        ("number", 21.5, ValueType.NUMBER, Platform.SENSOR, Platform.NUMBER),
        ("boolean", True, ValueType.BOOLEAN, Platform.BINARY_SENSOR, Platform.SWITCH),
        ("string", "hello", ValueType.TEXT, Platform.SENSOR, Platform.TEXT),
        ("json", {"a": 1}, ValueType.COMPLEX, Platform.SENSOR, Platform.SENSOR),
        ("array", [1, 2], ValueType.COMPLEX, Platform.SENSOR, Platform.SENSOR),
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
    for attr_type, access in _WRITABLE.items():
        spec = describe(value=value, data_type=data_type, attr_type=attr_type)
        assert (spec.value_type, spec.platform) == (value_type, write_platform)
        assert spec.access is access
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
    assert attributes._value_type_of(value) is value_type
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


def test_the_effective_model_decides() -> None:
    """The caller passes the effective model: its attr_type/data_type are the item's."""
    effective = AttributeModel(
        name="Mode", attr_type="cloud", data_type="number", data_options={}, raw={}
    )
    spec = describe_attribute("mode", "1", effective)
    assert (spec.identifier, spec.name) == ("mode", "Mode")
    assert (spec.access, spec.value_type, spec.platform) == (
        Access.CLOUD,
        ValueType.NUMBER,
        Platform.NUMBER,
    )
    assert spec.native_value("1") == 1

    item_only = AttributeModel(
        name=None, attr_type=None, data_type="boolean", data_options={}, raw={}
    )
    no_model = describe_attribute("x", 1, item_only)
    assert (no_model.value_type, no_model.platform) == (ValueType.BOOLEAN, Platform.BINARY_SENSOR)
    assert no_model.name == "x"


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
        ("fl.oz.", "fl. oz."),
        ("INHG", "inHg"),  # a unit implying a device class: any case
        ("kb/s", "kb/s"),  # kbit/s or kB/s: case matters, kept verbatim
        ("b/s", "b/s"),
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
    mapped = thing_model._map_unit(unit)
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


# --- energy, gas and water meters ----------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "name", "unit", "ha_unit", "device_class"),
    [
        ("energy", None, "kWh", "kWh", "energy"),
        ("e1", "用电量", "度", "kWh", "energy"),
        ("e2", None, "千瓦时", "kWh", "energy"),
        ("e3", None, "kW·h", "kWh", "energy"),
        ("e4", None, "Wh", "Wh", "energy"),
        ("e5", None, "MWh", "MWh", "energy"),
        ("water", None, "m³", "m³", "water"),
        ("w1", "用水量", "方", "m³", "water"),
        ("w2", "水表读数", "m3", "m³", "water"),
        ("water_total", None, "L", "L", "water"),
        ("w3", "水量", "升", "L", "water"),
        ("gas", None, "方", "m³", "gas"),
        ("g1", "燃气用量", "立方米", "m³", "gas"),
        ("g2", "用气量", "m³", "m³", "gas"),
        ("gasTotal", None, "L", "L", "gas"),
    ],
)
def test_meters_are_total_increasing(
    identifier: str, name: str | None, unit: str, ha_unit: str, device_class: str
) -> None:
    """Read-only energy, gas and water numbers are cumulative: what statistics import."""
    spec = describe(identifier, 12.5, "number", name=name, unit=unit)
    assert (spec.platform, spec.native_unit, spec.device_class, spec.state_class) == (
        Platform.SENSOR,
        ha_unit,
        device_class,
        SensorStateClass.TOTAL_INCREASING,
    )
    assert spec.access is Access.READ_ONLY
    assert ha_unit in DEVICE_CLASS_UNITS[SensorDeviceClass(device_class)]
    writable = describe(identifier, 12.5, "number", "cloud", name=name, unit=unit)
    assert (writable.platform, writable.state_class) == (Platform.NUMBER, None)


@pytest.mark.parametrize("device_class", ["energy", "gas", "water"])
def test_every_meter_unit_is_total_increasing(device_class: str) -> None:
    """Every unit Home Assistant accepts for a meter class gives total_increasing."""
    sensor_class = SensorDeviceClass(device_class)
    assert SensorStateClass.MEASUREMENT not in DEVICE_CLASS_STATE_CLASSES[sensor_class]
    for unit in DEVICE_CLASS_UNITS[sensor_class]:
        spec = describe(f"{device_class}_total", 1, "number", unit=str(unit))
        assert (spec.native_unit, spec.device_class, spec.state_class) == (
            unit,
            device_class,
            SensorStateClass.TOTAL_INCREASING,
        ), unit


@pytest.mark.parametrize(("identifier", "unit"), [("volume", "m³"), ("v", "方"), ("tank", "L")])
def test_volumes_without_a_meter_hint_are_not_meters(identifier: str, unit: str) -> None:
    """A volume could be a tank's content: without a gas/water hint it is no meter."""
    spec = describe(identifier, 1, "number", unit=unit)
    assert spec.state_class != SensorStateClass.TOTAL_INCREASING


# --- the vocabulary and Home Assistant -------------------------------------------------


def _ha_units() -> set[str]:
    """Return every unit value Home Assistant defines."""
    units = {
        str(unit)
        for table in (DEVICE_CLASS_UNITS, NUMBER_DEVICE_CLASS_UNITS)
        for accepted in table.values()
        for unit in accepted
        if unit is not None
    }
    for name in dir(ha_const):
        value = getattr(ha_const, name)
        if name.startswith("UnitOf"):
            units.update(str(unit) for unit in value)
    units.update((ha_const.PERCENTAGE, ha_const.DEGREE, ha_const.REVOLUTIONS_PER_MINUTE))
    return units


def test_vocabulary_units_are_home_assistant_units() -> None:
    """Canonical units are Home Assistant's values (except the declared few it lacks)."""
    ha_units = _ha_units()
    canonical = set(vocab.UNITS)
    assert canonical - vocab.UNITS_WITHOUT_HA_VALUE <= ha_units
    assert not vocab.UNITS_WITHOUT_HA_VALUE & ha_units  # HA has it now: drop the exception
    assert canonical >= vocab.UNITS_WITHOUT_HA_VALUE
    assert set(vocab.UNIT_RANGES) <= canonical
    spellings = [alias for unit, aliases in vocab.UNITS.items() for alias in (unit, *aliases)]
    assert len(spellings) == len(set(spellings))  # no spelling means two units


def test_vocabulary_device_classes_are_home_assistant_values() -> None:
    """Every device class of the vocabulary exists, and accepts the units mapped to it."""
    for device_class, units in vocab.UNIT_DEVICE_CLASSES.items():
        sensor_class = SensorDeviceClass(device_class)
        assert set(units) <= {str(unit) for unit in DEVICE_CLASS_UNITS[sensor_class]}, units
        NumberDeviceClass(device_class)
    all_units = [unit for units in vocab.UNIT_DEVICE_CLASSES.values() for unit in units]
    assert len(all_units) == len(set(all_units))  # a unit implies one class
    for device_class, _ in vocab.SENSOR_HINTS:
        SensorDeviceClass(device_class)
        NumberDeviceClass(device_class)  # the writable twin
    for device_class, _ in vocab.BINARY_SENSOR_HINTS:
        BinarySensorDeviceClass(device_class)


def test_vocabulary_words() -> None:
    """Every canonical word has a meaning here, and no spelling means two things."""
    assert set(vocab.ATTR_TYPES) == set(attributes._ACCESS)
    assert set(vocab.DATA_TYPES) == set(attributes._VALUE_TYPES)
    for table in (vocab.ATTR_TYPES, vocab.DATA_TYPES):
        meanings: dict[str, set[str]] = {}
        for key, aliases in table.items():
            for alias in (key, *aliases):
                meanings.setdefault(attributes._fold(alias), set()).add(key)
        assert all(len(keys) == 1 for keys in meanings.values()), meanings
    for words in (vocab.TRUE_WORDS, vocab.FALSE_WORDS):
        assert all(word == word.strip().casefold() for word in words)
    assert not vocab.TRUE_WORDS & vocab.FALSE_WORDS
    for keys in (vocab.LATITUDE_KEYS, vocab.LONGITUDE_KEYS, vocab.ACCURACY_KEYS):
        assert all(key == key.casefold() for key in keys)


def test_vocabulary_is_home_assistant_free() -> None:
    """The vocabulary is plain data: it imports nothing from Home Assistant."""
    source = Path(vocab.__file__).read_text(encoding="utf-8")
    imported = {
        node.module or alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imported == {"typing"}
