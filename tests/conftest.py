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
from custom_components.thingscloud.const import (
    AUTH_TYPE_APP,
    CONF_ACCESS_KEY,
    CONF_APP_ID,
    CONF_AUTH_TYPE,
    CONF_ENDPOINT,
    CONF_SCAN_INTERVAL,
    CONF_SECRET_KEY,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
)
from simulator.scenarios import (
    DEMO_ACCESS_KEY,
    DEMO_APP_ID,
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    DEMO_SECRET_KEY,
    demo_state,
)
from simulator.testing import RunningSimulator, start_simulator


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
    return MockConfigEntry(
        domain=DOMAIN,
        title=DEMO_PROJECT_NAME,
        unique_id=DEMO_PROJECT_ID,
        data={
            CONF_ENDPOINT: sim.url,
            CONF_AUTH_TYPE: AUTH_TYPE_APP,
            CONF_APP_ID: DEMO_APP_ID,
            CONF_ACCESS_KEY: DEMO_ACCESS_KEY,
            CONF_SECRET_KEY: DEMO_SECRET_KEY,
        },
        options={CONF_SCAN_INTERVAL: DEFAULT_SCAN_INTERVAL},
    )


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
