"""The coordinator: one polling cycle, push reports, and the immutable data entities read.

How a cycle works and why: docs/architecture.md.
"""

import asyncio
from collections.abc import Callable, Collection, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
import itertools
from typing import TYPE_CHECKING, Any, Final, Literal, override

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator

from .api import (
    AttributeModel,
    Device,
    DeviceGroup,
    JsonValue,
    Project,
    ThingsCloudApiError,
    ThingsCloudAuthError,
    ThingsCloudClient,
    ThingsCloudError,
    ThingsCloudNotFoundError,
    ThingsCloudRateLimitError,
)
from .const import (
    ALARM_LEVEL_NAMES,
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
    async_suggested_areas,
    async_sync_devices,
    registered_device_ids,
)
from .errors import update_failed
from .thing_model import AttributeSpec, describe_attribute

if TYPE_CHECKING:
    from .entity_limit import EntityLimit
    from .realtime import RealtimeLink
    from .statistics import EnergyStatistics

type ThingsCloudConfigEntry = ConfigEntry[ThingsCloudRuntime]

# While real-time updates flow, polling is the safety net: this many times less often
# (online state, alarms and statistics still come from polling alone).
REALTIME_POLL_FACTOR: Final = 5
# Rate-limited cycles in a row before a repair issue says so.
RATE_LIMITED_CYCLES_FOR_ISSUE: Final = 3
ISSUE_RATE_LIMITED: Final = "rate_limited"

type AlarmEventType = Literal["raised", "cleared", "level_changed"]


@dataclass(frozen=True, slots=True)
class DeviceSnapshot:
    """What is known of one device: its listing, attribute values and their descriptions.

    ``values_ts`` (ms) is how recent the values are: the device's report time at the poll
    that read them, or the time of the push message that brought them (then ``pushed``).
    """

    device: Device
    values: Mapping[str, JsonValue]
    specs: Mapping[str, AttributeSpec]
    models: Mapping[str, AttributeModel] = field(default_factory=dict)
    available: bool = True
    values_ts: int = 0
    pushed: bool = False


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """A change of a device's alarm between two cycles (one bus event, one entity event)."""

    device_id: str
    event_type: AlarmEventType
    active: bool
    level: int | None
    info: JsonValue

    @property
    def level_name(self) -> str | None:
        """Return minor, major or critical."""
        return ALARM_LEVEL_NAMES.get(self.level) if self.level is not None else None


@dataclass(frozen=True, slots=True, eq=False)
class ThingsCloudData:
    """The immutable result of an update (a polling cycle or a push report).

    ``touched`` are the devices whose snapshot is new or gone in this update: only their
    entities are told. ``alarms`` are the alarm changes of this update.
    """

    project: Project
    stats: Mapping[str, int]
    devices: Mapping[str, DeviceSnapshot]
    touched: frozenset[str] = frozenset()
    alarms: tuple[AlarmChange, ...] = ()


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
        listeners = self._by_device.setdefault(device_id, {})
        listeners[key] = update_callback

        @callback
        def remove() -> None:
            listeners.pop(key, None)
            if not listeners:
                self._by_device.pop(device_id, None)

        return remove

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


async def _gather(*coroutines: Coroutine[Any, Any, Any]) -> list[Any]:
    """Run coroutines to their end; raise the first error (an authentication error first)."""
    results = await asyncio.gather(*coroutines, return_exceptions=True)
    errors = [result for result in results if isinstance(result, BaseException)]
    if errors:
        raise next((err for err in errors if isinstance(err, ThingsCloudAuthError)), errors[0])
    return results


def _report_time(device: Device) -> int:
    """Return the device's latest activity in ms (0 when it has none)."""
    last = device.last_active
    return int(last.timestamp() * 1000) if last is not None else 0


class ThingsCloudCoordinator(DataUpdateCoordinator[ThingsCloudData]):
    """Poll the project's statistics, devices and attribute values; apply push reports."""

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
        self.project: Project
        self.project_device_id: str
        self.groups: list[DeviceGroup] = []
        self._device_listeners = DeviceListeners()
        # Devices to re-read next cycle although `active` did not move (after a write).
        self._stale: set[str] = set()
        self._rate_limited_cycles = 0
        # Devices missing from a listing that could not be confirmed gone yet.
        self._unconfirmed: set[str] = set()
        self._models: dict[tuple[str, str], AttributeModel] = {}

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
        self._stale.add(device_id)
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

        Reports of unknown devices (outside the entry's filters) and reports older than
        what is known are ignored; an identifier without a description asks for a refresh
        of that device, so that it gets an entity.
        """
        if self.data is None or (snapshot := self.data.devices.get(device_id)) is None:
            LOGGER.debug("Ignoring a report of ThingsCloud device %s: not polled", device_id)
            return
        if ts is not None and ts < snapshot.values_ts:
            LOGGER.debug("Ignoring an old report of ThingsCloud device %s", device_id)
            return
        if not attributes.keys() <= snapshot.specs.keys():
            self.hass.async_create_task(self.async_refresh_device(device_id))
        pushed = replace(
            snapshot,
            values={**snapshot.values, **attributes},
            values_ts=ts if ts is not None else snapshot.values_ts,
            pushed=ts is not None,
        )
        self.data = replace(
            self.data,
            devices={**self.data.devices, device_id: pushed},
            touched=frozenset((device_id,)),
            alarms=(),
        )
        # Not async_set_updated_data: that would postpone the next poll.
        self.async_update_listeners()

    # ------------------------------------------------------------------ cycle

    @override
    async def _async_setup(self) -> None:
        """Read the project and its groups once, before the first refresh."""
        try:
            self.project = await self.client.get_project()
        except ThingsCloudError as err:
            raise update_failed(err) from err
        self.project_device_id = async_register_project(self.hass, self.config_entry, self.project)
        try:
            self.groups = await self.client.get_device_groups_tree()
        except ThingsCloudAuthError as err:
            raise update_failed(err) from err
        except ThingsCloudError as err:
            LOGGER.debug("Cannot read the device groups (no area suggestions): %s", err)

    @override
    async def _async_update_data(self) -> ThingsCloudData:
        """Fetch one cycle of data."""
        stale, self._stale = self._stale, set()
        try:
            data = await self._async_cycle(stale)
        except ThingsCloudError as err:
            self._stale |= stale
            self._note_rate_limit(limited=isinstance(err, ThingsCloudRateLimitError))
            raise update_failed(err) from err
        self._note_rate_limit(limited=False)
        return data

    async def _async_cycle(self, stale: set[str]) -> ThingsCloudData:
        previous = self.data
        old = previous.devices if previous is not None else {}
        devices_stat: dict[str, int]
        alarm_stat: dict[str, int]
        listing: list[Device]
        devices_stat, alarm_stat, listing = await _gather(
            self.client.get_devices_stat(),
            self.client.get_devices_alarm_stat(),
            self._async_list_devices(),
        )
        devices = {device.id: device for device in listing}
        registered = old.keys() if previous is not None else self._registered()
        missing = (registered | self._unconfirmed) - devices.keys()
        gone = await self._async_confirm_missing(missing, devices)
        self._unconfirmed = missing - gone - devices.keys()

        tasks = {
            device_id: self._async_snapshot(device, old.get(device_id), device_id in stale)
            for device_id, device in devices.items()
        }
        results: list[DeviceSnapshot] = await _gather(*tasks.values())
        new = dict(zip(tasks, results, strict=True))
        # A missing device that could not be confirmed gone keeps its last snapshot.
        new.update((device_id, old[device_id]) for device_id in missing - gone if device_id in old)
        new = self._keep_newer_pushes(new)
        touched = {
            device_id for device_id, snapshot in new.items() if old.get(device_id) is not snapshot
        }
        touched |= (stale & new.keys()) | (old.keys() - new.keys())
        await self._async_sync_registry(old, new, gone, registered)
        return ThingsCloudData(
            project=self.project,
            stats={**devices_stat, **alarm_stat},
            devices=new,
            touched=frozenset(touched),
            alarms=_alarm_changes(old, new) if previous is not None else (),
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
        for walk in await _gather(*walks):
            for device in walk:
                merged.setdefault(device.id, device)
        return list(merged.values())

    def _registered(self) -> set[str]:
        """Return the devices the registry has for this entry (checked at the first cycle)."""
        return registered_device_ids(self.hass, self.config_entry)

    async def _async_confirm_missing(
        self, missing: set[str], listed: dict[str, Device]
    ) -> set[str]:
        """Return the missing devices ThingsCloud says are gone.

        A device deleted while the list was paged shifts the next page: a device missing
        from one listing is looked up before it is removed. Found ones join ``listed``.
        """
        gone: set[str] = set()

        async def confirm(device_id: str) -> None:
            try:
                device = await self.client.get_device(device_id)
            except ThingsCloudAuthError:
                raise
            except ThingsCloudApiError, ThingsCloudNotFoundError:
                gone.add(device_id)
            except ThingsCloudError as err:
                LOGGER.debug(
                    "Cannot tell whether ThingsCloud device %s is gone: %s", device_id, err
                )
            else:
                if self._selected(device):
                    listed[device.id] = device
                else:
                    gone.add(device_id)

        await _gather(*(confirm(device_id) for device_id in missing))
        return gone

    def _selected(self, device: Device) -> bool:
        """Return whether a device is one the options' type and group filters select."""
        options = self.config_entry.options
        types, groups = options.get(CONF_DEVICE_TYPES) or (), options.get(CONF_GROUPS) or ()
        if not types and not groups:
            return True
        return device.type_id in types or bool(
            set(device.groups) & _with_subgroups(self.groups, set(groups))
        )

    def _keep_newer_pushes(self, new: dict[str, DeviceSnapshot]) -> dict[str, DeviceSnapshot]:
        """Keep the values a push brought while this cycle was reading older ones."""
        current = self.data.devices if self.data is not None else {}
        for device_id, snapshot in new.items():
            pushed = current.get(device_id)
            if pushed is not None and pushed.values_ts > snapshot.values_ts:
                new[device_id] = replace(
                    snapshot, values=pushed.values, values_ts=pushed.values_ts, pushed=pushed.pushed
                )
        return new

    def _reusable(self, device: Device, old: DeviceSnapshot | None) -> DeviceSnapshot | None:
        """Return the snapshot of a device that needs no request this cycle, else None.

        That is a device whose activity did not move, or whose values a push brought after
        its latest activity.
        """
        if old is None or not old.available or device.type_id != old.device.type_id:
            return None
        reported = _report_time(device)
        if not reported or (
            device.active != old.device.active and not (old.pushed and old.values_ts >= reported)
        ):
            return None
        return old if device.raw == old.device.raw else replace(old, device=device)

    async def _async_snapshot(
        self, device: Device, old: DeviceSnapshot | None, stale: bool
    ) -> DeviceSnapshot:
        """Return a device's snapshot, reading its attributes where needed.

        One device's failure, whatever its cause, only makes that device unavailable.
        """
        if not stale and (reused := self._reusable(device, old)) is not None:
            return reused
        try:
            snapshot = await self._async_read(device, old)
        except ThingsCloudAuthError:
            raise
        except Exception as err:  # noqa: BLE001 - one device never takes the others down
            if old is None or old.available:
                LOGGER.info("ThingsCloud device %s is unavailable: %s", device.id, err)
            if old is None:
                return DeviceSnapshot(device, {}, {}, available=False)
            if not old.available and device.raw == old.device.raw:
                return old
            return replace(old, device=device, available=False)
        if old is not None and not old.available:
            LOGGER.info("ThingsCloud device %s is available again", device.id)
        if (
            old is not None
            and old.available
            and snapshot.values == old.values
            and snapshot.specs is old.specs
            and device.raw == old.device.raw
        ):
            return old
        return snapshot

    async def _async_read(self, device: Device, old: DeviceSnapshot | None) -> DeviceSnapshot:
        """Read a device's values; with their models when something new shows."""
        reported = _report_time(device)
        if old is not None and old.device.type_id == device.type_id:
            values = await self.client.get_device_attributes_raw(device.id)
            if values.keys() <= old.specs.keys():
                return replace(
                    old,
                    device=device,
                    values=values,
                    available=True,
                    values_ts=reported,
                    pushed=False,
                )
        attributes = await self.client.get_device_attributes(device.id)
        values = {attribute.identifier: attribute.value for attribute in attributes}
        models = {
            attribute.identifier: self._shared_model(device, attribute.identifier, attribute.model)
            for attribute in attributes
            if attribute.model is not None
        }
        specs = {
            identifier: describe_attribute(identifier, value, models.get(identifier))
            for identifier, value in values.items()
        }
        return DeviceSnapshot(device, values, specs, models, values_ts=reported)

    def _shared_model(
        self, device: Device, identifier: str, model: AttributeModel
    ) -> AttributeModel:
        """Return one object for equal models of devices of one type (they are the type's)."""
        key = (device.type_id or "", identifier)
        known = self._models.get(key)
        if known is not None and known.raw == model.raw:
            return known
        self._models[key] = model
        return model

    async def _async_sync_registry(
        self,
        old: Mapping[str, DeviceSnapshot],
        new: Mapping[str, DeviceSnapshot],
        gone: set[str],
        registered: Collection[str],
    ) -> None:
        """Bring the device registry in line with the project."""
        changed = {
            device_id: snapshot.device
            for device_id, snapshot in new.items()
            if (previous := old.get(device_id)) is None
            or _registry_fields(previous.device) != _registry_fields(snapshot.device)
        }
        unregistered = [
            device for device_id, device in changed.items() if device_id not in registered
        ]
        areas = (
            await async_suggested_areas(self.client, self.groups, unregistered)
            if unregistered and self.groups
            else {}
        )
        async_sync_devices(
            self.hass,
            self.config_entry,
            self.project_device_id,
            devices=changed,
            gone=gone,
            areas=areas,
        )

    def _note_rate_limit(self, *, limited: bool) -> None:
        """Raise a repair issue while ThingsCloud keeps rate-limiting the cycles."""
        self._rate_limited_cycles = self._rate_limited_cycles + 1 if limited else 0
        issue_id = f"{ISSUE_RATE_LIMITED}_{self.config_entry.entry_id}"
        if self._rate_limited_cycles == RATE_LIMITED_CYCLES_FOR_ISSUE:
            LOGGER.warning("ThingsCloud keeps refusing requests as too many (HTTP 429)")
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key=ISSUE_RATE_LIMITED,
                translation_placeholders={"title": self.config_entry.title},
            )
        elif not limited:
            ir.async_delete_issue(self.hass, DOMAIN, issue_id)


def _with_subgroups(tree: Iterable[DeviceGroup], chosen: set[str]) -> set[str]:
    """Return the chosen group ids and the ids of every group below them."""
    found: set[str] = set()
    level = [(group, group.id in chosen) for group in tree]
    while level:
        group, inside = level.pop()
        if inside:
            found.add(group.id)
        level.extend((child, inside or child.id in chosen) for child in group.children)
    return found | chosen


def _registry_fields(device: Device) -> tuple[str, str | None, str | None]:
    return (device.name, device.type_name, device.device_key)


def _alarm_changes(
    old: Mapping[str, DeviceSnapshot], new: Mapping[str, DeviceSnapshot]
) -> tuple[AlarmChange, ...]:
    """Return the alarm changes of the devices known before (never of new devices)."""
    changes: list[AlarmChange] = []
    for device_id, snapshot in new.items():
        if (previous := old.get(device_id)) is None or previous is snapshot:
            continue
        before, after = previous.device.alarm, snapshot.device.alarm
        if before.active == after.active and (not after.active or before.level == after.level):
            continue
        event_type: AlarmEventType = (
            "level_changed"
            if before.active == after.active
            else "raised"
            if after.active
            else "cleared"
        )
        changes.append(AlarmChange(device_id, event_type, after.active, after.level, after.info))
    return tuple(changes)
