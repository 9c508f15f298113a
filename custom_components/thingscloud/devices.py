"""The ThingsCloud project and its devices in Home Assistant's device registry."""

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

from .api import Device, Project
from .const import DOMAIN, LOGGER, MANUFACTURER, PROJECT_IDENTIFIER_PREFIX

PROJECT_URL: Final = "https://www.thingscloud.xyz/"


def project_identifier(project_id: str) -> tuple[str, str]:
    """Return the device registry identifier of the project's service device."""
    return (DOMAIN, f"{PROJECT_IDENTIFIER_PREFIX}{project_id}")


def device_identifier(device_id: str) -> tuple[str, str]:
    """Return the device registry identifier of a ThingsCloud device."""
    return (DOMAIN, device_id)


@lru_cache(maxsize=4096)
def device_info(device_id: str) -> DeviceInfo:
    """Return the device info of a ThingsCloud device's entities (one object per device)."""
    return DeviceInfo(identifiers={device_identifier(device_id)})


@callback
def async_register_project(hass: HomeAssistant, entry: ConfigEntry, project: Project) -> str:
    """Create or update the project's service device; return its device id."""
    return (
        dr.async_get(hass)
        .async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={project_identifier(project.id)},
            entry_type=dr.DeviceEntryType.SERVICE,
            manufacturer=MANUFACTURER,
            name=project.name or project.id,
            configuration_url=PROJECT_URL,
        )
        .id
    )


@callback
def registered_device_ids(hass: HomeAssistant, entry: ConfigEntry) -> set[str]:
    """Return the ThingsCloud device ids the registry has for an entry (not the project)."""
    return {
        identifier
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        for domain, identifier in device.identifiers
        if domain == DOMAIN and not identifier.startswith(PROJECT_IDENTIFIER_PREFIX)
    }


@callback
def async_sync_devices(
    hass: HomeAssistant,
    entry: ConfigEntry,
    project_device_id: str,
    *,
    devices: Mapping[str, Device],
    gone: Iterable[str],
    areas: Mapping[str, str],
) -> None:
    """Create or update the devices of the project; remove those it no longer has.

    ``devices`` are the devices that are new or whose name, type or key changed. A
    suggested area only applies when the registry creates the device: a device the user
    placed elsewhere, or one restored from the registry's deleted devices, keeps its area.
    """
    registry = dr.async_get(hass)
    for device in devices.values():
        known = registry.async_get_device_by_identifier(
            device_identifier(device.id), entry.entry_id
        )
        name, model, serial_number = device.name or device.id, device.type_name, device.device_key
        if known is not None:
            registry.async_update_device(
                known.id, name=name, model=model, serial_number=serial_number
            )
            continue
        registry.async_get_or_create(
            config_entry_id=entry.entry_id,
            identifiers={device_identifier(device.id)},
            manufacturer=MANUFACTURER,
            name=name,
            model=model,
            serial_number=serial_number,
            via_device_id=project_device_id,
            suggested_area=areas.get(device.id),
        )
    for device_id in gone:
        if known := registry.async_get_device_by_identifier(
            device_identifier(device_id), entry.entry_id
        ):
            LOGGER.debug("Removing ThingsCloud device %s, no longer in the project", known.name)
            registry.async_remove_device(known.id)
