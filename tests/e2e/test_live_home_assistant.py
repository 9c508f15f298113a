"""The integration in a real Home Assistant process, against the simulator process.

Starts `python -m simulator --scenario demo` and `python -m homeassistant --skip-pip` on free
loopback ports with a temporary configuration (API, config and onboarding only: nothing to
install), onboards an owner through the REST API, adds the demo project through the config flow,
checks the entities against the simulator's own state, flips a switch, and reads Home Assistant's
log for errors and deprecation reports of the integration.

It runs on two Home Assistants (ids `ha-<version>`): the one the test plugin pins (this venv's
own interpreter) and the newest release (`.venv-newest-ha`, from requirements_newest_ha.txt;
scripts/setup makes it). Without the latter the test fails; a developer who has not run
scripts/setup may set THINGSCLOUD_E2E_ALLOW_MISSING_HA=1 to skip it instead (never under CI).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass
import math
import os
from pathlib import Path
import re
import sys
import time
from typing import Any, NoReturn

import aiohttp
from homeassistant.util import unit_conversion
import pytest

from simulator.scenarios import (
    DEMO_ACCESS_KEY,
    DEMO_APP_ID,
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    DEMO_SECRET_KEY,
)

from .harness import (
    NEWEST_HA_REQUIREMENTS,
    NEWEST_HA_VENV,
    HomeAssistantApi,
    Managed,
    deprecation_reports,
    free_port,
    home_assistant_version,
    missing_integration_requirements,
    pinned_newest_ha_version,
    spawn,
    start_home_assistant,
    start_simulator,
    wait_for,
    wait_http,
    write_ha_config,
)

STARTUP_TIMEOUT = 120.0  # measured: about 5 s to answer, 10 s to RUNNING on this machine
SETTLE_TIMEOUT = 60.0
ALLOW_MISSING_ENV = "THINGSCLOUD_E2E_ALLOW_MISSING_HA"
# Python hides DeprecationWarnings outside __main__; shown, Home Assistant logs them (py.warnings).
HA_PYTHON_OPTIONS = ("-W", "default::DeprecationWarning")


@dataclass(frozen=True)
class HomeAssistantUnderTest:
    """One Home Assistant to run: its interpreter and the version installed there."""

    role: str  # "pinned" (the test plugin's) or "newest" (requirements_newest_ha.txt)
    python: Path
    version: str | None  # None: no such interpreter, or no Home Assistant in it

    @property
    def id(self) -> str:
        return f"ha-{self.version}" if self.version else f"ha-{self.role}-missing"


def _home_assistants() -> list[HomeAssistantUnderTest]:
    pinned = Path(sys.executable)
    newest = NEWEST_HA_VENV / "bin" / "python"
    return [
        HomeAssistantUnderTest("pinned", pinned, home_assistant_version(pinned)),
        HomeAssistantUnderTest("newest", newest, home_assistant_version(newest)),
    ]


HOME_ASSISTANTS = _home_assistants()


def _unusable(why: str) -> NoReturn:
    """Fail, or skip for a developer who asked to (THINGSCLOUD_E2E_ALLOW_MISSING_HA=1, not CI)."""
    in_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    if os.environ.get(ALLOW_MISSING_ENV) == "1" and not in_ci:
        pytest.skip(f"{why} ({ALLOW_MISSING_ENV}=1)")
    pytest.fail(f"{why}. Run scripts/setup (or set {ALLOW_MISSING_ENV}=1 to skip it locally).")


@pytest.fixture(params=HOME_ASSISTANTS, ids=lambda ha: ha.id)
def home_assistant(request: pytest.FixtureRequest) -> HomeAssistantUnderTest:
    """The Home Assistant the test runs: the pinned one, then the newest one."""
    ha: HomeAssistantUnderTest = request.param
    if ha.role == "newest":
        wanted = pinned_newest_ha_version()
        if ha.version is None:
            _unusable(
                f"no Home Assistant at {ha.python}: the end-to-end test also runs on the newest"
                f" Home Assistant ({wanted}, {NEWEST_HA_REQUIREMENTS.name}), which"
                f" scripts/setup installs into {NEWEST_HA_VENV.name}/"
            )
        elif ha.version != wanted:
            _unusable(
                f"{NEWEST_HA_VENV.name}/ has Home Assistant {ha.version}, but"
                f" {NEWEST_HA_REQUIREMENTS.name} pins {wanted}"
            )
    if missing := missing_integration_requirements(ha.python):
        _unusable(
            f"the integration's manifest requirements are not installed for {ha.python} (Home"
            f" Assistant runs with --skip-pip here): {', '.join(missing)}"
        )
    return ha


@dataclass
class Live:
    """The running pair."""

    api: HomeAssistantApi
    session: aiohttp.ClientSession
    sim_url: str
    simulator: Managed
    hass: Managed
    config_dir: Path

    async def sim(self, path: str) -> Any:
        async with self.session.get(
            self.sim_url + path, timeout=aiohttp.ClientTimeout(total=10)
        ) as response:
            assert response.status == 200, await response.text()
            return await response.json()

    async def sim_delete(self, path: str) -> None:
        async with self.session.delete(
            self.sim_url + path, timeout=aiohttp.ClientTimeout(total=10)
        ) as response:
            assert response.status == 200, await response.text()


@pytest.fixture
async def live(tmp_path: Path, home_assistant: HomeAssistantUnderTest) -> AsyncGenerator[Live]:
    """The simulator and Home Assistant, onboarded; both stopped afterwards, whatever happens."""
    sim_port, ha_port = free_port(), free_port()
    config_dir = tmp_path / "config"
    write_ha_config(config_dir, ha_port)
    simulator: Managed | None = None
    hass: Managed | None = None
    session = aiohttp.ClientSession()
    api = HomeAssistantApi(session, f"http://127.0.0.1:{ha_port}")
    try:
        simulator = await start_simulator(tmp_path / "simulator.log", sim_port)
        hass = await start_home_assistant(
            config_dir, python=home_assistant.python, python_options=HA_PYTHON_OPTIONS
        )
        sim_url = f"http://127.0.0.1:{sim_port}"
        await wait_http(session, f"{sim_url}/_sim/counts", simulator, 30)
        # /auth/providers answers without a token and without a "login attempt failed"
        # notification; /api/onboarding once the onboarding integration is set up.
        await wait_http(session, f"{api.base_url}/api/onboarding", hass, STARTUP_TIMEOUT)
        await api.onboard(username="e2e", password="e2e-password-1", name="E2E", full=False)
        await api.wait_running(STARTUP_TIMEOUT)
        yield Live(api, session, sim_url, simulator, hass, config_dir)
    finally:
        await api.close()
        await session.close()
        for managed in (hass, simulator):
            if managed is not None:
                await managed.stop()


async def _entity_map(api: HomeAssistantApi) -> dict[str, dict[str, Any]]:
    """The integration's entity registry entries by unique_id."""
    entries = await api.ws("config/entity_registry/list")
    return {entry["unique_id"]: entry for entry in entries if entry["platform"] == "thingscloud"}


async def _states(api: HomeAssistantApi) -> dict[str, dict[str, Any]]:
    return {state["entity_id"]: state for state in await api.get("/api/states")}


def _number(state: str) -> float | None:
    try:
        return float(state)
    except ValueError:
        return None


def _converted(value: float, shown: float, unit: str | None) -> bool:
    """Whether `shown` is `value` converted to `unit` from another unit of the same quantity."""
    for converter in vars(unit_conversion).values():
        if (
            isinstance(converter, type)
            and issubclass(converter, unit_conversion.BaseUnitConverter)
            and unit in converter.VALID_UNITS
        ):
            for source in converter.VALID_UNITS:
                converted = converter.convert(value, source, unit)
                if source != unit and math.isclose(converted, shown, rel_tol=1e-6):
                    return True
    return False


def _mismatch(domain: str, state: dict[str, Any], value: Any) -> str | None:
    """Why an entity's state does not show the simulator's value (None when it does)."""
    shown = state["state"]
    attributes = state["attributes"]
    if shown in ("unavailable", "unknown"):
        return f"is {shown}"
    if isinstance(value, bool):
        if domain not in ("binary_sensor", "switch"):
            return f"a boolean on the {domain} platform"
        return None if shown == ("on" if value else "off") else f"{shown!r} for {value!r}"
    if "options" in attributes:  # enum sensor or select: the state is one of the labels
        return None if shown in attributes["options"] else f"{shown!r} not an option"
    if isinstance(value, int | float):
        number = _number(shown)
        if number is None:
            return f"{shown!r} for {value!r}"
        if math.isclose(number, value, rel_tol=1e-9, abs_tol=1e-9):
            return None
        unit = attributes.get("unit_of_measurement")
        if domain == "sensor" and _converted(value, number, unit):
            return None  # Home Assistant shows it in the unit system's unit (kPa -> hPa)
        return f"{shown!r} {unit or ''} for {value!r}"
    if isinstance(value, str) and domain in ("sensor", "text"):
        return None if shown == value else f"{shown!r} for {value!r}"
    return None  # objects and lists: a short state, the value in attributes


async def test_live_home_assistant(live: Live, home_assistant: HomeAssistantUnderTest) -> None:
    """Config flow, entities with the simulator's values, a switch write, a clean log."""
    api = live.api
    config = await api.get("/api/config")
    assert config["version"] == home_assistant.version, "not the Home Assistant asked for"

    # The config flow, as the UI drives it: a menu, then the API application form.
    flow = await api.flow(
        "/api/config/config_entries/flow",
        {"handler": "thingscloud", "show_advanced_options": False},
    )
    assert flow["type"] == "menu", flow
    assert flow["step_id"] == "user"
    assert set(flow["menu_options"]) == {"app", "admin"}
    flow_url = f"/api/config/config_entries/flow/{flow['flow_id']}"
    form = await api.flow(flow_url, {"next_step_id": "app"})
    assert form["type"] == "form", form
    assert form["step_id"] == "app"
    assert {field["name"] for field in form["data_schema"]} == {
        "endpoint",
        "app_id",
        "access_key",
        "secret_key",
    }
    credentials = {
        "endpoint": f"{live.sim_url}/api/v1/",
        "app_id": DEMO_APP_ID,
        "access_key": DEMO_ACCESS_KEY,
        "secret_key": "not-the-secret",
    }
    rejected = await api.flow(flow_url, credentials)
    assert rejected["type"] == "form", rejected
    assert rejected["errors"] == {"base": "invalid_auth"}
    created = await api.flow(flow_url, {**credentials, "secret_key": DEMO_SECRET_KEY})
    assert created["type"] == "create_entry", created
    assert created["title"] == DEMO_PROJECT_NAME
    entry_id = created["result"]["entry_id"]

    async def loaded() -> bool:
        entries = await api.get("/api/config/config_entries/entry?domain=thingscloud")
        return any(e["entry_id"] == entry_id and e["state"] == "loaded" for e in entries)

    await wait_for(loaded, SETTLE_TIMEOUT, "the config entry to load")
    entries = await api.ws("config_entries/get", domain="thingscloud")
    assert len(entries) == 1, entries

    sim_state = await live.sim("/_sim/state")
    devices = {device["id"]: device for device in sim_state["devices"]}
    stats: dict[str, int] = sim_state["devices_stat"]

    # Every device and every attribute has its entity (registry by unique_id).
    wanted = {f"{device_id}_online" for device_id in devices} | {
        f"{device_id}_attr_{identifier}"
        for device_id, device in devices.items()
        for identifier in device["attributes"]
    }
    missing: set[str] = set(wanted)

    async def all_entities() -> dict[str, dict[str, Any]] | None:
        registry = await _entity_map(api)
        missing.clear()
        missing.update(wanted - registry.keys())
        return None if missing else registry

    registry = await wait_for(
        all_entities, SETTLE_TIMEOUT, lambda: f"entities with unique ids {sorted(missing)}"
    )
    device_registry = await api.ws("config/device_registry/list")
    identifiers = {
        tuple(identifier)
        for device in device_registry
        for identifier in device["identifiers"]
        if identifier[0] == "thingscloud"
    }
    assert ("thingscloud", f"project_{DEMO_PROJECT_ID}") in identifiers
    assert {("thingscloud", device_id) for device_id in devices} <= identifiers

    states = await _states(api)

    def state_of(unique_id: str) -> dict[str, Any]:
        entity_id = registry[unique_id]["entity_id"]
        assert entity_id in states, f"{entity_id} ({unique_id}) has no state"
        return states[entity_id]

    # Project statistics.
    assert state_of(f"{DEMO_PROJECT_ID}_device_total")["state"] == str(stats["device_total"])
    assert state_of(f"{DEMO_PROJECT_ID}_online_device_total")["state"] == str(
        stats["online_device_total"]
    )
    # Connectivity and alarm of every device.
    for device_id, device in devices.items():
        online = state_of(f"{device_id}_online")
        assert online["state"] == ("on" if device["online"] else "off"), (device_id, online)
        alarm = registry.get(f"{device_id}_alarm")
        if alarm is not None and alarm["disabled_by"] is None:
            alarm_state = state_of(f"{device_id}_alarm")["state"]
            status = device["alarm"].get("alarm_status")
            assert alarm_state == ("on" if status else "off"), (device_id, alarm_state)

    # Every enabled attribute entity of an online device shows the simulator's value.
    checked = 0
    problems: list[str] = []
    for device_id, device in devices.items():
        if not device["online"]:
            continue
        for identifier, value in device["attributes"].items():
            entry = registry[f"{device_id}_attr_{identifier}"]
            if entry["disabled_by"] is not None:
                continue
            domain = entry["entity_id"].split(".", 1)[0]
            if problem := _mismatch(domain, state_of(f"{device_id}_attr_{identifier}"), value):
                problems.append(f"{device_id}.{identifier} ({entry['entity_id']}): {problem}")
            checked += 1
    assert not problems, problems
    assert checked >= 20, f"only {checked} attribute entities were compared"

    # A writable boolean is a switch; toggling it writes the attribute to the simulator.
    switches = [
        (device_id, identifier, value)
        for device_id, device in devices.items()
        if device["online"]
        for identifier, value in device["attributes"].items()
        if isinstance(value, bool)
        and registry[f"{device_id}_attr_{identifier}"]["entity_id"].startswith("switch.")
    ]
    assert switches, "no switch entity among the demo's writable booleans"
    device_id, identifier, value = switches[0]
    entity_id = registry[f"{device_id}_attr_{identifier}"]["entity_id"]
    await live.sim_delete("/_sim/log")
    await api.post("/api/services/switch/toggle", {"entity_id": entity_id})

    async def written() -> list[dict[str, Any]]:
        log = await live.sim("/_sim/log")
        return [
            entry
            for entry in log["entries"]
            if entry["route"] in ("control_attributes_post", "control_attributes_put")
            and f"/{device_id}/" in entry["path"]
            and isinstance(entry["json"], dict)
            and entry["json"].get(identifier) is (not value)
        ]

    writes = await wait_for(written, SETTLE_TIMEOUT, f"the simulator to receive {identifier}")
    assert len(writes) == 1, writes

    async def flipped() -> bool:
        state = (await _states(api))[entity_id]["state"]
        return state == ("off" if value else "on")

    await wait_for(flipped, SETTLE_TIMEOUT, f"{entity_id} to show the new state")
    sim_after = await live.sim("/_sim/state")
    after = next(d for d in sim_after["devices"] if d["id"] == device_id)
    assert after["attributes"][identifier] is (not value)

    # Reloading the entry through the API unloads and sets it up again.
    await api.post(f"/api/config/config_entries/entry/{entry_id}/reload")
    await wait_for(loaded, SETTLE_TIMEOUT, "the config entry to load again")

    # Nothing of the integration logged an error or a traceback. (Close the websocket first:
    # Home Assistant's shutdown waits up to 10 s for open ones.)
    await api.close()
    await live.hass.stop()
    assert live.hass.process.returncode == 0, live.hass.log_tail()
    log = (live.config_dir / "home-assistant.log").read_text(errors="replace")
    bad = [
        line
        for line in log.splitlines()
        if re.search(r"\b(ERROR|CRITICAL)\b", line) and "thingscloud" in line
    ]
    assert not bad, "\n".join(bad)
    # Nor did Home Assistant report a deprecated (or otherwise wrong) use by the integration.
    reports = deprecation_reports(log)
    assert not reports, "Home Assistant reported the integration's use:\n" + "\n".join(reports)
    assert "custom_components/thingscloud" not in log, "a traceback through the integration"


async def test_harness_reports_a_dead_process(tmp_path: Path) -> None:
    """A process that dies while awaited fails the wait at once, with its output."""
    dead = await spawn(
        "doomed",
        [sys.executable, "-c", "import sys; print('no config here'); sys.exit(3)"],
        tmp_path / "doomed.log",
    )
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        with pytest.raises(RuntimeError, match=r"doomed exited with code 3:\nno config here"):
            await wait_http(session, f"http://127.0.0.1:{free_port()}/", dead, 30)
    assert time.monotonic() - started < 10
    assert await dead.stop() == 3


def test_deprecation_reports_in_a_home_assistant_log() -> None:
    """The log check finds Home Assistant's reports about the integration, and only those."""
    log = """\
2026-11-30 06:34:44.199+00:00 WARNING (SyncWorker_0) [homeassistant.loader] We found a custom \
integration thingscloud which has not been tested by Home Assistant.
2026-11-30 06:34:45.001+00:00 WARNING (MainThread) [homeassistant.helpers.frame] Detected that \
custom integration 'thingscloud' calls `device_registry.async_update_device` with one of \
`remove_config_entry_id` at custom_components/thingscloud/coordinator.py, line 455: x. This will \
stop working in Home Assistant 2027.8.0, please create a bug report at https://example.invalid
2026-11-30 06:34:45.002 WARNING (MainThread) [homeassistant.helpers.frame] Detected that custom \
integration 'other' calls something deprecated at custom_components/other/x.py, line 1: x.
2026-11-30 06:34:45.003 WARNING (MainThread) [homeassistant.const] The deprecated constant \
OLD_THING was used from thingscloud. It will be removed in HA Core 2027.1. Use NEW_THING instead
2026-11-30 06:34:45.004 WARNING (MainThread) [py.warnings] /config/custom_components/thingscloud/\
api/client.py:12: DeprecationWarning: old_call is deprecated
  old_call()
2026-11-30 06:34:45.005 WARNING (MainThread) [py.warnings] /venv/site-packages/lib/x.py:3: \
DeprecationWarning: something else is deprecated
  other_call()
2026-11-30 06:34:45.006 DEBUG (MainThread) [custom_components.thingscloud] The device reports a \
deprecated firmware field
2026-11-30 06:34:45.007 WARNING (MainThread) [py.warnings] /root/.cache/thingscloud-ha/python3.14/\
usr/lib/python3.14/asyncio/events.py:3: DeprecationWarning: not the integration's
  other_call()
"""
    reports = [report.split("] ", 1)[1] for report in deprecation_reports(log)]
    assert len(reports) == 3, reports
    assert reports[0].startswith("Detected that custom integration 'thingscloud' calls")
    assert reports[1].startswith("The deprecated constant OLD_THING was used from thingscloud.")
    assert reports[2].startswith("/config/custom_components/thingscloud/api/client.py:12: Deprec")
    assert reports[2].endswith("DeprecationWarning: old_call is deprecated\n  old_call()")
