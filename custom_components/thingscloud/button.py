"""Buttons of the ThingsCloud integration: the command buttons of the options.

Each ``kind: button`` item of ``options["commands"]`` is a button on its device's
Home Assistant device; pressing it sends the configured command (method and params).
"""

from typing import override

from homeassistant.components.button import ButtonEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import ThingsCloudConfigEntry, ThingsCloudCoordinator
from .entity import (
    ThingsCloudCommandEntity,
    async_add_device_entities,
    async_remove_stale_command_entities,
    command_configs,
)

# One command at a time: a cloud API.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the command buttons of a ThingsCloud project."""
    commands = command_configs(entry, "button")
    async_remove_stale_command_entities(hass, entry, Platform.BUTTON, commands)

    def _device_entities(coordinator: ThingsCloudCoordinator, device_id: str) -> list[ButtonEntity]:
        return [
            ThingsCloudCommandButton(coordinator, command)
            for command in commands
            if command.device_id == device_id
        ]

    async_add_device_entities(
        entry, async_add_entities, platform=Platform.BUTTON, device_entities=_device_entities
    )


class ThingsCloudCommandButton(ThingsCloudCommandEntity, ButtonEntity):
    """A button sending a configured command."""

    @override
    def _render_key(self) -> object:
        return self.available

    @override
    async def async_press(self) -> None:
        """Send the command."""
        await self._async_send_command(self.command.method, self.command.params)
