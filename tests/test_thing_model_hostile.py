"""The thing-model mapping never raises, whatever the model or value holds."""

from collections.abc import Iterator
import contextlib
from dataclasses import replace
import math
from typing import Any

from homeassistant.const import MAX_LENGTH_STATE_STATE, Platform
from homeassistant.helpers.json import json_bytes
import pytest

from custom_components.thingscloud.api.attributes import ValueType
from custom_components.thingscloud.api.models import AttributeModel, JsonValue
from custom_components.thingscloud.thing_model import AttributeSpec, describe_attribute

from .thing_model_helpers import describe


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package-wide fixture: these tests need no hass instance."""
    return


# --- malformed models ----------------------------------------------------------------

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
        assert len(state) <= MAX_LENGTH_STATE_STATE
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
    if spec.value_type in (ValueType.COMPLEX, ValueType.LOCATION):
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


# --- hostile models and values ---------------------------------------------------------


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _cyclic() -> Any:
    value: list[Any] = []
    value.append(value)
    return value


_HUGE = 10**400  # too big for a float
_HUGER = 10**5000  # too big even for str() (4300 digits)
_DEEP_TEXT = "[" * 100_000 + "]" * 100_000  # json.loads: RecursionError
_DEEP_OBJECT_TEXT = '{"a":' * 100_000 + "1" + "}" * 100_000
# Texts JSON can decode into values too deep for Python recursion (slow: swept apart).
DEEP_TEXTS = [_DEEP_TEXT, _DEEP_OBJECT_TEXT, "[" * 30_000 + "]" * 30_000]

# Values a device (or a broken client) could hand over; wrong types included.
HOSTILE_VALUES: list[Any] = [
    None,
    True,
    0,
    -0.0,
    _HUGE,
    -_HUGE,
    _HUGER,
    10**300,
    math.nan,
    math.inf,
    -math.inf,
    "1" * 400,
    "0" * 5000 + "1",
    "9" * 5000,
    "nan",
    "-inf",
    "1e400",
    "x" * 10_000,
    _nested(5000),
    _cyclic(),
    {"lat": _HUGE, "lng": 1},
    {"lat": _HUGER, "lng": 1},
    {"lat": math.nan, "lng": 1, "accuracy": math.inf},
    {"lat": True, "lng": False},
    {"lat": 1, "lng": 2, "accuracy": _HUGER},
    '{"lat": 1e400, "lng": 2}',
    {1: "int key", "b": None},
    {"a": {1, 2}},
    [_HUGER],
    {"k": _nested(5000)},
    object(),
    b"bytes",
    ("tuple", 1),
]

_BAD_NUMBERS: list[Any] = [_HUGE, _HUGER, math.nan, -math.inf, "1e400", "nan", "9" * 5000, [1]]

# data_options a broken model could carry.
HOSTILE_OPTIONS: list[dict[str, Any]] = [
    dict.fromkeys(("min", "max", "step", "precision", "max_length"), bad) for bad in _BAD_NUMBERS
] + [
    {"unit": _HUGER, "on_text": _HUGER, "off_text": math.nan},
    {"unit": {"symbol": _HUGER, "name": "x" * 10_000}},
    {"unit": "x" * 10_000, "min": 10**300, "max": -(10**300), "step": 1e-320},
    {"items": {"1" * 5000: "too long a key", "1" * 400: "beyond a float", "2": "two"}},
    {"items": [{"value": _HUGE, "label": _HUGER}, {"value": math.nan, "label": "nan"}]},
    {"items": [{"value": 1, "label": "x" * 1000}, {"value": 2, "label": "x" * 1000}]},
    {"items": [[_HUGER, "huge"], [math.inf, "inf"], {"value": {1, 2}}, object()]},
    {"items": _nested(5000)},
    {"items": _cyclic()},
    {"items": {1: "int key", None: "none key"}},
]

_DATA_TYPES = ["number", "boolean", "string", "enum", "json", "array", "location", "weird", None]
_ATTR_TYPES = ["report", "push", "cloud", None]


def _models(data_type: str | None) -> Iterator[AttributeModel | None]:
    yield None
    for options in HOSTILE_OPTIONS:
        for attr_type in ("report", "cloud"):
            yield AttributeModel(
                name="hostile",
                attr_type=attr_type,
                data_type=data_type,
                data_options=options,
                raw={},
            )
    # Fields of the wrong type altogether.
    for data_options in ("nope", None, [1], _HUGER):
        yield AttributeModel(
            name=_HUGER,  # type: ignore[arg-type]
            attr_type=["push"],  # type: ignore[arg-type]
            data_type={"number": 1},  # type: ignore[arg-type]
            data_options=data_options,  # type: ignore[arg-type]
            raw={},
        )


def check_spec(spec: AttributeSpec, value: Any) -> None:
    """Assert that every method answers, with something Home Assistant can show."""
    state = spec.native_value(value)
    assert state is None or isinstance(state, (str, int, float, bool))
    if isinstance(state, str):
        assert len(state) <= MAX_LENGTH_STATE_STATE
    elif isinstance(state, (int, float)) and not isinstance(state, bool):
        assert math.isfinite(state)
        assert len(str(state)) <= MAX_LENGTH_STATE_STATE
    for label in spec.option_labels:
        assert 0 < len(label) <= MAX_LENGTH_STATE_STATE
    assert len(set(spec.option_labels)) == len(spec.options)
    for bound in (spec.min_value, spec.max_value, spec.step):
        assert bound is None or math.isfinite(bound)
    if spec.platform is Platform.NUMBER:
        assert spec.min_value is not None
        assert spec.max_value is not None
        assert spec.min_value <= spec.max_value
        assert spec.step is not None
        assert spec.step > 0
    assert 1 <= spec.max_length <= MAX_LENGTH_STATE_STATE
    assert spec.precision is None or 0 <= spec.precision <= 6
    attributes = spec.extra_attributes(value)
    if attributes is not None:
        # Home Assistant stores attributes as JSON: what it cannot encode is shown as text.
        try:
            json_bytes(value)
        except TypeError, ValueError, RecursionError:
            assert attributes["value"] is None or isinstance(attributes["value"], str)
        else:
            assert attributes["value"] is value
    position = spec.position(value)
    if position is not None:
        assert -90 <= position.latitude <= 90
        assert -180 <= position.longitude <= 180
        assert position.accuracy is None or 0 <= position.accuracy < math.inf
    spec.option_for(value)
    try:
        written = spec.to_api_value(value)
    except ValueError:
        return
    assert written is None or isinstance(written, (str, int, float, bool, list, dict))


@pytest.mark.parametrize("data_type", _DATA_TYPES)
def test_hostile_models_and_values_never_raise(data_type: str | None) -> None:
    """Every model with every value describes, and every method answers."""
    for model in _models(data_type):
        for value in HOSTILE_VALUES:
            check_spec(describe_attribute("hostile", value, model), value)


@pytest.mark.parametrize("data_type", _DATA_TYPES)
@pytest.mark.parametrize("attr_type", ["report", "cloud"])
def test_deep_json_texts(data_type: str | None, attr_type: str) -> None:
    """JSON texts nested beyond any recursion limit, as values and as enum items."""
    for text in DEEP_TEXTS:
        plain = AttributeModel(
            name=None, attr_type=attr_type, data_type=data_type, data_options={}, raw={}
        )
        with_items = replace(plain, data_options={"items": text})
        for model in (plain, with_items, None):
            check_spec(describe_attribute("deep", text, model), text)


@pytest.mark.parametrize("text", DEEP_TEXTS, ids=["list", "object", "decodable"])
def test_deep_data_options_text(text: str) -> None:
    """A model whose data_options arrive as JSON text nested too deeply is a plain one."""
    for data_type in ("enum", "number"):
        model = AttributeModel.from_api(
            {"data_type": data_type, "attr_type": "push", "data_options": text}
        )
        check_spec(describe_attribute("deep", 1, model), 1)


@pytest.mark.parametrize("data_type", _DATA_TYPES)
@pytest.mark.parametrize("attr_type", _ATTR_TYPES)
def test_hostile_values_written_back(data_type: str | None, attr_type: str | None) -> None:
    """to_api_value answers or raises ValueError, for anything Home Assistant passes."""
    items = [{"value": 1, "label": "One"}]
    spec = describe_attribute(
        "w",
        1,
        AttributeModel(
            name=None,
            attr_type=attr_type,
            data_type=data_type,
            data_options={"items": items},
            raw={},
        ),
    )
    for value in HOSTILE_VALUES:
        with contextlib.suppress(ValueError):
            spec.to_api_value(value)


_NUMBER_STATES: list[tuple[JsonValue, float | None]] = [
    (_HUGE, None),
    (-_HUGE, None),
    (_HUGER, None),
    ("1" * 400, None),
    ("0" * 5000 + "1", 1.0),
    (10**300, 1e300),
    (10**254 - 1, 10**254 - 1),
    (2**70, 2**70),
    (math.nan, None),
    (-math.inf, None),
    ("1e400", None),
]


@pytest.mark.parametrize(
    ("raw", "expected"), _NUMBER_STATES, ids=[f"case{i}" for i in range(len(_NUMBER_STATES))]
)
def test_number_state_is_always_showable(raw: JsonValue, expected: float | None) -> None:
    """A number too big for a float is unknown; one too long for a state is a float."""
    model = AttributeModel(name=None, attr_type=None, data_type="number", data_options={}, raw={})
    for spec in (describe_attribute("n", raw, model), describe_attribute("n", raw, None)):
        if spec.value_type is ValueType.NUMBER:  # a string is text without a model
            state = spec.native_value(raw)
            assert state == expected
            assert type(state) is type(expected)
