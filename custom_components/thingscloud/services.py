"""The actions: resolve the device and loaded entry, check the input, call the client.

A write is followed by a refresh of that device, so that its entities catch up.
"""

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any, Final, cast

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import ATTR_CONFIG_ENTRY_ID, ATTR_DEVICE_ID
from homeassistant.core import (
    HomeAssistant,
    ServiceCall,
    ServiceResponse,
    SupportsResponse,
    callback,
)
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.util import dt as dt_util
import probatio

from .api import ThingsCloudClient
from .api.const import SERIES_PAGE_RECORDS_DEFAULT
from .api.params import (
    check_page,
    data_stream_message,
    history_range,
    nonempty_attributes,
)
from .const import DOMAIN, PROJECT_IDENTIFIER_PREFIX
from .coordinator import ThingsCloudConfigEntry
from .errors import translated_errors, validation_error

_DEVICE: Final = {probatio.Required(ATTR_DEVICE_ID): cv.string}
_TEXT: Final = probatio.All(cv.string, probatio.Length(min=1))
_ATTRIBUTES_SCHEMA: Final = probatio.Schema({**_DEVICE, probatio.Required("attributes"): dict})

type _Send = Callable[[ThingsCloudClient, str, Mapping[str, Any]], Awaitable[None]]

# Each write: its schema, and its client call (the input is checked before the call is made).
_WRITES: Final[dict[str, tuple[probatio.Schema, _Send]]] = {
    "send_command": (
        probatio.Schema(
            {
                **_DEVICE,
                probatio.Required("method"): _TEXT,
                probatio.Optional("params", default=dict): dict,
                probatio.Optional("command_id"): cv.positive_int,
            }
        ),
        lambda client, device_id, data: client.send_command(
            device_id, data["method"], data["params"], data.get("command_id")
        ),
    ),
    "push_attributes": (
        _ATTRIBUTES_SCHEMA,
        lambda client, device_id, data: client.push_attributes(
            device_id, nonempty_attributes(data["attributes"])
        ),
    ),
    "set_cloud_attributes": (
        _ATTRIBUTES_SCHEMA,
        lambda client, device_id, data: client.set_cloud_attributes(
            device_id, nonempty_attributes(data["attributes"])
        ),
    ),
    "send_data_stream": (
        probatio.Schema(
            {
                **_DEVICE,
                probatio.Optional("identifier", default="stream"): _TEXT,
                probatio.Required("type"): probatio.In(("hex", "text", "json")),
                # Text for hex and text; an object (or a text holding one) for json.
                probatio.Required("message"): probatio.Any(dict, list, str, int, float, bool),
                probatio.Optional("push_mode", default="mqtt"): probatio.In(("mqtt", "tcp")),
            }
        ),
        lambda client, device_id, data: client.send_data_stream(
            device_id,
            data["identifier"],
            data["type"],
            data_stream_message(data["type"], data["message"]),
            push_mode=data["push_mode"],
        ),
    ),
}
GET_ATTRIBUTE_HISTORY_SCHEMA: Final = probatio.Schema(
    {
        **_DEVICE,
        probatio.Required("identifier"): _TEXT,
        probatio.Optional("start"): cv.datetime,
        probatio.Optional("end"): cv.datetime,
        # Ranges are checked by the handler, with translated messages.
        probatio.Optional("page", default=1): probatio.Coerce(int),
        probatio.Optional("page_records", default=SERIES_PAGE_RECORDS_DEFAULT): probatio.Coerce(
            int
        ),
    }
)
GET_ALARM_LOGS_SCHEMA: Final = probatio.Schema(
    {
        probatio.Optional(ATTR_DEVICE_ID): cv.string,
        probatio.Optional(ATTR_CONFIG_ENTRY_ID): cv.string,
    }
)


def _loaded(entry: ThingsCloudConfigEntry) -> ThingsCloudConfigEntry:
    """Return the entry if it is loaded, else refuse the action."""
    if entry.state is not ConfigEntryState.LOADED:
        raise validation_error("entry_not_loaded", entry_title=entry.title)
    return entry


@callback
def _resolve_device(hass: HomeAssistant, ha_device_id: str) -> tuple[ThingsCloudConfigEntry, str]:
    """Return the loaded entry and ThingsCloud device id of a Home Assistant device."""
    device, entry = dr.async_get_device_and_config_entry_for_domain(
        hass, ha_device_id, domain=DOMAIN
    )
    if device is None:
        raise validation_error("device_not_found", device_id=ha_device_id)
    name = device.name_by_user or device.name or ha_device_id
    identifiers = [value for domain, value in device.identifiers if domain == DOMAIN]
    if entry is None or not identifiers:
        raise validation_error("not_thingscloud_device", device_name=name)
    # The project's service device is "project_<project id>" (the entry's unique id).
    project = f"{PROJECT_IDENTIFIER_PREFIX}{entry.unique_id}"
    device_ids = [value for value in identifiers if value != project]
    if not device_ids:
        raise validation_error("project_device", device_name=name)
    return _loaded(cast("ThingsCloudConfigEntry", entry)), device_ids[0]


@callback
def _resolve_entry(hass: HomeAssistant, entry_id: str | None) -> ThingsCloudConfigEntry:
    """Return the loaded entry of a project: the one given, or the only one there is."""
    if entry_id is None:
        entries = hass.config_entries.async_entries(
            DOMAIN, include_ignore=False, include_disabled=False
        )
        if not entries:
            raise validation_error("no_config_entry")
        if len(entries) > 1:
            raise validation_error("config_entry_required")
        return _loaded(entries[0])
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN:
        raise validation_error("config_entry_not_found", entry_id=entry_id)
    return _loaded(entry)


def _call_device(call: ServiceCall) -> tuple[ThingsCloudConfigEntry, str]:
    """Resolve the device of a device action."""
    return _resolve_device(call.hass, call.data[ATTR_DEVICE_ID])


def _alarm_logs_target(call: ServiceCall) -> tuple[ThingsCloudConfigEntry, str | None]:
    """Resolve `get_alarm_logs`: a device, or a project (by entry, or the only one)."""
    entry_id: str | None = call.data.get(ATTR_CONFIG_ENTRY_ID)
    if (ha_device_id := call.data.get(ATTR_DEVICE_ID)) is None:
        return _resolve_entry(call.hass, entry_id), None
    entry, device_id = _resolve_device(call.hass, ha_device_id)
    if entry_id is not None and entry_id != entry.entry_id:
        raise validation_error(
            "device_not_in_config_entry", device_id=ha_device_id, entry_id=entry_id
        )
    return entry, device_id


def _action[D: str | None](
    resolve: Callable[[ServiceCall], tuple[ThingsCloudConfigEntry, D]],
    run: Callable[[ServiceCall, ThingsCloudConfigEntry, D], Awaitable[ServiceResponse]],
) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """Return an action: resolve its target, then run it with errors translated."""

    async def action(call: ServiceCall) -> ServiceResponse:
        entry, device_id = resolve(call)
        with translated_errors(call.hass, entry):
            return await run(call, entry, device_id)

    return action


def _write(send: _Send) -> Callable[[ServiceCall], Coroutine[Any, Any, ServiceResponse]]:
    """Return a write action: send, then re-read the device (even if idle)."""

    async def run(call: ServiceCall, entry: ThingsCloudConfigEntry, device_id: str) -> None:
        await send(entry.runtime_data.client, device_id, call.data)
        await entry.runtime_data.coordinator.async_refresh_device(device_id)

    return _action(_call_device, run)


def _iso(value: datetime | None) -> str | None:
    """Return a timestamp as ISO 8601 in the time zone of Home Assistant."""
    return dt_util.as_local(value).isoformat() if value is not None else None


async def _get_attribute_history(
    call: ServiceCall, entry: ThingsCloudConfigEntry, device_id: str
) -> ServiceResponse:
    """Return one page of an attribute's history, newest first."""
    check_page(call.data["page"], call.data["page_records"])
    start, end = history_range(
        call.data.get("start"), call.data.get("end"), dt_util.get_default_time_zone()
    )
    points = await entry.runtime_data.client.get_attribute_series(
        device_id,
        call.data["identifier"],
        page=call.data["page"],
        page_records=call.data["page_records"],
        start_time=start,
        end_time=end,
    )
    return {
        "items": [
            {"ts": _iso(point.ts), "name": point.name, "value": point.value, "type": point.type}
            for point in points
        ]
    }


async def _get_alarm_logs(
    call: ServiceCall, entry: ThingsCloudConfigEntry, device_id: str | None
) -> ServiceResponse:
    """Return the alarm history of a device or of the whole project."""
    client = entry.runtime_data.client
    logs = await (
        client.get_alarm_logs() if device_id is None else client.get_device_alarm_logs(device_id)
    )
    ha_device_ids = {
        value: device.id
        for device in dr.async_entries_for_config_entry(dr.async_get(call.hass), entry.entry_id)
        for domain, value in device.identifiers
        if domain == DOMAIN
    }
    return {
        "items": [
            {
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
            for log in logs
        ]
    }


@callback
def async_setup_services(hass: HomeAssistant) -> None:
    """Register the actions of the integration."""
    for service, (schema, send) in _WRITES.items():
        hass.services.async_register(DOMAIN, service, _write(send), schema)
    for service, handler, schema in (
        (
            "get_attribute_history",
            _action(_call_device, _get_attribute_history),
            GET_ATTRIBUTE_HISTORY_SCHEMA,
        ),
        ("get_alarm_logs", _action(_alarm_logs_target, _get_alarm_logs), GET_ALARM_LOGS_SCHEMA),
    ):
        hass.services.async_register(
            DOMAIN, service, handler, schema, supports_response=SupportsResponse.ONLY
        )
