"""Checks of the arguments callers give the client, before anything is sent.

Every check raises ``ValueError`` (``ThingsCloudInvalidIdError`` for path parameters).
"""

from collections.abc import Mapping, Sequence
from datetime import datetime
import json
from typing import cast
import unicodedata
from urllib.parse import quote

from .const import MAX_ID_LENGTH
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
