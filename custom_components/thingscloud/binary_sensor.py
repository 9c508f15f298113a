"""Binary sensors: each device's online and alarm state, read-only boolean attributes."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import ALARM_LEVEL_NAMES
from .const import ATTR_INFO, ATTR_LEVEL, ATTR_LEVEL_NAME, DOMAIN
from .coordinator import Snapshot, ThingsCloudConfigEntry, ThingsCloudCoordinator
from .devices import project_identifier
from .entity import ThingsCloudAttributeEntity, ThingsCloudDeviceEntity, async_add_device_entities
from .realtime import RealtimeLink
from .thing_model import AttributeSpec

PARALLEL_UPDATES = 0


def _alarm_attributes(snapshot: Snapshot) -> dict[str, Any]:
    alarm = snapshot.device.alarm
    return {
        ATTR_LEVEL: alarm.level,
        ATTR_LEVEL_NAME: ALARM_LEVEL_NAMES.get(alarm.level) if alarm.level is not None else None,
        ATTR_INFO: alarm.info,
    }


@dataclass(frozen=True, kw_only=True)
class ThingsCloudBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor every device has, read from its snapshot."""

    value_fn: Callable[[Snapshot], bool | None]
    attributes_fn: Callable[[Snapshot], dict[str, Any] | None] = lambda _: None


DEVICE_BINARY_SENSORS: tuple[ThingsCloudBinarySensorDescription, ...] = (
    ThingsCloudBinarySensorDescription(
        key="online",
        translation_key="online",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda snapshot: snapshot.device.online,
    ),
    ThingsCloudBinarySensorDescription(
        key="alarm",
        translation_key="alarm",
        device_class=BinarySensorDeviceClass.PROBLEM,
        value_fn=lambda snapshot: snapshot.device.alarm.active,
        attributes_fn=_alarm_attributes,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the binary sensors of a ThingsCloud project."""
    runtime = entry.runtime_data
    realtime_unique_id = f"{runtime.coordinator.project.id}_realtime"
    if runtime.realtime is not None:
        async_add_entities(
            [
                ThingsCloudRealtimeBinarySensor(
                    realtime_unique_id, runtime.coordinator, runtime.realtime
                )
            ]
        )
    elif entity_id := er.async_get(hass).async_get_entity_id(
        Platform.BINARY_SENSOR, DOMAIN, realtime_unique_id
    ):
        er.async_get(hass).async_remove(entity_id)
    async_add_device_entities(
        entry,
        async_add_entities,
        Platform.BINARY_SENSOR,
        device_entities=lambda coordinator, device_id: (
            ThingsCloudDeviceBinarySensor(coordinator, device_id, description)
            for description in DEVICE_BINARY_SENSORS
        ),
        attribute_entity=ThingsCloudAttributeBinarySensor,
    )


class ThingsCloudDeviceBinarySensor(ThingsCloudDeviceEntity, BinarySensorEntity):
    """A binary sensor every device has."""

    entity_description: ThingsCloudBinarySensorDescription

    def __init__(
        self,
        coordinator: ThingsCloudCoordinator,
        device_id: str,
        description: ThingsCloudBinarySensorDescription,
    ) -> None:
        """Create the binary sensor."""
        super().__init__(coordinator, device_id, description.key)
        self.entity_description = description

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the state from the device's snapshot."""
        snapshot = self.snapshot
        return self.entity_description.value_fn(snapshot) if snapshot is not None else None

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the alarm's level and info."""
        snapshot = self.snapshot
        return self.entity_description.attributes_fn(snapshot) if snapshot is not None else None


class ThingsCloudAttributeBinarySensor(ThingsCloudAttributeEntity, BinarySensorEntity):
    """A read-only boolean attribute."""

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, spec: AttributeSpec
    ) -> None:
        """Create the binary sensor of an attribute."""
        super().__init__(coordinator, device_id, spec)
        self._attr_device_class = (
            BinarySensorDeviceClass(spec.device_class) if spec.device_class else None
        )

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the state of the attribute's value."""
        return self._shown_value(bool)  # type: ignore[no-any-return]


class ThingsCloudRealtimeBinarySensor(BinarySensorEntity):
    """Whether the project's real-time updates flow (present only while configured)."""

    _attr_has_entity_name = True
    _attr_translation_key = "realtime"
    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_should_poll = False

    def __init__(
        self, unique_id: str, coordinator: ThingsCloudCoordinator, link: RealtimeLink
    ) -> None:
        """Create the sensor of a project's subscription."""
        self._link = link
        self._attr_unique_id = unique_id
        self._attr_device_info = DeviceInfo(
            identifiers={project_identifier(coordinator.project.id)}
        )

    @property
    @override
    def is_on(self) -> bool:
        """Return whether the subscription is up."""
        return self._link.connected

    @override
    async def async_added_to_hass(self) -> None:
        """Follow the subscription's link."""
        self.async_on_remove(self._link.add_listener(self.async_write_ha_state))
