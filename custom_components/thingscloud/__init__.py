"""The ThingsCloud integration."""

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import config_validation as cv, device_registry as dr
from homeassistant.helpers.typing import ConfigType

from .const import DOMAIN
from .coordinator import (
    MANUFACTURER,
    ThingsCloudConfigEntry,
    ThingsCloudCoordinator,
    project_identifier,
)
from .entity_limit import async_watch_entity_limit
from .helpers import create_client
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TEXT,
]

PROJECT_URL = "https://www.thingscloud.xyz/"


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the ThingsCloud integration."""
    async_setup_services(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> bool:
    """Set up a ThingsCloud project from a config entry."""
    try:
        client = create_client(hass, entry.data)
    except ValueError as err:
        raise ConfigEntryError(
            translation_domain=DOMAIN,
            translation_key="invalid_config",
            translation_placeholders={"error": str(err)},
        ) from err

    coordinator = ThingsCloudCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator

    # The project is the hub every ThingsCloud device is connected through (via_device).
    project_device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={project_identifier(coordinator.project.id)},
        entry_type=dr.DeviceEntryType.SERVICE,
        manufacturer=MANUFACTURER,
        name=coordinator.project.name or coordinator.project.id,
        configuration_url=PROJECT_URL,
    )
    coordinator.project_device_id = project_device.id

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # Home Assistant creates at most 10,000 enabled entities per entry: say so if it matters.
    async_watch_entity_limit(hass, entry)
    return True


async def async_unload_entry(hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ThingsCloudConfigEntry, device_entry: dr.AnyDeviceEntry
) -> bool:
    """Allow removing a device only when the project no longer has it.

    The project's own device and devices that are still in the project are refused:
    they would come back with the next update.
    """
    coordinator = entry.runtime_data
    return not any(
        domain == DOMAIN
        and (
            (domain, identifier) == project_identifier(coordinator.project.id)
            or identifier in coordinator.data.devices
        )
        for domain, identifier in device_entry.identifiers
    )
