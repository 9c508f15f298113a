"""Fixtures of the client tests: a small simulated project served over loopback."""

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.thingscloud.api import AdminCredentials, AppCredentials, ThingsCloudClient
from simulator.state import SimulatorState
from simulator.testing import RunningSimulator, start_simulator

from .common import (
    ACCESS_KEY,
    ADMIN_ACCOUNT,
    ADMIN_PASSWORD,
    APP_ID,
    SECRET_KEY,
    FakeClock,
    build_state,
    use_clock,
)


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Allow sockets: every client test talks to a server on 127.0.0.1.

    Home Assistant's test plugin still refuses connections to any other host.
    """


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim_state(clock: FakeClock) -> SimulatorState:
    return build_state(clock)


@pytest.fixture
async def simulator(sim_state: SimulatorState) -> AsyncIterator[RunningSimulator]:
    running = await start_simulator(sim_state)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def client(
    simulator: RunningSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> AsyncIterator[ThingsCloudClient]:
    api = ThingsCloudClient(
        simulator.url, AppCredentials(APP_ID, ACCESS_KEY, SECRET_KEY), session=session
    )
    use_clock(api, clock)
    yield api
    await api.close()


@pytest.fixture
async def admin_client(
    simulator: RunningSimulator, session: aiohttp.ClientSession, clock: FakeClock
) -> AsyncIterator[ThingsCloudClient]:
    api = ThingsCloudClient(
        simulator.url,
        AdminCredentials(APP_ID, ADMIN_ACCOUNT, ADMIN_PASSWORD),
        session=session,
    )
    use_clock(api, clock)
    yield api
    await api.close()
