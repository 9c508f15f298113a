"""Texts: writable text attributes (the thing model's max_length is the limit)."""

from typing import override

from homeassistant.components.text import TextEntity
from homeassistant.const import Platform

from .entity import ThingsCloudAttributeEntity, attribute_platform

# One write at a time: a cloud API, and each write is followed by a refresh.
PARALLEL_UPDATES = 1


class ThingsCloudAttributeText(ThingsCloudAttributeEntity, TextEntity):
    """A writable text attribute."""

    @property
    @override
    def native_max(self) -> int:
        """Return the model's max_length."""
        return self.spec.max_length

    @property
    @override
    def native_value(self) -> str | None:
        """Return the attribute's text."""
        return self._shown_value(str)  # type: ignore[no-any-return]

    @override
    async def async_set_value(self, value: str) -> None:
        """Write the text."""
        await self._async_write_attribute(value)


async_setup_entry = attribute_platform(Platform.TEXT, ThingsCloudAttributeText)
