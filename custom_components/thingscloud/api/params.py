"""Checks of the arguments callers give the client, before anything is sent.

Every check raises ``ValueError`` (``ThingsCloudInvalidIdError`` for path parameters,
``InvalidInputError`` for the checks of an action's input).
"""

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, tzinfo
import json
import math
import re
from typing import Any, Final, cast
import unicodedata
from urllib.parse import quote

from .const import (
    MAX_ID_LENGTH,
    SERIES_MAX_RANGE_DAYS,
    SERIES_PAGE_RECORDS_MAX,
    SERIES_PAGE_RECORDS_MIN,
)
from .errors import ThingsCloudInvalidIdError
from .parsing import JsonObject, JsonValue


def check_text(value: object, name: str) -> str:
    """Return ``value`` if it is a usable identifier text, else raise."""
    if not isinstance(value, str):
        raise ThingsCloudInvalidIdError(f"{name} must be a string")
    if not value.strip():
        raise ThingsCloudInvalidIdError(f"{name} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ThingsCloudInvalidIdError(f"{name} is longer than {MAX_ID_LENGTH} characters")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise ThingsCloudInvalidIdError(f"{name} contains control characters")
    return value


def encode_path_segment(value: object, name: str = "id") -> str:
    """Validate a path parameter and percent-encode it as exactly one path segment.

    ``/``, ``?``, ``#``, ``%`` and every non-ASCII character are encoded; ``.`` and
    ``..`` are refused because they would collapse into another path.
    """
    text = check_text(value, name)
    if text in (".", ".."):
        raise ThingsCloudInvalidIdError(f"{name} must not be '.' or '..'")
    return quote(text, safe="")


def api_path(template: str, **ids: str) -> str:
    """Return ``template`` filled with the ids, each checked and encoded as one segment."""
    return template.format_map(
        {name: encode_path_segment(value, name) for name, value in ids.items()}
    )


def given(**values: JsonValue) -> JsonObject:
    """Return the values that are not ``None``: the optional fields a caller gave."""
    return {key: value for key, value in values.items() if value is not None}


def changes(**values: JsonValue) -> JsonObject:
    """Return the fields to change (the given ones); ``ValueError`` when none is given."""
    body = given(**values)
    if not body:
        raise ValueError(f"Give at least one of {', '.join(values)}")
    return body


def check_int(value: object, name: str, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` if it is an integer in range, else raise ``ValueError``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer")  # noqa: TRY004 - input validation
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValueError(f"{name} must be {bound}")
    return value


def check_nonempty_str(value: object, name: str) -> str:
    """Return ``value`` if it is a non-empty string, else raise ``ValueError``."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


def check_keys(keys: Sequence[str], name: str, *, allow_empty: bool = False) -> list[JsonValue]:
    """Return a list of strings; a bare string (a common slip) is refused."""
    if isinstance(keys, str) or not all(isinstance(key, str) for key in keys):
        raise ValueError(f"{name} must be a list of strings")
    if not keys and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    return list(keys)


def check_mapping(value: Mapping[str, JsonValue], name: str) -> JsonObject:
    """Return a non-empty mapping as a JSON object."""
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{name} must be a non-empty mapping")
    return {str(key): item for key, item in value.items()}


def epoch_ms(value: datetime) -> int:
    """Return a datetime as epoch milliseconds (naive datetimes are local time)."""
    return int(value.timestamp() * 1000)


def json_message(message: str | Mapping[str, JsonValue]) -> JsonValue:
    """Return the object of a ``json`` data stream message (an object or its JSON text)."""
    refused = "A json message must be an object or a JSON object text"
    if isinstance(message, str):
        try:
            decoded = cast("JsonValue", json.loads(message))
        except ValueError, RecursionError:
            raise ValueError(refused) from None
        if not isinstance(decoded, dict):
            raise ValueError(refused)  # noqa: TRY004
        return decoded
    if not isinstance(message, Mapping):
        raise ValueError("A json message must be an object")  # noqa: TRY004
    return {str(key): value for key, value in message.items()}


def check_hex(message: str) -> None:
    """Raise ``ValueError`` unless ``message`` is pairs of hex digits (spaces allowed)."""
    digits = "".join(message.split())
    if len(digits) % 2 or any(char not in "0123456789abcdefABCDEF" for char in digits):
        raise ValueError("A hex message must be pairs of hex digits")


MAX_PARAMS_DEPTH: Final = 32


def _is_json(value: object, depth: int = 0) -> bool:
    """Return whether a value can be stored and sent as JSON (finite numbers, bounded depth)."""
    if depth > MAX_PARAMS_DEPTH:
        return False
    if isinstance(value, float):
        return math.isfinite(value)
    if value is None or isinstance(value, str | bool | int):
        return True
    if isinstance(value, list):
        return all(_is_json(item, depth + 1) for item in value)
    return isinstance(value, dict) and all(
        isinstance(key, str) and _is_json(item, depth + 1) for key, item in value.items()
    )


def command_params(value: object) -> dict[str, Any] | None:
    """Return a command's parameters as an object (empty when not given); None if unusable."""
    if value is None:
        return {}
    return value if isinstance(value, dict) and _is_json(value) else None


# --- the input of an action, checked with a translated message -------------------------

MAX_HISTORY_RANGE: Final = timedelta(days=SERIES_MAX_RANGE_DAYS)
# Bytes as pairs of hex digits separated by whitespace: "01 03 FF".
_HEX_MESSAGE: Final = re.compile(r"[0-9A-Fa-f]{2}(?:\s+[0-9A-Fa-f]{2})*")


class InvalidInputError(ValueError):
    """Input refused before anything is sent: a translation key and its placeholders."""

    def __init__(self, translation_key: str, **placeholders: str) -> None:
        """Keep the key and placeholders of the message."""
        self.translation_key = translation_key
        self.translation_placeholders = placeholders
        super().__init__(translation_key)


def nonempty_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """Return attributes to write, refusing none."""
    if not attributes:
        raise InvalidInputError("empty_attributes")
    return attributes


def data_stream_message(message_type: str, message: object) -> str | dict[str, Any]:
    """Return a data stream message checked against its type (``hex``, ``text``, ``json``)."""
    if message_type == "json":
        if isinstance(message, str):
            try:
                message = json.loads(message)
            except ValueError, RecursionError:
                raise InvalidInputError("json_message_not_object") from None
        if not isinstance(message, dict):
            raise InvalidInputError("json_message_not_object")
        return cast("dict[str, Any]", message)
    if not isinstance(message, str):
        raise InvalidInputError("message_not_text", type=message_type)
    if message_type == "hex":
        message = message.strip()
        if not _HEX_MESSAGE.fullmatch(message):
            raise InvalidInputError("invalid_hex_message")
    elif not message:
        raise InvalidInputError("empty_text_message")
    return message


def check_page(page: int, page_records: int) -> None:
    """Refuse a page below 1 or a page size outside what the API serves."""
    if page < 1:
        raise InvalidInputError("invalid_page", page=str(page))
    if not SERIES_PAGE_RECORDS_MIN <= page_records <= SERIES_PAGE_RECORDS_MAX:
        raise InvalidInputError(
            "invalid_page_records",
            page_records=str(page_records),
            min=str(SERIES_PAGE_RECORDS_MIN),
            max=str(SERIES_PAGE_RECORDS_MAX),
        )


def history_range(
    start: datetime | None, end: datetime | None, zone: tzinfo
) -> tuple[datetime | None, datetime | None]:
    """Return the range to ask for: both ends or neither, at most 30 days apart.

    The API applies a range only when both ends are given, so a lone end is completed to
    the longest range allowed. Naive datetimes, and the times in messages, are in ``zone``.
    """
    start, end = (
        value if value is None or value.tzinfo else value.replace(tzinfo=zone)
        for value in (start, end)
    )
    if start is None and end is not None:
        start = end - MAX_HISTORY_RANGE
    elif end is None and start is not None:
        end = start + MAX_HISTORY_RANGE
    if start is None or end is None:
        return None, None
    if end < start:
        raise InvalidInputError(
            "end_before_start",
            start=start.astimezone(zone).isoformat(),
            end=end.astimezone(zone).isoformat(),
        )
    if end - start > MAX_HISTORY_RANGE:
        raise InvalidInputError("range_too_long", days=str(MAX_HISTORY_RANGE.days))
    return start, end
