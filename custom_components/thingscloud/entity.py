"""Base entities of the ThingsCloud integration.

Every entity derives from :class:`ThingsCloudEntity`. It skips state writes when its
inputs did not change: the coordinator keeps a device's :class:`DeviceSnapshot` object
when nothing of that device changed, so an entity first compares the snapshot's identity
(and the coordinator's success flag) with what it rendered last, and only then the cheap
:meth:`ThingsCloudEntity._render_key` of its own state. CPU per cycle therefore grows with
the changes, not with the number of entities.

Writing an attribute (for the writable platforms):

``await self._async_write_attribute(api_value)`` on a :class:`ThingsCloudAttributeEntity`
sends ``{identifier: api_value}`` with ``push_attributes`` (``Access.DEVICE``, POST) or
``set_cloud_attributes`` (``Access.CLOUD``, PUT) as the attribute's spec says. When the API
accepts it, the entity shows ``api_value`` at once (read it through
:attr:`ThingsCloudAttributeEntity.attribute_value`) and asks the coordinator for a refresh;
the next coordinator update replaces the optimistic value with the cloud's. When the API
refuses it, a translated ``HomeAssistantError`` (``write_failed``; ``auth_failed`` for
rejected credentials, which also starts reauthentication) is raised and the state stays the
coordinator's value. Platforms convert their HA value to the API value (``api_value``)
before calling it.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
import re
from typing import Any, Final, override
from weakref import WeakKeyDictionary

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import JsonObject, JsonValue, ThingsCloudAuthError, ThingsCloudError
from .const import CONF_COMMANDS, DOMAIN, LOGGER
from .coordinator import (
    MANUFACTURER,
    DeviceSnapshot,
    ThingsCloudConfigEntry,
    ThingsCloudCoordinator,
    ThingsCloudData,
    device_identifier,
    project_identifier,
)
from .entity_limit import async_note_new_entities
from .thing_model import Access, AttributeSpec, describe_attribute

_UNSET: Final[Any] = object()


class ThingsCloudEntity(CoordinatorEntity[ThingsCloudCoordinator]):
    """An entity of one ThingsCloud device.

    Available while the coordinator's last cycle succeeded, the device is still in the
    project and its own requests succeeded. unique_id: ``<device_id>_<key>``.
    """

    _attr_has_entity_name = True

    def __init__(self, coordinator: ThingsCloudCoordinator, device_id: str, key: str) -> None:
        """Create the entity for one device; ``key`` completes the unique_id."""
        # The context tells the coordinator which device's changes this entity shows.
        super().__init__(coordinator, context=device_id)
        self.device_id = device_id
        self._attr_unique_id = f"{device_id}_{key}"
        device = coordinator.data.devices[device_id].device
        self._attr_device_info = DeviceInfo(
            identifiers={device_identifier(device_id)},
            name=device.name or device_id,
            manufacturer=MANUFACTURER,
            model=device.type_name,
            serial_number=device.device_key,
            via_device_id=coordinator.project_device_id,
        )
        self._rendered_snapshot: DeviceSnapshot | None = _UNSET
        self._rendered_success: bool = coordinator.last_update_success
        self._rendered_key: object = _UNSET

    @property
    def snapshot(self) -> DeviceSnapshot | None:
        """Return the device's current snapshot, ``None`` once it left the project."""
        return self.coordinator.data.devices.get(self.device_id)

    @property
    @override
    def available(self) -> bool:
        """Return whether the entity's data is current."""
        snapshot = self.snapshot
        return super().available and snapshot is not None and snapshot.available

    def _render_key(self) -> object:
        """Return what the entity's state is built from; equal keys skip the write.

        The default renders on every new snapshot of its device.
        """
        return (self.available, self.snapshot)

    @override
    async def async_added_to_hass(self) -> None:
        """Remember what the first state was rendered from."""
        await super().async_added_to_hass()
        self._remember_render()

    @callback
    def _remember_render(self) -> None:
        self._rendered_snapshot = self.snapshot
        self._rendered_success = self.coordinator.last_update_success
        self._rendered_key = self._render_key()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Write the state only when the entity's inputs changed."""
        snapshot = self.snapshot
        success = self.coordinator.last_update_success
        if snapshot is self._rendered_snapshot and success == self._rendered_success:
            return
        self._rendered_snapshot = snapshot
        self._rendered_success = success
        key = self._render_key()
        if key == self._rendered_key:
            return
        self._rendered_key = key
        self.async_write_ha_state()

    @callback
    def _force_render(self) -> None:
        """Make the next coordinator update write the state whatever it holds."""
        self._rendered_snapshot = _UNSET
        self._rendered_key = _UNSET


class ThingsCloudAttributeEntity(ThingsCloudEntity):
    """An entity showing (and, on writable platforms, setting) one device attribute.

    unique_id ``<device_id>_attr_<identifier>``; the name is the thing model's name.
    """

    def __init__(
        self,
        coordinator: ThingsCloudCoordinator,
        device_id: str,
        spec: AttributeSpec,
    ) -> None:
        """Create the entity of one attribute spec."""
        super().__init__(coordinator, device_id, f"attr_{spec.identifier}")
        self.spec = spec
        self.identifier = spec.identifier
        self._attr_name = spec.name
        self._optimistic: JsonValue = _UNSET

    @property
    def attribute_value(self) -> JsonValue:
        """Return the attribute's current value (the optimistic one right after a write)."""
        if self._optimistic is not _UNSET:
            return self._optimistic
        snapshot = self.snapshot
        return snapshot.values.get(self.identifier) if snapshot is not None else None

    @override
    def _render_key(self) -> object:
        return (self.available, self.attribute_value)

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Drop an optimistic value as soon as the coordinator has news."""
        if self._optimistic is not _UNSET:
            self._optimistic = _UNSET
            self._force_render()
        super()._handle_coordinator_update()

    async def _async_write_attribute(self, api_value: JsonValue) -> None:
        """Send a new value of this attribute to ThingsCloud (see the module docstring)."""
        client = self.coordinator.client
        send = (
            client.set_cloud_attributes
            if self.spec.access is Access.CLOUD
            else (client.push_attributes)
        )
        try:
            await send(self.device_id, {self.identifier: api_value})
        except ThingsCloudAuthError as err:
            self._drop_optimistic()
            self.coordinator.config_entry.async_start_reauth(self.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        except ThingsCloudError as err:
            self._drop_optimistic()
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="write_failed",
                translation_placeholders={"identifier": self.identifier, "error": str(err)},
            ) from err
        self._optimistic = api_value
        self.async_write_ha_state()
        self._force_render()
        await self.coordinator.async_refresh_device(self.device_id)

    @callback
    def _drop_optimistic(self) -> None:
        """Show the coordinator's value again if an optimistic one is shown."""
        if self._optimistic is not _UNSET:
            self._optimistic = _UNSET
            self.async_write_ha_state()
            self._remember_render()


class ThingsCloudProjectEntity(CoordinatorEntity[ThingsCloudCoordinator]):
    """An entity of the project's service device (statistics).

    unique_id: ``<project_id>_<key>``. Writes its state only when its value changed.
    """

    _attr_has_entity_name = True

    def __init__(self, coordinator: ThingsCloudCoordinator, key: str) -> None:
        """Create a project entity."""
        super().__init__(coordinator)
        self.key = key
        self._attr_unique_id = f"{coordinator.project.id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={project_identifier(coordinator.project.id)},
        )
        self._rendered_key: object = _UNSET

    def _render_key(self) -> object:
        """Return what the entity's state is built from; equal keys skip the write."""
        return (self.available, self.coordinator.data.stats.get(self.key))

    @override
    async def async_added_to_hass(self) -> None:
        """Remember what the first state was rendered from."""
        await super().async_added_to_hass()
        self._rendered_key = self._render_key()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Write the state only when it changed."""
        key = self._render_key()
        if key == self._rendered_key:
            return
        self._rendered_key = key
        self.async_write_ha_state()


def describe_snapshot_attribute(snapshot: DeviceSnapshot, identifier: str) -> AttributeSpec:
    """Describe one attribute of a device by its model (if any) and current value."""
    value = snapshot.values.get(identifier)
    if (attribute := snapshot.attributes.get(identifier)) is None:
        return describe_attribute(identifier, value, None)
    return describe_attribute(
        identifier,
        attribute.value if value is None else value,
        attribute.model,
        attr_type=attribute.attr_type,
        data_type=attribute.data_type,
    )


# The specs described for the coordinator's current data, shared by the platforms: each
# platform looks at every attribute of a device to find its own.
_SPECS: WeakKeyDictionary[
    ThingsCloudCoordinator, tuple[ThingsCloudData, dict[tuple[str, str], AttributeSpec]]
] = WeakKeyDictionary()


def _describe(
    coordinator: ThingsCloudCoordinator, snapshot: DeviceSnapshot, identifier: str
) -> AttributeSpec:
    """Return ``describe_snapshot_attribute``, once per attribute of the current data."""
    cached = _SPECS.get(coordinator)
    if cached is None or cached[0] is not coordinator.data:
        cached = _SPECS[coordinator] = (coordinator.data, {})
    key = (snapshot.device.id, identifier)
    if (spec := cached[1].get(key)) is None:
        spec = cached[1][key] = describe_snapshot_attribute(snapshot, identifier)
    return spec


@callback
def async_add_device_entities(
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    *,
    platform: Platform,
    attribute_entity: Callable[[ThingsCloudCoordinator, str, AttributeSpec], Entity] | None = None,
    device_entities: Callable[[ThingsCloudCoordinator, str], Iterable[Entity]] | None = None,
) -> None:
    """Add a platform's entities for every device and attribute, now and when they appear.

    ``device_entities`` gives the entities of a device seen for the first time;
    ``attribute_entity`` makes the entity of each attribute whose spec maps to
    ``platform``. The listener only looks at the devices whose snapshot changed in the
    last cycle, so known devices cost nothing.
    """
    coordinator = entry.runtime_data
    known_devices: set[str] = set()
    known_attributes: dict[str, set[str]] = {}

    @callback
    def _async_add(device_ids: Iterable[str]) -> None:
        devices = coordinator.data.devices
        entities: list[Entity] = []
        for device_id in device_ids:
            snapshot = devices[device_id]
            if device_id not in known_devices:
                known_devices.add(device_id)
                if device_entities is not None:
                    entities.extend(device_entities(coordinator, device_id))
            if attribute_entity is None:
                continue
            known = known_attributes.setdefault(device_id, set())
            for identifier in (*snapshot.attributes, *snapshot.values):
                if identifier in known:
                    continue
                spec = _describe(coordinator, snapshot, identifier)
                known.add(identifier)
                if spec.platform is platform:
                    entities.append(attribute_entity(coordinator, device_id, spec))
        if entities:
            async_note_new_entities(coordinator, platform, entities)
            async_add_entities(entities)

    @callback
    def _async_listener() -> None:
        for device_id in coordinator.removed_device_ids:
            known_devices.discard(device_id)
            known_attributes.pop(device_id, None)
        _async_add(coordinator.changed_device_ids)

    _async_add(coordinator.data.devices)
    entry.async_on_unload(coordinator.async_add_listener(_async_listener))


# --- command entities ----------------------------------------------------------------------

COMMAND_KEY_PREFIX: Final = "command_"
# unique_id of a command entity: "<device_id>_command_<id>" (ids are uuid4 hex).
_COMMAND_UNIQUE_ID: Final = re.compile(r"_command_[0-9a-f]{32}$")


@dataclass(frozen=True, slots=True)
class CommandConfig:
    """A command switch or button of ``options["commands"]`` (see the options flow).

    A button sends ``method``/``params``; a switch sends them to turn on and
    ``off_method``/``off_params`` to turn off, and shows ``state_attribute`` if set.
    """

    id: str
    kind: str
    device_id: str
    name: str
    method: str
    params: JsonObject
    off_method: str = ""
    off_params: JsonObject = field(default_factory=dict)
    state_attribute: str | None = None

    @property
    def unique_id(self) -> str:
        """Return the unique_id of the command's entity."""
        return f"{self.device_id}_{COMMAND_KEY_PREFIX}{self.id}"


def _command_config(item: Any, kind: str) -> CommandConfig | None:
    """Return the command of one options item of ``kind``; ``None`` if unusable."""
    if not isinstance(item, Mapping):
        LOGGER.warning("Ignoring an unusable ThingsCloud command: %s", item)
        return None
    if item.get("kind") != kind:
        return None
    texts = {key: item.get(key) for key in ("id", "device_id", "method", "name")}
    params, off_params = item.get("params") or {}, item.get("off_params") or {}
    off_method = item.get("off_method") if kind == "switch" else ""
    state_attribute = item.get("state_attribute") or None
    if (
        not all(isinstance(text, str) and text for text in texts.values())
        or not isinstance(params, dict)
        or not isinstance(off_params, dict)
        or not isinstance(off_method, str)
        or (kind == "switch" and not off_method)
        or not isinstance(state_attribute, str | None)
    ):
        LOGGER.warning("Ignoring an unusable ThingsCloud command: %s", item)
        return None
    return CommandConfig(
        id=item["id"],
        kind=kind,
        device_id=item["device_id"],
        name=item["name"],
        method=item["method"],
        params=params,
        off_method=off_method,
        off_params=off_params,
        state_attribute=state_attribute,
    )


def command_configs(entry: ThingsCloudConfigEntry, kind: str) -> list[CommandConfig]:
    """Return the usable commands of one kind (``switch``/``button``) of an entry."""
    return [
        command
        for item in entry.options.get(CONF_COMMANDS) or ()
        if (command := _command_config(item, kind)) is not None
    ]


@callback
def async_remove_stale_command_entities(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    platform: Platform,
    commands: Iterable[CommandConfig],
) -> None:
    """Remove the registry entries of the platform's commands no longer configured."""
    registry = er.async_get(hass)
    keep = {command.unique_id for command in commands}
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if (
            entity.domain == platform
            and _COMMAND_UNIQUE_ID.search(entity.unique_id)
            and entity.unique_id not in keep
        ):
            registry.async_remove(entity.entity_id)


class ThingsCloudCommandEntity(ThingsCloudEntity):
    """An entity sending a configured command to its device.

    unique_id ``<device_id>_command_<id>``; the name is the configured one.
    """

    _attr_translation_key = "command"

    def __init__(self, coordinator: ThingsCloudCoordinator, command: CommandConfig) -> None:
        """Create the entity of one configured command."""
        super().__init__(coordinator, command.device_id, f"{COMMAND_KEY_PREFIX}{command.id}")
        self.command = command
        self._attr_name = command.name

    async def _async_send_command(self, method: str, params: JsonObject) -> None:
        """Send a command; a failure raises a translated ``HomeAssistantError``."""
        try:
            await self.coordinator.client.send_command(self.device_id, method, params)
        except ThingsCloudAuthError as err:
            self.coordinator.config_entry.async_start_reauth(self.hass)
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="auth_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        except ThingsCloudError as err:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="command_failed",
                translation_placeholders={
                    "name": self.command.name,
                    "method": method,
                    "error": str(err),
                },
            ) from err
