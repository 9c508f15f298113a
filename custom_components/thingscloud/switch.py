"""Switches: writable boolean attributes, and the command switches of config subentries.

A command switch with a state attribute shows that attribute; without one its state is
assumed (the last command sent, kept across restarts).
"""

from typing import Any, override

from homeassistant.components.switch import SwitchEntity
from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .api import JsonObject, parse_bool, parse_number
from .api.attributes import ValueType
from .commands import CommandConfig
from .const import SUBENTRY_COMMAND_SWITCH
from .coordinator import ThingsCloudConfigEntry, ThingsCloudCoordinator
from .entity import (
    ThingsCloudAttributeEntity,
    ThingsCloudCommandEntity,
    async_add_command_entities,
    async_add_device_entities,
)

# One write at a time: a cloud API, and each write is followed by a refresh.
PARALLEL_UPDATES = 1


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the switches of a ThingsCloud project."""
    async_add_device_entities(
        entry, async_add_entities, Platform.SWITCH, attribute_entity=ThingsCloudAttributeSwitch
    )
    async_add_command_entities(
        entry, async_add_entities, SUBENTRY_COMMAND_SWITCH, ThingsCloudCommandSwitch
    )


class ThingsCloudAttributeSwitch(ThingsCloudAttributeEntity, SwitchEntity):
    """A writable boolean attribute."""

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the state of the attribute's value."""
        return self._shown_value(bool)  # type: ignore[no-any-return]

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Write the attribute's on value."""
        await self._async_write_attribute(ha_value=True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Write the attribute's off value."""
        await self._async_write_attribute(ha_value=False)


class ThingsCloudCommandSwitch(ThingsCloudCommandEntity, SwitchEntity, RestoreEntity):
    """A switch sending one command to turn on and another to turn off."""

    def __init__(self, coordinator: ThingsCloudCoordinator, command: CommandConfig) -> None:
        """Create the switch of a command."""
        super().__init__(coordinator, command)
        self._attr_assumed_state = command.state_attribute is None

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the state attribute's meaning (a number is on unless 0), or the assumed state."""
        if (identifier := self.command.state_attribute) is None:
            return self._attr_is_on
        snapshot = self.snapshot
        if snapshot is None or identifier not in snapshot.values:
            return None
        value = snapshot.values[identifier]
        spec = snapshot.specs.get(identifier)
        if spec is not None and spec.value_type is ValueType.BOOLEAN:
            state = spec.native_value(value)
            return state if isinstance(state, bool) else None
        if (state := parse_bool(value)) is not None:
            return state
        number = parse_number(value)
        return number != 0 if number is not None else None

    @override
    async def async_added_to_hass(self) -> None:
        """Restore the assumed state before the first state is written."""
        if self.command.state_attribute is None and (last := await self.async_get_last_state()):
            self._attr_is_on = {STATE_ON: True, STATE_OFF: False}.get(last.state)
        await super().async_added_to_hass()

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Send the on command."""
        await self._async_switch(self.command.method, self.command.params, is_on=True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Send the off command."""
        await self._async_switch(self.command.off_method, self.command.off_params, is_on=False)

    async def _async_switch(self, method: str, params: JsonObject, *, is_on: bool) -> None:
        """Send a command, then show the assumed state or re-read the state attribute."""
        await self._async_send_command(method, params)
        if self.command.state_attribute is None:
            self._attr_is_on = is_on
            self._async_show()
        else:
            await self.coordinator.async_refresh_device(self.device_id)
