"""Selects: writable enum attributes; the options are the labels of the model's items."""

from typing import override

from homeassistant.components.select import SelectEntity
from homeassistant.const import Platform

from .entity import ThingsCloudAttributeEntity, attribute_platform

# One write at a time: a cloud API, and each write is followed by a refresh.
PARALLEL_UPDATES = 1


class ThingsCloudAttributeSelect(ThingsCloudAttributeEntity, SelectEntity):
    """A writable enum attribute; a value that is not an option shows as unknown."""

    @property
    @override
    def options(self) -> list[str]:
        """Return the labels of the model's items."""
        return self.spec.option_labels

    @property
    @override
    def current_option(self) -> str | None:
        """Return the label of the attribute's value."""
        return self._shown_value(str)  # type: ignore[no-any-return]

    @override
    async def async_select_option(self, option: str) -> None:
        """Write the value of the chosen option."""
        await self._async_write_attribute(option)


async_setup_entry = attribute_platform(Platform.SELECT, ThingsCloudAttributeSelect)
