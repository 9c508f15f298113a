"""Texts of the ThingsCloud integration: writable text attributes."""

from typing import override

from homeassistant.components.text import TextEntity, TextEntityDescription
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
    """Set up the texts of a ThingsCloud project."""
    async_add_device_entities(
        entry,
        async_add_entities,
        platform=Platform.TEXT,
        attribute_entity=ThingsCloudAttributeText,
    )


class ThingsCloudAttributeText(ThingsCloudAttributeEntity, TextEntity):
    """A writable text attribute."""

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, spec: AttributeSpec
    ) -> None:
        """Create the text of an attribute spec."""
        super().__init__(coordinator, device_id, spec)
        self.entity_description = TextEntityDescription(
            key=f"attr_{spec.identifier}", name=spec.name, native_max=spec.max_length
        )

    @property
    @override
    def native_value(self) -> str | None:
        """Return the attribute's text (the thing model cuts it to ``max_length``)."""
        text = self.spec.native_value(self.attribute_value)
        return text if isinstance(text, str) else None

    @override
    async def async_set_value(self, value: str) -> None:
        """Write the text."""
        await self._async_write_attribute(self.spec.to_api_value(value))
