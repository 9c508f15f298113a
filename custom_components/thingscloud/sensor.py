"""Sensors of the ThingsCloud integration.

- the project's device statistics (``devices_stat`` and ``devices_alarm_stat``);
- per device, its last activity;
- per attribute whose thing model maps to a sensor (see ``thing_model``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, override

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .api import JsonValue
from .coordinator import DeviceSnapshot, ThingsCloudConfigEntry, ThingsCloudCoordinator
from .entity import (
    ThingsCloudAttributeEntity,
    ThingsCloudEntity,
    ThingsCloudProjectEntity,
    async_add_device_entities,
)
from .thing_model import AttributeSpec

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class ThingsCloudProjectSensorDescription(SensorEntityDescription):
    """A statistic of the project; ``key`` is its field in the statistics answers."""


PROJECT_SENSORS: tuple[ThingsCloudProjectSensorDescription, ...] = tuple(
    ThingsCloudProjectSensorDescription(
        key=key, translation_key=key, state_class=SensorStateClass.MEASUREMENT
    )
    for key in (
        # GET /devices_stat
        "device_total",
        "online_device_total",
        "offline_device_total",
        "active_device_total",
        "inactive_device_total",
        "alarm_device_total",
        # GET /devices_alarm_stat
        "alarm_1_total",
        "alarm_2_total",
        "alarm_3_total",
        "normal_total",
    )
)


@dataclass(frozen=True, kw_only=True)
class ThingsCloudDeviceSensorDescription(SensorEntityDescription):
    """A sensor every ThingsCloud device has, built from its snapshot."""

    value_fn: Callable[[DeviceSnapshot], datetime | str | int | float | None]
    exists_fn: Callable[[DeviceSnapshot], bool] = lambda _: True


def _whole_seconds(value: datetime | None) -> datetime | None:
    return value.replace(microsecond=0) if value is not None else None


DEVICE_SENSORS: tuple[ThingsCloudDeviceSensorDescription, ...] = (
    ThingsCloudDeviceSensorDescription(
        key="last_active",
        translation_key="last_active",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # Moves with every report: one more state write per changed device, and one entity
        # per device towards the cap of enabled entities per entry. Opt-in.
        entity_registry_enabled_default=False,
        # The state of a timestamp sensor has whole seconds: compare what is shown.
        value_fn=lambda snapshot: _whole_seconds(snapshot.device.last_active),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of a ThingsCloud project."""
    coordinator = entry.runtime_data
    async_add_entities(
        ThingsCloudProjectSensor(coordinator, description) for description in PROJECT_SENSORS
    )

    def _device_entities(coordinator: ThingsCloudCoordinator, device_id: str) -> list[SensorEntity]:
        snapshot = coordinator.data.devices[device_id]
        return [
            ThingsCloudDeviceSensor(coordinator, device_id, description)
            for description in DEVICE_SENSORS
            if description.exists_fn(snapshot)
        ]

    async_add_device_entities(
        entry,
        async_add_entities,
        platform=Platform.SENSOR,
        device_entities=_device_entities,
        attribute_entity=ThingsCloudAttributeSensor,
    )


class ThingsCloudProjectSensor(ThingsCloudProjectEntity, SensorEntity):
    """A statistic of the project."""

    entity_description: ThingsCloudProjectSensorDescription

    def __init__(
        self,
        coordinator: ThingsCloudCoordinator,
        description: ThingsCloudProjectSensorDescription,
    ) -> None:
        """Create the sensor."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    @override
    def native_value(self) -> int | None:
        """Return the statistic."""
        return self.coordinator.data.stats.get(self.entity_description.key)


class ThingsCloudDeviceSensor(ThingsCloudEntity, SensorEntity):
    """A sensor every device has."""

    entity_description: ThingsCloudDeviceSensorDescription

    def __init__(
        self,
        coordinator: ThingsCloudCoordinator,
        device_id: str,
        description: ThingsCloudDeviceSensorDescription,
    ) -> None:
        """Create the sensor."""
        super().__init__(coordinator, device_id, description.key)
        self.entity_description = description

    @property
    @override
    def native_value(self) -> datetime | str | int | float | None:
        """Return the value from the device's snapshot."""
        if (snapshot := self.snapshot) is None:
            return None
        return self.entity_description.value_fn(snapshot)

    @override
    def _render_key(self) -> object:
        return (self.available, self.native_value)


class ThingsCloudAttributeSensor(ThingsCloudAttributeEntity, SensorEntity):
    """A read-only (or complex) attribute."""

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, spec: AttributeSpec
    ) -> None:
        """Create the sensor of an attribute spec."""
        super().__init__(coordinator, device_id, spec)
        self.entity_description = SensorEntityDescription(
            key=f"attr_{spec.identifier}",
            name=spec.name,
            native_unit_of_measurement=spec.native_unit,
            # Show the device's own number (as the ThingsCloud console does) rather than
            # Home Assistant's unit-system default; users can still pick another unit.
            suggested_unit_of_measurement=spec.native_unit,
            device_class=SensorDeviceClass(spec.device_class) if spec.device_class else None,
            state_class=SensorStateClass(spec.state_class) if spec.state_class else None,
            suggested_display_precision=spec.precision,
            options=spec.option_labels or None,
        )

    @property
    @override
    def native_value(self) -> str | int | float | None:
        """Return the state of the attribute's value."""
        value = self.spec.native_value(self.attribute_value)
        # A sensor spec never has boolean states (booleans are binary sensors).
        return None if isinstance(value, bool) else value

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the full value of a complex attribute."""
        attributes: dict[str, JsonValue] | None = self.spec.extra_attributes(self.attribute_value)
        return attributes
