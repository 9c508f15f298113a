"""What the benchmark modes share: the test instance, the entry, patches, cycles, counters."""

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
import gc
import math
import os
from pathlib import Path
import tempfile
import time
from typing import Any
from unittest.mock import patch

from aiohttp.resolver import ThreadedResolver
from homeassistant import loader
from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_platform, entity_registry as er
from homeassistant.helpers.entity import Entity
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (  # type: ignore[import-untyped]
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.thingscloud.const import (
    AUTH_TYPE_APP,
    CONF_ACCESS_KEY,
    CONF_APP_ID,
    CONF_AUTH_TYPE,
    CONF_ENDPOINT,
    CONF_MQTT_URL,
    CONF_SCAN_INTERVAL,
    CONF_SECRET_KEY,
    CONF_VIEW_KEY,
    CONF_VIEW_SECRET,
    DOMAIN,
)
from custom_components.thingscloud.coordinator import ThingsCloudCoordinator
from simulator.scenarios import (
    DEMO_ACCESS_KEY,
    DEMO_APP_ID,
    DEMO_SECRET_KEY,
    DEMO_VIEW_KEY,
    DEMO_VIEW_SECRET,
)

from .simproc import SimulatorProcess

ATTRIBUTES = 10
CHANGE_SHARE = 0.05
# The benchmark drives the polls itself: the entry's own schedule stays out of the way.
BENCH_SCAN_INTERVAL = 3600
DEFAULT_SCAN_INTERVAL = 60  # the integration's default (const.DEFAULT_SCAN_INTERVAL)


def rss_bytes() -> int:
    """The process's resident set size now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def machine() -> str:
    """CPUs and load average now, for the heading of a table."""
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs, load average {load}"


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (``share`` in 0..1); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> str:
    """Milliseconds, with a decimal below 10 ms."""
    if math.isnan(seconds):
        return "-"
    return f"{seconds * 1000:.0f}" if seconds >= 0.01 else f"{seconds * 1000:.1f}"


def bench_entry(
    url: str,
    devices: int,
    *,
    scan_interval: int = BENCH_SCAN_INTERVAL,
    options: Mapping[str, Any] | None = None,
) -> MockConfigEntry:
    """The config entry of a generated project."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"Generated ({devices} devices)",
        data={
            CONF_ENDPOINT: url,
            CONF_AUTH_TYPE: AUTH_TYPE_APP,
            CONF_APP_ID: DEMO_APP_ID,
            CONF_ACCESS_KEY: DEMO_ACCESS_KEY,
            CONF_SECRET_KEY: DEMO_SECRET_KEY,
        },
        options={CONF_SCAN_INTERVAL: scan_interval, **(options or {})},
    )


def realtime_options(sim: SimulatorProcess) -> dict[str, Any]:
    """The options that turn real-time updates on against the simulator's broker."""
    return {
        CONF_MQTT_URL: sim.mqtt_url,
        CONF_VIEW_KEY: DEMO_VIEW_KEY,
        CONF_VIEW_SECRET: DEMO_VIEW_SECRET,
    }


@contextlib.asynccontextmanager
async def ha_instance() -> AsyncIterator[HomeAssistant]:
    """A Home Assistant test instance that finds custom_components/thingscloud.

    Its configuration directory is a fresh temporary one: the registries the benchmark
    saves must not pile up in the test plugin's shared directory from run to run. It runs
    ``zone``, which every Home Assistant sets up at start (a default integration) and which
    listens to every state change: a cycle's state writes cost what they cost at home.
    """
    with tempfile.TemporaryDirectory(prefix="thingscloud-bench-") as config_dir:
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            # As tests/conftest.py does: let the loader look for custom integrations again.
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            if not await async_setup_component(hass, "zone", {}):
                raise RuntimeError("zone did not set up")
            yield hass


@contextlib.contextmanager
def plain_resolver() -> Iterator[None]:
    """Resolve host names without zeroconf (as the test plugin does; the simulator is 127.0.0.1)."""

    def make_resolver(hass: HomeAssistant) -> ThreadedResolver:
        resolver = ThreadedResolver()
        resolver.real_close = resolver.close  # type: ignore[attr-defined]
        return resolver

    with patch("homeassistant.helpers.aiohttp_client._async_make_resolver", make_resolver):
        yield


@contextlib.contextmanager
def lifted_entity_limit(keep: bool = False) -> Iterator[None]:
    """Lift Home Assistant's 10,000 enabled entities per entry (unless ``keep``)."""
    if keep:
        yield
        return
    with patch.object(entity_platform, "MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY", 10**9):
        yield


async def flush_registries(hass: HomeAssistant) -> None:
    """Save the registries now: their delayed save must not land inside a measurement."""
    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done()


def attribute_entities(hass: HomeAssistant, entry_id: str) -> dict[str, tuple[str, str]]:
    """Every attribute entity of an entry: entity id -> (device id, identifier)."""
    registry = er.async_get(hass)
    found: dict[str, tuple[str, str]] = {}
    for item in er.async_entries_for_config_entry(registry, entry_id):
        device_id, marker, identifier = item.unique_id.partition("_attr_")
        if marker:
            found[item.entity_id] = (device_id, identifier)
    return found


def shows(state: str, value: Any) -> bool:
    """Whether an entity's state shows a simulator value (numbers compared as numbers)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return math.isclose(float(state), value, rel_tol=1e-9, abs_tol=1e-9)
        except ValueError:
            return False
    return state == str(value)


def differing(
    hass: HomeAssistant,
    entities: Mapping[str, tuple[str, str]],
    values: Mapping[tuple[str, str], Any],
) -> list[str]:
    """The attribute entities whose state does not show the simulator's value."""
    wrong = []
    for entity_id, key in entities.items():
        state = hass.states.get(entity_id)
        if key not in values or state is None or not shows(state.state, values[key]):
            wrong.append(entity_id)
    return wrong


async def wait_for(
    predicate: Callable[[], bool], seconds: float, what: str, *, step: float = 0.02
) -> float:
    """Wait until ``predicate()`` holds; return the seconds it took (TimeoutError after)."""
    start = time.perf_counter()
    while not predicate():
        if time.perf_counter() - start > seconds:
            raise TimeoutError(f"waited {seconds:g} s for {what}")
        await asyncio.sleep(step)
    return time.perf_counter() - start


@dataclass(slots=True)
class PollCounter:
    """Records the coordinators' polls and real-time link changes (perf_counter seconds).

    ``polls``: (start, end, success) of every finished poll; ``links``: (when, up) of every
    ``async_set_realtime`` call (the link went up or down).
    """

    polls: list[tuple[float, float, bool]] = field(default_factory=list)
    links: list[tuple[float, bool]] = field(default_factory=list)

    @contextlib.contextmanager
    def counting(self) -> Iterator[None]:
        """Record the polls and link changes inside the block."""
        update = ThingsCloudCoordinator._async_update_data  # noqa: SLF001
        set_realtime = ThingsCloudCoordinator.async_set_realtime
        polls, links = self.polls, self.links

        async def counted(coordinator: ThingsCloudCoordinator) -> Any:
            start = time.perf_counter()
            try:
                data = await update(coordinator)
            except BaseException:
                polls.append((start, time.perf_counter(), False))
                raise
            polls.append((start, time.perf_counter(), True))
            return data

        def noted(coordinator: ThingsCloudCoordinator, *, up: bool) -> None:
            links.append((time.perf_counter(), up))
            set_realtime(coordinator, up=up)

        with (
            patch.object(ThingsCloudCoordinator, "_async_update_data", counted),
            patch.object(ThingsCloudCoordinator, "async_set_realtime", noted),
        ):
            yield

    def started_since(self, since: float) -> list[tuple[float, float, bool]]:
        """The finished polls that started at or after ``since``."""
        return [poll for poll in self.polls if poll[0] >= since]

    def last_link(self, *, up: bool) -> float | None:
        """When the link last went up (or down); None if never."""
        return next((when for when, state in reversed(self.links) if state == up), None)


# ------------------------------------------------------------------------------ cycles


@dataclass(slots=True)
class WriteCounter:
    """Counts state writes and state_changed events."""

    hass: HomeAssistant
    attribute_entity_ids: set[str] = field(default_factory=set)
    writes: int = 0
    unchanged_writes: int = 0
    unchanged_entity_ids: list[str] = field(default_factory=list)
    state_changed: int = 0
    attribute_state_changed: int = 0

    def reset(self) -> None:
        """Start counting again."""
        self.writes = self.unchanged_writes = 0
        self.unchanged_entity_ids = []
        self.state_changed = self.attribute_state_changed = 0

    @callback
    def on_state_changed(self, event: Event[Any]) -> None:
        """Count one state_changed event."""
        self.state_changed += 1
        if event.data["entity_id"] in self.attribute_entity_ids:
            self.attribute_state_changed += 1

    @contextlib.contextmanager
    def wrap_writes(self) -> Iterator[None]:
        """Count every ``Entity.async_write_ha_state`` and the ones that changed nothing."""
        original: Callable[[Entity], None] = Entity.async_write_ha_state
        states = self.hass.states

        def counting_write(entity: Entity) -> None:
            before = states.get(entity.entity_id) if entity.entity_id else None
            original(entity)
            self.writes += 1
            if before is not None and states.get(entity.entity_id) is before:
                self.unchanged_writes += 1
                self.unchanged_entity_ids.append(entity.entity_id)

        with patch.object(Entity, "async_write_ha_state", counting_write):
            yield


@dataclass(slots=True)
class Cycle:
    """The figures of one polling cycle."""

    requests: dict[str, int]
    wall: float
    cpu: float
    changed_devices: int
    changed_values: int
    state_changed: int
    attribute_state_changed: int
    writes: int
    unchanged_writes: int
    unchanged_entity_ids: list[str]

    @property
    def total_requests(self) -> int:
        """Every API request of the cycle."""
        return sum(self.requests.values())


async def run_cycle(
    sim: SimulatorProcess,
    hass: HomeAssistant,
    coordinator: ThingsCloudCoordinator,
    counter: WriteCounter,
    *,
    tick: bool,
) -> Cycle:
    """One cycle: a simulator tick (optional), then one coordinator refresh."""
    changed_devices: list[str] = []
    changed_values = 0
    if tick:
        before = await sim.values()
        changed_devices = await sim.tick()
        after = await sim.values()
        changed_values = sum(1 for key, value in after.items() if before.get(key) != value)
    await sim.clear_counts()
    await hass.async_block_till_done()
    counter.reset()
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    await coordinator.async_refresh()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if not coordinator.last_update_success:
        raise RuntimeError(f"the cycle failed: {coordinator.last_exception}")
    await hass.async_block_till_done()
    return Cycle(
        requests=await sim.counts(),
        wall=wall,
        cpu=cpu,
        changed_devices=len(changed_devices),
        changed_values=changed_values,
        state_changed=counter.state_changed,
        attribute_state_changed=counter.attribute_state_changed,
        writes=counter.writes,
        unchanged_writes=counter.unchanged_writes,
        unchanged_entity_ids=counter.unchanged_entity_ids,
    )
