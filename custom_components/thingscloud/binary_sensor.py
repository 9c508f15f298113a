"""Binary sensors of the ThingsCloud integration.

- per device: online (connectivity) and alarm (problem, with the alarm's level and info);
- per attribute whose thing model maps to a binary sensor (read-only booleans).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, override

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import DeviceSnapshot, ThingsCloudConfigEntry, ThingsCloudCoordinator
from .entity import ThingsCloudAttributeEntity, ThingsCloudEntity, async_add_device_entities
from .thing_model import AttributeSpec

PARALLEL_UPDATES = 0

# ThingsCloud alarm levels: 1 普通 (minor), 2 严重 (major), 3 紧急 (critical).
ALARM_LEVEL_NAMES: Final[dict[int, str]] = {1: "minor", 2: "major", 3: "critical"}


def _alarm_attributes(snapshot: DeviceSnapshot) -> dict[str, Any]:
    alarm = snapshot.device.alarm
    return {
        "level": alarm.level,
        "level_name": ALARM_LEVEL_NAMES.get(alarm.level) if alarm.level is not None else None,
        "info": alarm.info,
    }


@dataclass(frozen=True, kw_only=True)
class ThingsCloudBinarySensorDescription(BinarySensorEntityDescription):
    """A binary sensor every ThingsCloud device has, built from its snapshot."""

    value_fn: Callable[[DeviceSnapshot], bool | None]
    attributes_fn: Callable[[DeviceSnapshot], dict[str, Any] | None] = lambda _: None
    exists_fn: Callable[[DeviceSnapshot], bool] = lambda _: True


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

    def _device_entities(
        coordinator: ThingsCloudCoordinator, device_id: str
    ) -> list[BinarySensorEntity]:
        snapshot = coordinator.data.devices[device_id]
        return [
            ThingsCloudDeviceBinarySensor(coordinator, device_id, description)
            for description in DEVICE_BINARY_SENSORS
            if description.exists_fn(snapshot)
        ]

    async_add_device_entities(
        entry,
        async_add_entities,
        platform=Platform.BINARY_SENSOR,
        device_entities=_device_entities,
        attribute_entity=ThingsCloudAttributeBinarySensor,
    )


class ThingsCloudDeviceBinarySensor(ThingsCloudEntity, BinarySensorEntity):
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
        if (snapshot := self.snapshot) is None:
            return None
        return self.entity_description.value_fn(snapshot)

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the description's attributes (the alarm's level and info)."""
        if (snapshot := self.snapshot) is None:
            return None
        return self.entity_description.attributes_fn(snapshot)

    @override
    def _render_key(self) -> object:
        return (self.available, self.is_on, self.extra_state_attributes)


class ThingsCloudAttributeBinarySensor(ThingsCloudAttributeEntity, BinarySensorEntity):
    """A read-only boolean attribute."""

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, spec: AttributeSpec
    ) -> None:
        """Create the binary sensor of an attribute spec."""
        super().__init__(coordinator, device_id, spec)
        self.entity_description = BinarySensorEntityDescription(
            key=f"attr_{spec.identifier}",
            name=spec.name,
            device_class=BinarySensorDeviceClass(spec.device_class) if spec.device_class else None,
        )

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the state of the attribute's value."""
        value = self.spec.native_value(self.attribute_value)
        return value if isinstance(value, bool) else None
