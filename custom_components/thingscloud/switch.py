"""Switches of the ThingsCloud integration.

- per attribute whose thing model maps to a switch (writable booleans): on/off writes
  the attribute (``POST`` or ``PUT`` as its type says, see ``entity``);
- per command switch of the options (``kind: switch``): on/off sends the configured
  commands. With a ``state_attribute`` the switch shows that attribute; without one its
  state is assumed (the last command sent, kept across restarts).
"""

from typing import Any, Final, override

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.restore_state import RestoreEntity

from .api import JsonObject, JsonValue
from .coordinator import ThingsCloudConfigEntry, ThingsCloudCoordinator
from .entity import (
    CommandConfig,
    ThingsCloudAttributeEntity,
    ThingsCloudCommandEntity,
    async_add_device_entities,
    async_remove_stale_command_entities,
    command_configs,
    describe_snapshot_attribute,
)
from .thing_model import AttributeSpec, ValueType

# One write at a time: a cloud API, and each write is followed by a refresh.
PARALLEL_UPDATES = 1

# How a command switch reads a state attribute without a boolean thing model.
_TRUE_WORDS: Final = frozenset(
    {"true", "1", "on", "yes", "open", "opened", "running", "开", "开启", "打开", "是"}
)
_FALSE_WORDS: Final = frozenset(
    {"false", "0", "off", "no", "closed", "stopped", "关", "关闭", "否"}
)


def truthiness(value: JsonValue) -> bool | None:
    """Return the on/off meaning of a plain value; ``None`` when it has none.

    Booleans are themselves, numbers are on unless zero, and the words of the tables
    (any case) are on or off. Anything else is unknown.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if not isinstance(value, str):
        return None
    word = value.strip().casefold()
    return True if word in _TRUE_WORDS else False if word in _FALSE_WORDS else None


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the switches of a ThingsCloud project."""
    commands = command_configs(entry, "switch")
    async_remove_stale_command_entities(hass, entry, Platform.SWITCH, commands)

    def _device_entities(coordinator: ThingsCloudCoordinator, device_id: str) -> list[SwitchEntity]:
        return [
            ThingsCloudCommandSwitch(coordinator, command)
            for command in commands
            if command.device_id == device_id
        ]

    async_add_device_entities(
        entry,
        async_add_entities,
        platform=Platform.SWITCH,
        device_entities=_device_entities,
        attribute_entity=ThingsCloudAttributeSwitch,
    )


class ThingsCloudAttributeSwitch(ThingsCloudAttributeEntity, SwitchEntity):
    """A writable boolean attribute."""

    def __init__(
        self, coordinator: ThingsCloudCoordinator, device_id: str, spec: AttributeSpec
    ) -> None:
        """Create the switch of an attribute spec."""
        super().__init__(coordinator, device_id, spec)
        self.entity_description = SwitchEntityDescription(
            key=f"attr_{spec.identifier}", name=spec.name
        )

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the state of the attribute's value."""
        value = self.spec.native_value(self.attribute_value)
        return value if isinstance(value, bool) else None

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Write the attribute's on value."""
        await self._async_write_attribute(self.spec.to_api_value(ha_value=True))

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Write the attribute's off value."""
        await self._async_write_attribute(self.spec.to_api_value(ha_value=False))


class ThingsCloudCommandSwitch(ThingsCloudCommandEntity, SwitchEntity, RestoreEntity):
    """A switch sending one command to turn on and another to turn off."""

    def __init__(self, coordinator: ThingsCloudCoordinator, command: CommandConfig) -> None:
        """Create the switch of a configured command."""
        super().__init__(coordinator, command)
        self._attr_assumed_state = command.state_attribute is None

    @property
    @override
    def is_on(self) -> bool | None:
        """Return the state attribute's meaning, or the assumed state."""
        if (identifier := self.command.state_attribute) is None:
            return self._attr_is_on
        snapshot = self.snapshot
        if snapshot is None or identifier not in snapshot.values:
            return None
        value = snapshot.values[identifier]
        spec = describe_snapshot_attribute(snapshot, identifier)
        if spec.value_type is ValueType.BOOLEAN:
            state = spec.native_value(value)
            return state if isinstance(state, bool) else None
        return truthiness(value)

    @override
    def _render_key(self) -> object:
        return (self.available, self.is_on)

    @override
    async def async_added_to_hass(self) -> None:
        """Restore the assumed state (before the first state is rendered)."""
        if self.command.state_attribute is None and (last := await self.async_get_last_state()):
            self._attr_is_on = {STATE_ON: True, STATE_OFF: False}.get(last.state)
        await super().async_added_to_hass()

    @override
    async def async_turn_on(self, **kwargs: Any) -> None:
        """Send the on command."""
        await self._async_send(self.command.method, self.command.params, is_on=True)

    @override
    async def async_turn_off(self, **kwargs: Any) -> None:
        """Send the off command."""
        await self._async_send(self.command.off_method, self.command.off_params, is_on=False)

    async def _async_send(self, method: str, params: JsonObject, *, is_on: bool) -> None:
        """Send a command, then show the assumed state or re-read the state attribute."""
        await self._async_send_command(method, params)
        if self.command.state_attribute is None:
            self._attr_is_on = is_on
            self.async_write_ha_state()
        else:
            await self.coordinator.async_refresh_device(self.device_id)
