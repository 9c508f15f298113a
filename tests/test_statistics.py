"""Energy statistics from ThingsCloud's history: backfill, gaps, resets, re-imports, failures."""

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from freezegun.api import FrozenDateTimeFactory
from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    get_metadata,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.recorder import get_instance
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.thingscloud.api.meters import hourly_readings
from custom_components.thingscloud.statistics import (
    EnergyStatistics,
    statistic_id,
)
from simulator.state import SeriesPoint
from simulator.testing import RunningSimulator

from .common import coordinator_of, value_of

ENERGY = statistic_id("dev-plug-tv", "energy")
HOUR = timedelta(hours=1)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(
    recorder_mock: Recorder, enable_custom_integrations: None
) -> None:
    """Start the recorder before Home Assistant (it must exist before the hass fixture)."""


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: the integration talks to the simulator on 127.0.0.1."""


@pytest.fixture
def frozen(freezer: FrozenDateTimeFactory) -> FrozenDateTimeFactory:
    """Time stands at 12:20 UTC, so that the hour boundaries are known."""
    freezer.move_to(datetime(2026, 1, 15, 12, 20, tzinfo=UTC))
    return freezer


def hour_of(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC).replace(minute=0, second=0, microsecond=0)


def expected_rows(
    points: list[SeriesPoint], start: datetime, end: datetime
) -> dict[datetime, tuple[float, float]]:
    """The hourly (state, sum) rows of a meter's history, computed here by hand."""
    rows: dict[datetime, tuple[float, float]] = {}
    previous: float | None = None
    total = 0.0
    for point in sorted(points, key=lambda p: p.ts):
        when = datetime.fromtimestamp(point.ts / 1000, UTC)
        if not start <= when < end:
            continue
        value = float(point.value)  # type: ignore[arg-type]
        if previous is not None:
            total += value - previous if value >= previous else value
        previous = value
        rows[hour_of(point.ts)] = (value, total)
    return rows


async def imported(hass: HomeAssistant, since: datetime) -> dict[datetime, tuple[float, float]]:
    """The hourly rows the recorder holds for the TV plug's energy."""
    await async_wait_recording_done(hass)
    stats = await get_instance(hass).async_add_executor_job(
        statistics_during_period, hass, since, None, {ENERGY}, "hour", None, {"state", "sum"}
    )
    return {
        datetime.fromtimestamp(row["start"], UTC): (row["state"], row["sum"])
        for row in stats.get(ENERGY, [])
    }


async def set_up(hass: HomeAssistant, entry: MockConfigEntry) -> EnergyStatistics:
    """Set the entry up and wait for the first import to finish."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    statistics = entry.runtime_data.statistics
    assert statistics is not None
    return statistics


@pytest.fixture
def meter(sim: RunningSimulator) -> list[SeriesPoint]:
    """The TV plug's 35 days of 5-minute energy reports (with a reset and a 6-hour gap)."""
    return sim.state.series[("dev-plug-tv", "energy")]


async def test_backfill_equals_the_sums_of_the_history(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    sim: RunningSimulator,
    meter: list[SeriesPoint],
    mock_config_entry: MockConfigEntry,
) -> None:
    """The first setup imports 30 days of complete hours; sums match the history's."""
    end = datetime(2026, 1, 15, 12, tzinfo=UTC)
    start = end - timedelta(days=30)

    statistics = await set_up(hass, mock_config_entry)

    rows = await imported(hass, start - HOUR)
    assert rows == pytest.approx(expected_rows(meter, start, end))
    assert min(rows) == start
    assert max(rows) == end - HOUR
    # The 6-hour gap has no rows, and the sum is monotonic across the reset.
    assert 700 - 6 <= len(rows) < 720
    sums = [rows[hour][1] for hour in sorted(rows)]
    assert sums == sorted(sums)
    assert statistics.diagnostics()[ENERGY] == {
        "last_hour": (end - HOUR).isoformat(),
        "rows": len(rows),
        "error": None,
    }


async def test_metadata_is_the_sensors(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Name and unit of the statistic are the sensor's; only meters get one."""
    await set_up(hass, mock_config_entry)
    await async_wait_recording_done(hass)

    metadata = await get_instance(hass).async_add_executor_job(get_metadata, hass)
    ours = {key: meta for key, (_, meta) in metadata.items() if key.startswith("thingscloud:")}
    assert set(ours) == {ENERGY}
    assert ours[ENERGY]["name"] == "电视插座 TV Plug 累计电量 Energy"
    assert ours[ENERGY]["unit_of_measurement"] == "kWh"
    assert ours[ENERGY]["source"] == "thingscloud"
    assert ours[ENERGY]["has_sum"] is True
    assert value_of(hass, "sensor", "dev-plug-tv_attr_energy") == "132.418"


async def test_a_stop_of_26_hours_is_filled(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    sim: RunningSimulator,
    meter: list[SeriesPoint],
    mock_config_entry: MockConfigEntry,
) -> None:
    """While Home Assistant is stopped the meter reports on; coming back fills those hours."""
    await set_up(hass, mock_config_entry)
    await async_wait_recording_done(hass)
    assert await hass.config_entries.async_unload(mock_config_entry.entry_id)
    last = meter[-1]
    for step in range(1, 26 * 12 + 1):
        ts = last.ts + step * 5 * 60_000
        meter.append(SeriesPoint(ts, "energy", round(float(last.value) + step * 0.05, 3), "report"))  # type: ignore[arg-type]
    frozen.tick(timedelta(hours=26))

    await set_up(hass, mock_config_entry)

    end = datetime(2026, 1, 16, 14, tzinfo=UTC)
    rows = await imported(hass, end - timedelta(days=31))
    missing = [end - HOUR * n for n in range(1, 27) if end - HOUR * n not in rows]
    assert missing == []
    sums = [rows[hour][1] for hour in sorted(rows)]
    assert sums == sorted(sums)
    assert rows[end - HOUR][0] == pytest.approx(float(meter[-1].value) - 0.0, abs=1)  # type: ignore[arg-type]


async def test_importing_the_same_hours_again_changes_nothing(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """A full re-import (as if nothing had been imported) writes the very same rows."""
    statistics = await set_up(hass, mock_config_entry)
    before = await imported(hass, datetime(2025, 12, 1, tzinfo=UTC))

    with patch("custom_components.thingscloud.statistics.get_last_statistics", return_value={}):
        await statistics.async_import()
    after = await imported(hass, datetime(2025, 12, 1, tzinfo=UTC))

    assert after == before


async def test_a_failing_history_leaves_the_entities_and_retries_next_hour(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The series endpoint failing: entities as they were, an error noted, then retried."""
    sim.state.faults.set("http_error", "attribute_series", status=500)
    statistics = await set_up(hass, mock_config_entry)

    assert coordinator_of(mock_config_entry).last_update_success
    assert value_of(hass, "sensor", "dev-plug-tv_attr_energy") == "132.418"
    assert "500" in (statistics.diagnostics()[ENERGY]["error"] or "")
    assert await imported(hass, datetime(2025, 12, 1, tzinfo=UTC)) == {}

    sim.state.faults.clear()
    frozen.tick(HOUR)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)

    assert statistics.diagnostics()[ENERGY]["error"] is None
    assert len(await imported(hass, datetime(2025, 12, 1, tzinfo=UTC))) > 700


async def test_series_requests_are_background_and_bounded(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """The backfill reads the history in windows of at most 30 days, 100 points a page."""
    await set_up(hass, mock_config_entry)

    queries = [entry.query for entry in sim.state.requests("attribute_series")]
    assert queries
    for query in queries:
        assert int(query["page_records"]) == 100
        assert 0 < int(query["end_time"]) - int(query["start_time"]) <= 30 * 86_400_000


def test_rows_of_a_reset_and_of_bad_values() -> None:
    """A drop is a reset (the sum goes on from the new reading); unusable readings are skipped."""
    base = datetime(2026, 1, 1, tzinfo=UTC)

    def point(minutes: int, value: Any) -> Any:
        return type("Point", (), {"ts": base + timedelta(minutes=minutes), "value": value})()

    rows = hourly_readings(
        [
            point(0, 10),
            point(30, 12),
            point(70, "x"),
            point(80, 1),
            point(100, 4),
            point(130, None),
        ],
        state=9.0,
        total=100.0,
    )
    assert rows == [
        (base, 12, 103.0),
        (base + HOUR, 4, 107.0),
    ]


async def test_an_import_within_the_same_hour_asks_nothing(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """Once the complete hours are in, importing again before the next hour sends nothing;
    an import already running is not started twice."""
    statistics = await set_up(hass, mock_config_entry)
    await async_wait_recording_done(hass)
    sim.state.clear_log()

    await statistics.async_import()
    statistics._running = True
    statistics._schedule()
    await hass.async_block_till_done(wait_background_tasks=True)
    statistics._running = False

    assert sim.state.count("attribute_series") == 0


async def test_a_meter_without_history_imports_nothing(
    hass: HomeAssistant,
    frozen: FrozenDateTimeFactory,
    sim: RunningSimulator,
    mock_config_entry: MockConfigEntry,
) -> None:
    """No reports in the 30 days: no statistic yet, no error; the next hour tries again."""
    sim.state.series[("dev-plug-tv", "energy")] = []
    statistics = await set_up(hass, mock_config_entry)

    assert statistics.diagnostics()[ENERGY] == {"last_hour": None, "rows": 0, "error": None}
    assert await imported(hass, datetime(2025, 12, 1, tzinfo=UTC)) == {}
