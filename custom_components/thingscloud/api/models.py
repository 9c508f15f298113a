"""Typed, tolerant models of the ThingsCloud project HTTP API.

Every model is a frozen slotted dataclass that keeps the object it was built from in
``raw``; each field names the reader that fills it (``parsing.api_field``). ``from_api``
accepts anything: missing, unknown and wrongly typed fields fall back to ``None`` or an
empty value. Only where an id is the very identity of the object (a device without an
id cannot be addressed) does ``from_api`` raise ``ValueError``; list parsers skip such
items.
"""

# ruff: noqa: PLC0414 - ``name as name`` marks what other modules import from here

from collections.abc import Callable
from dataclasses import field, replace
from datetime import datetime
from typing import Self

from .const import MAX_GROUP_DEPTH
from .parsing import (
    ApiModel,
    JsonObject,
    JsonValue as JsonValue,
    api_field,
    api_id,
    api_model,
    as_object,
    as_sent,
    id_or_empty,
    items_of as items_of,
    list_of,
    nonempty_text,
    numeric_fields as numeric_fields,
    parse_bool as parse_bool,
    parse_id,
    parse_int,
    parse_items as parse_items,
    parse_number as parse_number,
    parse_options,
    parse_tags,
    parse_text,
    parse_timestamp as parse_timestamp,
    text_of,
)

# --- models --------------------------------------------------------------------------


@api_model
class Project(ApiModel):
    """The project the credentials belong to (``GET /project``)."""

    id: str = api_id()
    name: str = api_field(text_of)
    descr: str = api_field(text_of)
    tags: dict[str, str] = api_field(parse_tags)
    raw: JsonObject = field(repr=False)


@api_model
class DeviceTypeInfo(ApiModel):
    """The short device type description embedded in a device."""

    id: str
    name: str | None = api_field(parse_text)
    conn_type: str | None = api_field(parse_text)
    conn_protocol: str | None = api_field(parse_text)
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object, *, type_id: str | None = None) -> Self:
        """Build from a device's ``type_info``; ``type_id`` fills a missing id."""
        raw = as_object(data)
        return cls.build(raw, id=parse_id(raw.get("id")) or type_id or "")


def _first_key(raw: JsonObject, *keys: str) -> tuple[bool, JsonValue]:
    """Return whether one of ``keys`` is present and the value of the first present."""
    for key in keys:
        if key in raw:
            return True, raw[key]
    return False, None


@api_model
class DeviceAlarm(ApiModel):
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
        level = parse_int(_first_key(raw, "alarm_level", "level")[1])
        has_status, status = _first_key(raw, "alarm_status", "status", "alarm")
        if has_status:
            number = parse_number(status)
            active = number > 0 if number is not None else bool(parse_bool(status))
        else:
            active = level is not None and level > 0
        info = _first_key(raw, "alarm_info", "info")[1]
        return cls.build(raw, active=active, level=level, info=info)


def _groups(value: object) -> tuple[str, ...]:
    """Return group ids from a list of ids or of objects with an id."""
    groups: list[str] = []
    if isinstance(value, list):
        for item in value:
            group_id = parse_id(item.get("id")) if isinstance(item, dict) else parse_id(item)
            if group_id is not None:
                groups.append(group_id)
    return tuple(groups)


@api_model
class Device(ApiModel):
    """A ThingsCloud device.

    ``active`` holds the numeric timestamps of the device's ``active`` object, as sent.
    """

    id: str = api_id()
    name: str = api_field(text_of)
    descr: str = api_field(text_of)
    device_key: str | None = api_field(nonempty_text)
    tags: dict[str, str] = api_field(parse_tags)
    create_time: datetime | None = api_field(parse_timestamp)
    alarm: DeviceAlarm = api_field(DeviceAlarm.from_api)
    active: dict[str, int] = api_field(numeric_fields)
    online: bool | None = api_field(parse_bool)
    type_id: str | None
    type_info: DeviceTypeInfo | None
    groups: tuple[str, ...] = api_field(_groups)
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a device object; ``ValueError`` without an id."""
        raw = as_object(data)
        type_id = parse_id(raw.get("type"))
        type_info_raw = raw.get("type_info")
        type_info = (
            DeviceTypeInfo.from_api(type_info_raw, type_id=type_id)
            if isinstance(type_info_raw, dict) and type_info_raw
            else None
        )
        if type_id is None and type_info is not None and type_info.id:
            type_id = type_info.id
        return cls.build(raw, type_id=type_id, type_info=type_info)

    @property
    def last_active(self) -> datetime | None:
        """Return the latest usable timestamp of ``active``."""
        stamps = [ts for value in self.active.values() if (ts := parse_timestamp(value))]
        return max(stamps, default=None)

    @property
    def type_name(self) -> str | None:
        """Return the name of the device's type, when known."""
        return self.type_info.name if self.type_info is not None else None


@api_model
class DevicePage(ApiModel):
    """One page of a device list."""

    items: tuple[Device, ...]
    total: int | None = api_field(parse_int)
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
        page_total = parse_int(raw.get("page_total"))
        return cls.build(
            raw,
            items=tuple(parse_items(parse_device, data)),
            page_total=page_total if page_total is not None and page_total >= 0 else page,
            page=page,
        )

    @property
    def has_page_total(self) -> bool:
        """Return whether the answer gave a usable ``page_total``."""
        page_total = parse_int(self.raw.get("page_total"))
        return page_total is not None and page_total >= 0


@api_model
class DeviceType(ApiModel):
    """A device type of the project."""

    id: str = api_id()
    name: str = api_field(text_of)
    descr: str = api_field(text_of)
    tags: dict[str, str] = api_field(parse_tags)
    create_time: datetime | None = api_field(parse_timestamp)
    device_count: int | None = api_field(parse_int)
    conn_protocol: str | None = api_field(parse_text)
    conn_type: str | None = api_field(parse_text)
    raw: JsonObject = field(repr=False)


@api_model
class DeviceGroup(ApiModel):
    """A device group with its sub-groups."""

    id: str = api_id()
    name: str = api_field(text_of)
    descr: str = api_field(text_of)
    tags: dict[str, str] = api_field(parse_tags)
    create_time: datetime | None = api_field(parse_timestamp)
    children: tuple[DeviceGroup, ...]
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a group object (children parsed too); ``ValueError`` without an id."""
        return cls._parse(data, 0)

    @classmethod
    def _parse(cls, data: object, depth: int) -> Self:
        raw = as_object(data)
        children: list[Self] = []
        if depth < MAX_GROUP_DEPTH:
            children = parse_items(lambda item: cls._parse(item, depth + 1), raw.get("children"))
        return cls.build(raw, children=tuple(children))


@api_model
class ExtendInfo(ApiModel):
    """An extended information field of a device or its definition on a device type."""

    id: str = api_id()
    info_type: str | None = api_field(parse_text)
    name: str = api_field(text_of)
    descr: str = api_field(text_of)
    value: JsonValue = api_field(as_sent)
    enabled: bool | None = api_field(parse_bool)
    options: JsonObject = api_field(parse_options)
    create_time: datetime | None = api_field(parse_timestamp)
    update_time: datetime | None = api_field(parse_timestamp)
    is_standard: bool | None = api_field(parse_bool)
    raw: JsonObject = field(repr=False)


@api_model
class DeviceCertificate(ApiModel):
    """The connection certificate of a device (its own access token, not the API's)."""

    id: str = api_field(id_or_empty)
    name: str = api_field(text_of)
    access_token: str | None = api_field(parse_text, shown=False)
    project_key: str | None = api_field(parse_text, shown=False)
    raw: JsonObject = field(repr=False)


@api_model
class AttributeModel(ApiModel):
    """The thing model definition of an attribute; ``data_options`` may be a JSON string."""

    name: str | None = api_field(parse_text)
    attr_type: str | None = api_field(parse_text)
    data_type: str | None = api_field(parse_text)
    data_options: JsonObject = api_field(parse_options)
    raw: JsonObject = field(repr=False)


@api_model
class Attribute(ApiModel):
    """A current attribute value of a device, with its effective thing model.

    ``model`` is the item's ``model`` with the item's own ``attr_type`` and
    ``data_type`` (when it has them) in place of the model's; an item with either of
    them but no ``model`` object gets a model of just those. ``None`` without any.
    """

    identifier: str = api_id()
    value: JsonValue = api_field(as_sent)
    ts: datetime | None = api_field(parse_timestamp)
    model: AttributeModel | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from an attribute object; ``ValueError`` without an identifier."""
        raw = as_object(data)
        model_raw = raw.get("model")
        attr_type = nonempty_text(raw.get("attr_type"))
        data_type = nonempty_text(raw.get("data_type"))
        model = None
        if isinstance(model_raw, dict) or attr_type or data_type:
            model = AttributeModel.from_api(model_raw)
            model = replace(
                model,
                attr_type=attr_type or model.attr_type,
                data_type=data_type or model.data_type,
            )
        return cls.build(raw, model=model)


@api_model
class SeriesPoint(ApiModel):
    """One point of an attribute's history.

    ``ts`` is read from ``ts`` (seconds or milliseconds) or, without a usable one, from
    ``timestamp`` (ISO 8601, as older ThingsCloud tools read it).
    """

    ts: datetime | None
    name: str | None = api_field(parse_text)
    value: JsonValue = api_field(as_sent)
    type: str | None = api_field(parse_text)
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a history item."""
        raw = as_object(data)
        ts = parse_timestamp(raw.get("ts")) or parse_timestamp(raw.get("timestamp"))
        return cls.build(raw, ts=ts)


@api_model
class AlarmLog(ApiModel):
    """One alarm message of the alarm history.

    ``device_id`` falls back to ``device.id``; ``device_name`` is ``device.name``.
    """

    id: str = api_field(id_or_empty)
    device_id: str | None
    alarm_status: int | None = api_field(parse_int)
    alarm_level: int | None = api_field(parse_int)
    alarm_info: JsonValue = api_field(as_sent)
    create_time: datetime | None = api_field(parse_timestamp)
    notify_logs: list[JsonValue] = api_field(list_of)
    device_name: str | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from an alarm log item."""
        raw = as_object(data)
        device = as_object(raw.get("device"))
        return cls.build(
            raw,
            device_id=parse_id(raw.get("device_id")) or parse_id(device.get("id")),
            device_name=parse_text(device.get("name")),
        )
