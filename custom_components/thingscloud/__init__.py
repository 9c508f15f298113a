"""The ThingsCloud integration: set up, unload and migrate a project's config entry."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import Platform
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryError
from homeassistant.helpers import (
    aiohttp_client,
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
)
from homeassistant.helpers.typing import ConfigType

from .api import AdminCredentials, AppCredentials, ThingsCloudClient
from .const import (
    ATTR_ALARM,
    ATTR_INFO,
    ATTR_LEVEL,
    ATTR_THINGSCLOUD_DEVICE_ID,
    AUTH_TYPE_APP,
    CONF_ACCESS_KEY,
    CONF_ACCOUNT,
    CONF_APP_ID,
    CONF_AUTH_TYPE,
    CONF_COMMAND_ID,
    CONF_DEVICE_ID,
    CONF_ENDPOINT,
    CONF_NAME,
    CONF_PASSWORD,
    CONF_SECRET_KEY,
    DOMAIN,
    EVENT_ALARM,
    SUBENTRY_COMMAND_BUTTON,
    SUBENTRY_COMMAND_SWITCH,
)
from .coordinator import ThingsCloudConfigEntry, ThingsCloudCoordinator, ThingsCloudRuntime
from .devices import device_identifier, project_identifier
from .entity_limit import EntityLimit
from .realtime import RealtimeLink
from .services import async_setup_services
from .statistics import EnergyStatistics

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.DEVICE_TRACKER,
    Platform.EVENT,
    Platform.NUMBER,
    Platform.SELECT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TEXT,
]

# Entries of version 1.1 kept command switches and buttons in options["commands"].
LEGACY_COMMANDS: Final = "commands"
_LEGACY_KINDS: Final = {"switch": SUBENTRY_COMMAND_SWITCH, "button": SUBENTRY_COMMAND_BUTTON}


def create_client(hass: HomeAssistant, data: Mapping[str, Any]) -> ThingsCloudClient:
    """Return a client for entry data, on Home Assistant's shared HTTP session.

    Raises ``ValueError`` (``ThingsCloudInvalidEndpointError``) for an unusable endpoint.
    """
    credentials = (
        AppCredentials(data[CONF_APP_ID], data[CONF_ACCESS_KEY], data[CONF_SECRET_KEY])
        if data[CONF_AUTH_TYPE] == AUTH_TYPE_APP
        else AdminCredentials(data[CONF_APP_ID], data[CONF_ACCOUNT], data[CONF_PASSWORD])
    )
    return ThingsCloudClient(
        data[CONF_ENDPOINT], credentials, session=aiohttp_client.async_get_clientsession(hass)
    )


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the actions of the integration."""
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
    runtime = entry.runtime_data = ThingsCloudRuntime(client, coordinator, EntityLimit(hass, entry))
    await coordinator.async_config_entry_first_refresh()
    runtime.realtime = RealtimeLink.create(hass, entry, coordinator)

    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    runtime.entity_limit.async_watch()
    if runtime.realtime is not None:
        runtime.realtime.async_start()
    if "recorder" in hass.config.components:
        runtime.statistics = EnergyStatistics(hass, entry)
        runtime.statistics.async_start()
    entry.async_on_unload(coordinator.async_add_listener(_async_follow_updates(hass, entry)))
    # Options and command subentries take effect by reloading the entry.
    entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def _async_reload(hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> None:
    await hass.config_entries.async_reload(entry.entry_id)


@callback
def _async_follow_updates(hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> CALLBACK_TYPE:
    """Return the listener that, after the entities, handles each new update once.

    It fires the update's alarm events and recounts the entities when devices left.
    """
    coordinator = entry.runtime_data.coordinator
    handled = coordinator.data

    @callback
    def updated() -> None:
        nonlocal handled
        data = coordinator.data
        if data is handled:
            return
        handled = data
        if gone := data.touched - data.devices.keys():
            entry.runtime_data.entity_limit.async_count(gone)
        registry = dr.async_get(hass)
        for change in data.alarms:
            device = registry.async_get_device_by_identifier(
                device_identifier(change.device_id), entry.entry_id
            )
            hass.bus.async_fire(
                EVENT_ALARM,
                {
                    CONF_DEVICE_ID: device.id if device else None,
                    ATTR_THINGSCLOUD_DEVICE_ID: change.device_id,
                    ATTR_ALARM: change.active,
                    ATTR_LEVEL: change.level,
                    ATTR_INFO: change.info,
                },
            )

    return updated


async def async_unload_entry(hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> bool:
    """Unload a config entry."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_config_entry_device(
    hass: HomeAssistant, entry: ThingsCloudConfigEntry, device_entry: dr.AnyDeviceEntry
) -> bool:
    """Allow removing a device only when the project no longer has it.

    The project's device and the project's devices would come back with the next update.
    """
    coordinator = entry.runtime_data.coordinator
    keep = {project_identifier(coordinator.project.id)} | {
        device_identifier(device_id) for device_id in coordinator.data.devices
    }
    return not device_entry.identifiers & keep


async def async_migrate_entry(hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> bool:
    """Migrate 1.1 and older (commands in options) to 1.2 (commands as config subentries).

    Home Assistant calls it only for an older entry (it refuses a newer major version).
    """
    _async_migrate_commands(hass, entry)
    hass.config_entries.async_update_entry(entry, version=1, minor_version=2)
    return True


@callback
def _async_migrate_commands(hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> None:
    """Turn each usable item of options["commands"] into a subentry with the same entity."""
    registry = er.async_get(hass)
    options = dict(entry.options)
    for item in options.pop(LEGACY_COMMANDS, None) or ():
        if not isinstance(item, Mapping) or item.get("kind") not in _LEGACY_KINDS:
            continue
        data = {key: value for key, value in item.items() if key not in ("id", "kind")}
        data[CONF_COMMAND_ID] = item.get("id")
        subentry = ConfigSubentry(
            data=MappingProxyType(data),
            subentry_type=_LEGACY_KINDS[item["kind"]],
            title=str(item.get(CONF_NAME) or item.get("method")),
            unique_id=None,
        )
        hass.config_entries.async_add_subentry(entry, subentry)
        unique_id = f"{item.get(CONF_DEVICE_ID)}_command_{item.get('id')}"
        platform = "switch" if item["kind"] == "switch" else "button"
        if entity_id := registry.async_get_entity_id(platform, DOMAIN, unique_id):
            registry.async_update_entity(entity_id, config_subentry_id=subentry.subentry_id)
    hass.config_entries.async_update_entry(entry, options=options)
