"""Sensors: the project's statistics, each device's last activity, read-only attributes."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
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

from .coordinator import Snapshot, ThingsCloudConfigEntry, ThingsCloudCoordinator
from .entity import (
    ThingsCloudAttributeEntity,
    ThingsCloudDeviceEntity,
    ThingsCloudProjectEntity,
    async_add_device_entities,
)
from .thing_model import AttributeSpec

PARALLEL_UPDATES = 0

# The fields of GET /devices_stat and GET /devices_alarm_stat.
PROJECT_STATISTICS = (
    "device_total",
    "online_device_total",
    "offline_device_total",
    "active_device_total",
    "inactive_device_total",
    "alarm_device_total",
    "alarm_1_total",
    "alarm_2_total",
    "alarm_3_total",
    "normal_total",
)


@dataclass(frozen=True, kw_only=True)
class ThingsCloudDeviceSensorDescription(SensorEntityDescription):
    """A sensor every device has, read from its snapshot."""

    value_fn: Callable[[Snapshot], datetime | None]


DEVICE_SENSORS: tuple[ThingsCloudDeviceSensorDescription, ...] = (
    ThingsCloudDeviceSensorDescription(
        key="last_active",
        translation_key="last_active",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        # It moves with every report: a state write per report and one more entity per
        # device towards the entry's entity cap. Opt-in.
        entity_registry_enabled_default=False,
        # Whole seconds, as its state shows them.
        value_fn=lambda snapshot: (
            last.replace(microsecond=0) if (last := snapshot.device.last_active) else None
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the sensors of a ThingsCloud project."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(ThingsCloudProjectSensor(coordinator, key) for key in PROJECT_STATISTICS)
    async_add_device_entities(
        entry,
        async_add_entities,
        Platform.SENSOR,
        device_entities=lambda coordinator, device_id: (
            ThingsCloudDeviceSensor(coordinator, device_id, description)
            for description in DEVICE_SENSORS
        ),
        attribute_entity=ThingsCloudAttributeSensor,
    )


class ThingsCloudProjectSensor(ThingsCloudProjectEntity, SensorEntity):
    """A statistic of the project: a number of devices."""

    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: ThingsCloudCoordinator, key: str) -> None:
        """Create the sensor of one statistic."""
        super().__init__(coordinator, key)
        self.entity_description = SensorEntityDescription(key=key, translation_key=key)

    @property
    @override
    def native_value(self) -> int | None:
        """Return the statistic."""
        return self.coordinator.data.stats.get(self.entity_description.key)


class ThingsCloudDeviceSensor(ThingsCloudDeviceEntity, SensorEntity):
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
    def native_value(self) -> datetime | None:
        """Return the value from the device's snapshot."""
        snapshot = self.snapshot
        return self.entity_description.value_fn(snapshot) if snapshot is not None else None


@lru_cache(maxsize=1024)
def _attribute_description(spec: AttributeSpec) -> SensorEntityDescription:
    """Return the description of an attribute's sensor (one object per equal spec)."""
    return SensorEntityDescription(
        key=spec.identifier,
        native_unit_of_measurement=spec.native_unit,
        # The device's own unit, as the ThingsCloud console shows it (users can pick another).
        suggested_unit_of_measurement=spec.native_unit,
        device_class=SensorDeviceClass(spec.device_class) if spec.device_class else None,
        state_class=SensorStateClass(spec.state_class) if spec.state_class else None,
        suggested_display_precision=spec.precision,
        options=spec.option_labels or None,
    )


class ThingsCloudAttributeSensor(ThingsCloudAttributeEntity, SensorEntity):
    """A read-only (or complex) attribute."""

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, spec: AttributeSpec
    ) -> None:
        """Create the sensor of an attribute."""
        super().__init__(coordinator, device_id, spec)
        self.entity_description = _attribute_description(spec)

    @property
    @override
    def native_value(self) -> str | int | float | None:
        """Return the state of the attribute's value."""
        return self._shown_value(str, int, float)  # type: ignore[no-any-return]

    @property
    @override
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the full value of a complex attribute."""
        return self.spec.extra_attributes(self.attribute_value)
