"""The checks of an action's input: refusals carry a translation key and placeholders."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from custom_components.thingscloud.api.params import (
    MAX_HISTORY_RANGE,
    InvalidInputError,
    check_page,
    command_params,
    data_stream_message,
    history_range,
    nonempty_attributes,
)


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


SHANGHAI = timezone(timedelta(hours=8))
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def refusal(err: pytest.ExceptionInfo[InvalidInputError]) -> tuple[str, dict[str, str]]:
    return err.value.translation_key, err.value.translation_placeholders


def test_refusals_are_value_errors() -> None:
    with pytest.raises(ValueError, match="empty_attributes"):
        nonempty_attributes({})
    assert nonempty_attributes({"a": 1}) == {"a": 1}


@pytest.mark.parametrize(
    ("message_type", "message", "expected"),
    [
        ("hex", " 01 03\tff ", "01 03\tff"),
        ("text", "hi", "hi"),
        ("json", '{"a": 1}', {"a": 1}),
        ("json", {"a": 1}, {"a": 1}),
    ],
)
def test_data_stream_messages(message_type: str, message: object, expected: object) -> None:
    assert data_stream_message(message_type, message) == expected


@pytest.mark.parametrize(
    ("message_type", "message", "key"),
    [
        ("hex", "0103FF", "invalid_hex_message"),
        ("hex", "", "invalid_hex_message"),
        ("text", "", "empty_text_message"),
        ("json", "[1]", "json_message_not_object"),
        ("json", "[" * 100_000, "json_message_not_object"),
        ("json", 5, "json_message_not_object"),
    ],
)
def test_data_stream_refusals(message_type: str, message: object, key: str) -> None:
    with pytest.raises(InvalidInputError) as err:
        data_stream_message(message_type, message)
    assert refusal(err) == (key, {})


def test_message_not_text_names_its_type() -> None:
    with pytest.raises(InvalidInputError) as err:
        data_stream_message("text", {"a": 1})
    assert refusal(err) == ("message_not_text", {"type": "text"})


@pytest.mark.parametrize(
    ("page", "page_records", "expected"),
    [
        (0, 20, ("invalid_page", {"page": "0"})),
        (1, 101, ("invalid_page_records", {"page_records": "101", "min": "1", "max": "100"})),
        (1, 0, ("invalid_page_records", {"page_records": "0", "min": "1", "max": "100"})),
    ],
)
def test_page_refusals(page: int, page_records: int, expected: tuple[str, Any]) -> None:
    check_page(1, 1)
    check_page(7, 100)
    with pytest.raises(InvalidInputError) as err:
        check_page(page, page_records)
    assert refusal(err) == expected


def test_history_range_completes_a_lone_end() -> None:
    assert history_range(None, None, UTC) == (None, None)
    assert history_range(T0, None, UTC) == (T0, T0 + MAX_HISTORY_RANGE)
    assert history_range(None, T0, UTC) == (T0 - MAX_HISTORY_RANGE, T0)


def test_history_range_naive_times_are_in_the_zone() -> None:
    start, end = history_range(datetime(2026, 1, 1, 8), datetime(2026, 1, 2, 8), SHANGHAI)
    assert (start, end) == (T0, T0 + timedelta(days=1))


def test_history_range_refusals() -> None:
    with pytest.raises(InvalidInputError) as err:
        history_range(T0, T0 - timedelta(seconds=1), SHANGHAI)
    assert refusal(err) == (
        "end_before_start",
        {"start": "2026-01-01T08:00:00+08:00", "end": "2026-01-01T07:59:59+08:00"},
    )
    with pytest.raises(InvalidInputError) as err:
        history_range(T0, T0 + MAX_HISTORY_RANGE + timedelta(seconds=1), UTC)
    assert refusal(err) == ("range_too_long", {"days": "30"})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, {}),
        ({"a": [1, 2.5, None, "x", True]}, {"a": [1, 2.5, None, "x", True]}),
        (nested(32), nested(32)),
        (nested(34), None),
        ({"a": float("nan")}, None),
        ({1: "a"}, None),
        ([1], None),
        ("{}", None),
    ],
)
def test_command_params(value: object, expected: object) -> None:
    assert command_params(value) == expected
