"""Buttons: the command buttons of config subentries; pressing one sends its command."""

from typing import override

from homeassistant.components.button import ButtonEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import SUBENTRY_COMMAND_BUTTON
from .coordinator import ThingsCloudConfigEntry
from .entity import ThingsCloudCommandEntity, async_add_command_entities

# One command at a time: a cloud API.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the command buttons of a ThingsCloud project."""
    async_add_command_entities(
        entry, async_add_entities, SUBENTRY_COMMAND_BUTTON, ThingsCloudCommandButton
    )


class ThingsCloudCommandButton(ThingsCloudCommandEntity, ButtonEntity):
    """A button sending a command."""

    @override
    async def async_press(self) -> None:
        """Send the command."""
        await self._async_send_command(self.command.method, self.command.params)
