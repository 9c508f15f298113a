"""Selects of the ThingsCloud integration: writable enum attributes.

The options are the labels of the model's enum items; choosing one writes its value.
A value that is not one of the items shows as unknown.
"""

from typing import override

from homeassistant.components.select import SelectEntity, SelectEntityDescription
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ThingsCloudConfigEntry, ThingsCloudCoordinator
from .entity import ThingsCloudAttributeEntity, async_add_device_entities
from .thing_model import AttributeSpec

# One write at a time: a cloud API, and each write is followed by a refresh.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the selects of a ThingsCloud project."""
    async_add_device_entities(
        entry,
        async_add_entities,
        platform=Platform.SELECT,
        attribute_entity=ThingsCloudAttributeSelect,
    )


class ThingsCloudAttributeSelect(ThingsCloudAttributeEntity, SelectEntity):
    """A writable enum attribute."""

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, spec: AttributeSpec
    ) -> None:
        """Create the select of an attribute spec."""
        super().__init__(coordinator, device_id, spec)
        self.entity_description = SelectEntityDescription(
            key=f"attr_{spec.identifier}", name=spec.name, options=spec.option_labels
        )

    @property
    @override
    def current_option(self) -> str | None:
        """Return the label of the attribute's value."""
        label = self.spec.native_value(self.attribute_value)
        return label if isinstance(label, str) else None

    @override
    async def async_select_option(self, option: str) -> None:
        """Write the value of the chosen option."""
        await self._async_write_attribute(self.spec.to_api_value(option))
