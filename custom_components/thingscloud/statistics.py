"""Energy statistics: hourly sums of each meter, imported from ThingsCloud's own history.

A slow, paced job per entry that never blocks or fails a poll: once at setup and then every
hour it imports, per meter, the complete hours since the last imported one (up to 30 days
back the first time), so hours in which Home Assistant was not running are filled too.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
import re
from typing import Any, Final

from homeassistant.components.recorder.models import (
    StatisticData,
    StatisticMeanType,
    StatisticMetaData,
)
from homeassistant.components.recorder.statistics import (
    async_add_external_statistics,
    get_last_statistics,
)
from homeassistant.components.sensor.const import UNIT_CONVERTERS, SensorDeviceClass
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.event import async_track_time_interval
from homeassistant.helpers.recorder import get_instance
from homeassistant.util import dt as dt_util

from .api.meters import hourly_readings
from .const import DOMAIN, LOGGER
from .coordinator import ThingsCloudConfigEntry
from .thing_model import AttributeSpec

BACKFILL: Final = timedelta(days=30)
HOUR: Final = timedelta(hours=1)
_NOT_SLUG: Final = re.compile(r"[^a-z0-9_]")


def statistic_id(device_id: str, identifier: str) -> str:
    """Return ``thingscloud:<device_id>_<identifier>`` as Home Assistant accepts it."""
    return f"{DOMAIN}:{_NOT_SLUG.sub('_', f'{device_id}_{identifier}'.lower())}"


def is_meter(spec: AttributeSpec) -> bool:
    """Return whether an attribute is a cumulative meter (a total_increasing sensor)."""
    return spec.platform is Platform.SENSOR and spec.state_class == "total_increasing"


@dataclass(slots=True)
class ImportStatus:
    """What diagnostics show of one statistic."""

    last_hour: datetime | None = None
    rows: int = 0
    error: str | None = None


class EnergyStatistics:
    """The hourly import of one entry's meters."""

    def __init__(self, hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> None:
        """Prepare the import; nothing runs until :meth:`async_start`."""
        self._hass = hass
        self._entry = entry
        self._running = False
        self.status: dict[str, ImportStatus] = {}

    @callback
    def async_start(self) -> None:
        """Import now, then every hour, in the background."""
        self._schedule()
        self._entry.async_on_unload(async_track_time_interval(self._hass, self._schedule, HOUR))

    @callback
    def _schedule(self, _now: datetime | None = None) -> None:
        if not self._running:
            self._entry.async_create_background_task(
                self._hass, self.async_import(), "thingscloud energy statistics"
            )

    def diagnostics(self) -> dict[str, Any]:
        """Return the status of each statistic."""
        return {
            key: {
                "last_hour": status.last_hour.isoformat() if status.last_hour else None,
                "rows": status.rows,
                "error": status.error,
            }
            for key, status in self.status.items()
        }

    async def async_import(self) -> None:
        """Import the complete hours not imported yet, one meter after the other."""
        self._running = True
        try:
            coordinator = self._entry.runtime_data.coordinator
            end = dt_util.utcnow().replace(minute=0, second=0, microsecond=0)
            for device_id, snapshot in list(coordinator.data.devices.items()):
                for spec in snapshot.specs.values():
                    if is_meter(spec):
                        name = f"{snapshot.device.name or device_id} {spec.name}"
                        await self._async_import_meter(device_id, spec, name, end)
        finally:
            self._running = False

    async def _async_import_meter(
        self, device_id: str, spec: AttributeSpec, name: str, end: datetime
    ) -> None:
        key = statistic_id(device_id, spec.identifier)
        status = self.status.setdefault(key, ImportStatus())
        try:
            last = await get_instance(self._hass).async_add_executor_job(
                get_last_statistics,
                self._hass,
                1,
                key,
                False,  # noqa: FBT003 - get_last_statistics's convert_units
                {"state", "sum"},
            )
            state, total, start = None, 0.0, end - BACKFILL
            if rows := last.get(key):
                state = rows[0].get("state")
                total = rows[0].get("sum") or 0.0
                start = dt_util.utc_from_timestamp(rows[0]["start"]) + HOUR
            if start >= end:
                return
            points = await self._entry.runtime_data.client.get_attribute_series_range(
                device_id, spec.identifier, start, end
            )
        except Exception as err:  # noqa: BLE001 - retried at the next hour; entities untouched
            LOGGER.info("Cannot import the history of %s (retried in an hour): %s", key, err)
            status.error = str(err)
            return
        status.error = None
        imported = [
            StatisticData(start=hour.start, state=hour.state, sum=hour.sum)
            for hour in hourly_readings(points, state, total)
        ]
        if not imported:
            return
        device_class = SensorDeviceClass(spec.device_class) if spec.device_class else None
        converter = UNIT_CONVERTERS.get(device_class) if device_class else None
        async_add_external_statistics(
            self._hass,
            StatisticMetaData(
                mean_type=StatisticMeanType.NONE,
                has_sum=True,
                name=name,
                source=DOMAIN,
                statistic_id=key,
                unit_class=converter.UNIT_CLASS if converter else None,
                unit_of_measurement=spec.native_unit,
            ),
            imported,
        )
        status.last_hour = imported[-1]["start"]
        status.rows += len(imported)
