"""Numbers of the ThingsCloud integration: writable numeric attributes.

Limits, step, unit and device class come from the thing model (see ``thing_model``).
A range of more than ``MAX_SLIDER_STEPS`` steps is shown as an input box: a slider
over it could not hit a value (the model's default range is ±1,000,000).
"""

from typing import Final, override

from homeassistant.components.number import (
    NumberDeviceClass,
    NumberEntity,
    NumberEntityDescription,
    NumberMode,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ThingsCloudConfigEntry, ThingsCloudCoordinator
from .entity import ThingsCloudAttributeEntity, async_add_device_entities
from .thing_model import DEFAULT_MAX_VALUE, DEFAULT_MIN_VALUE, DEFAULT_STEP, AttributeSpec

# One write at a time: a cloud API, and each write is followed by a refresh.
PARALLEL_UPDATES = 1

MAX_SLIDER_STEPS: Final = 1000


def number_mode(spec: AttributeSpec) -> NumberMode:
    """Return a box for a range of more than ``MAX_SLIDER_STEPS`` steps, else auto."""
    low = spec.min_value if spec.min_value is not None else DEFAULT_MIN_VALUE
    high = spec.max_value if spec.max_value is not None else DEFAULT_MAX_VALUE
    step = spec.step or DEFAULT_STEP
    return NumberMode.BOX if (high - low) / step > MAX_SLIDER_STEPS else NumberMode.AUTO


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the numbers of a ThingsCloud project."""
    async_add_device_entities(
        entry,
        async_add_entities,
        platform=Platform.NUMBER,
        attribute_entity=ThingsCloudAttributeNumber,
    )


class ThingsCloudAttributeNumber(ThingsCloudAttributeEntity, NumberEntity):
    """A writable numeric attribute."""

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, spec: AttributeSpec
    ) -> None:
        """Create the number of an attribute spec."""
        super().__init__(coordinator, device_id, spec)
        self.entity_description = NumberEntityDescription(
            key=f"attr_{spec.identifier}",
            name=spec.name,
            native_min_value=spec.min_value,
            native_max_value=spec.max_value,
            native_step=spec.step,
            native_unit_of_measurement=spec.native_unit,
            device_class=NumberDeviceClass(spec.device_class) if spec.device_class else None,
            mode=number_mode(spec),
        )

    @property
    @override
    def native_value(self) -> float | None:
        """Return the attribute's value."""
        value = self.spec.native_value(self.attribute_value)
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None

    @override
    async def async_set_native_value(self, value: float) -> None:
        """Write the attribute."""
        await self._async_write_attribute(self.spec.to_api_value(value))
