"""Alarm event entities: one per device, fired with the bus event ``thingscloud_alarm``."""

from typing import Final, override

from homeassistant.components.event import EventEntity
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .const import ATTR_INFO, ATTR_LEVEL, ATTR_LEVEL_NAME
from .coordinator import ThingsCloudConfigEntry, ThingsCloudCoordinator
from .entity import ThingsCloudDeviceEntity, async_add_device_entities

PARALLEL_UPDATES = 0

ALARM_EVENT_TYPES: Final = ("raised", "cleared", "level_changed")


async def async_setup_entry(
    hass: HomeAssistant,
    entry: ThingsCloudConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Set up the alarm event entities of a ThingsCloud project."""
    async_add_device_entities(
        entry,
        async_add_entities,
        Platform.EVENT,
        device_entities=lambda coordinator, device_id: [
            ThingsCloudAlarmEvent(coordinator, device_id)
        ],
    )


class ThingsCloudAlarmEvent(ThingsCloudDeviceEntity, EventEntity):
    """A device's alarm: raised, cleared, or its level changed while alarming."""

    _attr_translation_key = "alarm_event"
    _attr_event_types = list(ALARM_EVENT_TYPES)  # noqa: RUF012 - one list, never changed

    def __init__(self, coordinator: ThingsCloudCoordinator, device_id: str) -> None:
        """Create the alarm event entity of a device."""
        super().__init__(coordinator, device_id, "alarm_event")
        # The alarm changes already fired (those before the entity existed never are).
        self._handled = coordinator.data.alarms

    @callback
    @override
    def _handle_coordinator_update(self) -> None:
        """Fire this device's alarm changes of a new update (once per update)."""
        alarms = self.coordinator.data.alarms
        if alarms is not self._handled:
            self._handled = alarms
            for change in alarms:
                if change.device_id == self.device_id:
                    self._trigger_event(
                        change.event_type,
                        {
                            ATTR_LEVEL: change.level,
                            ATTR_LEVEL_NAME: change.level_name,
                            ATTR_INFO: change.info,
                        },
                    )
        super()._handle_coordinator_update()
