"""A repair issue when a project wants more entities than Home Assistant creates per entry.

Home Assistant adds at most ``MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY`` enabled entities per
config entry and refuses the others with a log line only. The count here is the entry's
enabled registry entries plus the enabled-by-default entities handed to Home Assistant
that have no registry entry yet (about to be added, or refused).
"""

from collections.abc import Iterable
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_platform, entity_registry as er
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .errors import async_clear_issue, async_show_issue

ISSUE_ENTITY_LIMIT: Final = "entity_limit_reached"


class EntityLimit:
    """The entities one entry wants, against Home Assistant's cap."""

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry) -> None:
        """Start counting for an entry; nothing is counted until :meth:`async_watch`."""
        self._hass = hass
        self._entry = entry
        # (platform, unique_id) -> device id, of enabled-by-default entities not registered.
        self._pending: dict[tuple[str, str], str] = {}
        self._watching = False

    @callback
    def note(self, platform: str, entities: Iterable[Entity]) -> None:
        """Note the entities a platform is about to add (before adding them)."""
        registry = er.async_get(self._hass)
        for entity in entities:
            unique_id = entity.unique_id
            if (
                unique_id is not None
                and entity.entity_registry_enabled_default
                and registry.async_get_entity_id(platform, DOMAIN, unique_id) is None
            ):
                self._pending[platform, unique_id] = getattr(entity, "device_id", "")
        if self._watching:
            self.async_count(set())

    @callback
    def async_watch(self) -> None:
        """Count now that the platforms are set up; from now on, after every note."""
        self._watching = True
        self.async_count(set())
        self._entry.async_on_unload(
            lambda: async_clear_issue(self._hass, self._entry, ISSUE_ENTITY_LIMIT)
        )

    @callback
    def async_count(self, devices: Iterable[str]) -> None:
        """Create or delete the repair issue; ``devices`` left the project."""
        registry = er.async_get(self._hass)
        gone = set(devices)
        self._pending = {
            key: device_id
            for key, device_id in self._pending.items()
            if device_id not in gone
            and registry.async_get_entity_id(key[0], DOMAIN, key[1]) is None
        }
        count = registry.entities.get_enabled_count_for_config_entry_id(self._entry.entry_id) + len(
            self._pending
        )
        limit = entity_platform.MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
        if count <= limit:
            async_clear_issue(self._hass, self._entry, ISSUE_ENTITY_LIMIT)
            return
        async_show_issue(
            self._hass,
            self._entry,
            ISSUE_ENTITY_LIMIT,
            count=str(count),
            limit=str(limit),
            missing=str(count - limit),
        )
