"""Real-time updates: the entry's MQTT app subscription, feeding the coordinator."""

from collections.abc import Mapping
from secrets import token_hex
from typing import Any, Final

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util.ssl import client_context

from .api import ThingsCloudInvalidEndpointError
from .api.realtime import (
    AttributeReport,
    RealtimeSubscriber,
    ThingsCloudRealtimeAuthError,
    parse_realtime_url,
)
from .const import CONF_MQTT_URL, CONF_VIEW_KEY, CONF_VIEW_SECRET, LOGGER, REALTIME_FIELDS
from .coordinator import ThingsCloudConfigEntry, ThingsCloudCoordinator
from .errors import async_clear_issue, async_show_issue

ISSUE_REALTIME_AUTH: Final = "realtime_auth_failed"
# Seconds between reconnection attempts: doubling from the first, capped at the second.
RECONNECT_DELAYS: tuple[float, float] = (1.0, 300.0)


def realtime_configured(options: Mapping[str, Any]) -> bool:
    """Return whether the options turn real-time updates on (all three fields given)."""
    return all(options.get(key) for key in REALTIME_FIELDS)


class RealtimeLink:
    """The subscription of one entry: reports go to the coordinator, link state to listeners."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ThingsCloudConfigEntry,
        coordinator: ThingsCloudCoordinator,
    ) -> None:
        """Prepare the subscription of an entry whose options configure it."""
        self._hass = hass
        self._entry = entry
        self._coordinator = coordinator
        self._listeners: set[CALLBACK_TYPE] = set()
        self.connected = False
        endpoint = parse_realtime_url(entry.options[CONF_MQTT_URL])
        self._subscriber = RealtimeSubscriber(
            endpoint,
            entry.options[CONF_VIEW_KEY],
            entry.options[CONF_VIEW_SECRET],
            # Unique to the entry, and at most the 23 characters every MQTT 3.1.1 broker takes.
            client_id=f"ha_{entry.entry_id[-8:]}_{token_hex(3)}",
            ssl_context=client_context() if endpoint.tls else None,
            on_report=self._on_report,
            on_link=self._on_link,
            on_auth_error=self._on_auth_error,
            min_backoff=RECONNECT_DELAYS[0],
            max_backoff=RECONNECT_DELAYS[1],
        )

    @classmethod
    def create(
        cls, hass: HomeAssistant, entry: ThingsCloudConfigEntry, coordinator: ThingsCloudCoordinator
    ) -> RealtimeLink | None:
        """Return the entry's link, None when the options do not configure a usable one."""
        if not realtime_configured(entry.options):
            return None
        try:
            return cls(hass, entry, coordinator)
        except ThingsCloudInvalidEndpointError as err:
            LOGGER.warning(
                "Real-time updates are off: the stored MQTT address is unusable (%s)", err
            )
            return None

    @callback
    def async_start(self) -> None:
        """Run the subscription in the background until the entry unloads."""
        self._entry.async_create_background_task(
            self._hass, self._subscriber.run(), f"thingscloud real-time updates {self._entry.title}"
        )
        self._entry.async_on_unload(
            lambda: async_clear_issue(self._hass, self._entry, ISSUE_REALTIME_AUTH)
        )

    @callback
    def add_listener(self, listener: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call ``listener`` when the link goes up or down; return the remover."""
        self._listeners.add(listener)
        return lambda: self._listeners.discard(listener)

    def diagnostics(self) -> dict[str, Any]:
        """Return the subscription's state (no secret)."""
        return self._subscriber.diagnostics()

    @callback
    def _on_report(self, report: AttributeReport) -> None:
        self._coordinator.async_apply_report(report.device_id, report.attributes, report.ts)

    @callback
    def _on_link(self, up: bool) -> None:
        self.connected = up
        if up:
            async_clear_issue(self._hass, self._entry, ISSUE_REALTIME_AUTH)
        self._coordinator.async_set_realtime(up=up)
        for listener in list(self._listeners):
            listener()

    @callback
    def _on_auth_error(self, err: ThingsCloudRealtimeAuthError) -> None:
        LOGGER.warning("The ThingsCloud MQTT subscription refused the view key or secret: %s", err)
        async_show_issue(
            self._hass, self._entry, ISSUE_REALTIME_AUTH, severity=ir.IssueSeverity.ERROR
        )
