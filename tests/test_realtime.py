"""Real-time updates through the simulator's MQTT app subscription, with polling as safety net."""

import asyncio
from collections.abc import Callable, Iterator
import json
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er, issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.thingscloud.const import (
    CONF_DEVICE_TYPES,
    CONF_MQTT_URL,
    CONF_SCAN_INTERVAL,
    CONF_VIEW_KEY,
    CONF_VIEW_SECRET,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
)
from custom_components.thingscloud.coordinator import REALTIME_POLL_FACTOR
from simulator.scenarios import DEMO_VIEW_KEY, DEMO_VIEW_SECRET
from simulator.testing import RunningSimulator

from .common import coordinator_of, next_cycle, set_up_platforms, value_of

REALTIME = "binary_sensor"
REALTIME_ID = "proj-demo_realtime"
TEMPERATURE = "dev-living-th_attr_temperature"


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


@pytest.fixture(autouse=True)
def fast_reconnect() -> Iterator[None]:
    """Reconnect within a fraction of a second (the product waits 1 s, doubling to 5 min)."""
    with patch("custom_components.thingscloud.realtime.RECONNECT_DELAYS", (0.05, 0.3)):
        yield


async def wait_for(condition: Callable[[], bool], seconds: float = 25) -> None:
    """Wait (real time) until a condition holds; fail after so many seconds.

    A refresh asked for within 10 s of the previous one waits for the end of those 10 s.
    """
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - the conditions are states, not events
            await asyncio.sleep(0.02)


def realtime_options(sim: RunningSimulator, **changes: object) -> dict[str, object]:
    """The options of an entry with real-time updates from the simulator's broker."""
    return {
        CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
        CONF_MQTT_URL: sim.mqtt_url,
        CONF_VIEW_KEY: DEMO_VIEW_KEY,
        CONF_VIEW_SECRET: DEMO_VIEW_SECRET,
        **changes,
    }


@pytest.fixture
async def live(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The demo entry with real-time updates, set up, the subscription up.

    Time runs: the subscription lives on real sockets and real timers.
    """
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(mock_config_entry, options=realtime_options(sim))
    await set_up_platforms(hass, mock_config_entry, Platform.SENSOR, Platform.BINARY_SENSOR)
    await wait_for(lambda: value_of(hass, REALTIME, REALTIME_ID) == STATE_ON)
    await hass.async_block_till_done()
    return mock_config_entry


async def report(
    hass: HomeAssistant, sim: RunningSimulator, device_id: str, **values: object
) -> None:
    """Let a simulated device report; the broker publishes it."""
    sim.state.set_attributes(device_id, values)


async def test_a_report_updates_the_state_without_a_request(
    hass: HomeAssistant, sim: RunningSimulator, live: MockConfigEntry
) -> None:
    """A pushed report shows at once; nothing is asked of the HTTP API for it."""
    sim.state.clear_log()

    await report(hass, sim, "dev-living-th", temperature=31.5)
    await wait_for(lambda: value_of(hass, "sensor", TEMPERATURE) == "31.5")

    assert list(sim.state.log) == []


async def test_the_realtime_sensor_is_a_diagnostic_of_the_project(
    hass: HomeAssistant, sim: RunningSimulator, live: MockConfigEntry
) -> None:
    """`<project_id>_realtime`: connectivity, diagnostic, on the project's device."""
    registry = er.async_get(hass)
    entry = registry.async_get(registry.async_get_entity_id(REALTIME, DOMAIN, REALTIME_ID) or "")
    assert entry is not None
    assert entry.entity_category == "diagnostic"
    assert entry.original_device_class == "connectivity"
    assert sim.broker.connections == 1


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[]",
        b'{"attributes": {"temperature": 40}}',
        b'{"attributes": [1], "device": {"id": "dev-living-th"}}',
        b"[" * 100_000,
    ],
)
async def test_malformed_messages_are_dropped_and_the_link_stays(
    hass: HomeAssistant, sim: RunningSimulator, live: MockConfigEntry, payload: bytes
) -> None:
    """A message that is not a report changes nothing and keeps the subscription up."""
    sim.broker.publish(f"{DEMO_VIEW_KEY}/view-dev-living-th/attributes", payload)
    await report(hass, sim, "dev-plug-tv", power=12.5)
    await wait_for(lambda: value_of(hass, "sensor", "dev-plug-tv_attr_power") == "12.5")

    assert value_of(hass, "sensor", TEMPERATURE) == "23.6"
    assert value_of(hass, REALTIME, REALTIME_ID) == STATE_ON
    assert sim.broker.connections == 1


async def test_old_and_unknown_reports_are_ignored(
    hass: HomeAssistant, sim: RunningSimulator, live: MockConfigEntry
) -> None:
    """A report older than what is known, or of a device not polled, changes nothing."""
    known = coordinator_of(live).data.devices["dev-living-th"].values_ts
    for message in (
        {"attributes": {"temperature": 1.0}, "device": {"id": "dev-living-th"}, "ts": known - 1},
        {"attributes": {"temperature": 2.0}, "device": {"id": "dev-unknown"}, "ts": known + 1},
    ):
        sim.broker.publish(f"{DEMO_VIEW_KEY}/view-x/attributes", json.dumps(message))
    await report(hass, sim, "dev-plug-tv", power=13.5)
    await wait_for(lambda: value_of(hass, "sensor", "dev-plug-tv_attr_power") == "13.5")

    assert value_of(hass, "sensor", TEMPERATURE) == "23.6"


async def test_an_unknown_identifier_refreshes_that_device(
    hass: HomeAssistant, sim: RunningSimulator, live: MockConfigEntry
) -> None:
    """A reported identifier without a description reads the device's models: a new entity."""
    sim.state.clear_log()

    await report(hass, sim, "dev-living-th", lux=420)
    await wait_for(
        lambda: (
            er.async_get(hass).async_get_entity_id("sensor", DOMAIN, "dev-living-th_attr_lux")
            is not None
        )
    )
    await hass.async_block_till_done()

    assert [entry.path for entry in sim.state.requests("attributes")] == [
        "/api/v1/device/dev-living-th/attributes"
    ]
    assert value_of(hass, "sensor", "dev-living-th_attr_lux") == "420"


async def test_reports_of_devices_outside_the_filters_are_ignored(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """With a device type filter, another type's reports are not applied (nor polled)."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry, options=realtime_options(sim, **{CONF_DEVICE_TYPES: ["dt-smart-plug"]})
    )
    await set_up_platforms(hass, mock_config_entry, Platform.SENSOR, Platform.BINARY_SENSOR)
    await wait_for(lambda: value_of(hass, REALTIME, REALTIME_ID) == STATE_ON)
    coordinator = coordinator_of(mock_config_entry)

    await report(hass, sim, "dev-living-th", temperature=35.0)
    await report(hass, sim, "dev-plug-tv", power=14.5)
    await wait_for(lambda: value_of(hass, "sensor", "dev-plug-tv_attr_power") == "14.5")

    assert "dev-living-th" not in coordinator.data.devices


async def test_polling_keeps_its_rhythm_while_reports_stream(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With the link up, polls come every five scan intervals, however many reports arrive.

    (A report must not postpone the next poll: online state, alarms and statistics only
    come from polling.)
    """
    coordinator = coordinator_of(init_integration)
    coordinator.async_set_realtime(up=True)
    await next_cycle(hass, freezer, seconds=1)  # the catch-up poll after connecting
    assert coordinator.update_interval is not None
    assert (
        coordinator.update_interval.total_seconds() == REALTIME_POLL_FACTOR * DEFAULT_SCAN_INTERVAL
    )
    sim.state.clear_log()

    for step in range(1, 2 * REALTIME_POLL_FACTOR + 1):
        coordinator.async_apply_report("dev-plug-tv", {"power": float(step)}, None)
        assert value_of(hass, "sensor", "dev-plug-tv_attr_power") == f"{step}.0"
        await next_cycle(hass, freezer, seconds=DEFAULT_SCAN_INTERVAL / 2)

    assert sim.state.count("devices_stat") == 1
    assert sim.state.count("devices") == 1


async def test_a_dropped_link_reconnects_and_catches_up(
    hass: HomeAssistant, sim: RunningSimulator, live: MockConfigEntry
) -> None:
    """After a drop: the sensor goes off, polling goes back to normal, and after the
    reconnect one poll brings what was reported meanwhile."""
    coordinator = coordinator_of(live)
    sim.state.clear_log()

    sim.broker.refuse_credentials = True
    sim.broker.drop_connections()
    await wait_for(lambda: value_of(hass, REALTIME, REALTIME_ID) == STATE_OFF)
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == DEFAULT_SCAN_INTERVAL
    await hass.async_block_till_done()

    polls = sim.state.count("devices")
    await report(hass, sim, "dev-living-th", temperature=26.5)  # nobody listens now
    sim.broker.refuse_credentials = False
    await wait_for(lambda: value_of(hass, REALTIME, REALTIME_ID) == STATE_ON)
    await wait_for(lambda: value_of(hass, "sensor", TEMPERATURE) == "26.5")

    assert sim.state.count("devices") > polls
    assert (
        coordinator.update_interval.total_seconds() == REALTIME_POLL_FACTOR * DEFAULT_SCAN_INTERVAL
    )


async def test_refused_credentials_after_setup_raise_a_repair_issue(
    hass: HomeAssistant, sim: RunningSimulator, live: MockConfigEntry
) -> None:
    """A broker refusing the key after setup: a repair issue, gone once it is accepted."""
    sim.broker.refuse_credentials = True
    sim.broker.drop_connections()
    issue_id = f"realtime_auth_failed_{live.entry_id}"
    await wait_for(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None)

    sim.broker.refuse_credentials = False
    await wait_for(lambda: ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None)


async def test_unload_leaves_nothing_running(
    hass: HomeAssistant, sim: RunningSimulator, live: MockConfigEntry
) -> None:
    """Unloading closes the subscription: no connection, no task of the entry left."""
    assert await hass.config_entries.async_unload(live.entry_id)
    await hass.async_block_till_done()

    assert live.state is ConfigEntryState.NOT_LOADED
    await wait_for(lambda: sim.broker.connections == 0)
    assert not [task for task in asyncio.all_tasks() if "thingscloud" in task.get_name()]


async def test_removing_the_settings_removes_the_sensor(
    hass: HomeAssistant, sim: RunningSimulator, live: MockConfigEntry
) -> None:
    """Without real-time settings the entry polls only, and the realtime sensor is gone."""
    hass.config_entries.async_update_entry(
        live,
        options={
            CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
            CONF_MQTT_URL: "",
            CONF_VIEW_KEY: "",
            CONF_VIEW_SECRET: "",
        },
    )
    await hass.async_block_till_done()

    registry = er.async_get(hass)
    assert registry.async_get_entity_id(REALTIME, DOMAIN, REALTIME_ID) is None
    await wait_for(lambda: sim.broker.connections == 0)
    coordinator = coordinator_of(live)
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == DEFAULT_SCAN_INTERVAL


async def test_an_unusable_stored_address_means_polling_only(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An address that is not usable any more: a warning, and the entry polls."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options=realtime_options(sim, **{CONF_MQTT_URL: "ws://mqtt.example.com/mqtt"}),
    )
    await set_up_platforms(hass, mock_config_entry, Platform.BINARY_SENSOR)

    assert mock_config_entry.state is ConfigEntryState.LOADED
    assert "Real-time updates are off" in caplog.text
    assert DEMO_VIEW_SECRET not in caplog.text
    assert er.async_get(hass).async_get_entity_id(REALTIME, DOMAIN, REALTIME_ID) is None


async def test_a_poll_does_not_read_again_what_a_push_brought(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A device whose latest report came by push is not read by the next poll; others are."""
    coordinator = coordinator_of(init_integration)
    sim.state.set_attributes("dev-plug-tv", {"power": 55.5})
    reported = sim.state.devices["dev-plug-tv"].active["attributes"]
    coordinator.async_apply_report("dev-plug-tv", {"power": 55.5}, reported)
    sim.state.set_attributes("dev-living-th", {"temperature": 28.5})
    sim.state.clear_log()

    await next_cycle(hass, freezer)

    read = sorted(entry.path.split("/")[4] for entry in sim.state.requests("attributes_raw"))
    assert "dev-plug-tv" not in read
    assert "dev-living-th" in read
    assert value_of(hass, "sensor", "dev-plug-tv_attr_power") == "55.5"
    assert value_of(hass, "sensor", TEMPERATURE) == "28.5"


async def test_stopping_home_assistant_closes_the_subscription(
    hass: HomeAssistant, sim: RunningSimulator, live: MockConfigEntry
) -> None:
    """Home Assistant stopping ends the subscription: no connection left at the broker."""
    await hass.async_stop()

    await wait_for(lambda: sim.broker.connections == 0)
    assert not [task for task in asyncio.all_tasks() if "thingscloud" in task.get_name()]
