"""The actions, against the simulated demo project: requests sent, answers, refusals."""

from datetime import UTC, datetime, timedelta
import json
from pathlib import Path
import re
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.helpers.template import Template
from homeassistant.util import dt as dt_util
import probatio
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
import yaml

from custom_components.thingscloud.const import DOMAIN
from simulator.state import LogEntry
from simulator.testing import RunningSimulator

from .common import coordinator_of

INTEGRATION = Path(__file__).parent.parent / "custom_components" / DOMAIN
SERVICES = (
    "send_command",
    "push_attributes",
    "set_cloud_attributes",
    "send_data_stream",
    "get_attribute_history",
    "get_alarm_logs",
)
CONTROL_ROUTES = (
    "control_command",
    "control_attributes_post",
    "control_attributes_put",
    "control_data_stream",
    "attribute_series",
    "alarm_logs",
    "device_alarm_logs",
)


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


def ha_device_id(hass: HomeAssistant, identifier: str) -> str:
    """Return the Home Assistant device id of a device registry identifier of the domain."""
    registry = dr.async_get(hass)
    for entry in hass.config_entries.async_entries(DOMAIN):
        if device := registry.async_get_device_by_identifier((DOMAIN, identifier), entry.entry_id):
            return device.id
    raise AssertionError(identifier)


def only(sim: RunningSimulator, route: str) -> LogEntry:
    """Return the one request of a route the simulator received."""
    entries = sim.state.requests(route)
    assert len(entries) == 1, [entry.as_json() for entry in entries]
    return entries[0]


def control_counts(sim: RunningSimulator) -> dict[str, int]:
    """Return the requests received per action route."""
    return {route: sim.state.count(route) for route in CONTROL_ROUTES}


async def call(
    hass: HomeAssistant, service: str, data: dict[str, Any], *, response: bool = False
) -> Any:
    """Call an action of the domain and wait for it."""
    return await hass.services.async_call(
        DOMAIN, service, data, blocking=True, return_response=response
    )


def ms(value: datetime) -> int:
    """Return epoch milliseconds, as the client sends them."""
    return int(value.timestamp() * 1000)


@pytest.fixture
def device(hass: HomeAssistant, init_integration: MockConfigEntry) -> str:
    """The Home Assistant device id of the demo's TV plug (online, writable)."""
    return ha_device_id(hass, "dev-plug-tv")


# --- registration and descriptions -------------------------------------------------------


async def test_actions_are_registered(
    hass: HomeAssistant, init_integration: MockConfigEntry
) -> None:
    assert set(hass.services.async_services_for_domain(DOMAIN)) == set(SERVICES)
    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    assert set(descriptions) == set(SERVICES)
    for service in SERVICES:
        selector = descriptions[service]["fields"]["device_id"]["selector"]
        assert selector["device"]["integration"] == DOMAIN
    selector = descriptions["get_alarm_logs"]["fields"]["config_entry_id"]["selector"]
    assert selector["config_entry"]["integration"] == DOMAIN


@pytest.mark.parametrize(
    "language", ["strings.json", "translations/en.json", "translations/zh-Hans.json"]
)
def test_every_action_and_field_is_translated(language: str) -> None:
    described = yaml.safe_load((INTEGRATION / "services.yaml").read_text(encoding="utf-8"))
    strings = json.loads((INTEGRATION / language).read_text(encoding="utf-8"))
    assert set(strings["services"]) == set(described) == set(SERVICES)
    for service, description in described.items():
        translated = strings["services"][service]
        assert translated["name"]
        assert translated["description"]
        assert set(translated["fields"]) == set(description["fields"]), service
        for field in translated["fields"].values():
            assert field["name"]
            assert field["description"]
        for field in description["fields"].values():
            if key := field["selector"].get("select", {}).get("translation_key"):
                options = field["selector"]["select"]["options"]
                assert set(strings["selector"][key]["options"]) == set(options)
    icons = json.loads((INTEGRATION / "icons.json").read_text(encoding="utf-8"))
    assert set(icons["services"]) == set(SERVICES)

    # Every translation key the actions raise has a message in this language.
    source = (INTEGRATION / "services.py").read_text(encoding="utf-8")
    keys = set(re.findall(r'\bvalidation_error\(\s*"(\w+)"', source))
    keys |= set(re.findall(r'translation_key="(\w+)"', source))
    checks = (INTEGRATION / "api" / "params.py").read_text(encoding="utf-8")
    keys |= set(re.findall(r'InvalidInputError\(\s*"(\w+)"', checks))
    assert len(keys) > 15
    for key in keys:
        assert strings["exceptions"][key]["message"], key


def test_strings_and_english_agree() -> None:
    strings = json.loads((INTEGRATION / "strings.json").read_text(encoding="utf-8"))
    english = json.loads((INTEGRATION / "translations" / "en.json").read_text(encoding="utf-8"))
    for section in ("services", "exceptions", "selector"):
        assert strings[section] == english[section]


# --- send_command ------------------------------------------------------------------------


async def test_send_command(hass: HomeAssistant, sim: RunningSimulator, device: str) -> None:
    sim.state.clear_log()
    assert (
        await call(
            hass,
            "send_command",
            {"device_id": device, "method": "reboot", "params": {"delay": 5}, "command_id": 7},
        )
        is None
    )
    entry = only(sim, "control_command")
    assert entry.method == "POST"
    assert entry.path == "/api/v1/control/device/dev-plug-tv/command"
    assert entry.json == {"method": "reboot", "params": {"delay": 5}, "id": 7}
    command = sim.state.commands["dev-plug-tv"][-1]
    assert (command.method, command.params, command.id) == ("reboot", {"delay": 5}, 7)


async def test_send_command_defaults(
    hass: HomeAssistant, sim: RunningSimulator, device: str
) -> None:
    sim.state.clear_log()
    await call(hass, "send_command", {"device_id": device, "method": "beep"})
    assert only(sim, "control_command").json == {"method": "beep", "params": {}}


# --- attributes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "route", "method", "attributes"),
    [
        ("push_attributes", "control_attributes_post", "POST", {"relay": False}),
        ("set_cloud_attributes", "control_attributes_put", "PUT", {"led_indicator": False}),
    ],
)
async def test_write_attributes(
    hass: HomeAssistant,
    *,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    device: str,
    service: str,
    route: str,
    method: str,
    attributes: dict[str, Any],
) -> None:
    sim.state.clear_log()
    await call(hass, service, {"device_id": device, "attributes": attributes})
    entry = only(sim, route)
    assert entry.method == method
    assert entry.path == "/api/v1/control/device/dev-plug-tv/attributes"
    assert entry.json == attributes
    # The write is followed by a refresh, so the entities see the new value at once.
    (identifier, value), *_ = attributes.items()
    assert coordinator_of(init_integration).data.devices["dev-plug-tv"].values[identifier] == value


# --- data streams ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "query", "body"),
    [
        (
            {"type": "hex", "message": " 01 03 01 FF 00 0C 74 03 "},
            "/api/v1/control/device/dev-plug-tv/data/stream/set",
            {"push_mode": "mqtt"},
            {"type": "hex", "msg": "01 03 01 FF 00 0C 74 03"},
        ),
        (
            {"type": "hex", "message": "0a\tFf\n10"},
            "/api/v1/control/device/dev-plug-tv/data/stream/set",
            {"push_mode": "mqtt"},
            {"type": "hex", "msg": "0a\tFf\n10"},
        ),
        (
            {"type": "text", "message": "t:45,u=31", "identifier": "display", "push_mode": "tcp"},
            "/api/v1/control/device/dev-plug-tv/data/display/set",
            {"push_mode": "tcp"},
            {"type": "text", "msg": "t:45,u=31"},
        ),
        (
            {"type": "json", "message": {"command": "openLock", "led": "ON"}},
            "/api/v1/control/device/dev-plug-tv/data/stream/set",
            {"push_mode": "mqtt"},
            {"type": "json", "msg": {"command": "openLock", "led": "ON"}},
        ),
        (
            {"type": "json", "message": '{"stat": "011001", "n": [1, 2]}'},
            "/api/v1/control/device/dev-plug-tv/data/stream/set",
            {"push_mode": "mqtt"},
            {"type": "json", "msg": {"stat": "011001", "n": [1, 2]}},
        ),
    ],
)
async def test_send_data_stream(
    hass: HomeAssistant,
    *,
    sim: RunningSimulator,
    device: str,
    data: dict[str, Any],
    path: str,
    query: dict[str, str],
    body: dict[str, Any],
) -> None:
    sim.state.clear_log()
    await call(hass, "send_data_stream", {"device_id": device, **data})
    entry = only(sim, "control_data_stream")
    assert (entry.method, entry.path, entry.query, entry.json) == ("POST", path, query, body)
    record = sim.state.data_streams["dev-plug-tv"][-1]
    assert (record.type, record.message, record.push_mode) == (
        body["type"],
        body["msg"],
        query["push_mode"],
    )


# --- attribute history -------------------------------------------------------------------


def expected_items(
    sim: RunningSimulator,
    identifier: str,
    start: int | None,
    end: int | None,
    *,
    page: int = 1,
    page_records: int = 20,
) -> list[dict[str, Any]]:
    """Return the response items the simulator's history should give."""
    points = sim.state.series_points("dev-plug-tv", identifier, start, end)
    return [
        {
            "ts": dt_util.as_local(datetime.fromtimestamp(point.ts / 1000, UTC)).isoformat(),
            "name": point.name,
            "value": point.value,
            "type": point.type,
        }
        for point in points[(page - 1) * page_records : page * page_records]
    ]


async def test_attribute_history_range(
    hass: HomeAssistant, sim: RunningSimulator, device: str
) -> None:
    end = dt_util.utcnow().replace(microsecond=0)
    start = end - timedelta(hours=6)
    sim.state.clear_log()
    response = await call(
        hass,
        "get_attribute_history",
        {
            "device_id": device,
            "identifier": "power",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "page_records": 5,
        },
        response=True,
    )
    entry = only(sim, "attribute_series")
    assert entry.method == "GET"
    assert entry.path == "/api/v1/device/dev-plug-tv/attribute/power/series"
    assert entry.query == {
        "page": "1",
        "page_records": "5",
        "start_time": str(ms(start)),
        "end_time": str(ms(end)),
    }
    items = expected_items(sim, "power", ms(start), ms(end), page_records=5)
    assert len(items) == 5
    assert response == {"items": items}
    # Timestamps are ISO 8601 in Home Assistant's time zone; values as the API sent them.
    first = datetime.fromisoformat(response["items"][0]["ts"])
    assert first.utcoffset() == dt_util.now().utcoffset()
    assert isinstance(response["items"][0]["value"], float)


async def test_attribute_history_pages(
    hass: HomeAssistant, sim: RunningSimulator, device: str
) -> None:
    sim.state.clear_log()
    first = await call(
        hass,
        "get_attribute_history",
        {"device_id": device, "identifier": "relay", "page_records": 10},
        response=True,
    )
    second = await call(
        hass,
        "get_attribute_history",
        {"device_id": device, "identifier": "relay", "page": 2, "page_records": 10},
        response=True,
    )
    queries = [entry.query for entry in sim.state.requests("attribute_series")]
    # Without start and end, the latest values: no range is sent.
    assert queries == [{"page": "1", "page_records": "10"}, {"page": "2", "page_records": "10"}]
    assert first == {"items": expected_items(sim, "relay", None, None, page=1, page_records=10)}
    assert second == {"items": expected_items(sim, "relay", None, None, page=2, page_records=10)}
    assert len(second["items"]) == 10
    older = datetime.fromisoformat(second["items"][0]["ts"])
    assert older < datetime.fromisoformat(first["items"][-1]["ts"])
    assert all(isinstance(item["value"], bool) for item in first["items"] + second["items"])


async def test_attribute_history_defaults(
    hass: HomeAssistant, sim: RunningSimulator, device: str
) -> None:
    sim.state.clear_log()
    response = await call(
        hass,
        "get_attribute_history",
        {"device_id": device, "identifier": "voltage"},
        response=True,
    )
    assert only(sim, "attribute_series").query == {"page": "1", "page_records": "20"}
    assert len(response["items"]) == 20


@pytest.mark.parametrize(
    ("data", "start", "end"),
    [
        # A lone start: the range ends 30 days later.
        (
            {"start": "2026-03-01T00:00:00+08:00"},
            datetime(2026, 2, 28, 16, tzinfo=UTC),
            datetime(2026, 3, 30, 16, tzinfo=UTC),
        ),
        # A lone end: the range starts 30 days earlier.
        (
            {"end": "2026-03-31T00:00:00+00:00"},
            datetime(2026, 3, 1, tzinfo=UTC),
            datetime(2026, 3, 31, tzinfo=UTC),
        ),
        # Exactly 30 days is allowed.
        (
            {"start": "2026-01-01T00:00:00+00:00", "end": "2026-01-31T00:00:00+00:00"},
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2026, 1, 31, tzinfo=UTC),
        ),
    ],
)
async def test_attribute_history_completes_the_range(
    hass: HomeAssistant,
    *,
    sim: RunningSimulator,
    device: str,
    data: dict[str, str],
    start: datetime,
    end: datetime,
) -> None:
    sim.state.clear_log()
    response = await call(
        hass,
        "get_attribute_history",
        {"device_id": device, "identifier": "power", **data},
        response=True,
    )
    query = only(sim, "attribute_series").query
    assert (query["start_time"], query["end_time"]) == (str(ms(start)), str(ms(end)))
    assert response == {"items": []}


async def test_attribute_history_naive_times_are_local(
    hass: HomeAssistant, sim: RunningSimulator, device: str
) -> None:
    sim.state.clear_log()
    await call(
        hass,
        "get_attribute_history",
        {
            "device_id": device,
            "identifier": "power",
            "start": "2026-01-01 00:00:00",
            "end": "2026-01-02 00:00:00",
        },
        response=True,
    )
    local = dt_util.get_default_time_zone()
    query = only(sim, "attribute_series").query
    assert query["start_time"] == str(ms(datetime(2026, 1, 1, tzinfo=local)))
    assert query["end_time"] == str(ms(datetime(2026, 1, 2, tzinfo=local)))
    assert local != UTC  # the test would not tell them apart otherwise


# --- alarm logs --------------------------------------------------------------------------


def expected_alarms(
    hass: HomeAssistant, sim: RunningSimulator, device_id: str | None
) -> list[dict[str, Any]]:
    """Return the response items the simulator's alarm logs should give."""
    logs = sorted(
        (log for log in sim.state.alarm_logs if device_id in (None, log.device_id)),
        key=lambda log: log.create_time,
        reverse=True,
    )
    return [
        {
            "id": log.id,
            "create_time": dt_util.as_local(
                datetime.fromtimestamp(log.create_time / 1000, UTC)
            ).isoformat(),
            "device_id": log.device_id,
            "device_name": log.device_name,
            "ha_device_id": ha_device_id(hass, log.device_id),
            "alarm_status": log.alarm_status,
            "alarm_level": log.alarm_level,
            "alarm_info": log.alarm_info,
            "notify_logs": log.notify_logs,
        }
        for log in logs
    ]


async def test_alarm_logs_of_a_device(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    sim.state.clear_log()
    response = await call(
        hass,
        "get_alarm_logs",
        {"device_id": ha_device_id(hass, "dev-front-door")},
        response=True,
    )
    entry = only(sim, "device_alarm_logs")
    assert (entry.method, entry.path) == ("GET", "/api/v1/device/dev-front-door/alarm_logs")
    assert sim.state.count("alarm_logs") == 0
    items = expected_alarms(hass, sim, "dev-front-door")
    assert len(items) == 3
    assert response == {"items": items}
    assert response["items"][0]["alarm_status"] == 1
    assert response["items"][0]["alarm_level"] == 2
    assert response["items"][0]["alarm_info"]["attribute"] == "contact"


@pytest.mark.parametrize("by_entry", [True, False])
async def test_alarm_logs_of_the_project(
    hass: HomeAssistant,
    sim: RunningSimulator,
    init_integration: MockConfigEntry,
    by_entry: bool,
) -> None:
    sim.state.clear_log()
    data = {"config_entry_id": init_integration.entry_id} if by_entry else {}
    response = await call(hass, "get_alarm_logs", data, response=True)
    entry = only(sim, "alarm_logs")
    assert (entry.method, entry.path) == ("GET", "/api/v1/alarm_logs")
    items = expected_alarms(hass, sim, None)
    assert len(items) == 6
    assert response == {"items": items}


async def test_alarm_logs_of_a_device_not_in_home_assistant(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    sim.state.alarm_logs[0].device_id = "dev-gone"
    response = await call(hass, "get_alarm_logs", {}, response=True)
    gone = [item for item in response["items"] if item["device_id"] == "dev-gone"]
    assert len(gone) == 1
    assert gone[0]["ha_device_id"] is None


async def test_alarm_logs_device_and_matching_entry(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    sim.state.clear_log()
    await call(
        hass,
        "get_alarm_logs",
        {
            "device_id": ha_device_id(hass, "dev-office-aq"),
            "config_entry_id": init_integration.entry_id,
        },
        response=True,
    )
    assert only(sim, "device_alarm_logs").path == "/api/v1/device/dev-office-aq/alarm_logs"


# --- refusals: nothing is sent -----------------------------------------------------------

HEX = {"type": "hex"}


@pytest.mark.parametrize(
    ("service", "data", "key"),
    [
        ("push_attributes", {"attributes": {}}, "empty_attributes"),
        ("set_cloud_attributes", {"attributes": {}}, "empty_attributes"),
        ("send_data_stream", {**HEX, "message": "0G"}, "invalid_hex_message"),
        ("send_data_stream", {**HEX, "message": "123"}, "invalid_hex_message"),
        ("send_data_stream", {**HEX, "message": ""}, "invalid_hex_message"),
        ("send_data_stream", {**HEX, "message": "   "}, "invalid_hex_message"),
        ("send_data_stream", {**HEX, "message": "0103FF"}, "invalid_hex_message"),
        ("send_data_stream", {**HEX, "message": "01,03"}, "invalid_hex_message"),
        ("send_data_stream", {**HEX, "message": 103}, "message_not_text"),
        ("send_data_stream", {"type": "text", "message": ""}, "empty_text_message"),
        ("send_data_stream", {"type": "text", "message": {"a": 1}}, "message_not_text"),
        ("send_data_stream", {"type": "json", "message": "[1, 2]"}, "json_message_not_object"),
        ("send_data_stream", {"type": "json", "message": "{not json"}, "json_message_not_object"),
        ("send_data_stream", {"type": "json", "message": [1, 2]}, "json_message_not_object"),
        ("send_data_stream", {"type": "json", "message": 5}, "json_message_not_object"),
        (
            "send_data_stream",
            {"type": "text", "message": "x", "identifier": ".."},
            "invalid_parameter",
        ),
        (
            "get_attribute_history",
            {"identifier": "power", "start": "2026-01-02T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
            "end_before_start",
        ),
        (
            "get_attribute_history",
            {"identifier": "power", "start": "2026-01-01T00:00:00Z", "end": "2026-01-31T00:00:01Z"},
            "range_too_long",
        ),
        (
            "get_attribute_history",
            {"identifier": "power", "page_records": 0},
            "invalid_page_records",
        ),
        (
            "get_attribute_history",
            {"identifier": "power", "page_records": 101},
            "invalid_page_records",
        ),
        ("get_attribute_history", {"identifier": "power", "page": 0}, "invalid_page"),
        ("get_attribute_history", {"identifier": "power", "page": -3}, "invalid_page"),
    ],
)
async def test_invalid_input_is_refused(
    hass: HomeAssistant,
    *,
    sim: RunningSimulator,
    device: str,
    service: str,
    data: dict[str, Any],
    key: str,
) -> None:
    before = control_counts(sim)
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, service, {"device_id": device, **data}, response=service.startswith("get_")
        )
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == key
    assert str(err.value)  # a translated message
    assert control_counts(sim) == before


async def test_refusal_messages_are_translated(
    hass: HomeAssistant, sim: RunningSimulator, device: str
) -> None:
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass,
            "get_attribute_history",
            {"device_id": device, "identifier": "power", "page_records": 101},
            response=True,
        )
    # Home Assistant drops the final full stop of exception messages.
    assert str(err.value) == "The records per page must be between 1 and 100, not 101"
    assert err.value.translation_placeholders == {"page_records": "101", "min": "1", "max": "100"}


@pytest.mark.parametrize(
    ("service", "data"),
    [
        ("send_command", {}),
        ("send_command", {"method": ""}),
        ("send_command", {"method": "x", "params": "not an object"}),
        ("send_command", {"method": "x", "command_id": -1}),
        ("push_attributes", {"attributes": ["relay"]}),
        ("send_data_stream", {"type": "base64", "message": "AAE="}),
        ("send_data_stream", {"type": "text", "message": "x", "push_mode": "http"}),
        ("get_attribute_history", {"identifier": "power", "start": "yesterday"}),
        ("get_attribute_history", {"identifier": "power", "page": "first"}),
    ],
)
async def test_malformed_data_is_refused_by_the_schema(
    hass: HomeAssistant,
    sim: RunningSimulator,
    device: str,
    service: str,
    data: dict[str, Any],
) -> None:
    before = control_counts(sim)
    with pytest.raises(probatio.Invalid):
        await call(
            hass, service, {"device_id": device, **data}, response=service.startswith("get_")
        )
    assert control_counts(sim) == before


@pytest.mark.parametrize("service", SERVICES)
async def test_devices_that_are_not_thingscloud_devices(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry, service: str
) -> None:
    registry = dr.async_get(hass)
    other_entry = MockConfigEntry(domain="other")
    other_entry.add_to_hass(hass)
    other = registry.async_get_or_create(
        config_entry_id=other_entry.entry_id, identifiers={("other", "x")}, name="Other lamp"
    )
    # A device of this entry without a ThingsCloud identifier (as another helper might add).
    stray = registry.async_get_or_create(
        config_entry_id=init_integration.entry_id,
        identifiers={("other", "stray")},
        name="Stray",
    )
    data: dict[str, Any] = {
        "method": "x",
        "attributes": {"a": 1},
        "type": "text",
        "message": "x",
        "identifier": "power",
    }
    fields = {
        "send_command": ("method",),
        "push_attributes": ("attributes",),
        "set_cloud_attributes": ("attributes",),
        "send_data_stream": ("type", "message"),
        "get_attribute_history": ("identifier",),
        "get_alarm_logs": (),
    }[service]
    extra = {name: data[name] for name in fields}
    before = control_counts(sim)
    cases = [
        ("0123456789abcdef", "device_not_found", {"device_id": "0123456789abcdef"}),
        (other.id, "not_thingscloud_device", {"device_name": "Other lamp"}),
        (stray.id, "not_thingscloud_device", {"device_name": "Stray"}),
        (
            ha_device_id(hass, "project_proj-demo"),
            "project_device",
            {"device_name": "Demo Home & Office 演示项目"},
        ),
    ]
    for device_id, key, placeholders in cases:
        with pytest.raises(ServiceValidationError) as err:
            await call(
                hass,
                service,
                {"device_id": device_id, **extra},
                response=service.startswith("get_"),
            )
        assert (err.value.translation_key, err.value.translation_placeholders) == (
            key,
            placeholders,
        )
    assert control_counts(sim) == before


@pytest.mark.parametrize("service", SERVICES)
async def test_unloaded_entry_is_refused(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry, service: str
) -> None:
    device = ha_device_id(hass, "dev-plug-tv")
    await hass.config_entries.async_unload(init_integration.entry_id)
    assert init_integration.state is ConfigEntryState.NOT_LOADED
    sim.state.clear_log()
    data = {
        "send_command": {"method": "x"},
        "push_attributes": {"attributes": {"relay": True}},
        "set_cloud_attributes": {"attributes": {"relay": True}},
        "send_data_stream": {"type": "text", "message": "x"},
        "get_attribute_history": {"identifier": "power"},
        "get_alarm_logs": {},
    }[service]
    with pytest.raises(ServiceValidationError) as err:
        await call(
            hass, service, {"device_id": device, **data}, response=service.startswith("get_")
        )
    assert err.value.translation_key == "entry_not_loaded"
    assert err.value.translation_placeholders == {"entry_title": init_integration.title}
    assert sim.state.request_counts() == {}


async def test_alarm_logs_project_refusals(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    async def refused(data: dict[str, Any]) -> ServiceValidationError:
        with pytest.raises(ServiceValidationError) as err:
            await call(hass, "get_alarm_logs", data, response=True)
        return err.value

    sim.state.clear_log()
    other = MockConfigEntry(domain="other")
    other.add_to_hass(hass)
    for entry_id in ("nope", other.entry_id):
        err = await refused({"config_entry_id": entry_id})
        assert err.translation_key == "config_entry_not_found"
        assert err.translation_placeholders == {"entry_id": entry_id}

    # A device and a config entry that do not go together.
    second = MockConfigEntry(domain=DOMAIN, title="Second", unique_id="proj-2")
    second.add_to_hass(hass)
    device = ha_device_id(hass, "dev-front-door")
    err = await refused({"device_id": device, "config_entry_id": second.entry_id})
    assert err.translation_key == "device_not_in_config_entry"

    # Two projects: which one is meant must be said.
    err = await refused({})
    assert err.translation_key == "config_entry_required"
    # ... and the one named must be loaded.
    err = await refused({"config_entry_id": second.entry_id})
    assert err.translation_key == "entry_not_loaded"
    assert err.translation_placeholders == {"entry_title": "Second"}

    # One project, not loaded.
    await hass.config_entries.async_remove(second.entry_id)
    await hass.config_entries.async_unload(init_integration.entry_id)
    err = await refused({})
    assert err.translation_key == "entry_not_loaded"

    # No project at all.
    await hass.config_entries.async_remove(init_integration.entry_id)
    err = await refused({})
    assert err.translation_key == "no_config_entry"
    assert sim.state.request_counts() == {}


# --- API failures ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "route", "data"),
    [
        ("send_command", "control_command", {"method": "reboot"}),
        ("push_attributes", "control_attributes_post", {"attributes": {"relay": True}}),
        ("set_cloud_attributes", "control_attributes_put", {"attributes": {"relay": True}}),
        ("send_data_stream", "control_data_stream", {"type": "text", "message": "hi"}),
        ("get_attribute_history", "attribute_series", {"identifier": "power"}),
        ("get_alarm_logs", "device_alarm_logs", {}),
    ],
)
async def test_api_refusal(
    hass: HomeAssistant,
    *,
    sim: RunningSimulator,
    device: str,
    service: str,
    route: str,
    data: dict[str, Any],
) -> None:
    sim.state.faults.set("result_false", route, errcode=40001, message="设备不在线 Device offline")
    with pytest.raises(HomeAssistantError) as err:
        await call(
            hass, service, {"device_id": device, **data}, response=service.startswith("get_")
        )
    assert not isinstance(err.value, ServiceValidationError)
    assert err.value.translation_domain == DOMAIN
    assert err.value.translation_key == "api_error"
    assert "设备不在线 Device offline" in str(err.value)
    assert str(err.value).startswith("ThingsCloud refused the request: ")


async def test_api_answer_with_errors(
    hass: HomeAssistant, sim: RunningSimulator, device: str
) -> None:
    """The simulator's own refusal of a value (validated writes) reaches the user."""
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "push_attributes", {"device_id": device, "attributes": {"power": "x"}})
    assert err.value.translation_key == "api_error"
    assert "Invalid attribute value" in str(err.value)
    assert sim.state.count("control_attributes_post") == 1


async def test_connection_failure(hass: HomeAssistant, sim: RunningSimulator, device: str) -> None:
    sim.state.faults.set("http_error", "control_command", status=502)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "send_command", {"device_id": device, "method": "reboot"})
    assert err.value.translation_key == "connection_error"
    assert str(err.value).startswith("Could not reach ThingsCloud: ")
    assert "502" in str(err.value)


async def test_refusal_despite_a_fresh_token_is_no_reauth(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry, device: str
) -> None:
    """A request refused even with a fresh token fails; the credentials are fine: no reauth."""
    sim.state.faults.set("result_false", "control_command", errcode=401, message="Invalid token")
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "send_command", {"device_id": device, "method": "reboot"})
    assert err.value.translation_key == "api_error"
    await hass.async_block_till_done()
    assert hass.config_entries.flow.async_progress_by_handler(DOMAIN) == []


async def test_rejected_credentials_start_reauth(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry, device: str
) -> None:
    """Credentials ThingsCloud no longer accepts: auth_failed, and a reauthentication flow."""
    sim.state.secret_key = "rotated-secret"
    sim.state.faults.set("token_expired", "control_command", count=1)
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "send_command", {"device_id": device, "method": "reboot"})
    assert err.value.translation_key == "auth_failed"
    await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert [flow["context"]["source"] for flow in flows] == [SOURCE_REAUTH]
    assert flows[0]["context"]["entry_id"] == init_integration.entry_id


# --- documentation -----------------------------------------------------------------------


def readme_action_steps() -> list[dict[str, Any]]:
    """Return the steps of the README's Actions examples that call an action of the domain."""
    readme = (INTEGRATION.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Actions\n", 1)[1].split("\n## ", 1)[0]
    steps: list[dict[str, Any]] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("action", "")).startswith(f"{DOMAIN}."):
                steps.append(node)
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    for block in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL):
        collect(yaml.safe_load(block))
    return steps


async def test_readme_examples_run(
    hass: HomeAssistant, sim: RunningSimulator, init_integration: MockConfigEntry
) -> None:
    steps = readme_action_steps()
    assert {step["action"].removeprefix(f"{DOMAIN}.") for step in steps} == set(SERVICES)
    device = ha_device_id(hass, "dev-plug-tv")
    for step in steps:
        data = {
            key: Template(value, hass).async_render(parse_result=False)
            if isinstance(value, str) and "{{" in value
            else value
            for key, value in step["data"].items()
        }
        if "device_id" in data:
            data["device_id"] = device
        service = step["action"].removeprefix(f"{DOMAIN}.")
        returns = service.startswith("get_")
        assert (step.get("response_variable") is not None) == returns
        # The example runs: schema, validation and the request to the simulator.
        response = await call(hass, service, data, response=returns)
        assert (response is not None) == returns
    assert sim.state.count("control_data_stream") == 2
