"""Shared fixtures for the ThingsCloud tests."""

from collections.abc import AsyncGenerator, Generator
from unittest.mock import PropertyMock, patch

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

# pytest-homeassistant-custom-component ships its own `custom_components` package; importing the
# project's one here, before the hass fixture runs, makes Home Assistant find this integration.
import custom_components.thingscloud  # noqa: F401
from simulator.scenarios import (
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    demo_state,
)
from simulator.testing import RunningSimulator, start_simulator

from .common import app_entry


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let every test load the custom integration."""
    return


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots with Home Assistant's serializer, in tests/snapshots/."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)


@pytest.fixture
def demo_now() -> float | None:
    """The moment the demo's timestamps are relative to; None: the clock's now.

    A module whose snapshots show timestamps overrides it with `common.DEMO_NOW`.
    """
    return None


@pytest.fixture
async def sim(socket_enabled: None, demo_now: float | None) -> AsyncGenerator[RunningSimulator]:
    """A running simulator of the demo project, on a free loopback port.

    Home Assistant's test plugin refuses to open sockets; the simulator needs one.
    """
    running = await start_simulator(demo_state(now=demo_now))
    yield running
    await running.close()


@pytest.fixture
def mock_config_entry(sim: RunningSimulator) -> MockConfigEntry:
    """A config entry for the demo project, with app credentials."""
    return app_entry(sim.url, DEMO_PROJECT_NAME, DEMO_PROJECT_ID)


@pytest.fixture
async def init_integration(
    hass: HomeAssistant, mock_config_entry: MockConfigEntry
) -> MockConfigEntry:
    """The demo project's entry, added and set up."""
    mock_config_entry.add_to_hass(hass)
    await hass.config_entries.async_setup(mock_config_entry.entry_id)
    await hass.async_block_till_done()
    return mock_config_entry


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create every entity enabled, also those disabled by default (as Home Assistant's tests do).

    Request it before the fixture that sets the entry up.
    """
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        new_callable=PropertyMock,
        return_value=True,
    ):
        yield


from .deprecations import DeprecationWatch, watch_deprecations  # noqa: E402


@pytest.fixture(autouse=True)
def thingscloud_deprecations() -> Generator[DeprecationWatch]:
    """Fail the test when Home Assistant reports a deprecated use by the integration during it.

    Its frame helper's "Detected that custom integration 'thingscloud' ..." (report_usage), its
    deprecation helper's "... was called from thingscloud", or a DeprecationWarning of the
    integration's code: see tests/deprecations.py. A test that provokes one on purpose requests
    this fixture by name, reads `.reports` and calls `.clear()`.
    """
    with watch_deprecations() as watch:
        yield watch
    watch.check()
