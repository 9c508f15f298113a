"""Logbook entries of the alarm event ``thingscloud_alarm``, under the device."""

from collections.abc import Callable
from typing import Any

from homeassistant.components.logbook.const import LOGBOOK_ENTRY_MESSAGE, LOGBOOK_ENTRY_NAME
from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .api import ALARM_LEVEL_NAMES
from .const import (
    ATTR_ALARM,
    ATTR_INFO,
    ATTR_LEVEL,
    ATTR_THINGSCLOUD_DEVICE_ID,
    DOMAIN,
    EVENT_ALARM,
)


def _info_text(info: Any) -> str:
    """Return the alarm info as a short text (the rule's message where it has one)."""
    if isinstance(info, dict):
        info = next(
            (info[key] for key in ("message", "msg", "rule", "name") if info.get(key)), info
        )
    return "" if info in (None, "", {}) else f": {info}"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event[Any]], dict[str, str]]], None],
) -> None:
    """Describe the alarm events for the logbook."""
    registry = dr.async_get(hass)

    @callback
    def describe(event: Event[Any]) -> dict[str, str]:
        data = event.data
        device = registry.async_get(data.get(ATTR_DEVICE_ID) or "")
        name = (device and (device.name_by_user or device.name)) or data.get(
            ATTR_THINGSCLOUD_DEVICE_ID, "ThingsCloud"
        )
        level = data.get(ATTR_LEVEL)
        level_text = ALARM_LEVEL_NAMES.get(level, str(level)) if level is not None else ""
        if data.get(ATTR_ALARM):
            message = f"raised a {level_text} alarm" if level_text else "raised an alarm"
        else:
            message = "cleared its alarm"
        return {
            LOGBOOK_ENTRY_NAME: str(name),
            LOGBOOK_ENTRY_MESSAGE: message + _info_text(data.get(ATTR_INFO)),
        }

    async_describe_event(DOMAIN, EVENT_ALARM, describe)
