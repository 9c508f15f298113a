"""Diagnostics of the ThingsCloud integration.

The thing-model vocabulary of ThingsCloud is not documented, so the diagnostics carry the
raw API objects (devices, attributes with their models) and how the integration read
them. Secrets are redacted, in the entry and in the raw API objects alike.
"""

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
    DOMAIN,
)
from .coordinator import (
    DeviceSnapshot,
    ThingsCloudConfigEntry,
    ThingsCloudCoordinator,
    project_identifier,
)
from .entity import describe_snapshot_attribute
from .thing_model import AttributeSpec

TO_REDACT: Final = {
    CONF_ACCESS_KEY,
    CONF_SECRET_KEY,
    CONF_PASSWORD,
    CONF_ACCOUNT,
    CONF_APP_ID,
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


def _device_diagnostics(snapshot: DeviceSnapshot) -> dict[str, Any]:
    """Return one device: its raw object, values, attributes and their reading."""
    return {
        "device": async_redact_data(snapshot.device.raw, TO_REDACT),
        "available": snapshot.available,
        "values": async_redact_data(dict(snapshot.values), TO_REDACT),
        "attributes": {
            identifier: async_redact_data(attribute.raw, TO_REDACT)
            for identifier, attribute in snapshot.attributes.items()
        },
        "entities": {
            identifier: _spec_diagnostics(describe_snapshot_attribute(snapshot, identifier))
            for identifier in {**snapshot.attributes, **snapshot.values}
        },
    }


def _spec_diagnostics(spec: AttributeSpec) -> dict[str, Any]:
    """Return how the integration reads an attribute."""
    return {
        "platform": str(spec.platform),
        "access": str(spec.access),
        "value_type": str(spec.value_type),
        "unit": spec.native_unit,
        "device_class": spec.device_class,
    }


def _project_diagnostics(coordinator: ThingsCloudCoordinator) -> dict[str, Any]:
    return {
        "project": async_redact_data(coordinator.project.raw, TO_REDACT),
        "stats": dict(coordinator.data.stats),
        "last_update_success": coordinator.last_update_success,
        "last_exception": repr(coordinator.last_exception) if coordinator.last_exception else None,
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: ThingsCloudConfigEntry
) -> dict[str, Any]:
    """Return the diagnostics of a config entry."""
    coordinator = entry.runtime_data
    return {
        "entry": {
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": async_redact_data(dict(entry.options), TO_REDACT),
        },
        **_project_diagnostics(coordinator),
        "devices": {
            device_id: _device_diagnostics(snapshot)
            for device_id, snapshot in coordinator.data.devices.items()
        },
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant, entry: ThingsCloudConfigEntry, device_entry: AnyDeviceEntry
) -> dict[str, Any]:
    """Return the diagnostics of one device (the project's device: the project)."""
    coordinator = entry.runtime_data
    for domain, identifier in device_entry.identifiers:
        if domain == DOMAIN and (snapshot := coordinator.data.devices.get(identifier)):
            return _device_diagnostics(snapshot)
    if project_identifier(coordinator.project.id) in device_entry.identifiers:
        return _project_diagnostics(coordinator)
    return {"removed": True}
