"""The actions: resolve the device and loaded entry, validate, then one client call each.

A write is followed by a refresh of that device, so that its entities catch up.
"""

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
import json
import re
from typing import Any, Final, Literal, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
from homeassistant.util.json import JsonObjectType
import probatio

from .api import AlarmLog, SeriesPoint
from .const import DOMAIN, PROJECT_IDENTIFIER_PREFIX
from .coordinator import ThingsCloudConfigEntry
from .errors import translated_errors

SERVICE_SEND_COMMAND: Final = "send_command"
SERVICE_PUSH_ATTRIBUTES: Final = "push_attributes"
SERVICE_SET_CLOUD_ATTRIBUTES: Final = "set_cloud_attributes"
SERVICE_SEND_DATA_STREAM: Final = "send_data_stream"
SERVICE_GET_ATTRIBUTE_HISTORY: Final = "get_attribute_history"
SERVICE_GET_ALARM_LOGS: Final = "get_alarm_logs"

ATTR_METHOD: Final = "method"
ATTR_PARAMS: Final = "params"
ATTR_COMMAND_ID: Final = "command_id"
ATTR_ATTRIBUTES: Final = "attributes"
ATTR_IDENTIFIER: Final = "identifier"
ATTR_TYPE: Final = "type"
ATTR_MESSAGE: Final = "message"
ATTR_PUSH_MODE: Final = "push_mode"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_PAGE: Final = "page"
ATTR_PAGE_RECORDS: Final = "page_records"

DATA_STREAM_TYPES: Final = ("hex", "text", "json")
PUSH_MODES: Final = ("mqtt", "tcp")
DEFAULT_DATA_STREAM_IDENTIFIER: Final = "stream"
DEFAULT_PUSH_MODE: Final = "mqtt"

DEFAULT_PAGE: Final = 1
DEFAULT_PAGE_RECORDS: Final = 20
MIN_PAGE_RECORDS: Final = 1
MAX_PAGE_RECORDS: Final = 100
MAX_HISTORY_RANGE: Final = timedelta(days=30)

# Bytes as pairs of hex digits separated by whitespace: "01 03 FF".
_HEX_MESSAGE = re.compile(r"[0-9A-Fa-f]{2}(?:\s+[0-9A-Fa-f]{2})*")

_DEVICE_SCHEMA: Final = {probatio.Required(ATTR_DEVICE_ID): cv.string}

SEND_COMMAND_SCHEMA: Final = probatio.Schema(
    {
        **_DEVICE_SCHEMA,
        probatio.Required(ATTR_METHOD): probatio.All(cv.string, probatio.Length(min=1)),
        probatio.Optional(ATTR_PARAMS, default=dict): dict,
        probatio.Optional(ATTR_COMMAND_ID): cv.positive_int,
    }
)
ATTRIBUTES_SCHEMA: Final = probatio.Schema(
    {**_DEVICE_SCHEMA, probatio.Required(ATTR_ATTRIBUTES): dict}
)
SEND_DATA_STREAM_SCHEMA: Final = probatio.Schema(
    {
        **_DEVICE_SCHEMA,
        probatio.Optional(ATTR_IDENTIFIER, default=DEFAULT_DATA_STREAM_IDENTIFIER): probatio.All(
            cv.string, probatio.Length(min=1)
        ),
        probatio.Required(ATTR_TYPE): probatio.In(DATA_STREAM_TYPES),
        # Text for hex and text; an object (or a text holding one) for json: checked later.
        probatio.Required(ATTR_MESSAGE): probatio.Any(dict, list, str, int, float, bool),
        probatio.Optional(ATTR_PUSH_MODE, default=DEFAULT_PUSH_MODE): probatio.In(PUSH_MODES),
    }
)
GET_ATTRIBUTE_HISTORY_SCHEMA: Final = probatio.Schema(
    {
        **_DEVICE_SCHEMA,
        probatio.Required(ATTR_IDENTIFIER): probatio.All(cv.string, probatio.Length(min=1)),
        probatio.Optional(ATTR_START): cv.datetime,
        probatio.Optional(ATTR_END): cv.datetime,
        # Ranges are checked by the handler, with translated messages.
        probatio.Optional(ATTR_PAGE, default=DEFAULT_PAGE): probatio.Coerce(int),
        probatio.Optional(ATTR_PAGE_RECORDS, default=DEFAULT_PAGE_RECORDS): probatio.Coerce(int),
    }
)
GET_ALARM_LOGS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_DEVICE_ID): cv.string,
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    }
)


@dataclass(frozen=True, slots=True)
class _Target:
    """What an action works on: a loaded entry and, for device actions, one device."""

    entry: ThingsCloudConfigEntry
    device_id: str | None = None
    """The ThingsCloud device id (not the Home Assistant one)."""

    @property
    def thingscloud_device_id(self) -> str:
        """Return the ThingsCloud device id of a device action."""
        assert self.device_id is not None  # noqa: S101 - set by _resolve_device
        return self.device_id


def _validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return a translated validation error."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


def _loaded(entry: ThingsCloudConfigEntry) -> ThingsCloudConfigEntry:
    """Return the entry if it is loaded, else refuse the action."""
    if entry.state is not ConfigEntryState.LOADED:
        raise _validation_error("entry_not_loaded", entry_title=entry.title)
    return entry


@callback
def _resolve_device(hass: HomeAssistant, ha_device_id: str) -> _Target:
    """Resolve a Home Assistant device id to its ThingsCloud device and loaded entry."""
    device, entry = dr.async_get_device_and_config_entry_for_domain(
        hass, ha_device_id, domain=DOMAIN
    )
    if device is None:
        raise _validation_error("device_not_found", device_id=ha_device_id)
    name = device.name_by_user or device.name or ha_device_id
    identifiers = [value for domain, value in device.identifiers if domain == DOMAIN]
    if entry is None or not identifiers:
        raise _validation_error("not_thingscloud_device", device_name=name)
    # The project's service device is "project_<project id>" (the entry's unique id).
    project = f"{PROJECT_IDENTIFIER_PREFIX}{entry.unique_id}"
    device_ids = [value for value in identifiers if value != project]
    if not device_ids:
        raise _validation_error("project_device", device_name=name)
    return _Target(_loaded(cast("ThingsCloudConfigEntry", entry)), device_ids[0])


@callback
def _resolve_entry(hass: HomeAssistant, entry_id: str | None) -> ThingsCloudConfigEntry:
    """Return the loaded entry of a project: the one given, or the only one there is."""
    if entry_id is None:
        entries = hass.config_entries.async_entries(
            DOMAIN, include_ignore=False, include_disabled=False
        )
        if not entries:
            raise _validation_error("no_config_entry")
        if len(entries) > 1:
            raise _validation_error("config_entry_required")
        return _loaded(entries[0])
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise _validation_error("config_entry_not_found", entry_id=entry_id)
    return _loaded(entry)


def _resolve_call_device(call: ServiceCall) -> _Target:
    """Resolve the device of a device action."""
    return _resolve_device(call.hass, call.data[ATTR_DEVICE_ID])


def _resolve_alarm_logs_target(call: ServiceCall) -> _Target:
    """Resolve `get_alarm_logs`: a device, or a project (by entry, or the only one)."""
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if (ha_device_id := call.data.get(ATTR_DEVICE_ID)) is None:
        return _Target(_resolve_entry(call.hass, entry_id))
    target = _resolve_device(call.hass, ha_device_id)
    if entry_id is not None and entry_id != target.entry.entry_id:
        raise _validation_error(
            "device_not_in_config_entry", device_id=ha_device_id, entry_id=entry_id
        )
    return target


type _Handler = Callable[[ServiceCall, _Target], Awaitable[ServiceResponse]]


def _action(
    resolve: Callable[[ServiceCall], _Target],
) -> Callable[[_Handler], Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]]:
    """Resolve the target of an action, then run it with the client's errors translated."""

    def decorator(
        handler: _Handler,
    ) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
        @wraps(handler)
        async def run(call: ServiceCall) -> ServiceResponse:
            target = resolve(call)
            with translated_errors(call.hass, target.entry):
                return await handler(call, target)

        return run

    return decorator


async def _refresh(target: _Target) -> None:
    """Let the entities catch up with a write: re-read the device, even if idle."""
    await target.entry.runtime_data.coordinator.async_refresh_device(target.thingscloud_device_id)


# --- writes ------------------------------------------------------------------------------


def _attributes(call: ServiceCall) -> dict[str, Any]:
    """Return the non-empty attributes of a call."""
    attributes: dict[str, Any] = call.data[ATTR_ATTRIBUTES]
    if not attributes:
        raise _validation_error("empty_attributes")
    return attributes


@_action(_resolve_call_device)
async def _async_send_command(call: ServiceCall, target: _Target) -> ServiceResponse:
    """Send a command ``{method, params, id}`` to a device."""
    await target.entry.runtime_data.client.send_command(
        target.thingscloud_device_id,
        call.data[ATTR_METHOD],
        call.data[ATTR_PARAMS],
        call.data.get(ATTR_COMMAND_ID),
    )
    await _refresh(target)
    return None


@_action(_resolve_call_device)
async def _async_push_attributes(call: ServiceCall, target: _Target) -> ServiceResponse:
    """Send attributes to a device."""
    attributes = _attributes(call)
    await target.entry.runtime_data.client.push_attributes(target.thingscloud_device_id, attributes)
    await _refresh(target)
    return None


@_action(_resolve_call_device)
async def _async_set_cloud_attributes(call: ServiceCall, target: _Target) -> ServiceResponse:
    """Update cloud attributes of a device."""
    attributes = _attributes(call)
    await target.entry.runtime_data.client.set_cloud_attributes(
        target.thingscloud_device_id, attributes
    )
    await _refresh(target)
    return None


def _data_stream_message(message_type: str, message: object) -> str | dict[str, Any]:
    """Return the message of a data stream, checked against its type."""
    if message_type == "json":
        if isinstance(message, str):
            try:
                message = json.loads(message)
            except ValueError:
                raise _validation_error("json_message_not_object") from None
        if not isinstance(message, dict):
            raise _validation_error("json_message_not_object")
        return cast("dict[str, Any]", message)
    if not isinstance(message, str):
        raise _validation_error("message_not_text", type=message_type)
    if message_type == "hex":
        message = message.strip()
        if not _HEX_MESSAGE.fullmatch(message):
            raise _validation_error("invalid_hex_message")
    elif not message:
        raise _validation_error("empty_text_message")
    return message


@_action(_resolve_call_device)
async def _async_send_data_stream(call: ServiceCall, target: _Target) -> ServiceResponse:
    """Send a custom data stream message to a device."""
    message_type: Literal["hex", "text", "json"] = call.data[ATTR_TYPE]
    message = _data_stream_message(message_type, call.data[ATTR_MESSAGE])
    await target.entry.runtime_data.client.send_data_stream(
        target.thingscloud_device_id,
        call.data[ATTR_IDENTIFIER],
        message_type,
        message,
        push_mode=call.data[ATTR_PUSH_MODE],
    )
    await _refresh(target)
    return None


# --- reads -------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    """Return a timestamp as ISO 8601 in the time zone of Home Assistant."""
    return dt_util.as_local(value).isoformat() if value is not None else None


def _history_range(
    start: datetime | None, end: datetime | None
) -> tuple[datetime | None, datetime | None]:
    """Return the range to ask for: both ends or neither, at most 30 days apart.

    The API applies a range only when both ends are given; a lone end is completed so the
    range spans the longest the API allows. Naive datetimes are in Home Assistant's zone.
    """
    if start is None and end is None:
        return None, None
    if start is not None:
        start = dt_util.as_utc(start)
    if end is not None:
        end = dt_util.as_utc(end)
    if end is None:
        assert start is not None  # noqa: S101 - one of the two is given
        end = start + MAX_HISTORY_RANGE
    elif start is None:
        start = end - MAX_HISTORY_RANGE
    if end < start:
        raise _validation_error("end_before_start", start=str(_iso(start)), end=str(_iso(end)))
    if end - start > MAX_HISTORY_RANGE:
        raise _validation_error("range_too_long", days=str(MAX_HISTORY_RANGE.days))
    return start, end


def _series_item(point: SeriesPoint) -> JsonObjectType:
    """Return one history point as a response item."""
    return {
        "ts": _iso(point.ts),
        "name": point.name,
        "value": point.value,
        "type": point.type,
    }


@_action(_resolve_call_device)
async def _async_get_attribute_history(call: ServiceCall, target: _Target) -> ServiceResponse:
    """Return one page of an attribute's history, newest first."""
    page: int = call.data[ATTR_PAGE]
    page_records: int = call.data[ATTR_PAGE_RECORDS]
    if page < 1:
        raise _validation_error("invalid_page", page=str(page))
    if not MIN_PAGE_RECORDS <= page_records <= MAX_PAGE_RECORDS:
        raise _validation_error(
            "invalid_page_records",
            page_records=str(page_records),
            min=str(MIN_PAGE_RECORDS),
            max=str(MAX_PAGE_RECORDS),
        )
    start, end = _history_range(call.data.get(ATTR_START), call.data.get(ATTR_END))
    points = await target.entry.runtime_data.client.get_attribute_series(
        target.thingscloud_device_id,
        call.data[ATTR_IDENTIFIER],
        page=page,
        page_records=page_records,
        start_time=start,
        end_time=end,
    )
    return {"items": [_series_item(point) for point in points]}


def _alarm_item(log: AlarmLog, ha_device_ids: Mapping[str, str]) -> JsonObjectType:
    """Return one alarm log as a response item."""
    return {
        "id": log.id,
        "create_time": _iso(log.create_time),
        "device_id": log.device_id,
        "device_name": log.device_name,
        "ha_device_id": ha_device_ids.get(log.device_id) if log.device_id else None,
        "alarm_status": log.alarm_status,
        "alarm_level": log.alarm_level,
        "alarm_info": log.alarm_info,
        "notify_logs": log.notify_logs,
    }


@_action(_resolve_alarm_logs_target)
async def _async_get_alarm_logs(call: ServiceCall, target: _Target) -> ServiceResponse:
    """Return the alarm history of a device or of the whole project."""
    client = target.entry.runtime_data.client
    if target.device_id is None:
        logs = await client.get_alarm_logs()
    else:
        logs = await client.get_device_alarm_logs(target.device_id)
    registry = dr.async_get(call.hass)
    ha_device_ids = {
        value: device.id
        for device in dr.async_entries_for_config_entry(registry, target.entry.entry_id)
        for domain, value in device.identifiers
        if domain == DOMAIN
    }
    return {"items": [_alarm_item(log, ha_device_ids) for log in logs]}


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions of the integration."""
    for service, handler, schema in (
        (SERVICE_SEND_COMMAND, _async_send_command, SEND_COMMAND_SCHEMA),
        (SERVICE_PUSH_ATTRIBUTES, _async_push_attributes, ATTRIBUTES_SCHEMA),
        (SERVICE_SET_CLOUD_ATTRIBUTES, _async_set_cloud_attributes, ATTRIBUTES_SCHEMA),
        (SERVICE_SEND_DATA_STREAM, _async_send_data_stream, SEND_DATA_STREAM_SCHEMA),
    ):
        hass.services.async_register(DOMAIN, service, handler, schema)
    for service, handler, schema in (
        (SERVICE_GET_ATTRIBUTE_HISTORY, _async_get_attribute_history, GET_ATTRIBUTE_HISTORY_SCHEMA),
        (SERVICE_GET_ALARM_LOGS, _async_get_alarm_logs, GET_ALARM_LOGS_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, service, handler, schema, supports_response=SupportsResponse.ONLY
        )
