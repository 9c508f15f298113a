"""Diagnostics: the raw API objects and how the integration read them, secrets redacted."""

from dataclasses import asdict
from typing import Any, Final

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant
from homeassistant.helpers.device_registry import AnyDeviceEntry

from .const import (
    CONF_ACCESS_KEY,
    CONF_ACCOUNT,
    CONF_APP_ID,
    CONF_PASSWORD,
    CONF_SECRET_KEY,
    CONF_VIEW_KEY,
    CONF_VIEW_SECRET,
    DOMAIN,
)
from .coordinator import Snapshot, ThingsCloudConfigEntry
from .devices import project_identifier

TO_REDACT: Final = {
    CONF_ACCESS_KEY,
    CONF_SECRET_KEY,
    CONF_PASSWORD,
    CONF_ACCOUNT,
    CONF_APP_ID,
    CONF_VIEW_KEY,
    CONF_VIEW_SECRET,
    "access_token",
    "token",
    "refresh_token",
    "device_key",
    "device_code",
    "view_token",
    "project_key",
    "secret",
    "email",
    "mobile",
}


def _device(snapshot: Snapshot) -> dict[str, Any]:
    """Return one device: its raw object, values, thing models and how they were read."""
    return {
        "device": async_redact_data(snapshot.device.raw, TO_REDACT),
        "available": snapshot.available,
        "values": async_redact_data(dict(snapshot.values), TO_REDACT),
        "models": {
            identifier: async_redact_data(model.raw, TO_REDACT)
            for identifier, model in snapshot.models.items()
        },
        "entities": {
            identifier: {
                "platform": str(spec.platform),
                "access": str(spec.access),
                "value_type": str(spec.value_type),
                "unit": spec.native_unit,
                "device_class": spec.device_class,
            }
            for identifier, spec in snapshot.specs.items()
        },
    }


def _project(entry: ThingsCloudConfigEntry) -> dict[str, Any]:
    runtime = entry.runtime_data
    coordinator = runtime.coordinator
    return {
        "project": async_redact_data(coordinator.project.raw, TO_REDACT),
        "stats": dict(coordinator.data.stats),
        "last_update_success": coordinator.last_update_success,
        "last_exception": repr(coordinator.last_exception) if coordinator.last_exception else None,
        "update_interval": str(coordinator.update_interval),
        "pacing": asdict(runtime.client.pacing),
        "realtime": runtime.realtime.diagnostics() if runtime.realtime else None,
        "statistics": runtime.statistics.diagnostics() if runtime.statistics else None,
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ThingsCloudConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of a config entry."""
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
            "subentries": [
                async_redact_data(subentry.as_dict(), TO_REDACT)
                for subentry in entry.subentries.values()
            ],
        },
        **_project(entry),
        "devices": {
            device_id: _device(snapshot)
            for device_id, snapshot in entry.runtime_data.coordinator.data.devices.items()
        },
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: ThingsCloudConfigEntry, device_entry: AnyDeviceEntry
) -> dict[str, Any]:
    """Return the diagnostics of one device (of the project, for the project's device)."""
    coordinator = entry.runtime_data.coordinator
    for domain, identifier in device_entry.identifiers:
        if domain == DOMAIN and (snapshot := coordinator.data.devices.get(identifier)):
            return _device(snapshot)
    if project_identifier(coordinator.project.id) in device_entry.identifiers:
        return _project(entry)
    return {"removed": True}
