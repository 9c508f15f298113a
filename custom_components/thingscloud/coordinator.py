"""The coordinator: one polling cycle, push reports, and the immutable data entities read.

How a cycle works and why: docs/architecture.md.
"""

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
import itertools
from typing import TYPE_CHECKING, Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .api import (
    Device,
    DeviceSnapshot,
    JsonValue,
    Project,
    ProjectData,
    ProjectReader,
    ThingsCloudClient,
    ThingsCloudError,
    ThingsCloudRateLimitError,
)
from .const import (
    CONF_DEVICE_TYPES,
    CONF_GROUPS,
    CONF_SCAN_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    LOGGER,
    MAX_SCAN_INTERVAL,
)
from .devices import (
    async_register_project,
    async_sync_devices,
    registered_device_ids,
)
from .errors import async_clear_issue, async_show_issue, update_failed
from .thing_model import AttributeSpec, describe_attribute

if TYPE_CHECKING:
    from .entity_limit import EntityLimit
    from .realtime import RealtimeLink
    from .statistics import EnergyStatistics

type ThingsCloudConfigEntry = ConfigEntry[ThingsCloudRuntime]
type ThingsCloudData = ProjectData[AttributeSpec]
type Snapshot = DeviceSnapshot[AttributeSpec]

# While real-time updates flow, polling is the safety net: this many times less often
# (online state, alarms and statistics still come from polling alone).
REALTIME_POLL_FACTOR: Final = 5
# Rate-limited cycles in a row before a repair issue says so.
RATE_LIMITED_CYCLES_FOR_ISSUE: Final = 3
ISSUE_RATE_LIMITED: Final = "rate_limited"


@dataclass(slots=True)
class ThingsCloudRuntime:
    """What a loaded entry owns."""

    client: ThingsCloudClient
    coordinator: ThingsCloudCoordinator
    entity_limit: EntityLimit
    realtime: RealtimeLink | None = None
    statistics: EnergyStatistics | None = None


class DeviceListeners:
    """Entity listeners by device: an update calls those of the devices it touched.

    A change of the coordinator's success (all entities become unavailable or come back)
    calls them all.
    """

    def __init__(self) -> None:
        """Start with no listener."""
        self._by_device: dict[str, dict[int, CALLBACK_TYPE]] = {}
        self._keys = itertools.count()
        self._success = True

    @callback
    def add(self, device_id: str, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Listen for updates of one device; return the remover."""
        key = next(self._keys)
        self._by_device.setdefault(device_id, {})[key] = update_callback
        return partial(self._remove, device_id, key)

    @callback
    def _remove(self, device_id: str, key: int) -> None:
        listeners = self._by_device.get(device_id, {})
        listeners.pop(key, None)
        if not listeners:
            self._by_device.pop(device_id, None)

    @callback
    def notify(self, touched: Iterable[str], success: bool) -> None:
        """Call the listeners of the touched devices (all when the success changed)."""
        if success != self._success:
            self._success = success
            touched = list(self._by_device)
        for update_callback in [
            listener
            for device_id in touched
            for listener in self._by_device.get(device_id, {}).values()
        ]:
            try:
                update_callback()
            except Exception:  # noqa: BLE001 - one entity never stops the others' updates
                LOGGER.exception("Error while dispatching an update to an entity")


class ThingsCloudCoordinator(DataUpdateCoordinator[ThingsCloudData]):
    """Poll the project through its reader; apply push reports; keep the registry in line."""

    config_entry: ThingsCloudConfigEntry

    def __init__(
        self, hass: HomeAssistant, entry: ThingsCloudConfigEntry, client: ThingsCloudClient
    ) -> None:
        """Create the coordinator of one config entry."""
        self.scan_interval = timedelta(
            seconds=entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
        )
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=self.scan_interval,
            # Every update is a new object; the entities decide what to write.
            always_update=True,
        )
        self.client = client
        self.reader = ProjectReader(
            client,
            describe_attribute,
            device_types=entry.options.get(CONF_DEVICE_TYPES) or (),
            groups=entry.options.get(CONF_GROUPS) or (),
        )
        self.project_device_id: str
        self._device_listeners = DeviceListeners()
        self._rate_limited_cycles = 0

    @property
    def project(self) -> Project:
        """Return the project (read at setup)."""
        return self.reader.project

    # ------------------------------------------------------------------ listeners

    @callback
    @override
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Listen for updates; a ``str`` context is the device the listener shows."""
        if isinstance(context, str):
            return self._device_listeners.add(context, update_callback)
        return super().async_add_listener(update_callback, context)

    @callback
    @override
    def async_update_listeners(self) -> None:
        """Update the entities of the touched devices, then the other listeners."""
        success = self.last_update_success
        touched = self.data.touched if success and self.data is not None else ()
        self._device_listeners.notify(touched, success)
        super().async_update_listeners()

    # ------------------------------------------------------------------ requests

    async def async_refresh_device(self, device_id: str) -> None:
        """Re-read a device soon (after a write), even if its activity did not move."""
        self.reader.mark_stale(device_id)
        await self.async_request_refresh()

    @callback
    def async_set_realtime(self, *, up: bool) -> None:
        """Poll less often while real-time updates flow; poll at once after a (re)connect.

        The catch-up poll brings what was reported while the link was down.
        """
        self.update_interval = (
            min(self.scan_interval * REALTIME_POLL_FACTOR, timedelta(seconds=MAX_SCAN_INTERVAL))
            if up
            else self.scan_interval
        )
        if up:
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), "thingscloud catch-up poll"
            )
        else:
            self._schedule_refresh()

    @callback
    def async_apply_report(
        self, device_id: str, attributes: Mapping[str, JsonValue], ts: int | None
    ) -> None:
        """Apply a pushed attribute report to one device, without an HTTP request.

        An identifier without a spec asks for a refresh of that device (to get an entity).
        """
        report = self.reader.apply_report(device_id, attributes, ts)
        if report.unknown_identifiers:
            self.hass.async_create_task(self.async_refresh_device(device_id))
        if report.applied:
            self.data = self.reader.data  # type: ignore[assignment]
            # Not async_set_updated_data: that would postpone the next poll.
            self.async_update_listeners()

    # ------------------------------------------------------------------ cycle

    @override
    async def _async_setup(self) -> None:
        """Read the project and its groups once, before the first refresh."""
        try:
            project = await self.reader.start()
        except ThingsCloudError as err:
            raise update_failed(err) from err
        self.project_device_id = async_register_project(self.hass, self.config_entry, project)

    @override
    async def _async_update_data(self) -> ThingsCloudData:
        """Fetch one cycle of data; keep the device registry in line."""
        old = self.data.devices if self.data is not None else {}
        registered = old.keys() if self.data is not None else self._registered()
        try:
            data = await self.reader.read(registered)
            await self._async_sync_registry(old, data, registered)
        except ThingsCloudError as err:
            self._note_rate_limit(limited=isinstance(err, ThingsCloudRateLimitError))
            raise update_failed(err) from err
        self._note_rate_limit(limited=False)
        return data

    def _registered(self) -> set[str]:
        """Return the devices the registry has for this entry (checked at the first cycle)."""
        return registered_device_ids(self.hass, self.config_entry)

    async def _async_sync_registry(
        self, old: Mapping[str, Snapshot], data: ThingsCloudData, registered: Collection[str]
    ) -> None:
        """Bring the device registry in line with the project."""
        changed = {
            device_id: snapshot.device
            for device_id, snapshot in data.devices.items()
            if (previous := old.get(device_id)) is None
            or (
                previous.device is not snapshot.device
                and _registry_fields(previous.device) != _registry_fields(snapshot.device)
            )
        }
        unregistered = [
            device for device_id, device in changed.items() if device_id not in registered
        ]
        areas = await self.reader.innermost_group_names(unregistered) if unregistered else {}
        async_sync_devices(
            self.hass,
            self.config_entry,
            self.project_device_id,
            devices=changed,
            gone=data.gone,
            areas=areas,
        )

    def _note_rate_limit(self, *, limited: bool) -> None:
        """Raise a repair issue while ThingsCloud keeps rate-limiting the cycles."""
        self._rate_limited_cycles = self._rate_limited_cycles + 1 if limited else 0
        if self._rate_limited_cycles == RATE_LIMITED_CYCLES_FOR_ISSUE:
            LOGGER.warning("ThingsCloud keeps refusing requests as too many (HTTP 429)")
            async_show_issue(self.hass, self.config_entry, ISSUE_RATE_LIMITED)
        elif not limited:
            async_clear_issue(self.hass, self.config_entry, ISSUE_RATE_LIMITED)


def _registry_fields(device: Device) -> tuple[str, str | None, str | None]:
    return (device.name, device.type_name, device.device_key)
