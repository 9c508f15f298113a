"""Numbers: writable numeric attributes, with limits, step and unit from the thing model.

A range of more than ``MAX_SLIDER_STEPS`` steps is an input box: a slider over it could not
hit a value (a model without limits gets ±1,000,000).
"""

from typing import Final, override

from homeassistant.components.number import NumberDeviceClass, NumberEntity, NumberMode
from homeassistant.const import Platform

from .api.attributes import DEFAULT_MAX_VALUE, DEFAULT_MIN_VALUE, DEFAULT_STEP
from .coordinator import ThingsCloudCoordinator
from .entity import ThingsCloudAttributeEntity, attribute_platform
from .thing_model import AttributeSpec

# One write at a time: a cloud API, and each write is followed by a refresh.
PARALLEL_UPDATES = 1

MAX_SLIDER_STEPS: Final = 1000


def number_mode(spec: AttributeSpec) -> NumberMode:
    """Return a box for a range of more than ``MAX_SLIDER_STEPS`` steps, else auto."""
    low = spec.min_value if spec.min_value is not None else DEFAULT_MIN_VALUE
    high = spec.max_value if spec.max_value is not None else DEFAULT_MAX_VALUE
    step = spec.step or DEFAULT_STEP
    return NumberMode.BOX if (high - low) / step > MAX_SLIDER_STEPS else NumberMode.AUTO


class ThingsCloudAttributeNumber(ThingsCloudAttributeEntity, NumberEntity):
    """A writable numeric attribute."""

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, spec: AttributeSpec
    ) -> None:
        """Create the number of an attribute."""
        super().__init__(coordinator, device_id, spec)
        if spec.min_value is not None:
            self._attr_native_min_value = spec.min_value
        if spec.max_value is not None:
            self._attr_native_max_value = spec.max_value
        if spec.step is not None:
            self._attr_native_step = spec.step
        self._attr_native_unit_of_measurement = spec.native_unit
        self._attr_device_class = (
            NumberDeviceClass(spec.device_class) if spec.device_class else None
        )
        self._attr_mode = number_mode(spec)

    @property
    @override
    def native_value(self) -> float | None:
        """Return the attribute's value."""
        return self._shown_value(int, float)  # type: ignore[no-any-return]

    @override
    async def async_set_native_value(self, value: float) -> None:
        """Write the attribute."""
        await self._async_write_attribute(value)


async_setup_entry = attribute_platform(Platform.NUMBER, ThingsCloudAttributeNumber)
