"""Typed, tolerant models of the ThingsCloud project HTTP API.

Every model is a frozen slotted dataclass that keeps the object it was built from
in ``raw``. ``from_api`` accepts anything: missing, unknown and wrongly typed fields
fall back to ``None`` or an empty value. Only where an id is the very identity of the
object (a device without an id cannot be addressed) does ``from_api`` raise
``ValueError``; list parsers skip such items.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
import json
import logging
import math
from typing import Self

from .const import MAX_GROUP_DEPTH
from .vocabulary import FALSE_WORDS, TRUE_WORDS

_LOGGER = logging.getLogger(__name__)

type JsonValue = str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None
type JsonObject = dict[str, JsonValue]

# Timestamps above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
_MS_THRESHOLD = 1e11


# --- field helpers -------------------------------------------------------------------


def as_object(value: object) -> JsonObject:
    """Return ``value`` if it is a JSON object, else an empty one."""
    if isinstance(value, dict):
        return {str(key): item for key, item in value.items()}
    return {}


def parse_number(value: object) -> float | None:
    """Return a finite float from a number or a numeric string; never raises.

    Booleans, NaN, infinities and integers too large for a float give ``None``.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError, OverflowError:
        return None
    return number if math.isfinite(number) else None


def parse_bool(
    value: object, on_text: str | None = None, off_text: str | None = None
) -> bool | None:
    """Return the on/off meaning of a value; ``None`` when it has none.

    Booleans are themselves, 1 and 0 are on and off, and the words of the vocabulary (any
    case), or the given on/off texts, are on or off.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return True if value == 1 else False if value == 0 else None
    if not isinstance(value, str):
        return None
    word = value.strip().casefold()
    if word in TRUE_WORDS or (on_text is not None and word == on_text.strip().casefold()):
        return True
    if word in FALSE_WORDS or (off_text is not None and word == off_text.strip().casefold()):
        return False
    return None


def _int(value: object) -> int | None:
    """Return an integer from an int, an integral float or a numeric string."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = parse_number(value)
    if number is None:
        return None
    return int(number)


def _str(value: object) -> str | None:
    """Return a string; numbers become their text, anything else ``None``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _text(value: object) -> str:
    """Return a string, ``""`` when there is none."""
    return _str(value) or ""


def _id(value: object) -> str | None:
    """Return a usable id (non-empty string or integer) as a string."""
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _tags(value: object) -> dict[str, str]:
    """Return tags as strings; values that are not scalars are dropped."""
    tags: dict[str, str] = {}
    for key, item in as_object(value).items():
        if isinstance(item, bool):
            tags[key] = "true" if item else "false"
        elif (text := _str(item)) is not None:
            tags[key] = text
    return tags


def _options(value: object) -> JsonObject:
    """Return an options object; a JSON-encoded string is decoded."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return as_object(value)


def parse_timestamp(value: object) -> datetime | None:
    """Return an aware UTC datetime from seconds or milliseconds since the epoch.

    Accepts numbers and numeric strings (above 1e11 they are milliseconds) and, as a
    courtesy, ISO 8601 strings. Zero, negative and unusable values give ``None``.
    """
    number = parse_number(value)
    if number is None:
        if isinstance(value, str) and value.strip():
            try:
                parsed = datetime.fromisoformat(value.strip())
            except ValueError:
                return None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.astimezone(UTC)
        return None
    if number <= 0:
        return None
    if number > _MS_THRESHOLD:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except OverflowError, OSError, ValueError:
        return None


def items_of(info: object) -> list[object]:
    """Return the items of a list answer: ``info.items`` or a bare list."""
    if isinstance(info, list):
        return list(info)
    if isinstance(info, dict):
        items = info.get("items")
        if isinstance(items, list):
            return list(items)
    return []


def parse_items[T](parser: Callable[[object], T], info: object) -> list[T]:
    """Parse the object items of a list answer.

    Items that are not objects, and objects without their essential id, are skipped.
    """
    parsed: list[T] = []
    for item in items_of(info):
        if not isinstance(item, dict):
            _LOGGER.debug("Skipping a list item that is not an object")
            continue
        try:
            parsed.append(parser(item))
        except ValueError:
            _LOGGER.debug("Skipping an item without a usable id")
    return parsed


def _require_id(data: JsonObject, key: str = "id") -> str:
    """Return the essential id of an object or raise ``ValueError``."""
    value = _id(data.get(key))
    if value is None:
        raise ValueError(f"object has no usable {key!r}")
    return value


# --- models --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Project:
    """The project the credentials belong to."""

    id: str
    name: str
    descr: str
    tags: dict[str, str]
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from ``GET /project`` info; ``ValueError`` without an id."""
        raw = as_object(data)
        return cls(
            id=_require_id(raw),
            name=_text(raw.get("name")),
            descr=_text(raw.get("descr")),
            tags=_tags(raw.get("tags")),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class DeviceTypeInfo:
    """The short device type description embedded in a device."""

    id: str
    name: str | None
    conn_type: str | None
    conn_protocol: str | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object, *, type_id: str | None = None) -> Self:
        """Build from a device's ``type_info``; ``type_id`` fills a missing id."""
        raw = as_object(data)
        return cls(
            id=_id(raw.get("id")) or type_id or "",
            name=_str(raw.get("name")),
            conn_type=_str(raw.get("conn_type")),
            conn_protocol=_str(raw.get("conn_protocol")),
            raw=raw,
        )


def _first_key(raw: JsonObject, *keys: str) -> tuple[bool, JsonValue]:
    """Return whether one of ``keys`` is present and the value of the first present."""
    for key in keys:
        if key in raw:
            return True, raw[key]
    return False, None


@dataclass(frozen=True, slots=True)
class DeviceAlarm:
    """The alarm state of a device.

    The reference documents ``alarm`` only as ``{}``. Accepted keys: level from
    ``alarm_level``/``level``; status from ``alarm_status``/``status``/``alarm``;
    info from ``alarm_info``/``info``. Active when the status is truthy, or, with no
    status key, when the level is above 0. ``{}`` (or anything not an object) is
    inactive.
    """

    active: bool
    level: int | None
    info: JsonValue
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a device's ``alarm``."""
        raw = as_object(data)
        level = _int(_first_key(raw, "alarm_level", "level")[1])
        has_status, status = _first_key(raw, "alarm_status", "status", "alarm")
        if has_status:
            number = parse_number(status)
            active = number > 0 if number is not None else bool(parse_bool(status))
        else:
            active = level is not None and level > 0
        return cls(
            active=active,
            level=level,
            info=_first_key(raw, "alarm_info", "info")[1],
            raw=raw,
        )


def _groups(value: object) -> tuple[str, ...]:
    """Return group ids from a list of ids or of objects with an id."""
    groups: list[str] = []
    if isinstance(value, list):
        for item in value:
            group_id = _id(item.get("id")) if isinstance(item, dict) else _id(item)
            if group_id is not None:
                groups.append(group_id)
    return tuple(groups)


def _active(value: object) -> dict[str, int]:
    """Return the numeric timestamps of a device's ``active`` object, as sent."""
    active: dict[str, int] = {}
    for key, item in as_object(value).items():
        number = _int(item)
        if number is not None:
            active[key] = number
    return active


@dataclass(frozen=True, slots=True)
class Device:
    """A ThingsCloud device."""

    id: str
    name: str
    descr: str
    device_key: str | None
    tags: dict[str, str]
    create_time: datetime | None
    alarm: DeviceAlarm
    active: dict[str, int]
    online: bool | None
    type_id: str | None
    type_info: DeviceTypeInfo | None
    groups: tuple[str, ...]
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a device object; ``ValueError`` without an id."""
        raw = as_object(data)
        type_id = _id(raw.get("type"))
        type_info_raw = raw.get("type_info")
        type_info = (
            DeviceTypeInfo.from_api(type_info_raw, type_id=type_id)
            if isinstance(type_info_raw, dict) and type_info_raw
            else None
        )
        if type_id is None and type_info is not None and type_info.id:
            type_id = type_info.id
        device_key = _str(raw.get("device_key"))
        return cls(
            id=_require_id(raw),
            name=_text(raw.get("name")),
            descr=_text(raw.get("descr")),
            device_key=device_key or None,
            tags=_tags(raw.get("tags")),
            create_time=parse_timestamp(raw.get("create_time")),
            alarm=DeviceAlarm.from_api(raw.get("alarm")),
            active=_active(raw.get("active")),
            online=parse_bool(raw.get("online")),
            type_id=type_id,
            type_info=type_info,
            groups=_groups(raw.get("groups")),
            raw=raw,
        )

    @property
    def last_active(self) -> datetime | None:
        """Return the latest usable timestamp of ``active``."""
        stamps = [ts for value in self.active.values() if (ts := parse_timestamp(value))]
        return max(stamps, default=None)

    @property
    def type_name(self) -> str | None:
        """Return the name of the device's type, when known."""
        return self.type_info.name if self.type_info is not None else None


@dataclass(frozen=True, slots=True)
class DevicePage:
    """One page of a device list."""

    items: tuple[Device, ...]
    total: int | None
    page_total: int
    page: int
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(
        cls,
        data: object,
        *,
        page: int = 1,
        parse_device: Callable[[object], Device] = Device.from_api,
    ) -> Self:
        """Build from a device list answer: ``info.items`` or a bare list.

        Without a usable ``page_total`` the page is taken as the last one. ``parse_device``
        builds each item (``Device.from_api``, or a caching wrapper of it).
        """
        raw = as_object(data)
        page_total = _int(raw.get("page_total"))
        return cls(
            items=tuple(parse_items(parse_device, data)),
            total=_int(raw.get("total")),
            page_total=page_total if page_total is not None and page_total >= 0 else page,
            page=page,
            raw=raw,
        )

    @property
    def has_page_total(self) -> bool:
        """Return whether the answer gave a usable ``page_total``."""
        page_total = _int(self.raw.get("page_total"))
        return page_total is not None and page_total >= 0


@dataclass(frozen=True, slots=True)
class DeviceType:
    """A device type of the project."""

    id: str
    name: str
    descr: str
    tags: dict[str, str]
    create_time: datetime | None
    device_count: int | None
    conn_protocol: str | None
    conn_type: str | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a device type object; ``ValueError`` without an id."""
        raw = as_object(data)
        return cls(
            id=_require_id(raw),
            name=_text(raw.get("name")),
            descr=_text(raw.get("descr")),
            tags=_tags(raw.get("tags")),
            create_time=parse_timestamp(raw.get("create_time")),
            device_count=_int(raw.get("device_count")),
            conn_protocol=_str(raw.get("conn_protocol")),
            conn_type=_str(raw.get("conn_type")),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class DeviceGroup:
    """A device group with its sub-groups."""

    id: str
    name: str
    descr: str
    tags: dict[str, str]
    create_time: datetime | None
    children: tuple[DeviceGroup, ...]
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a group object (children parsed too); ``ValueError`` without an id."""
        return cls._parse(data, 0)

    @classmethod
    def _parse(cls, data: object, depth: int) -> Self:
        raw = as_object(data)
        group_id = _require_id(raw)
        children: list[Self] = []
        if depth < MAX_GROUP_DEPTH:
            children = parse_items(lambda item: cls._parse(item, depth + 1), raw.get("children"))
        return cls(
            id=group_id,
            name=_text(raw.get("name")),
            descr=_text(raw.get("descr")),
            tags=_tags(raw.get("tags")),
            create_time=parse_timestamp(raw.get("create_time")),
            children=tuple(children),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class ExtendInfo:
    """An extended information field of a device or its definition on a device type."""

    id: str
    info_type: str | None
    name: str
    descr: str
    value: JsonValue
    enabled: bool | None
    options: JsonObject
    create_time: datetime | None
    update_time: datetime | None
    is_standard: bool | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from an extend info object; ``ValueError`` without an id."""
        raw = as_object(data)
        return cls(
            id=_require_id(raw),
            info_type=_str(raw.get("info_type")),
            name=_text(raw.get("name")),
            descr=_text(raw.get("descr")),
            value=raw.get("value"),
            enabled=parse_bool(raw.get("enabled")),
            options=_options(raw.get("options")),
            create_time=parse_timestamp(raw.get("create_time")),
            update_time=parse_timestamp(raw.get("update_time")),
            is_standard=parse_bool(raw.get("is_standard")),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class DeviceCertificate:
    """The connection certificate of a device (its own access token, not the API's)."""

    id: str
    name: str
    access_token: str | None = field(repr=False)
    project_key: str | None = field(repr=False)
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a certificate object."""
        raw = as_object(data)
        return cls(
            id=_id(raw.get("id")) or "",
            name=_text(raw.get("name")),
            access_token=_str(raw.get("access_token")),
            project_key=_str(raw.get("project_key")),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class AttributeModel:
    """The thing model definition of an attribute."""

    name: str | None
    attr_type: str | None
    data_type: str | None
    data_options: JsonObject
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from an attribute's ``model``; ``data_options`` may be a JSON string."""
        raw = as_object(data)
        return cls(
            name=_str(raw.get("name")),
            attr_type=_str(raw.get("attr_type")),
            data_type=_str(raw.get("data_type")),
            data_options=_options(raw.get("data_options")),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class Attribute:
    """A current attribute value of a device, with its model when there is one.

    ``attr_type`` and ``data_type`` fall back to the model's when the item lacks them.
    """

    identifier: str
    value: JsonValue
    attr_type: str | None
    data_type: str | None
    ts: datetime | None
    model: AttributeModel | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from an attribute object; ``ValueError`` without an identifier."""
        raw = as_object(data)
        model_raw = raw.get("model")
        model = AttributeModel.from_api(model_raw) if isinstance(model_raw, dict) else None
        attr_type = _str(raw.get("attr_type"))
        data_type = _str(raw.get("data_type"))
        if model is not None:
            attr_type = attr_type or model.attr_type
            data_type = data_type or model.data_type
        return cls(
            identifier=_require_id(raw, "identifier"),
            value=raw.get("value"),
            attr_type=attr_type,
            data_type=data_type,
            ts=parse_timestamp(raw.get("ts")),
            model=model,
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """One point of an attribute's history."""

    ts: datetime | None
    name: str | None
    value: JsonValue
    type: str | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a history item."""
        raw = as_object(data)
        return cls(
            ts=parse_timestamp(raw.get("ts")),
            name=_str(raw.get("name")),
            value=raw.get("value"),
            type=_str(raw.get("type")),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class AlarmLog:
    """One alarm message of the alarm history."""

    id: str
    device_id: str | None
    alarm_status: int | None
    alarm_level: int | None
    alarm_info: JsonValue
    create_time: datetime | None
    notify_logs: list[JsonValue]
    device_name: str | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from an alarm log item."""
        raw = as_object(data)
        device = as_object(raw.get("device"))
        notify_logs = raw.get("notify_logs")
        return cls(
            id=_id(raw.get("id")) or "",
            device_id=_id(raw.get("device_id")) or _id(device.get("id")),
            alarm_status=_int(raw.get("alarm_status")),
            alarm_level=_int(raw.get("alarm_level")),
            alarm_info=raw.get("alarm_info"),
            create_time=parse_timestamp(raw.get("create_time")),
            notify_logs=list(notify_logs) if isinstance(notify_logs, list) else [],
            device_name=_str(device.get("name")),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class Customer:
    """A user (customer) of the project."""

    id: str
    account: str | None
    name: str
    descr: str
    role_id: str | None
    email: str | None
    mobile: str | None
    tags: dict[str, str]
    locale: str | None
    create_time: datetime | None
    device_count: int | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a customer object; ``ValueError`` without an id."""
        raw = as_object(data)
        count = raw.get("count")
        device_count = _int(as_object(count).get("device_count"))
        if device_count is None:
            device_count = _int(raw.get("device_count"))
        return cls(
            id=_require_id(raw),
            account=_str(raw.get("account")),
            name=_text(raw.get("name")),
            descr=_text(raw.get("descr")),
            role_id=_id(raw.get("role_id")),
            email=_str(raw.get("email")),
            mobile=_str(raw.get("mobile")),
            tags=_tags(raw.get("tags")),
            locale=_str(raw.get("locale")),
            create_time=parse_timestamp(raw.get("create_time")),
            device_count=device_count,
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class CustomerRole:
    """A role that customers can have."""

    id: str
    name: str
    descr: str
    allow_operate_device: bool | None
    allow_alarm_msg_maintain: bool | None
    allow_add_device: bool | None
    create_time: datetime | None
    customer_count: int | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a role object; ``ValueError`` without an id."""
        raw = as_object(data)
        return cls(
            id=_require_id(raw),
            name=_text(raw.get("name")),
            descr=_text(raw.get("descr")),
            allow_operate_device=parse_bool(raw.get("allow_operate_device")),
            allow_alarm_msg_maintain=parse_bool(raw.get("allow_alarm_msg_maintain")),
            allow_add_device=parse_bool(raw.get("allow_add_device")),
            create_time=parse_timestamp(raw.get("create_time")),
            customer_count=_int(raw.get("customer_count")),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class Admin:
    """The administrator the access token was issued to."""

    id: str
    account: str | None
    name: str
    email: str | None
    tags: dict[str, str]
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from ``GET /admin`` info."""
        raw = as_object(data)
        return cls(
            id=_id(raw.get("id")) or "",
            account=_str(raw.get("account")),
            name=_text(raw.get("name")),
            email=_str(raw.get("email")),
            tags=_tags(raw.get("tags")),
            raw=raw,
        )


@dataclass(frozen=True, slots=True)
class CreatedResource:
    """The id and name a create (or customer auth) call answers with."""

    id: str
    name: str
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from ``{id, name}``; ``ValueError`` without an id."""
        raw = as_object(data)
        return cls(id=_require_id(raw), name=_text(raw.get("name")), raw=raw)


@dataclass(frozen=True, slots=True)
class AppCredentials:
    """API application credentials (``POST /access_token``); the keys stay out of repr."""

    app_id: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AdminCredentials:
    """Administrator credentials (``POST /admin_login``); the password stays out of repr."""

    app_id: str
    account: str
    password: str = field(repr=False)


def numeric_fields(data: object) -> dict[str, int]:
    """Return the numeric fields of an object as integers (statistics answers)."""
    result: dict[str, int] = {}
    for key, value in as_object(data).items():
        number = _int(value)
        if number is not None:
            result[key] = number
    return result


__all__ = [
    "Admin",
    "AdminCredentials",
    "AlarmLog",
    "AppCredentials",
    "Attribute",
    "AttributeModel",
    "CreatedResource",
    "Customer",
    "CustomerRole",
    "Device",
    "DeviceAlarm",
    "DeviceCertificate",
    "DeviceGroup",
    "DevicePage",
    "DeviceType",
    "DeviceTypeInfo",
    "ExtendInfo",
    "JsonObject",
    "JsonValue",
    "Project",
    "SeriesPoint",
    "parse_bool",
    "parse_number",
    "parse_timestamp",
]
