"""Tests of the thing-model complex values and locations."""

import math
from typing import Any

from homeassistant.const import Platform
import pytest

from custom_components.thingscloud.api.attributes import Access, ValueType
from custom_components.thingscloud.api.models import JsonValue
from custom_components.thingscloud.api.values import Position
from custom_components.thingscloud.thing_model import describe_attribute

from .thing_model_helpers import describe


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package-wide fixture: these tests need no hass instance."""
    return


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


def _cyclic() -> list[Any]:
    value: list[Any] = []
    value.append(value)
    return value


@pytest.mark.parametrize(
    "ha_value",
    [{(1, 2): "tuple key"}, [math.nan], {"a": math.inf}, _cyclic(), [10**5000]],
    ids=["tuple-key", "nan", "inf", "cyclic", "huge-int"],
)
@pytest.mark.parametrize(("data_type", "attr_type"), [("json", "cloud"), ("string", "push")])
def test_unwritable_values_raise_value_error(
    ha_value: object, data_type: str, attr_type: str
) -> None:
    """What JSON cannot hold (strictly: no NaN) is a ValueError, never another error."""
    spec = describe("c", {}, data_type, attr_type)
    with pytest.raises(ValueError):
        spec.to_api_value(ha_value)


# --- locations -----------------------------------------------------------------------


@pytest.mark.parametrize("data_type", ["location", "map_point", "MapPoint", "Map_Point", "位置"])
@pytest.mark.parametrize("attr_type", ["report", "设备上报", None, "unknown"])
def test_read_only_location_is_a_tracker(data_type: str, attr_type: str | None) -> None:
    """A read-only location is a device tracker (GPS) with that position."""
    spec = describe("pos", {"lat": 31.2, "lng": 121.5}, data_type, attr_type)
    assert (spec.value_type, spec.platform, spec.access) == (
        ValueType.LOCATION,
        Platform.DEVICE_TRACKER,
        Access.READ_ONLY,
    )
    assert not spec.writable
    assert (spec.device_class, spec.state_class, spec.native_unit) == (None, None, None)
    position = spec.position({"lat": 31.2, "lng": 121.5})
    assert position is not None
    assert (position.latitude, position.longitude) == (31.2, 121.5)


@pytest.mark.parametrize("attr_type", ["push", "shared", "cloud"])
def test_writable_location_is_a_complex_sensor(attr_type: str) -> None:
    """A writable location stays a complex sensor, as before."""
    spec = describe("pos", {"lat": 1, "lng": 2}, "location", attr_type)
    assert (spec.value_type, spec.platform, spec.writable) == (
        ValueType.COMPLEX,
        Platform.SENSOR,
        False,
    )


@pytest.mark.parametrize("data_type", [None, "gps", "json", "object"])
def test_guessed_positions_are_no_trackers(data_type: str | None) -> None:
    """A value-driven fallback (or an object type) never makes a tracker."""
    for spec in (
        describe_attribute("pos", {"lat": 1, "lng": 2}, None),
        describe("pos", {"lat": 1, "lng": 2}, data_type),
    ):
        assert (spec.value_type, spec.platform) == (ValueType.COMPLEX, Platform.SENSOR)


_POSITIONS: list[tuple[JsonValue, Position | None]] = [
    ({"lat": 31.23, "lng": 121.47}, Position(31.23, 121.47)),
    ({"latitude": "39.9", "longitude": "116.4"}, Position(39.9, 116.4)),
    ({"Lat": 1, "Lon": 2}, Position(1.0, 2.0)),
    ({"LAT": 1, "long": 2, "Accuracy": 5}, Position(1.0, 2.0, 5.0)),
    ({"lat": 1, "lng": 2, "acc": "7.5"}, Position(1.0, 2.0, 7.5)),
    ({"lat": 1, "lng": 2, "radius": 0}, Position(1.0, 2.0, 0.0)),
    ({"lat": 1, "lng": 2, "accuracy": -1}, Position(1.0, 2.0)),
    ({"lat": 1, "lng": 2, "accuracy": math.nan}, Position(1.0, 2.0)),
    ({"lat": 1, "lng": 2, "accuracy": True}, Position(1.0, 2.0)),
    ({"lat": 1, "lng": 2, "accuracy": 10**400}, Position(1.0, 2.0)),
    ({"lat": 1, "lng": 2, "accuracy": "far"}, Position(1.0, 2.0)),
    ({"latitude": "x", "lat": 3, "lng": 4}, Position(3.0, 4.0)),
    ('{"lat": 1.5, "lng": 2.5}', Position(1.5, 2.5)),
    (' {"lat": 0, "lng": 0} ', Position(0.0, 0.0)),
    ({"lat": 90, "lng": -180}, Position(90.0, -180.0)),
    ({"lat": -90, "lng": 180}, Position(-90.0, 180.0)),
    ({"lat": 90.0001, "lng": 0}, None),
    ({"lat": 0, "lng": 180.5}, None),
    ({"lat": -91, "lng": 0}, None),
    ({"lat": math.nan, "lng": 0}, None),
    ({"lat": 0, "lng": -math.inf}, None),
    ({"lat": 10**400, "lng": 0}, None),
    ({"lat": True, "lng": False}, None),
    ({"lat": "x", "lng": 0}, None),
    ({"lat": None, "lng": 0}, None),
    ({"lat": [1], "lng": {"v": 0}}, None),
    ({"lat": 1}, None),
    ({"lng": 1}, None),
    ({}, None),
    ([121.47, 31.23], None),  # [lng, lat] is not guessed
    ([{"lat": 1, "lng": 2}], None),
    ("121.47,31.23", None),
    ('{"lat": 1e400, "lng": 0}', None),
    ("{broken", None),
    ("", None),
    (None, None),
    (5, None),
    (True, None),
    ({"x": 1, "y": 2}, None),
]


@pytest.mark.parametrize(
    ("raw", "expected"), _POSITIONS, ids=[f"case{i}" for i in range(len(_POSITIONS))]
)
def test_position(raw: JsonValue, expected: Position | None) -> None:
    """Only an object (or its JSON text) with usable latitude/longitude is a position."""
    for spec in (describe("pos", raw, "location"), describe_attribute("pos", raw, None)):
        assert spec.position(raw) == expected


def test_tracker_state_and_attributes() -> None:
    """A tracker's spec still answers states and attributes: the full value, no duplicates."""
    raw: JsonValue = {"lat": 31.23, "lng": 121.47, "speed": 3}
    spec = describe("pos", raw, "location")
    assert spec.platform is Platform.DEVICE_TRACKER
    assert spec.native_value(raw) == "31.23, 121.47"
    assert spec.extra_attributes(raw) == {"value": raw}
    assert spec.native_value(None) is None
    assert spec.extra_attributes(None) == {"value": None}
    assert spec.position(None) is None
    assert spec.to_api_value('{"lat": 1, "lng": 2}') == {"lat": 1, "lng": 2}
    assert spec.option_labels == []
