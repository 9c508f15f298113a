"""The demo and generated scenarios: coverage of the vocabulary, determinism, ticks."""

from collections import Counter
import itertools

import pytest

from simulator.admin import state_json
from simulator.scenarios import (
    DEMO_ACCESS_KEY,
    DEMO_ACCOUNT,
    DEMO_APP_ID,
    DEMO_PASSWORD,
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    DEMO_SECRET_KEY,
    demo_state,
    generated_state,
)
from simulator.state import (
    AttributeModel,
    SimulatorState,
    normalize_attr_type,
    normalize_data_type,
    number_option,
)

from .conftest import START, FakeClock

DAY_MS = 86_400_000
FIVE_MINUTES = 300_000


def _models(state: SimulatorState) -> list[AttributeModel]:
    return [m for t in state.device_types.values() for m in t.models.values()]


def _snapshot(state: SimulatorState) -> object:
    series = {k: [p.as_json() for p in v] for k, v in state.series.items()}
    logs = [log.as_json() for log in state.alarm_logs]
    return state_json(state), series, logs


def test_demo_constants() -> None:
    state = demo_state()
    assert (state.project.id, state.project.name) == (DEMO_PROJECT_ID, DEMO_PROJECT_NAME)
    assert (state.app_id, state.access_key, state.secret_key) == (
        DEMO_APP_ID,
        DEMO_ACCESS_KEY,
        DEMO_SECRET_KEY,
    )
    [admin] = state.admins.values()
    assert (admin.account, admin.password) == (DEMO_ACCOUNT, DEMO_PASSWORD)


def test_demo_is_deterministic() -> None:
    assert _snapshot(demo_state(now=START)) == _snapshot(demo_state(now=START))


def test_demo_devices() -> None:
    state = demo_state(now=START)
    assert list(state.devices) == [
        "dev-living-th",
        "dev-bedroom-th",
        "dev-plug-tv",
        "dev-office-aq",
        "dev-front-door",
        "dev-thermostat",
        "dev-lobby-led",
        "dev-gateway",
        "dev-spare-plug",
    ]
    offline = [d.id for d in state.devices.values() if not d.online]
    assert offline == ["dev-bedroom-th", "dev-spare-plug"]
    alarming = [d.id for d in state.devices.values() if d.alarm]
    assert alarming == ["dev-front-door"]
    assert [d.id for d in state.devices.values() if not d.active] == ["dev-spare-plug"]
    for device in state.devices.values():
        if device.active:
            assert device.active["attributes"] <= START * 1000
    bedroom = state.devices["dev-bedroom-th"]
    assert bedroom.active["attributes"] == START * 1000 - 2 * 86_400_000


def test_demo_covers_the_vocabulary() -> None:
    state = demo_state()
    models = _models(state)
    assert {normalize_data_type(m.data_type) for m in models} == {
        "number",
        "boolean",
        "string",
        "enum",
        "json",
        "array",
        "location",
        "unknown",
    }
    raw_data_types = {m.data_type for m in models}
    assert {"bool", "switch", "text", "object", "list", "map_point", "Boolean"} <= raw_data_types
    assert {normalize_attr_type(m.attr_type) for m in models} == {
        "report",
        "push",
        "share",
        "cloud",
    }
    raw_attr_types = {m.attr_type for m in models}
    assert {
        "设备上报",
        "云端下发",
        "云端私有",
        "shared",
        "Report",
        "REPORT",
        "Share",
    } <= raw_attr_types
    units = {m.data_options.get("unit") for m in models}
    assert {"摄氏度", "百分比", "千帕", "瓦", "千瓦时"} <= units
    enum_items = [m.data_options["items"] for m in models if m.data_type == "enum"]
    assert any(isinstance(items, list) for items in enum_items)
    assert any(isinstance(items, dict) for items in enum_items)
    booleans = [m for m in models if normalize_data_type(m.data_type) == "boolean"]
    assert any("on_text" in m.data_options and "off_text" in m.data_options for m in booleans)
    numbers = [m.data_options for m in models if m.data_type == "number"]
    assert any({"min", "max", "step", "precision", "unit"} <= set(o) for o in numbers)


def test_demo_values_fit_their_models() -> None:
    state = demo_state()
    without_model = []
    for device in state.devices.values():
        for identifier, current in device.attributes.items():
            model = state.model_of(device, identifier)
            if model is None:
                without_model.append(identifier)
                continue
            kind = normalize_data_type(model.data_type)
            if kind == "number":
                assert isinstance(current.value, int | float)
                low = number_option(model.data_options, "min")
                high = number_option(model.data_options, "max")
                assert low is None or current.value >= low
                assert high is None or current.value <= high
            elif kind == "boolean":
                assert isinstance(current.value, bool)
            elif kind in {"json", "location"}:
                assert isinstance(current.value, dict)
            elif kind == "array":
                assert isinstance(current.value, list)
    assert without_model == ["uptime"]


def test_demo_tick_drifts_a_few_sensors(clock: FakeClock) -> None:
    state = demo_state(clock=clock)
    energy = state.devices["dev-plug-tv"].attributes["energy"].value
    assert isinstance(energy, float)
    points = len(state.series[("dev-living-th", "temperature")])
    clock.advance(30)
    changed = state.tick()
    assert changed == ["dev-living-th", "dev-office-aq", "dev-plug-tv", "dev-thermostat"]
    now_ms = int(clock() * 1000)
    for device_id in changed:
        assert state.devices[device_id].active["attributes"] == now_ms
    assert state.devices["dev-gateway"].active["attributes"] < now_ms
    assert len(state.series[("dev-living-th", "temperature")]) == points + 1
    for _ in range(50):
        state.tick()
    new_energy = state.devices["dev-plug-tv"].attributes["energy"].value
    assert isinstance(new_energy, float)
    assert new_energy >= energy
    humidity = state.devices["dev-living-th"].attributes["humidity"].value
    assert isinstance(humidity, float)
    assert 0 <= humidity <= 100
    assert humidity == round(humidity, 1)
    co2 = state.devices["dev-office-aq"].attributes["co2"].value
    assert isinstance(co2, int)
    assert state.ticks == 51


def test_tick_skips_offline_devices_and_can_be_off() -> None:
    state = demo_state()
    state.set_online("dev-living-th", False)
    assert "dev-living-th" not in state.tick()
    state.change_share = 0
    assert state.tick() == []


def test_tick_moves_active_even_within_one_millisecond(clock: FakeClock) -> None:
    state = demo_state(clock=clock)
    clock.advance(1)
    state.tick()
    first = state.devices["dev-living-th"].active["attributes"]
    state.tick()
    assert state.devices["dev-living-th"].active["attributes"] == first + 1


def test_generated_project(clock: FakeClock) -> None:
    state = generated_state(100, 4, 0.1, seed=3, clock=clock)
    assert len(state.devices) == 100
    first = state.devices["gen-00001"]
    assert list(first.attributes) == ["attr_01", "attr_02", "attr_03", "attr_04"]
    assert sum(not d.online for d in state.devices.values()) == 5
    assert sum(bool(d.alarm) for d in state.devices.values()) == 2
    assert len(state.series[("gen-00001", "attr_01")]) == 6
    assert Counter(g for d in state.devices.values() for g in d.groups) == {
        "grp-gen-a": 33,
        "grp-gen-b": 34,
        "grp-gen-b1": 33,
    }
    assert state.customers["cust-owner"].device_ids == list(state.devices)
    clock.advance(1)
    changed = state.tick()
    assert len(changed) == 10  # 10 % of the 95 online devices, rounded
    assert all(state.devices[i].online for i in changed)
    now_ms = int(clock() * 1000)
    assert all(state.devices[i].active["attributes"] == now_ms for i in changed)
    untouched = [d for d in state.devices.values() if d.id not in changed]
    assert all(d.active["attributes"] < now_ms for d in untouched)


def test_generated_is_deterministic_per_seed() -> None:
    first = generated_state(20, 2, 0.5, seed=1, now=START)
    second = generated_state(20, 2, 0.5, seed=1, now=START)
    other = generated_state(20, 2, 0.5, seed=2, now=START)
    assert _snapshot(first) == _snapshot(second)
    assert _snapshot(first) != _snapshot(other)
    assert first.tick() == second.tick()


def test_generated_edge_cases() -> None:
    empty = generated_state(0, 0, 0.0)
    assert empty.devices == {}
    assert empty.tick() == []
    tiny = generated_state(1, 1, 0.01)
    assert tiny.tick() == ["gen-00001"]  # at least one device changes
    for args in ((-1, 1, 0.1), (1, -1, 0.1), (1, 1, 1.5)):
        with pytest.raises(ValueError, match="must be"):
            generated_state(*args)


def test_demo_energy_meter_history() -> None:
    state = demo_state(now=START)
    current = state.devices["dev-plug-tv"].attributes["energy"]
    points = state.series[("dev-plug-tv", "energy")]
    times = [p.ts for p in points]
    values = [p.value for p in points]
    assert all(isinstance(value, float) for value in values)
    assert (times[-1], values[-1]) == (current.ts, current.value) == (current.ts, 132.418)
    assert times == sorted(times)
    assert current.ts - times[0] == 35 * DAY_MS - FIVE_MINUTES
    steps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert Counter(steps) == {FIVE_MINUTES: len(points) - 2, 73 * FIVE_MINUTES: 1}  # 6 h gap
    gap = steps.index(73 * FIVE_MINUTES)
    assert 9 * DAY_MS < current.ts - times[gap] < 10 * DAY_MS
    rises = [
        (later - earlier, index)
        for index, (earlier, later) in enumerate(itertools.pairwise(values))
    ]
    [reset] = [index for rise, index in rises if rise < 0]  # type: ignore[operator]
    assert values[reset] > 1000  # type: ignore[operator]
    assert 0 < values[reset + 1] < 0.1  # type: ignore[operator]
    assert 27 * DAY_MS < current.ts - times[reset + 1] < 28 * DAY_MS
    usual = [rise for rise, index in rises if index not in (reset, gap)]
    assert min(usual) >= 0  # type: ignore[operator]
    assert max(usual) < 0.1  # type: ignore[operator]
    assert 0.2 < rises[gap][0] < 3  # type: ignore[operator]  # the meter kept counting


def test_demo_keeps_its_other_history() -> None:
    state = demo_state(now=START)
    for (device_id, identifier), points in state.series.items():
        if (device_id, identifier) != ("dev-plug-tv", "energy"):
            assert len(points) in {1, 49}, (device_id, identifier)  # 48 seeded + current


def test_generated_meters() -> None:
    state = generated_state(3, 1, 1.0, seed=4, meters=2, now=START)
    assert list(state.devices) == [
        "gen-00001",
        "gen-00002",
        "gen-00003",
        "meter-0001",
        "meter-0002",
    ]
    assert len(state.series[("gen-00001", "attr_01")]) == 6
    model = state.model_of(state.devices["meter-0001"], "energy")
    assert model is not None
    assert (model.attr_type, model.data_type, model.data_options["unit"]) == (
        "report",
        "number",
        "千瓦时",
    )
    for device_id in ("meter-0001", "meter-0002"):
        current = state.devices[device_id].attributes["energy"]
        points = state.series[(device_id, "energy")]
        assert len(points) == 30 * 288
        assert (points[-1].ts, points[-1].value) == (current.ts, current.value)
        assert points[0].ts == current.ts - 30 * DAY_MS + FIVE_MINUTES
        values = [p.value for p in points]
        assert values == sorted(values)  # type: ignore[type-var]
        assert 0 < values[0] < values[-1]  # type: ignore[operator]
    assert state.customers["cust-owner"].device_ids == list(state.devices)
    assert _snapshot(state) == _snapshot(generated_state(3, 1, 1.0, seed=4, meters=2, now=START))
    without = generated_state(3, 1, 1.0, seed=4, now=START)
    assert state.series[("gen-00002", "attr_01")] == without.series[("gen-00002", "attr_01")]
    assert "meter-0001" in state.tick()
    with pytest.raises(ValueError, match="meters"):
        generated_state(1, 1, meters=-1)
