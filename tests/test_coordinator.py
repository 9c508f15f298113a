"""The coordinator against the simulated demo project: requests, failures, dynamics, events."""

import logging
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_OFF,
    STATE_ON,
    STATE_UNAVAILABLE,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
)

from custom_components.thingscloud.api import JsonObject, ThingsCloudConnectionError
from custom_components.thingscloud.api.const import PACING_MAX_SPACING, PACING_RETRIES
from custom_components.thingscloud.const import (
    CONF_DEVICE_TYPES,
    CONF_GROUPS,
    CONF_SCAN_INTERVAL,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
    EVENT_ALARM,
)
from custom_components.thingscloud.entity import ThingsCloudEntity
from simulator.state import Device
from simulator.testing import RunningSimulator

from .common import coordinator_of, entity_id_of, next_cycle, value_of

# Devices of the demo whose `active` has no usable timestamp: their values are read every cycle.
NEVER_ACTIVE = {"dev-spare-plug"}
ALL_DEVICES = {
    "dev-living-th",
    "dev-bedroom-th",
    "dev-plug-tv",
    "dev-office-aq",
    "dev-front-door",
    "dev-thermostat",
    "dev-lobby-led",
    "dev-gateway",
    "dev-spare-plug",
}


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


async def no_wait(seconds: float) -> None:
    """A sleep of the client's pacer that returns at once (frozen time never ends one)."""


def attribute_requests(sim: RunningSimulator, route: str) -> list[str]:
    """Return the device ids of the requests of a per-device route, sorted."""
    return sorted(entry.path.split("/")[4] for entry in sim.state.requests(route))


def ha_device(hass: HomeAssistant, identifier: str) -> dr.DeviceEntry | None:
    """Return the device registry entry of a device registry identifier of the domain."""
    entries = hass.config_entries.async_entries(DOMAIN)
    assert len(entries) == 1
    return dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, identifier), entries[0].entry_id
    )


# --------------------------------------------------------------------------- requests


async def test_first_cycle_reads_models_of_every_device(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    """The first cycle reads statistics, the list and every device's attributes with models."""
    counts = sim.state.request_counts()
    assert counts["project"] == 1
    assert counts["devices_stat"] == 1
    assert counts["devices_alarm_stat"] == 1
    assert counts["devices"] == 1
    assert attribute_requests(sim, "attributes") == sorted(ALL_DEVICES)
    assert "attributes_raw" not in counts


async def test_steady_cycle_costs_pages_plus_two_plus_changes(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A cycle with one changed device: pages + 2 + one attributes_raw (+ never-active ones)."""
    sim.state.clear_log()
    await next_cycle(hass, freezer)
    assert sim.state.request_counts() == {
        "devices": 1,
        "devices_stat": 1,
        "devices_alarm_stat": 1,
        "attributes_raw": len(NEVER_ACTIVE),
    }

    sim.state.clear_log()
    sim.state.set_attributes("dev-living-th", {"temperature": 25.5})
    await next_cycle(hass, freezer)
    assert sim.state.request_counts() == {
        "devices": 1,
        "devices_stat": 1,
        "devices_alarm_stat": 1,
        "attributes_raw": 1 + len(NEVER_ACTIVE),
    }
    assert attribute_requests(sim, "attributes_raw") == sorted({"dev-living-th", *NEVER_ACTIVE})
    assert value_of(hass, "sensor", "dev-living-th_attr_temperature") == "25.5"


async def test_every_page_of_the_device_list_is_read(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """With more devices than a page holds, every page is read and every device appears."""
    for index in range(120):
        sim.state.add_device(Device(f"dev-extra-{index:03d}", f"Extra {index}", "dt-th-sensor"))
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert [entry.query["page"] for entry in sim.state.requests("devices")] == ["1", "2"]
    devices = coordinator_of(mock_config_entry).data.devices
    assert len(devices) == len(ALL_DEVICES) + 120


async def test_unchanged_entities_are_not_written(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Only the entities whose inputs changed write a state; the others are skipped."""
    changed = async_capture_events(hass, EVENT_STATE_CHANGED)
    reported: list[Event] = []
    hass.bus.async_listen(
        EVENT_STATE_REPORTED, reported.append, event_filter=callback(lambda _: True)
    )

    await next_cycle(hass, freezer)
    assert changed == []
    assert reported == []

    sim.state.set_attributes("dev-living-th", {"temperature": 19.5})
    await next_cycle(hass, freezer)
    # (The device's last activity moved too; its sensor is disabled by default.)
    assert [event.data["entity_id"] for event in changed] == [
        entity_id_of(hass, "sensor", "dev-living-th_attr_temperature")
    ]
    assert reported == []


async def test_only_the_changed_device_entities_are_called(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """The coordinator only calls the entities of devices that changed (by context)."""
    calls: list[str] = []
    original = ThingsCloudEntity._handle_coordinator_update

    def counting(self: ThingsCloudEntity) -> None:
        calls.append(self.device_id)
        original(self)

    with patch.object(ThingsCloudEntity, "_handle_coordinator_update", counting):
        mock_config_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(mock_config_entry.entry_id)
        await hass.async_block_till_done()

        await next_cycle(hass, freezer)
        assert calls == []

        sim.state.set_attributes("dev-plug-tv", {"power": 12.5})
        await next_cycle(hass, freezer)
        assert set(calls) == {"dev-plug-tv"}
        assert value_of(hass, "sensor", "dev-plug-tv_attr_power") == "12.5"

        # A failed cycle reaches every entity (they become unavailable), and so does recovery.
        calls.clear()
        sim.state.faults.set("http_error", "devices", status=500, count=1)
        await next_cycle(hass, freezer)
        assert set(calls) == ALL_DEVICES
        calls.clear()
        await next_cycle(hass, freezer)
        assert set(calls) == ALL_DEVICES


async def test_write_is_skipped_without_a_listener_call_when_nothing_changed(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A cycle that changes nothing keeps every snapshot object and the data equal."""
    coordinator = coordinator_of(init_integration)
    before = dict(coordinator.data.devices)
    await next_cycle(hass, freezer)
    assert all(coordinator.data.devices[key] is before[key] for key in before)
    assert coordinator.data.touched == frozenset()


# --------------------------------------------------------------------------- filters


async def test_device_type_and_group_filters_walk_each_and_merge(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """One walk per chosen type and group; devices in several walks appear once."""
    mock_config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={
            CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL,
            CONF_DEVICE_TYPES: ["dt-th-sensor"],
            CONF_GROUPS: ["grp-living"],
        },
    )
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    queries = sorted(
        (entry.query.get("type", ""), entry.query.get("group", ""))
        for entry in sim.state.requests("devices")
    )
    assert queries == [("", "grp-living"), ("dt-th-sensor", "")]
    assert set(coordinator_of(mock_config_entry).data.devices) == {
        "dev-living-th",
        "dev-bedroom-th",
        "dev-plug-tv",
        "dev-thermostat",
    }


async def test_filtered_out_devices_leave_the_registry(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """After a filter is chosen (a reload), the devices it excludes are removed."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert ha_device(hass, "dev-gateway") is not None

    hass.config_entries.async_update_entry(
        mock_config_entry,
        options={CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL, CONF_DEVICE_TYPES: ["dt-th-sensor"]},
    )
    await hass.config_entries.async_reload(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    assert ha_device(hass, "dev-gateway") is None
    assert ha_device(hass, "dev-living-th") is not None
    assert ha_device(hass, "project_proj-demo") is not None


# --------------------------------------------------------------------------- failures


@pytest.mark.parametrize(
    "case",
    [
        ("http_error", {"status": 500}, "connection_error"),
        ("invalid_json", {}, "connection_error"),
        ("result_false", {"errcode": 500, "message": "boom"}, "api_error"),
    ],
)
async def test_global_fault_makes_everything_unavailable_then_recovers(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    case: tuple[str, dict[str, Any], str],
) -> None:
    """A failing cycle makes every entity unavailable with a translated error; then recovery."""
    fault, params, translation_key = case
    coordinator = coordinator_of(init_integration)
    sim.state.faults.set(fault, **params)
    await next_cycle(hass, freezer)

    assert not coordinator.last_update_success
    assert getattr(coordinator.last_exception, "translation_key", None) == translation_key
    for platform, unique_id in (
        ("sensor", "proj-demo_device_total"),
        ("sensor", "dev-living-th_attr_temperature"),
        ("binary_sensor", "dev-front-door_alarm"),
    ):
        assert value_of(hass, platform, unique_id) == STATE_UNAVAILABLE

    sim.state.faults.clear()
    await next_cycle(hass, freezer)
    assert coordinator.last_update_success
    assert value_of(hass, "sensor", "proj-demo_device_total") == "9"
    assert value_of(hass, "sensor", "dev-living-th_attr_temperature") == "23.6"
    assert value_of(hass, "binary_sensor", "dev-front-door_alarm") == STATE_ON


async def test_rate_limit_retries_after_the_given_delay(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """HTTP 429 fails the cycle with the server's retry_after; the next cycle honours it.

    (The client then spaces its requests for a while: here its sleeps return at once, as
    frozen time would never end them.)
    """
    coordinator = coordinator_of(init_integration)
    coordinator.client._transport.pacer.sleep = no_wait
    sim.state.faults.set("rate_limit", "devices", count=1, retry_after=25)
    await next_cycle(hass, freezer)
    assert not coordinator.last_update_success
    assert getattr(coordinator.last_exception, "translation_key", None) == "rate_limited"
    assert getattr(coordinator.last_exception, "retry_after", None) == 25

    sim.state.clear_log()
    await next_cycle(hass, freezer, seconds=26)
    assert sim.state.count("devices") == 1
    assert coordinator.last_update_success, coordinator.last_exception


async def test_one_failing_device_only_makes_its_entities_unavailable(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A device whose values cannot be read keeps its last values, unavailable; others go on.

    Its unavailability is logged once at info level, and so is its return.
    """
    coordinator = coordinator_of(init_integration)
    real = coordinator.client.get_device_attributes_raw

    async def failing(device_id: str) -> JsonObject:
        if device_id == "dev-living-th":
            raise ThingsCloudConnectionError("device read failed")
        return await real(device_id)

    sim.state.set_attributes("dev-living-th", {"temperature": 30.0})
    sim.state.set_attributes("dev-plug-tv", {"power": 99.5})
    with patch.object(coordinator.client, "get_device_attributes_raw", side_effect=failing):
        await next_cycle(hass, freezer)

    assert coordinator.last_update_success
    snapshot = coordinator.data.devices["dev-living-th"]
    assert not snapshot.available
    assert snapshot.values["temperature"] == 23.6
    assert value_of(hass, "sensor", "dev-living-th_attr_temperature") == STATE_UNAVAILABLE
    assert value_of(hass, "binary_sensor", "dev-living-th_online") == STATE_UNAVAILABLE
    assert value_of(hass, "sensor", "dev-plug-tv_attr_power") == "99.5"
    assert value_of(hass, "sensor", "proj-demo_device_total") == "9"

    # Still failing and unchanged: the same unavailable snapshot is kept.
    with patch.object(coordinator.client, "get_device_attributes_raw", side_effect=failing):
        await next_cycle(hass, freezer)
    assert coordinator.data.devices["dev-living-th"] is snapshot

    # Recovery: the device is read again although `active` did not move since.
    sim.state.clear_log()
    await next_cycle(hass, freezer)
    assert "dev-living-th" in attribute_requests(sim, "attributes_raw")
    assert value_of(hass, "sensor", "dev-living-th_attr_temperature") == "30.0"

    info = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert info.count("ThingsCloud device dev-living-th is unavailable: device read failed") == 1
    assert info.count("ThingsCloud device dev-living-th is available again") == 1


async def test_simulated_attributes_raw_fault_spares_the_other_devices(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """With the simulator failing attributes_raw, only the devices that needed it fail."""
    sim.state.set_attributes("dev-office-aq", {"co2": 900})
    sim.state.faults.set("http_error", "attributes_raw", status=503)
    await next_cycle(hass, freezer)

    assert value_of(hass, "sensor", "dev-office-aq_attr_co2") == STATE_UNAVAILABLE
    assert value_of(hass, "sensor", "dev-living-th_attr_temperature") == "23.6"

    sim.state.faults.clear()
    await next_cycle(hass, freezer)
    assert value_of(hass, "sensor", "dev-office-aq_attr_co2") == "900"


async def test_new_device_failing_its_first_read_is_retried(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new device whose models cannot be read is unavailable, and read fully next cycle."""
    coordinator = coordinator_of(init_integration)
    device = sim.state.add_device(Device("dev-new-th", "New sensor", "dt-th-sensor", online=True))
    sim.state.set_attributes(device.id, {"temperature": 18.0})
    sim.state.faults.set("http_error", "attributes", status=500)
    await next_cycle(hass, freezer)
    snapshot = coordinator.data.devices["dev-new-th"]
    assert not snapshot.available
    assert snapshot.specs == {}
    assert value_of(hass, "binary_sensor", "dev-new-th_online") == STATE_UNAVAILABLE

    sim.state.faults.clear()
    sim.state.clear_log()
    await next_cycle(hass, freezer)
    assert attribute_requests(sim, "attributes") == ["dev-new-th"]
    assert value_of(hass, "sensor", "dev-new-th_attr_temperature") == "18.0"
    assert value_of(hass, "binary_sensor", "dev-new-th_online") == STATE_ON


async def test_failing_model_read_after_a_new_identifier_is_retried(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Values with an unknown identifier need the models; a failure there is retried."""
    coordinator = coordinator_of(init_integration)
    sim.state.set_attributes("dev-living-th", {"co2_extra": 5})
    sim.state.faults.set("http_error", "attributes", status=500, count=1)
    await next_cycle(hass, freezer)
    assert not coordinator.data.devices["dev-living-th"].available

    sim.state.clear_log()
    await next_cycle(hass, freezer)
    assert attribute_requests(sim, "attributes") == ["dev-living-th"]
    assert value_of(hass, "sensor", "dev-living-th_attr_co2_extra") == "5"


async def test_auth_failure_starts_reauth(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Credentials rejected during a cycle start a reauthentication flow."""
    sim.state.secret_key = "rotated-secret"
    sim.state.expire_tokens()
    await next_cycle(hass, freezer)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == init_integration.entry_id
    coordinator = coordinator_of(init_integration)
    assert getattr(coordinator.last_exception, "translation_key", None) == "auth_failed"


async def test_auth_failure_in_a_device_read_starts_reauth(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An authentication error on a per-device request fails the cycle with reauth."""
    sim.state.set_attributes("dev-living-th", {"temperature": 20.0})
    sim.state.faults.set("http_error", "attributes_raw", status=401)
    sim.state.secret_key = "rotated-secret"
    await next_cycle(hass, freezer)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_setup_retries_when_the_api_fails(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A failing first refresh leaves the entry to retry."""
    sim.state.faults.set("http_error", "devices", status=502)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_retries_when_the_project_cannot_be_read(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A failing project read (before the first refresh) leaves the entry to retry."""
    sim.state.faults.set("http_error", "project", status=500)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    assert mock_config_entry.state is ConfigEntryState.SETUP_RETRY


# --------------------------------------------------------------------------- dynamics


async def test_new_device_and_new_attribute_appear_without_reload(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Devices and attributes that appear in the cloud get entities at the next cycle."""
    device = sim.state.add_device(
        Device("dev-hall-th", "Hall sensor", "dt-th-sensor", device_key="DK-HALL", online=True)
    )
    sim.state.set_attributes(device.id, {"temperature": 20.5, "humidity": 40.0})
    sim.state.set_attributes("dev-plug-tv", {"frequency": 50})
    await next_cycle(hass, freezer)

    assert init_integration.state is ConfigEntryState.LOADED
    assert value_of(hass, "sensor", "dev-hall-th_attr_temperature") == "20.5"
    assert value_of(hass, "binary_sensor", "dev-hall-th_online") == STATE_ON
    assert value_of(hass, "sensor", "dev-plug-tv_attr_frequency") == "50"
    hall = ha_device(hass, "dev-hall-th")
    assert hall is not None
    assert hall.serial_number == "DK-HALL"
    assert hall.model == "温湿度传感器 TH Sensor"


async def test_deleted_device_leaves_the_registry(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A device deleted in the cloud is removed, but only after a complete listing."""
    temperature = entity_id_of(hass, "sensor", "dev-bedroom-th_attr_temperature")
    sim.state.delete_device("dev-bedroom-th")

    sim.state.faults.set("http_error", "devices", status=500)
    await next_cycle(hass, freezer)
    assert ha_device(hass, "dev-bedroom-th") is not None

    sim.state.faults.clear()
    await next_cycle(hass, freezer)
    assert ha_device(hass, "dev-bedroom-th") is None
    assert er.async_get(hass).async_get(temperature) is None
    assert hass.states.get(temperature) is None
    assert value_of(hass, "sensor", "proj-demo_device_total") == "8"

    # A device coming back under the same id gets its entities again.
    device = sim.state.add_device(Device("dev-bedroom-th", "Bedroom again", "dt-th-sensor"))
    sim.state.set_attributes(device.id, {"temperature": 17.0})
    await next_cycle(hass, freezer)
    assert value_of(hass, "sensor", "dev-bedroom-th_attr_temperature") == "17.0"


async def test_renamed_device_is_renamed_in_the_registry(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A new name, type or device key in the cloud updates the device registry."""
    device = sim.state.devices["dev-living-th"]
    device.name = "Lounge sensor"
    device.device_key = "DK-NEW"
    await next_cycle(hass, freezer)
    entry = ha_device(hass, "dev-living-th")
    assert entry is not None
    assert entry.name == "Lounge sensor"
    assert entry.serial_number == "DK-NEW"


async def test_type_change_reads_the_models_again(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A device whose type changed is read with its models again."""
    sim.state.devices["dev-spare-plug"].type_id = "dt-th-sensor"
    sim.state.clear_log()
    await next_cycle(hass, freezer)
    assert attribute_requests(sim, "attributes") == ["dev-spare-plug"]
    assert "dev-spare-plug" not in attribute_requests(sim, "attributes_raw")


# --------------------------------------------------------------------------- alarm events


async def test_alarm_events(
    hass: HomeAssistant,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """An event on every change of a device's alarm state or level; none at the first refresh."""
    events = async_capture_events(hass, EVENT_ALARM)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    assert events == []

    living = ha_device(hass, "dev-living-th")
    assert living is not None
    info: JsonObject = {"rule": "too hot", "value": 41}
    states: list[str] = []

    def _alarm_state_at_event(event: Event) -> None:
        states.append(value_of(hass, "binary_sensor", "dev-living-th_alarm"))

    hass.bus.async_listen(EVENT_ALARM, _alarm_state_at_event)

    sim.state.set_alarm("dev-living-th", 1, info)
    await next_cycle(hass, freezer)
    sim.state.set_alarm("dev-living-th", 3, info)
    await next_cycle(hass, freezer)
    await next_cycle(hass, freezer)  # no change, no event
    sim.state.set_alarm("dev-living-th", None)
    await next_cycle(hass, freezer)

    assert [event.data for event in events] == [
        {
            "device_id": living.id,
            "thingscloud_device_id": "dev-living-th",
            "alarm": True,
            "level": 1,
            "info": info,
        },
        {
            "device_id": living.id,
            "thingscloud_device_id": "dev-living-th",
            "alarm": True,
            "level": 3,
            "info": info,
        },
        {
            "device_id": living.id,
            "thingscloud_device_id": "dev-living-th",
            "alarm": False,
            "level": None,
            "info": None,
        },
    ]
    # Listeners see the entities already updated.
    assert states == [STATE_ON, STATE_ON, STATE_OFF]


async def test_refresh_device_reads_values_and_updates_listeners(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
) -> None:
    """async_refresh_device reads a device whose `active` did not move (a cloud write)."""
    coordinator = coordinator_of(init_integration)
    sim.state.set_attributes("dev-thermostat", {"eco": True}, source="cloud")
    sim.state.clear_log()
    calls: list[None] = []
    coordinator.async_add_listener(lambda: calls.append(None))
    await coordinator.async_refresh_device("dev-thermostat")
    await hass.async_block_till_done()
    assert "dev-thermostat" in attribute_requests(sim, "attributes_raw")
    assert coordinator.data.devices["dev-thermostat"].values["eco"] is True
    assert calls


async def test_refresh_device_survives_a_failed_cycle(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A device to re-read stays marked when the cycle fails, and is read at the next one."""
    coordinator = coordinator_of(init_integration)
    sim.state.faults.set("http_error", "devices", status=500, count=1)
    await coordinator.async_refresh_device("dev-lobby-led")
    await hass.async_block_till_done()
    assert not coordinator.last_update_success

    sim.state.clear_log()
    await next_cycle(hass, freezer)
    assert "dev-lobby-led" in attribute_requests(sim, "attributes_raw")


async def test_a_device_refused_with_a_fresh_token_is_that_devices_failure(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A 401 that a fresh token does not cure is the device's failure, not a reauth.

    The credentials are fine (the refresh succeeds): only the devices read through the
    refused request are unavailable, logged once; no reauthentication starts.
    """
    coordinator = coordinator_of(init_integration)
    sim.state.faults.set("http_error", "attributes_raw", status=401)
    await coordinator.async_refresh_device("dev-lobby-led")
    await hass.async_block_till_done()

    assert coordinator.last_update_success
    assert init_integration.state is ConfigEntryState.LOADED
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []
    assert value_of(hass, "sensor", "dev-lobby-led_attr_firmware") == STATE_UNAVAILABLE
    assert value_of(hass, "sensor", "dev-living-th_attr_temperature") == "23.6"
    assert caplog.text.count("ThingsCloud device dev-lobby-led is unavailable") == 1

    sim.state.faults.clear()
    sim.state.clear_log()
    await coordinator.async_refresh()
    assert attribute_requests(sim, "attributes_raw") == sorted({"dev-lobby-led", *NEVER_ACTIVE})
    assert value_of(hass, "sensor", "dev-lobby-led_attr_firmware") != STATE_UNAVAILABLE


async def test_a_failing_listener_does_not_stop_the_others(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An exception in one listener is logged; the entities still update."""
    coordinator = coordinator_of(init_integration)

    def broken() -> None:
        raise RuntimeError("listener bug")

    coordinator.async_add_listener(broken, "dev-plug-tv")
    sim.state.set_attributes("dev-plug-tv", {"power": 7.5})
    await next_cycle(hass, freezer)
    assert "listener bug" in caplog.text
    assert value_of(hass, "sensor", "dev-plug-tv_attr_power") == "7.5"


async def test_rename_of_a_device_missing_from_the_registry_registers_it_again(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A renamed device that was removed from the registry meanwhile comes back, renamed."""
    device = ha_device(hass, "dev-living-th")
    assert device is not None
    dr.async_get(hass).async_remove_device(device.id)
    sim.state.devices["dev-living-th"].name = "Renamed"
    await next_cycle(hass, freezer)
    assert coordinator_of(init_integration).last_update_success
    restored = ha_device(hass, "dev-living-th")
    assert restored is not None
    assert restored.name == "Renamed"


async def test_sustained_rate_limiting_raises_a_repair_issue(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Three rate-limited cycles in a row raise a repair issue; a good cycle takes it away.

    A Retry-After of 0 (or of years) is held to the allowed interval range, 10 s to 1 hour.
    """
    coordinator = coordinator_of(init_integration)
    coordinator.client._transport.pacer.sleep = no_wait
    issue_id = f"rate_limited_{init_integration.entry_id}"
    delays = []
    for retry_after in (0, 10**9, 0):
        # Refused again on each retry of a short wait, so that the cycle fails.
        refusals = 1 if retry_after > PACING_MAX_SPACING else 1 + PACING_RETRIES
        sim.state.faults.set("rate_limit", "devices_stat", count=refusals, retry_after=retry_after)
        await next_cycle(hass, freezer, seconds=3600)
        delays.append(getattr(coordinator.last_exception, "retry_after", None))
    assert delays == [10, 3600, 10]
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "rate_limited"

    await next_cycle(hass, freezer, seconds=3600)
    assert coordinator.last_update_success
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_credentials_refused_while_confirming_a_missing_device_start_reauth(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """Looking a missing device up with credentials ThingsCloud refuses: the cycle's reauth."""
    sim.state.delete_device("dev-spare-plug")
    sim.state.faults.set("token_expired", "device", count=1)
    sim.state.secret_key = "rotated-secret"

    await next_cycle(hass, freezer)

    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]


async def test_a_device_gone_from_the_project_and_the_registry_is_no_error(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A device the user already removed from the registry, then gone from ThingsCloud."""
    device = ha_device(hass, "dev-spare-plug")
    assert device is not None
    dr.async_get(hass).async_remove_device(device.id)
    sim.state.delete_device("dev-spare-plug")

    await next_cycle(hass, freezer)

    coordinator = coordinator_of(init_integration)
    assert coordinator.last_update_success
    assert "dev-spare-plug" not in coordinator.data.devices


async def test_a_push_during_a_poll_is_kept(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    freezer: FrozenDateTimeFactory,
) -> None:
    """A report pushed while a poll reads older values of that device wins over the poll."""
    coordinator = coordinator_of(init_integration)
    real = coordinator.client.get_device_attributes_raw
    newer = sim.state.now_ms() + 60_000

    async def push_meanwhile(device_id: str) -> JsonObject:
        values = await real(device_id)
        if device_id == "dev-plug-tv":
            coordinator.async_apply_report("dev-plug-tv", {"power": 77.5}, newer)
        return values

    sim.state.set_attributes("dev-plug-tv", {"power": 11.5})
    with patch.object(coordinator.client, "get_device_attributes_raw", side_effect=push_meanwhile):
        await next_cycle(hass, freezer)

    assert coordinator.data.devices["dev-plug-tv"].values["power"] == 77.5
    assert value_of(hass, "sensor", "dev-plug-tv_attr_power") == "77.5"


async def test_a_device_read_refused_as_too_many_is_read_again_at_setup(
    hass: HomeAssistant, sim: RunningSimulator, mock_config_entry: MockConfigEntry
) -> None:
    """A 429 on one device's first read does not cost it its entities: it is read again."""
    sim.state.faults.set("rate_limit", "attributes", count=1, retry_after=0.05)
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()

    statuses = [entry.status for entry in sim.state.requests("attributes")]
    assert statuses.count(429) == 1
    assert len(statuses) == len(sim.state.devices) + 1
    coordinator = coordinator_of(mock_config_entry)
    assert all(snapshot.available for snapshot in coordinator.data.devices.values())
    assert value_of(hass, "sensor", "dev-living-th_attr_temperature") == "23.6"
