"""The ThingsCloud project and its devices in Home Assistant's device registry."""

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceInfo

from .api import Device, DeviceGroup, Project, ThingsCloudClient, ThingsCloudError
from .const import DOMAIN, LOGGER, MANUFACTURER, PROJECT_IDENTIFIER_PREFIX

PROJECT_URL: Final = "https://www.thingscloud.xyz/"
# Devices whose groups are read at once to suggest their area.
MAX_PARALLEL_GROUP_READS: Final = 4


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


def _group_names(groups: Sequence[DeviceGroup]) -> dict[str, tuple[int, str]]:
    """Return group id -> (depth, name) for a group tree; a repeated id counts where deepest.

    (The client parses at most MAX_GROUP_DEPTH levels: the tree is finite.)
    """
    names: dict[str, tuple[int, str]] = {}
    level = [(0, group) for group in groups]
    while level:
        depth, group = level.pop()
        if depth >= names.get(group.id, (-1, ""))[0]:
            names[group.id] = (depth, group.name or group.id)
        level.extend((depth + 1, child) for child in group.children)
    return names


async def async_suggested_areas(
    client: ThingsCloudClient, groups: Sequence[DeviceGroup], devices: Iterable[Device]
) -> dict[str, str]:
    """Return the area to suggest per device: the name of its innermost group.

    The device list does not say which groups a device is in; ``GET /device/<id>`` does.
    A device whose groups cannot be read gets no suggestion.
    """
    names = _group_names(groups)
    semaphore = asyncio.Semaphore(MAX_PARALLEL_GROUP_READS)

    async def groups_of(device: Device) -> tuple[str, ...]:
        if device.groups:
            return device.groups
        try:
            async with semaphore:
                return (await client.get_device(device.id)).groups
        except ThingsCloudError as err:
            LOGGER.debug("Cannot read the groups of ThingsCloud device %s: %s", device.id, err)
            return ()

    devices = list(devices)
    memberships = await asyncio.gather(*(groups_of(device) for device in devices))
    areas: dict[str, str] = {}
    for device, group_ids in zip(devices, memberships, strict=True):
        known = [names[group_id] for group_id in group_ids if group_id in names]
        if known:
            areas[device.id] = max(known, key=lambda depth_name: depth_name[0])[1]
    return areas


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
