"""The base entities: project, device, attribute (with the one write door) and command."""

from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Final, override

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import JsonObject, JsonValue
from .api.attributes import Access
from .commands import CommandConfig, command_configs
from .const import DOMAIN
from .coordinator import Snapshot, ThingsCloudConfigEntry, ThingsCloudCoordinator
from .devices import device_identifier, device_info, project_identifier
from .errors import translated_errors
from .thing_model import AttributeSpec

_NOTHING: Final[Any] = object()


class ThingsCloudEntity(CoordinatorEntity[ThingsCloudCoordinator]):
    """An entity that writes its state only when what it shows changed."""

    _attr_has_entity_name = True
    _shown: tuple[object, ...] | None = None

    def _now_shown(self) -> tuple[object, ...]:
        return (self.available, self.state, self.extra_state_attributes)

    @override
    async def async_added_to_hass(self) -> None:
        """Remember what the first state shows."""
        await super().async_added_to_hass()
        self._shown = self._now_shown()

    @callback
    def _async_show(self) -> None:
        """Write the state and remember what it shows."""
        self._shown = self._now_shown()
        self.async_write_ha_state()

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        if (shown := self._now_shown()) != self._shown:
            self._shown = shown
            self.async_write_ha_state()


class ThingsCloudProjectEntity(ThingsCloudEntity):
    """An entity of the project's service device; unique_id ``<project_id>_<key>``."""

    def __init__(self, coordinator: ThingsCloudCoordinator, key: str) -> None:
        """Create a project entity."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{coordinator.project.id}_{key}"
        self._attr_device_info = DeviceInfo(
            identifiers={project_identifier(coordinator.project.id)}
        )


class ThingsCloudDeviceEntity(ThingsCloudEntity):
    """An entity of one ThingsCloud device; unique_id ``<device_id>_<key>``.

    Told of an update only when its device changed; available while the device is in the
    project and its own requests succeed. What every entity of a device can compute is a
    property rather than an ``_attr_``: Home Assistant keeps ``_attr_`` values and their
    cached reads in each instance, and a project has tens of thousands of entities.
    """

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, key: str | None = None
    ) -> None:
        """Create the entity of one device (``key=None``: the subclass says its unique_id)."""
        super().__init__(coordinator, context=device_id)
        if key is not None:
            self._attr_unique_id = f"{device_id}_{key}"

    @property
    def device_id(self) -> str:
        """Return the ThingsCloud device id."""
        return self.coordinator_context  # type: ignore[no-any-return]

    @property
    @override
    def device_info(self) -> DeviceInfo | None:
        """Return the device the entity belongs to."""
        return device_info(self.device_id)

    @property
    def snapshot(self) -> Snapshot | None:
        """Return the device's snapshot, None once it left the project."""
        return self.coordinator.data.devices.get(self.device_id)

    @property
    @override
    def available(self) -> bool:
        """Return whether the device's data is current."""
        snapshot = self.snapshot
        return super().available and snapshot is not None and snapshot.available


class ThingsCloudAttributeEntity(ThingsCloudDeviceEntity):
    """An entity of one attribute; unique_id ``<device_id>_attr_<identifier>``.

    Writable platforms write through :meth:`_async_write_attribute`: the state shows the
    new value at once and the next update replaces it with the cloud's.
    """

    _optimistic: JsonValue = _NOTHING

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, spec: AttributeSpec
    ) -> None:
        """Create the entity of one attribute, named by the thing model."""
        super().__init__(coordinator, device_id)
        self.spec = spec

    @property
    @override
    def unique_id(self) -> str:
        """Return ``<device_id>_attr_<identifier>``."""
        return f"{self.device_id}_attr_{self.spec.identifier}"

    @property
    @override
    def name(self) -> str:
        """Return the attribute's name in the thing model."""
        return self.spec.name

    @override
    def _now_shown(self) -> tuple[object, ...]:
        # The state and attributes follow from these alone, which are cheaper to compare.
        return (self.available, self.attribute_value)

    @property
    def attribute_value(self) -> JsonValue:
        """Return the attribute's value (the one just written, until the cloud's arrives)."""
        if self._optimistic is not _NOTHING:
            return self._optimistic
        snapshot = self.snapshot
        return snapshot.values.get(self.spec.identifier) if snapshot is not None else None

    def _shown_value(self, *kinds: type) -> Any:
        """Return the state of the attribute's value when it is of one of ``kinds``, else None.

        A boolean is a boolean only: never a number.
        """
        value = self.spec.native_value(self.attribute_value)
        fits = isinstance(value, kinds) and (bool in kinds or not isinstance(value, bool))
        return value if fits else None

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        if self._optimistic is not _NOTHING:
            self._optimistic = _NOTHING
        super()._handle_coordinator_update()

    async def _async_write_attribute(self, ha_value: object) -> None:
        """Send a new value: POST to the device, or PUT for a cloud attribute."""
        client = self.coordinator.client
        send = (
            client.set_cloud_attributes
            if self.spec.access is Access.CLOUD
            else client.push_attributes
        )
        with translated_errors(self.hass, self.coordinator.config_entry):
            api_value = self.spec.to_api_value(ha_value)
            await send(self.device_id, {self.spec.identifier: api_value})
        self._optimistic = api_value
        self._async_show()
        await self.coordinator.async_refresh_device(self.device_id)


class ThingsCloudCommandEntity(ThingsCloudDeviceEntity):
    """A command switch or button of a config subentry; unique_id ``<device_id>_command_<id>``.

    It joins its device without claiming it: a device belongs to one subentry, so the
    entity links to the registry entry instead of describing the device.
    """

    _attr_translation_key = "command"

    def __init__(self, coordinator: ThingsCloudCoordinator, command: CommandConfig) -> None:
        """Create the entity of one command."""
        super().__init__(coordinator, command.device_id, f"command_{command.command_id}")
        self.command = command
        self._attr_name = command.name

    @property
    @override
    def device_info(self) -> None:
        """Return nothing: the entity joins its device through ``device_entry``."""
        return None

    async def _async_send_command(self, method: str, params: JsonObject) -> None:
        """Send a command to the device."""
        with translated_errors(self.hass, self.coordinator.config_entry):
            await self.coordinator.client.send_command(self.device_id, method, params)


@callback
def _async_forget_other_platforms(
    registry: er.EntityRegistry, platform: Platform, unique_id: str
) -> None:
    """Remove an attribute's registry entries on other platforms (its thing model changed).

    A location read as a text sensor before it became a device tracker, for instance.
    """
    for other in Platform:
        if other is not platform and (
            entity_id := registry.async_get_entity_id(other, DOMAIN, unique_id)
        ):
            registry.async_remove(entity_id)


@callback
def async_add_device_entities(
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    platform: Platform,
    *,
    attribute_entity: Callable[[ThingsCloudCoordinator, str, AttributeSpec], Entity] | None = None,
    device_entities: Callable[[ThingsCloudCoordinator, str], Iterable[Entity]] | None = None,
) -> None:
    """Add a platform's entities of every device and attribute, now and as they appear."""
    coordinator = entry.runtime_data.coordinator
    registry = er.async_get(coordinator.hass)
    known: dict[str, set[str]] = {}

    @callback
    def add(device_ids: Iterable[str]) -> None:
        devices = coordinator.data.devices
        entities: list[Entity] = []
        for device_id in device_ids:
            if (snapshot := devices.get(device_id)) is None:
                known.pop(device_id, None)
                continue
            if (seen := known.get(device_id)) is None:
                seen = known[device_id] = set()
                if device_entities is not None:
                    entities.extend(device_entities(coordinator, device_id))
            for identifier, spec in snapshot.specs.items():
                if identifier not in seen:
                    seen.add(identifier)
                    if spec.platform is platform and attribute_entity is not None:
                        entities.append(attribute_entity(coordinator, device_id, spec))
                        _async_forget_other_platforms(
                            registry, platform, f"{device_id}_attr_{identifier}"
                        )
        if entities:
            entry.runtime_data.entity_limit.note(platform, entities)
            async_add_entities(entities)

    add(coordinator.data.devices)
    entry.async_on_unload(coordinator.async_add_listener(lambda: add(coordinator.data.touched)))


@callback
def async_add_command_entities(
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    subentry_type: str,
    entity: Callable[[ThingsCloudCoordinator, CommandConfig], ThingsCloudCommandEntity],
) -> None:
    """Add each command subentry's entity once its device is in the project.

    A device that left and came back is a new registry entry: the entity joins it again.
    """
    coordinator = entry.runtime_data.coordinator
    devices = dr.async_get(coordinator.hass)
    entities = er.async_get(coordinator.hass)
    added: dict[str, ThingsCloudCommandEntity] = {}

    @callback
    def add() -> None:
        for command in command_configs(entry, subentry_type):
            device = devices.async_get_device_by_identifier(
                device_identifier(command.device_id), entry.entry_id
            )
            if device is None or command.device_id not in coordinator.data.devices:
                continue
            if (known := added.get(command.subentry_id)) is None:
                known = added[command.subentry_id] = entity(coordinator, command)
                known.device_entry = device
                async_add_entities([known], config_subentry_id=command.subentry_id)
            elif known.registry_entry is not None and known.registry_entry.device_id != device.id:
                entities.async_update_entity(known.registry_entry.entity_id, device_id=device.id)

    add()
    entry.async_on_unload(coordinator.async_add_listener(add))


def attribute_platform(
    platform: Platform,
    entity: Callable[[ThingsCloudCoordinator, str, AttributeSpec], Entity],
) -> Callable[
    [HomeAssistant, ThingsCloudConfigEntry, AddConfigEntryEntitiesCallback],
    Coroutine[Any, Any, None],
]:
    """Return the ``async_setup_entry`` of a platform of attribute entities only."""

    async def async_setup_entry(
        hass: HomeAssistant,
        entry: ThingsCloudConfigEntry,
        async_add_entities: AddConfigEntryEntitiesCallback,
    ) -> None:
        async_add_device_entities(entry, async_add_entities, platform, attribute_entity=entity)

    return async_setup_entry
