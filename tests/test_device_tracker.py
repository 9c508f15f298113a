"""Location attributes as GPS device trackers: on the map, in zones, unknown when unusable."""

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.device_tracker import ATTR_SOURCE_TYPE, SourceType
from homeassistant.components.zone import DOMAIN as ZONE_DOMAIN
from homeassistant.const import (
    ATTR_GPS_ACCURACY,
    ATTR_LATITUDE,
    ATTR_LONGITUDE,
    STATE_NOT_HOME,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.thingscloud.const import DOMAIN
from simulator.testing import RunningSimulator

from .common import coordinator_of, next_cycle, set_up_platforms, state_of

TRACKER = "device_tracker"
GATEWAY_LOCATION = "dev-gateway_attr_location"


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


@pytest.fixture
async def trackers(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry, freezer: FrozenDateTimeFactory
) -> MockConfigEntry:
    """The demo entry with the device_tracker platform, and a zone around the office."""
    assert await async_setup_component(
        hass,
        ZONE_DOMAIN,
        {
            ZONE_DOMAIN: [
                {
                    "name": "Shanghai office",
                    "latitude": 31.2304,
                    "longitude": 121.4737,
                    "radius": 500,
                }
            ]
        },
    )
    return await set_up_platforms(hass, mock_config_entry, Platform.DEVICE_TRACKER)


async def test_a_read_only_location_is_a_gps_tracker_in_its_zone(
    hass: HomeAssistant, sim: RunningSimulator, trackers: MockConfigEntry
) -> None:
    """The gateway's reported location is on the map, in the zone it lies in."""
    state = state_of(hass, TRACKER, GATEWAY_LOCATION)
    assert state.state == "Shanghai office"
    assert state.attributes[ATTR_SOURCE_TYPE] == SourceType.GPS
    assert state.attributes[ATTR_LATITUDE] == 31.2304
    assert state.attributes[ATTR_LONGITUDE] == 121.4737
    assert state.attributes[ATTR_GPS_ACCURACY] == 0
    registry = er.async_get(hass)
    entry = registry.async_get(state.entity_id)
    assert entry is not None
    assert entry.entity_category is None
    # The writable (cloud) map position stays a sensor.
    assert registry.async_get_entity_id(TRACKER, DOMAIN, "dev-gateway_attr_map_position") is None


async def test_the_zone_follows_the_position(
    hass: HomeAssistant,
    sim: RunningSimulator,
    trackers: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new position leaves the zone; an accuracy in the value is the GPS accuracy."""
    sim.state.set_attributes(
        "dev-gateway", {"location": {"lat": 39.9042, "lng": 116.4074, "accuracy": 35}}
    )
    await next_cycle(hass, freezer)

    state = state_of(hass, TRACKER, GATEWAY_LOCATION)
    assert state.state == STATE_NOT_HOME
    assert state.attributes[ATTR_LATITUDE] == 39.9042
    assert state.attributes[ATTR_GPS_ACCURACY] == 35


@pytest.mark.parametrize(
    "value",
    [
        None,
        {},
        {"lat": 91, "lng": 10},
        {"lat": 10, "lng": -181},
        {"lat": "NaN", "lng": 10},
        {"lat": 10**400, "lng": 10},
        {"lat": True, "lng": 10},
        "somewhere",
        [121.47, 31.23],
    ],
)
async def test_an_unusable_position_is_unknown(
    hass: HomeAssistant,
    sim: RunningSimulator,
    trackers: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    value: object,
) -> None:
    """Missing, out of range, not a number: the position is unknown, never an error."""
    sim.state.set_attributes("dev-gateway", {"location": value})
    await next_cycle(hass, freezer)

    state = state_of(hass, TRACKER, GATEWAY_LOCATION)
    assert state.state == STATE_UNKNOWN
    assert state.attributes.get(ATTR_LATITUDE) is None
    assert coordinator_of(trackers).last_update_success


async def test_a_pushed_position_moves_the_tracker_at_once(
    hass: HomeAssistant, sim: RunningSimulator, trackers: MockConfigEntry
) -> None:
    """A real-time report of the location moves the tracker without a poll."""
    coordinator_of(trackers).async_apply_report(
        "dev-gateway", {"location": '{"lat": 22.5431, "lng": 114.0579}'}, None
    )

    state = state_of(hass, TRACKER, GATEWAY_LOCATION)
    assert state.state == STATE_NOT_HOME
    assert (state.attributes[ATTR_LATITUDE], state.attributes[ATTR_LONGITUDE]) == (
        22.5431,
        114.0579,
    )
