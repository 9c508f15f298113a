"""Tests of the thing-model conversions: numbers, enums, booleans and text."""

import math
from typing import Any

from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import MAX_LENGTH_STATE_STATE, Platform
import pytest

from custom_components.thingscloud.api import values
from custom_components.thingscloud.api.attributes import (
    DEFAULT_MAX_VALUE,
    DEFAULT_MIN_VALUE,
    ValueType,
)
from custom_components.thingscloud.api.models import JsonValue
from custom_components.thingscloud.api.values import EnumOption

from .thing_model_helpers import describe


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package-wide fixture: these tests need no hass instance."""
    return


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
        (10**400, None),
        (math.nan, None),
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
        (
            {"min": 10**400, "max": "1e400", "step": math.nan},
            10**400,
            (DEFAULT_MIN_VALUE, DEFAULT_MAX_VALUE, 1.0),
        ),
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
    options = values.enum_options(items)
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


def test_enum_items_beyond_python_limits() -> None:
    """Keys too long for int(), values beyond a float and NaN are no options; labels are cut."""
    items = {"1" * 5000: "too long a key", "1" * 400: "beyond a float", "2": "Two", "3": "x" * 300}
    spec = describe("e", 2, "enum", "push", items=items)
    assert [(option.value, option.label) for option in spec.options] == [
        (2, "Two"),
        (3, "x" * 254 + "…"),
    ]
    listed = describe(
        "e",
        1,
        "enum",
        items=[
            {"value": math.nan, "label": "NaN"},
            {"value": -math.inf, "label": "inf"},
            {"value": 10**400, "label": "big"},
            {"value": 1, "label": 10**5000},
        ],
    )
    assert [(option.value, option.label) for option in listed.options] == [(1, "1")]
    assert listed.native_value(1) == "1"
    assert listed.native_value(10**400) is None


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
    assert spec.max_length == MAX_LENGTH_STATE_STATE == 255


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
        (10**400, 255),
        ("1e400", 255),
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
