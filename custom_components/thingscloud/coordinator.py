"""The ThingsCloud data update coordinator: decides which requests a cycle makes.

One cycle, in order:

1. ``GET /devices_stat`` and ``GET /devices_alarm_stat`` (the project statistics);
2. every page of ``GET /devices`` (one walk per chosen device type and per chosen group,
   merged by device id, or one walk when no filter is chosen);
3. per device, only where needed (at most ``MAX_PARALLEL_DEVICE_REQUESTS`` at a time):

   * ``GET /device/<id>/attributes`` (values *and* thing models) for a device that is new,
     whose type changed, whose models never loaded, or whose values show an identifier
     without a known model;
   * ``GET /device/<id>/attributes_raw`` (values only) for a known device whose ``active``
     timestamps moved, that has no usable ``active`` timestamp, or that failed last cycle.

A steady cycle thus costs: pages of ``/devices`` + 2 + one request per device that changed.

The result is an immutable :class:`ThingsCloudData`. A :class:`DeviceSnapshot` object is
reused (same identity) when nothing of its device changed, so entities can skip work by
comparing identities. A device whose own requests fail keeps its last values and is marked
``available=False``; the cycle and the other devices go on.

Failures: an authentication error anywhere fails the cycle with ``ConfigEntryAuthFailed``
(reauthentication); a failure of the statistics or the device list fails it with a
translated ``UpdateFailed`` (HTTP 429 with the server's ``retry_after``). A per-device
failure of another kind (a 429 included) only makes that device unavailable.

Listeners: an entity registers with its device id as context and is only called when
that device's snapshot changed, was re-read on request, or left the project, or when the
coordinator's success changed; listeners without a context (the platforms' entity
adders, the project statistics) are called on every update.

Devices that a complete, successful listing no longer has lose this config entry in the
device registry (at the first refresh: every registered device the listing lacks).

Alarm event ``thingscloud_alarm``: fired after the entities were updated, once per device
whose alarm *state or level* differs from the previous cycle (raised, cleared, or
escalated/de-escalated while alarming); a change of the info alone fires nothing. Never at
the first refresh, nor for a device seen for the first time. Data: ``device_id`` (the Home
Assistant device id), ``thingscloud_device_id``, ``alarm`` (bool), ``level`` and ``info``.

Cost caveats: a device whose ``active`` has no usable timestamp is read every cycle (one
``attributes_raw``), since nothing tells whether it changed; a cloud attribute written
from elsewhere without moving ``active`` is only seen when something else of the device
changes. Writes from Home Assistant call :meth:`ThingsCloudCoordinator.async_refresh_device`
so they are read back.
"""

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
import itertools
from typing import Any, Final, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed, HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    Attribute,
    Device,
    JsonValue,
    Project,
    ThingsCloudAuthError,
    ThingsCloudClient,
    ThingsCloudConnectionError,
    ThingsCloudError,
    ThingsCloudRateLimitError,
)
from .const import (
    CONF_DEVICE_TYPES,
    CONF_GROUPS,
    CONF_SCAN_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    EVENT_ALARM,
    LOGGER,
    PROJECT_IDENTIFIER_PREFIX,
)

type ThingsCloudConfigEntry = ConfigEntry[ThingsCloudCoordinator]

MAX_PARALLEL_DEVICE_REQUESTS: Final = 8
MANUFACTURER: Final = "ThingsCloud"

ATTR_DEVICE_ID: Final = "device_id"
ATTR_THINGSCLOUD_DEVICE_ID: Final = "thingscloud_device_id"
ATTR_ALARM: Final = "alarm"
ATTR_LEVEL: Final = "level"
ATTR_INFO: Final = "info"


@dataclass(frozen=True, slots=True)
class DeviceSnapshot:
    """What the integration knows about one device after a cycle.

    ``values`` are the current attribute values (identifier -> value). ``attributes`` are
    the attributes of the last full ``/attributes`` answer, read them for the thing
    models (their ``value`` may be older than ``values``). ``available`` is False when
    this device's own requests failed in the last cycle (its last values are kept).
    """

    device: Device
    values: Mapping[str, JsonValue]
    attributes: Mapping[str, Attribute]
    available: bool = True


@dataclass(frozen=True, slots=True)
class ThingsCloudData:
    """The immutable result of one coordinator cycle."""

    project: Project
    stats: Mapping[str, int]
    devices: Mapping[str, DeviceSnapshot] = field(default_factory=dict)


def project_identifier(project_id: str) -> tuple[str, str]:
    """Return the device registry identifier of the project's service device."""
    return (DOMAIN, f"{PROJECT_IDENTIFIER_PREFIX}{project_id}")


def device_identifier(device_id: str) -> tuple[str, str]:
    """Return the device registry identifier of a ThingsCloud device."""
    return (DOMAIN, device_id)


def _translated_error(err: ThingsCloudError) -> HomeAssistantError:
    """Return the Home Assistant error a cycle raises for a client error."""
    if isinstance(err, ThingsCloudAuthError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN,
            translation_key="authentication_failed",
            translation_placeholders={"error": str(err)},
        )
    if isinstance(err, ThingsCloudRateLimitError):
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="rate_limited",
            translation_placeholders={"error": str(err)},
            retry_after=err.retry_after,
        )
    if isinstance(err, ThingsCloudConnectionError):
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key="communication_error",
            translation_placeholders={"error": str(err)},
        )
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key="api_error",
        translation_placeholders={"error": str(err)},
    )


async def _gather[T](coroutines: Iterable[Coroutine[Any, Any, T]]) -> list[T]:
    """Run coroutines concurrently; on a failure cancel the rest and raise that error."""
    tasks: list[asyncio.Task[T]] = []
    try:
        async with asyncio.TaskGroup() as group:
            tasks.extend(group.create_task(coroutine) for coroutine in coroutines)
    except ExceptionGroup as errors:
        raise _first_error(errors) from None
    return [task.result() for task in tasks]


def _first_error(errors: BaseExceptionGroup[BaseException]) -> BaseException:
    """Return the error of a task group to raise: an authentication error wins.

    The tasks raise plain errors (``_gather`` unwraps nested groups), so the group is flat.
    """
    leaves: list[BaseException] = list(errors.exceptions)
    auth = [err for err in leaves if isinstance(err, ThingsCloudAuthError)]
    return auth[0] if auth else leaves[0]


def _has_timestamp(device: Device) -> bool:
    """Return whether the device's `active` has a usable (positive) timestamp."""
    return any(stamp > 0 for stamp in device.active.values())


class ThingsCloudCoordinator(DataUpdateCoordinator[ThingsCloudData]):
    """Fetch the project's statistics, devices and attribute values."""

    config_entry: ThingsCloudConfigEntry
    project: Project
    # The device registry id of the project's service device (set by the entry setup).
    project_device_id: str

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ThingsCloudConfigEntry,
        client: ThingsCloudClient,
    ) -> None:
        """Create the coordinator of one config entry."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=DOMAIN,
            update_interval=timedelta(
                seconds=entry.options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_INTERVAL)
            ),
            # Listeners are only called when the data differs; snapshots are reused by
            # identity, so the comparison is cheap.
            always_update=False,
        )
        self.client = client
        self._semaphore = asyncio.Semaphore(MAX_PARALLEL_DEVICE_REQUESTS)
        # Devices whose full /attributes answer (with models) is still missing.
        self._needs_models: set[str] = set()
        # Alarm events of the last cycle, fired once the entities have the new state.
        self._pending_events: list[dict[str, Any]] = []
        # Devices whose values must be read next cycle although `active` did not move
        # (after a write: a cloud attribute write does not move `active`).
        self._stale_devices: set[str] = set()
        # Ids of the devices whose snapshot is a new object in the last successful cycle,
        # and of the devices the last successful cycle removed.
        self.changed_device_ids: frozenset[str] = frozenset()
        self.removed_device_ids: frozenset[str] = frozenset()
        # Listeners by device (context = a ThingsCloud device id) and the others.
        self._listener_keys = itertools.count()
        self._device_listeners: dict[str, dict[int, CALLBACK_TYPE]] = {}
        self._other_listeners: dict[int, CALLBACK_TYPE] = {}
        # The devices whose listeners the next update calls; all after a success change.
        self._notify_devices: frozenset[str] = frozenset()
        self._notified_success = True

    async def async_refresh_device(self, device_id: str) -> None:
        """Re-read a device's values soon (after a write), even if `active` did not move.

        The refresh after a write always updates the entities, so an optimistic state
        goes back to the cloud's value even when nothing changed.
        """
        self._stale_devices.add(device_id)
        await self.async_request_refresh()

    # ------------------------------------------------------------------ cycle

    async def _call[T](self, request: Callable[[], Awaitable[T]]) -> T:
        """Run a request of the cycle, translating client errors."""
        try:
            return await request()
        except ThingsCloudError as err:
            raise _translated_error(err) from err

    @override
    async def _async_setup(self) -> None:
        """Read the project once, before the first refresh."""
        self.project = await self._call(self.client.get_project)

    @override
    async def _async_update_data(self) -> ThingsCloudData:
        """Fetch one cycle of data."""
        previous = self.data
        self._notify_devices = frozenset()
        stale, self._stale_devices = self._stale_devices, set()
        self.always_update = bool(stale)
        try:
            try:
                async with asyncio.TaskGroup() as group:
                    devices_stat = group.create_task(self.client.get_devices_stat())
                    alarm_stat = group.create_task(self.client.get_devices_alarm_stat())
                    listing = group.create_task(self._async_list_devices())
            except ExceptionGroup as errors:
                raise _first_error(errors) from None
        except ThingsCloudError as err:
            self._stale_devices |= stale
            raise _translated_error(err) from err

        devices = listing.result()
        old = previous.devices if previous is not None else {}
        new: dict[str, DeviceSnapshot] = {}
        fetches: list[Coroutine[Any, Any, DeviceSnapshot]] = []
        for device in devices:
            previous_snapshot = old.get(device.id)
            snapshot = None if device.id in stale else self._reuse(device, previous_snapshot)
            if snapshot is None:
                fetches.append(self._async_fetch(device, previous_snapshot))
            else:
                new[device.id] = snapshot
        try:
            fetched = await _gather(fetches)
        except ThingsCloudError as err:
            # Only authentication errors leave _async_fetch.
            self._stale_devices |= stale
            raise _translated_error(err) from err
        new.update((snapshot.device.id, snapshot) for snapshot in fetched)
        # Keep the listing's order (the entities are added in it).
        new = {device.id: new[device.id] for device in devices}
        self.changed_device_ids = frozenset(
            device_id for device_id, snapshot in new.items() if old.get(device_id) is not snapshot
        )
        self.removed_device_ids = frozenset(old.keys() - new.keys())
        self._notify_devices = self.changed_device_ids | self.removed_device_ids | stale
        self._needs_models &= new.keys()
        self._async_update_device_registry(old, new, first=previous is None)
        if previous is not None:
            self._queue_alarm_events(old, new)
        return ThingsCloudData(
            project=self.project,
            stats={**devices_stat.result(), **alarm_stat.result()},
            devices=new,
        )

    async def _async_list_devices(self) -> list[Device]:
        """Return the devices the options select, merged by id."""
        options = self.config_entry.options
        walks: list[Coroutine[Any, Any, list[Device]]] = [
            self.client.get_all_devices(device_type=type_id)
            for type_id in options.get(CONF_DEVICE_TYPES) or ()
        ]
        walks.extend(
            self.client.get_all_devices(group=group_id)
            for group_id in options.get(CONF_GROUPS) or ()
        )
        if not walks:
            return await self.client.get_all_devices()
        merged: dict[str, Device] = {}
        for walk in await _gather(walks):
            for device in walk:
                merged.setdefault(device.id, device)
        return list(merged.values())

    def _reuse(self, device: Device, old: DeviceSnapshot | None) -> DeviceSnapshot | None:
        """Return the snapshot of a device that needs no request, else ``None``."""
        if (
            old is None
            or not old.available
            or device.id in self._needs_models
            or device.active != old.device.active
            or old.device.type_id != device.type_id
            or not _has_timestamp(device)
        ):
            return None
        if device.raw == old.device.raw:
            return old
        return DeviceSnapshot(device, old.values, old.attributes)

    async def _async_fetch(self, device: Device, old: DeviceSnapshot | None) -> DeviceSnapshot:
        """Return the snapshot of a device after fetching its attributes.

        A failure other than authentication gives an unavailable snapshot that keeps the
        last known values.
        """
        needs_models = (
            old is None or device.id in self._needs_models or old.device.type_id != device.type_id
        )
        values: Mapping[str, JsonValue] = old.values if old is not None else {}
        attributes: Mapping[str, Attribute] = old.attributes if old is not None else {}
        try:
            async with self._semaphore:
                if not needs_models:
                    raw = await self.client.get_device_attributes_raw(device.id)
                    needs_models = not raw.keys() <= attributes.keys()
                    values = raw
                if needs_models:
                    self._needs_models.add(device.id)
                    fetched = await self.client.get_device_attributes(device.id)
                    attributes = {attribute.identifier: attribute for attribute in fetched}
                    values = {attribute.identifier: attribute.value for attribute in fetched}
                    self._needs_models.discard(device.id)
        except ThingsCloudAuthError:
            raise
        except ThingsCloudError as err:
            if old is None or old.available:
                LOGGER.info("ThingsCloud device %s is unavailable: %s", device.id, err)
            else:
                LOGGER.debug("ThingsCloud device %s is still unavailable: %s", device.id, err)
            if old is None:
                return DeviceSnapshot(device, {}, {}, available=False)
            if not old.available and device.raw == old.device.raw:
                return old
            return DeviceSnapshot(device, old.values, old.attributes, available=False)

        if old is not None:
            if not old.available:
                LOGGER.info("ThingsCloud device %s is available again", device.id)
            if values == old.values:
                values = old.values
            if (
                old.available
                and values is old.values
                and attributes is old.attributes
                and device.raw == old.device.raw
            ):
                return old
        return DeviceSnapshot(device, values, attributes)

    # ------------------------------------------------------------------ registry

    def _registry_device(
        self, registry: dr.DeviceRegistry, device_id: str
    ) -> dr.DeviceEntry | None:
        """Return the device registry entry of a ThingsCloud device of this entry."""
        return registry.async_get_device_by_identifier(
            device_identifier(device_id), self.config_entry.entry_id
        )

    @callback
    def _async_update_device_registry(
        self,
        old: Mapping[str, DeviceSnapshot],
        new: Mapping[str, DeviceSnapshot],
        *,
        first: bool,
    ) -> None:
        """Follow renames and remove devices the complete listing no longer has.

        Only called after a complete, successful device listing.
        """
        registry = dr.async_get(self.hass)
        entry_id = self.config_entry.entry_id
        for device_id in self.changed_device_ids:
            previous = old.get(device_id)
            if previous is None:
                continue
            before, after = previous.device, new[device_id].device
            if (before.name, before.type_name, before.device_key) == (
                after.name,
                after.type_name,
                after.device_key,
            ):
                continue
            if entry := self._registry_device(registry, device_id):
                registry.async_update_device(
                    entry.id,
                    name=after.name or after.id,
                    model=after.type_name,
                    serial_number=after.device_key,
                )

        if first:
            project = project_identifier(self.project.id)
            gone = [
                entry
                for entry in dr.async_entries_for_config_entry(registry, entry_id)
                if not any(
                    identifier[0] == DOMAIN and (identifier == project or identifier[1] in new)
                    for identifier in entry.identifiers
                )
            ]
        else:
            gone = [
                entry
                for device_id in self.removed_device_ids
                if (entry := self._registry_device(registry, device_id))
            ]
        for entry in gone:
            LOGGER.debug("Removing ThingsCloud device %s, no longer in the project", entry.name)
            registry.async_update_device(entry.id, remove_config_entry_id=entry_id)

    # ------------------------------------------------------------------ alarm events

    @callback
    def _queue_alarm_events(
        self, old: Mapping[str, DeviceSnapshot], new: Mapping[str, DeviceSnapshot]
    ) -> None:
        """Queue one event per device whose alarm state or alarm level changed."""
        registry = dr.async_get(self.hass)
        for device_id in self.changed_device_ids:
            previous = old.get(device_id)
            if previous is None:
                continue
            before, after = previous.device.alarm, new[device_id].device.alarm
            if (before.active, before.level) == (after.active, after.level):
                continue
            entry = self._registry_device(registry, device_id)
            self._pending_events.append(
                {
                    ATTR_DEVICE_ID: entry.id if entry else None,
                    ATTR_THINGSCLOUD_DEVICE_ID: device_id,
                    ATTR_ALARM: after.active,
                    ATTR_LEVEL: after.level,
                    ATTR_INFO: after.info,
                }
            )

    # ------------------------------------------------------------------ listeners

    @callback
    @override
    def async_add_listener(
        self, update_callback: CALLBACK_TYPE, context: Any = None
    ) -> Callable[[], None]:
        """Listen for data updates; a ``str`` context is the device the listener shows.

        A device's listeners are only called when that device changed (or the
        coordinator's success changed); listeners without a device are always called.
        """
        remove = super().async_add_listener(update_callback, context)
        key = next(self._listener_keys)
        if isinstance(context, str):
            bucket = self._device_listeners.setdefault(context, {})
        else:
            bucket = self._other_listeners
        bucket[key] = update_callback

        @callback
        def _remove() -> None:
            remove()
            bucket.pop(key, None)
            if isinstance(context, str) and not bucket:
                self._device_listeners.pop(context, None)

        return _remove

    @callback
    @override
    def async_update_listeners(self) -> None:
        """Update the listeners concerned, then fire the alarm events of the cycle."""
        if self.last_update_success != self._notified_success:
            self._notified_success = self.last_update_success
            super().async_update_listeners()
        else:
            callbacks = list(self._other_listeners.values())
            for device_id in self._notify_devices:
                callbacks.extend(self._device_listeners.get(device_id, {}).values())
            for update_callback in callbacks:
                try:
                    update_callback()
                except Exception:
                    self.logger.exception("Error while dispatching update to listener")
        self._notify_devices = frozenset()
        events, self._pending_events = self._pending_events, []
        for event_data in events:
            self.hass.bus.async_fire(EVENT_ALARM, event_data)
