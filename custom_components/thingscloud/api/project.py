"""Reading a project cycle by cycle: which devices to re-read, their values and models.

HA-free. How a cycle decides what to read: docs/architecture.md.
"""

import asyncio
from collections.abc import (
    Callable,
    Collection,
    Coroutine,
    Hashable,
    Iterable,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field, replace
import logging
from typing import Any, Final, Literal

from .client import ThingsCloudClient
from .errors import (
    ThingsCloudApiError,
    ThingsCloudAuthError,
    ThingsCloudError,
    ThingsCloudNotFoundError,
)
from .models import AttributeModel, Device, DeviceGroup, Project
from .parsing import JsonValue
from .vocabulary import ALARM_LEVEL_NAMES

_LOGGER = logging.getLogger(__name__)

# Devices whose groups are read at once (for their innermost group's name).
MAX_PARALLEL_GROUP_READS: Final = 4

type AlarmEventType = Literal["raised", "cleared", "level_changed"]
type Describe[S] = Callable[[str, JsonValue, AttributeModel | None], S]
"""How the caller describes an attribute: (identifier, value, model) -> its spec."""


@dataclass(frozen=True, slots=True)
class DeviceSnapshot[S]:
    """What is known of one device: its listing, attribute values and their specs.

    ``values_ts`` (ms) is how recent the values are: the device's report time at the poll
    that read them, or the time of the push message that brought them (then ``pushed``).
    """

    device: Device
    values: Mapping[str, JsonValue]
    specs: Mapping[str, S]
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
class ProjectData[S]:
    """The immutable result of an update (a polling cycle or a push report).

    ``touched`` are the devices whose snapshot is new or gone in this update: only their
    entities need to look. ``gone`` are the devices ThingsCloud says were deleted;
    ``alarms`` the alarm changes of this update.
    """

    project: Project
    stats: Mapping[str, int]
    devices: Mapping[str, DeviceSnapshot[S]]
    touched: frozenset[str] = frozenset()
    gone: frozenset[str] = frozenset()
    alarms: tuple[AlarmChange, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    """What a pushed report did: applied or ignored; new identifiers want a normal read."""

    applied: bool
    unknown_identifiers: bool = False


class ProjectReader[S: Hashable]:
    """Read a project's devices and values, re-reading only what moved since last time.

    ``device_types`` and ``groups`` select devices (none: every device); a group selects
    its subgroups too. ``data`` is the latest result of :meth:`read` or :meth:`apply_report`.
    """

    project: Project
    groups_tree: list[DeviceGroup]

    def __init__(
        self,
        client: ThingsCloudClient,
        describe: Describe[S],
        *,
        device_types: Iterable[str] = (),
        groups: Iterable[str] = (),
    ) -> None:
        """Read through ``client``; describe attributes with ``describe``."""
        self.client = client
        self.describe = describe
        self.device_types = tuple(device_types)
        self.groups = tuple(groups)
        self.groups_tree = []
        self.data: ProjectData[S] | None = None
        # Devices to re-read next cycle although `active` did not move (after a write).
        self._stale: set[str] = set()
        # Devices missing from a listing that could not be confirmed gone yet.
        self._unconfirmed: set[str] = set()
        # One object for equal models, specs and spec tables (devices of one type share them).
        self._models: dict[tuple[str, str], AttributeModel] = {}
        self._specs: dict[S, S] = {}
        self._spec_tables: dict[tuple[tuple[str, S], ...], Mapping[str, S]] = {}

    async def start(self) -> Project:
        """Read the project and its group tree (an unreadable tree only logs)."""
        self.project = await self.client.get_project()
        try:
            self.groups_tree = await self.client.get_device_groups_tree()
        except ThingsCloudAuthError:
            raise
        except ThingsCloudError as err:
            _LOGGER.debug("Cannot read the device groups: %s", err)
        return self.project

    async def innermost_group_names(self, devices: Iterable[Device]) -> dict[str, str]:
        """Return the name of each device's innermost group (devices in none are left out).

        The device list does not say which groups a device is in; ``GET /device/<id>`` does.
        A device whose groups cannot be read is left out.
        """
        if not self.groups_tree:
            return {}
        names = _group_names(self.groups_tree)
        semaphore = asyncio.Semaphore(MAX_PARALLEL_GROUP_READS)

        async def groups_of(device: Device) -> tuple[str, ...]:
            if device.groups:
                return device.groups
            try:
                async with semaphore:
                    return (await self.client.get_device(device.id)).groups
            except ThingsCloudError as err:
                _LOGGER.debug("Cannot read the groups of ThingsCloud device %s: %s", device.id, err)
                return ()

        devices = list(devices)
        memberships = await asyncio.gather(*(groups_of(device) for device in devices))
        found: dict[str, str] = {}
        for device, group_ids in zip(devices, memberships, strict=True):
            if known := [names[group_id] for group_id in group_ids if group_id in names]:
                found[device.id] = max(known, key=lambda depth_name: depth_name[0])[1]
        return found

    def mark_stale(self, device_id: str) -> None:
        """Re-read a device next cycle, even if its activity did not move (after a write)."""
        self._stale.add(device_id)

    async def read(self, known: Collection[str] = ()) -> ProjectData[S]:
        """Read one cycle; ``known`` are the devices the caller shows before a first read."""
        stale, self._stale = self._stale, set()
        try:
            self.data = await self._read(known, stale)
        except BaseException:
            self._stale |= stale
            raise
        return self.data

    def apply_report(
        self, device_id: str, attributes: Mapping[str, JsonValue], ts: int | None
    ) -> Report:
        """Apply a pushed attribute report to one device, without an HTTP request.

        Reports of devices not read (outside the filters) and reports older than what is
        known are ignored.
        """
        data = self.data
        if data is None or (snapshot := data.devices.get(device_id)) is None:
            _LOGGER.debug("Ignoring a report of ThingsCloud device %s: not polled", device_id)
            return Report(applied=False)
        if ts is not None and ts < snapshot.values_ts:
            _LOGGER.debug("Ignoring an old report of ThingsCloud device %s", device_id)
            return Report(applied=False)
        pushed = replace(
            snapshot,
            values={**snapshot.values, **attributes},
            values_ts=ts if ts is not None else snapshot.values_ts,
            pushed=ts is not None,
        )
        self.data = replace(
            data,
            devices={**data.devices, device_id: pushed},
            touched=frozenset((device_id,)),
            gone=frozenset(),
            alarms=(),
        )
        return Report(
            applied=True, unknown_identifiers=not attributes.keys() <= snapshot.specs.keys()
        )

    # ------------------------------------------------------------------ one cycle

    async def _read(self, known: Collection[str], stale: set[str]) -> ProjectData[S]:
        previous = self.data
        old = previous.devices if previous is not None else {}
        devices_stat: dict[str, int]
        alarm_stat: dict[str, int]
        listing: list[Device]
        devices_stat, alarm_stat, listing = await _gather(
            self.client.get_devices_stat(),
            self.client.get_devices_alarm_stat(),
            self._list_devices(),
        )
        devices = {device.id: device for device in listing}
        registered = old.keys() if previous is not None else set(known)
        missing = (registered | self._unconfirmed) - devices.keys()
        gone = await self._confirm_missing(missing, devices)
        self._unconfirmed = missing - gone - devices.keys()

        reused: dict[str, DeviceSnapshot[S]] = {}
        reads = {}
        for device_id, device in devices.items():
            last = old.get(device_id)
            if device_id not in stale and (snapshot := _reusable(device, last)) is not None:
                reused[device_id] = snapshot
            else:
                reads[device_id] = self._snapshot(device, last)
        results: list[DeviceSnapshot[S]] = await _gather(*reads.values())
        read = dict(zip(reads, results, strict=True))
        new = {device_id: reused.get(device_id) or read[device_id] for device_id in devices}
        # A missing device that could not be confirmed gone keeps its last snapshot.
        new.update((device_id, old[device_id]) for device_id in missing - gone if device_id in old)
        # Pushes that came while this cycle read older values stay.
        self._keep_newer_pushes(new, self.data.devices if self.data is not None else {})
        touched = {
            device_id for device_id, snapshot in new.items() if old.get(device_id) is not snapshot
        }
        touched |= (stale & new.keys()) | (old.keys() - new.keys())
        return ProjectData(
            project=self.project,
            stats={**devices_stat, **alarm_stat},
            devices=new,
            touched=frozenset(touched),
            gone=frozenset(gone),
            alarms=_alarm_changes(old, new) if previous is not None else (),
        )

    async def _list_devices(self) -> list[Device]:
        """Return the selected devices, merged by id."""
        walks: list[Coroutine[Any, Any, list[Device]]] = [
            self.client.get_all_devices(device_type=type_id) for type_id in self.device_types
        ]
        walks.extend(self.client.get_all_devices(group=group_id) for group_id in self.groups)
        if not walks:
            return await self.client.get_all_devices()
        merged: dict[str, Device] = {}
        for walk in await _gather(*walks):
            for device in walk:
                merged.setdefault(device.id, device)
        return list(merged.values())

    def selects(self, device: Device) -> bool:
        """Return whether the type and group filters select a device."""
        if not self.device_types and not self.groups:
            return True
        return device.type_id in self.device_types or bool(
            set(device.groups) & _with_subgroups(self.groups_tree, set(self.groups))
        )

    async def _confirm_missing(self, missing: set[str], listed: dict[str, Device]) -> set[str]:
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
                _LOGGER.debug(
                    "Cannot tell whether ThingsCloud device %s is gone: %s", device_id, err
                )
            else:
                if self.selects(device):
                    listed[device.id] = device
                else:
                    gone.add(device_id)

        await _gather(*(confirm(device_id) for device_id in missing))
        return gone

    @staticmethod
    def _keep_newer_pushes(
        new: dict[str, DeviceSnapshot[S]], current: Mapping[str, DeviceSnapshot[S]]
    ) -> None:
        """Keep the values a push brought after those read (``current``: the latest data)."""
        for device_id, snapshot in new.items():
            pushed = current.get(device_id)
            if pushed is not None and pushed.values_ts > snapshot.values_ts:
                new[device_id] = replace(
                    snapshot, values=pushed.values, values_ts=pushed.values_ts, pushed=pushed.pushed
                )

    async def _snapshot(self, device: Device, old: DeviceSnapshot[S] | None) -> DeviceSnapshot[S]:
        """Return a device's snapshot from a read of its attributes.

        One device's failure, whatever its cause, only makes that device unavailable.
        """
        try:
            snapshot = await self._read_device(device, old)
        except ThingsCloudAuthError:
            raise
        except Exception as err:  # noqa: BLE001 - one device never takes the others down
            if old is None or old.available:
                _LOGGER.info("ThingsCloud device %s is unavailable: %s", device.id, err)
            if old is None:
                return DeviceSnapshot(device, {}, {}, available=False)
            if not old.available and device.raw == old.device.raw:
                return old
            return replace(old, device=device, available=False)
        if old is not None and not old.available:
            _LOGGER.info("ThingsCloud device %s is available again", device.id)
        if (
            old is not None
            and old.available
            and snapshot.values == old.values
            and snapshot.specs is old.specs
            and device.raw == old.device.raw
        ):
            return old
        return snapshot

    async def _read_device(
        self, device: Device, old: DeviceSnapshot[S] | None
    ) -> DeviceSnapshot[S]:
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
        specs = self._shared_specs(
            (identifier, self.describe(identifier, value, models.get(identifier)))
            for identifier, value in values.items()
        )
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

    def _shared_specs(self, specs: Iterable[tuple[str, S]]) -> Mapping[str, S]:
        """Return one object for equal spec tables, made of one object per equal spec."""
        items = tuple((key, self._specs.setdefault(spec, spec)) for key, spec in specs)
        return self._spec_tables.setdefault(items, dict(items))


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


def _reusable[S](device: Device, old: DeviceSnapshot[S] | None) -> DeviceSnapshot[S] | None:
    """Return the snapshot of a device that needs no request this cycle, else None.

    That is a device whose activity did not move, or whose values a push brought after
    its latest activity.
    """
    if old is None or not old.available or device.type_id != old.device.type_id:
        return None
    moved = device.active != old.device.active
    # Unmoved activity read with these values needs no parsing (the common case).
    if moved or not old.values_ts or old.pushed:
        reported = _report_time(device)
        if not reported or (moved and not (old.pushed and old.values_ts >= reported)):
            return None
    unchanged = device is old.device or device.raw == old.device.raw
    return old if unchanged else replace(old, device=device)


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


def _group_names(groups: Sequence[DeviceGroup]) -> dict[str, tuple[int, str]]:
    """Return group id -> (depth, name) for a group tree; a repeated id counts where deepest."""
    names: dict[str, tuple[int, str]] = {}
    level = [(0, group) for group in groups]
    while level:
        depth, group = level.pop()
        if depth >= names.get(group.id, (-1, ""))[0]:
            names[group.id] = (depth, group.name or group.id)
        level.extend((depth + 1, child) for child in group.children)
    return names


def _alarm_changes[S](
    old: Mapping[str, DeviceSnapshot[S]], new: Mapping[str, DeviceSnapshot[S]]
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
