"""State helpers that the HTTP tests do not reach directly."""

from freezegun.api import FrozenDateTimeFactory

from simulator.scenarios import demo_state
from simulator.state import (
    Device,
    Drift,
    Project,
    SimulatorState,
    is_number,
    normalize_attr_type,
    normalize_data_type,
    number_option,
)

from .conftest import FakeClock


def _state(clock: FakeClock) -> SimulatorState:
    return SimulatorState(
        Project("p", "P"), app_id="a", access_key="b", secret_key="c", clock=clock
    )


def test_vocabulary_normalisation() -> None:
    assert normalize_attr_type(" 设备上报 ") == "report"
    assert normalize_attr_type("SHARED") == "share"
    assert normalize_attr_type("云端下发") == "push"
    assert normalize_attr_type("whatever") == "unknown"
    assert normalize_data_type("Map_Point") == "location"
    assert normalize_data_type("switch") == "boolean"
    assert normalize_data_type("datetime") == "unknown"


def test_number_helpers() -> None:
    assert is_number(1)
    assert is_number(1.5)
    assert not is_number(True)
    assert not is_number("1")
    assert number_option({"min": 1, "max": True, "step": "2"}, "min") == 1.0
    assert number_option({"max": True}, "max") is None
    assert number_option({}, "max") is None


def test_new_ids_skip_existing_ones(clock: FakeClock) -> None:
    state = _state(clock)
    state.add_device(Device("dev-0001", "taken"))
    assert state.new_id("dev") == "dev-0002"
    assert state.new_id("cust") == "cust-0001"


def test_series_is_bounded_and_ordered(clock: FakeClock) -> None:
    state = _state(clock)
    device = state.add_device(Device("d", "D", online=True))
    state.series_limit = 3
    for ts in (5, 1, 3, 4, 2):
        state.add_point(device, "x", ts, ts, "report")
    assert [p.ts for p in state.series[("d", "x")]] == [3, 4, 5]
    assert [p.ts for p in state.series_points("d", "x", None, None)] == [5, 4, 3]
    assert state.remove_attributes("d", ["x"]) == []  # only history, no current value


def test_tokens_expire_on_the_clock(clock: FakeClock) -> None:
    state = _state(clock)
    token = state.issue_token("app", "a")
    assert state.check_token(token.value) is token
    clock.advance(state.app_token_lifetime)
    assert state.check_token(token.value) is None
    assert token.value not in state.tokens
    admin = state.issue_token("admin", "x")
    assert admin.expires_at - admin.issued_at == 7 * 86400


def test_clearing_an_alarm_that_is_not_raised(clock: FakeClock) -> None:
    state = _state(clock)
    state.add_device(Device("d", "D"))
    state.set_alarm("d", 0)
    [log] = state.alarm_logs
    assert (log.alarm_status, log.alarm_level, log.alarm_info) == (0, 0, {})
    assert state.devices["d"].alarm == {}


def test_drift_without_bounds_or_precision(clock: FakeClock) -> None:
    state = _state(clock)
    device = state.add_device(Device("d", "D", online=True))
    state.set_attributes("d", {"count": 10, "level": 1.5, "label": "x"})
    state.drift = {"d": {"count": Drift(3), "level": Drift(1), "label": Drift(1), "gone": Drift(1)}}
    state.change_share = 1
    assert state.tick() == ["d"]
    assert isinstance(device.attributes["count"].value, int)
    level = device.attributes["level"].value
    assert isinstance(level, float)
    assert level == round(level, 2)
    assert device.attributes["label"].value == "x"


def test_drift_leaves_integers_too_large_for_a_float(clock: FakeClock) -> None:
    state = _state(clock)
    device = state.add_device(Device("d", "D", online=True))
    huge = 10**400
    state.set_attributes("d", {"big": huge, "small": -huge, "count": 10})
    state.drift = {"d": {"big": Drift(1), "small": Drift(1, increasing=True), "count": Drift(3)}}
    state.change_share = 1
    for _ in range(3):
        assert state.tick() == ["d"]
    assert device.attributes["big"].value == huge
    assert device.attributes["small"].value == -huge
    assert isinstance(device.attributes["count"].value, int)
    assert [p.value for p in state.series_points("d", "big", None, None)] == [huge]


def test_default_clock_follows_a_frozen_time(freezer: FrozenDateTimeFactory) -> None:
    freezer.move_to("2025-01-01T00:00:00Z")
    state = demo_state()
    assert state.now_ms() == 1_735_689_600_000
    assert state.devices["dev-living-th"].active["attributes"] == 1_735_689_600_000 - 7_000
    freezer.tick(10)
    assert state.now_ms() == 1_735_689_610_000
