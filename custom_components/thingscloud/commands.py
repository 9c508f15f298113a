"""Command switches and buttons: what a config subentry of either type holds."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigSubentry

from .api import JsonObject
from .const import (
    CONF_COMMAND_ID,
    CONF_DEVICE_ID,
    CONF_METHOD,
    CONF_NAME,
    CONF_OFF_METHOD,
    CONF_OFF_PARAMS,
    CONF_PARAMS,
    CONF_STATE_ATTRIBUTE,
    LOGGER,
    SUBENTRY_COMMAND_SWITCH,
)


@dataclass(frozen=True, slots=True)
class CommandConfig:
    """One command switch or button.

    A button sends ``method``/``params``; a switch sends them to turn on and
    ``off_method``/``off_params`` to turn off, and shows ``state_attribute`` if set.
    """

    subentry_id: str
    command_id: str
    device_id: str
    name: str
    method: str
    params: JsonObject
    off_method: str = ""
    off_params: JsonObject = field(default_factory=dict)
    state_attribute: str | None = None


def command_config(subentry: ConfigSubentry) -> CommandConfig | None:
    """Return the command of a subentry; None (logged) when its data is unusable."""
    data: Mapping[str, Any] = subentry.data
    is_switch = subentry.subentry_type == SUBENTRY_COMMAND_SWITCH
    texts = [data.get(key) for key in (CONF_COMMAND_ID, CONF_DEVICE_ID, CONF_METHOD)]
    if is_switch:
        texts.append(data.get(CONF_OFF_METHOD))
    params, off_params = data.get(CONF_PARAMS) or {}, data.get(CONF_OFF_PARAMS) or {}
    state_attribute = data.get(CONF_STATE_ATTRIBUTE) or None
    if (
        not all(isinstance(text, str) and text for text in texts)
        or not isinstance(params, dict)
        or not isinstance(off_params, dict)
        or not isinstance(state_attribute, str | None)
    ):
        LOGGER.warning("Ignoring the unusable ThingsCloud command %s", subentry.title)
        return None
    return CommandConfig(
        subentry_id=subentry.subentry_id,
        command_id=data[CONF_COMMAND_ID],
        device_id=data[CONF_DEVICE_ID],
        name=str(data.get(CONF_NAME) or subentry.title),
        method=data[CONF_METHOD],
        params=params,
        off_method=data.get(CONF_OFF_METHOD, "") if is_switch else "",
        off_params=off_params,
        state_attribute=state_attribute if is_switch else None,
    )


def command_configs(entry: ConfigEntry, subentry_type: str) -> list[CommandConfig]:
    """Return the usable commands of one subentry type of an entry."""
    return [
        command
        for subentry in entry.subentries.values()
        if subentry.subentry_type == subentry_type
        and (command := command_config(subentry)) is not None
    ]
