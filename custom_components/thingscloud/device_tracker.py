"""Device trackers: read-only location attributes (MapPoint), on the map and in zones."""

from typing import override

from homeassistant.components.device_tracker.const import SourceType
from homeassistant.components.device_tracker.entity import TrackerEntity
from homeassistant.const import Platform

from .api.values import Position
from .entity import ThingsCloudAttributeEntity, attribute_platform

PARALLEL_UPDATES = 0


class ThingsCloudAttributeTracker(ThingsCloudAttributeEntity, TrackerEntity):
    """A location attribute; a value that is not a usable position is an unknown position."""

    _attr_entity_category = None  # type: ignore[assignment] # a position, not a diagnostic
    _attr_source_type = SourceType.GPS

    @property
    def _position(self) -> Position | None:
        return self.spec.position(self.attribute_value)

    @property
    @override
    def latitude(self) -> float | None:
        """Return the latitude."""
        return position.latitude if (position := self._position) else None

    @property
    @override
    def longitude(self) -> float | None:
        """Return the longitude."""
        return position.longitude if (position := self._position) else None

    @property
    @override
    def location_accuracy(self) -> float:
        """Return the accuracy radius in metres (0 when the value carries none)."""
        position = self._position
        return position.accuracy if position and position.accuracy is not None else 0


async_setup_entry = attribute_platform(Platform.DEVICE_TRACKER, ThingsCloudAttributeTracker)
