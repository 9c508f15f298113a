"""Tell the user when a project wants more entities than Home Assistant creates for one entry.

Home Assistant adds at most ``MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY`` (10,000) enabled
entities per config entry; it refuses the others with a log line only. A large project
reaches that (1000 devices of 10 attributes want 12,000). So the integration counts what it
wants: the enabled entities of the entry in the entity registry, plus the entities it handed
to Home Assistant that are enabled by default and still have no registry entry (those about
to be added, and those refused). When that is more than the cap, a repair issue
(``entity_limit_reached``) tells how many and how to filter: device types or groups in the
options, or disabling entities. The count is made after the platforms are set up, and again
whenever entities were added or devices left the project; the issue is deleted once the
entry fits (after a reload with fewer devices or entities) and when the entry unloads.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final
from weakref import WeakKeyDictionary

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import (
    entity_platform,
    entity_registry as er,
    issue_registry as ir,
)
from homeassistant.helpers.entity import Entity

from .const import DOMAIN
from .coordinator import ThingsCloudConfigEntry, ThingsCloudCoordinator

ISSUE_ENTITY_LIMIT: Final = "entity_limit_reached"


@dataclass(slots=True)
class _Wanted:
    """The entities of one coordinator's setup that the registry does not have yet."""

    # (platform domain, unique_id) -> device id, of entities enabled by default.
    pending: dict[tuple[str, str], str] = field(default_factory=dict)
    # Whether the platforms are set up (the count is complete from then on).
    watching: bool = False
    # Whether entities were noted since the last count.
    dirty: bool = False


# One record per coordinator: a reload makes a new coordinator, and a fresh count.
_WANTED: WeakKeyDictionary[ThingsCloudCoordinator, _Wanted] = WeakKeyDictionary()


def entity_limit_issue_id(entry_id: str) -> str:
    """Return the id of the repair issue of one config entry."""
    return f"{ISSUE_ENTITY_LIMIT}_{entry_id}"


@callback
def async_note_new_entities(
    coordinator: ThingsCloudCoordinator, platform: str, entities: Iterable[Entity]
) -> None:
    """Note the entities a platform is about to add (call it before adding them)."""
    wanted = _WANTED.setdefault(coordinator, _Wanted())
    registry = er.async_get(coordinator.hass)
    for entity in entities:
        unique_id = entity.unique_id
        if (
            unique_id is not None
            and entity.entity_registry_enabled_default
            and registry.async_get_entity_id(platform, DOMAIN, unique_id) is None
        ):
            wanted.pending[platform, unique_id] = getattr(entity, "device_id", "")
            wanted.dirty = True
    if wanted.watching and wanted.dirty:
        _async_count(coordinator, wanted)


@callback
def async_watch_entity_limit(hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> None:
    """Count once the platforms are set up, then after updates that add or remove entities."""
    coordinator = entry.runtime_data
    wanted = _WANTED.setdefault(coordinator, _Wanted())
    wanted.watching = True
    _async_count(coordinator, wanted)

    @callback
    def _async_updated() -> None:
        if wanted.dirty or coordinator.removed_device_ids:
            _async_count(coordinator, wanted)

    entry.async_on_unload(coordinator.async_add_listener(_async_updated))
    entry.async_on_unload(
        lambda: ir.async_delete_issue(hass, DOMAIN, entity_limit_issue_id(entry.entry_id))
    )


@callback
def _async_count(coordinator: ThingsCloudCoordinator, wanted: _Wanted) -> None:
    """Create or delete the entry's repair issue from the current count."""
    hass = coordinator.hass
    entry = coordinator.config_entry
    registry = er.async_get(hass)
    devices = coordinator.data.devices
    # Registered entities count through the registry; entities of devices that left the
    # project are not coming.
    wanted.pending = {
        key: device_id
        for key, device_id in wanted.pending.items()
        if (not device_id or device_id in devices)
        and registry.async_get_entity_id(key[0], DOMAIN, key[1]) is None
    }
    wanted.dirty = False
    count = registry.entities.get_enabled_count_for_config_entry_id(entry.entry_id) + len(
        wanted.pending
    )
    limit = entity_platform.MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
    issue_id = entity_limit_issue_id(entry.entry_id)
    if count <= limit:
        ir.async_delete_issue(hass, DOMAIN, issue_id)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue_id,
        is_fixable=False,
        is_persistent=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_ENTITY_LIMIT,
        translation_placeholders={
            "title": entry.title,
            "count": str(count),
            "limit": str(limit),
            "missing": str(count - limit),
        },
    )
