"""Fixtures: the demo project served on loopback and a raw HTTP helper."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from simulator.scenarios import (
    DEMO_ACCESS_KEY,
    DEMO_ACCOUNT,
    DEMO_APP_ID,
    DEMO_PASSWORD,
    DEMO_SECRET_KEY,
    demo_state,
)
from simulator.state import SimulatorState
from simulator.testing import RunningSimulator, start_simulator

START = 1_750_000_000.0


class FakeClock:
    """A settable clock for the simulator."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    headers: dict[str, str]
    text: str
    data: Any


class Api:
    """Raw requests against a running simulator, with an app token by default."""

    def __init__(self, session: aiohttp.ClientSession, running: RunningSimulator) -> None:
        self.session = session
        self.running = running
        self.token: str | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: str | bytes | None = None,
        params: dict[str, str] | None = None,
        token: str | None = None,
        auth: bool = True,
        base: str | None = None,
    ) -> Reply:
        headers = {}
        if auth:
            token = token or self.token or await self.login()
            headers["Authorization"] = f"Bearer {token}"
        url = (base if base is not None else self.running.api_url) + path
        async with self.session.request(
            method, url, json=json, data=data, params=params, headers=headers
        ) as response:
            text = await response.text()
            try:
                parsed = await response.json(content_type=None)
            except ValueError:
                parsed = None
            return Reply(response.status, dict(response.headers), text, parsed)

    async def request_with_timeout(self, method: str, path: str, seconds: float) -> int:
        """A request that gives up after `seconds` (raises TimeoutError)."""
        headers = {"Authorization": f"Bearer {self.token or await self.login()}"}
        timeout = aiohttp.ClientTimeout(total=seconds)
        async with self.session.request(
            method, self.running.api_url + path, headers=headers, timeout=timeout
        ) as response:
            return response.status

    async def login(self) -> str:
        reply = await self.request(
            "POST",
            "/access_token",
            json={
                "app_id": DEMO_APP_ID,
                "access_key": DEMO_ACCESS_KEY,
                "secret_key": DEMO_SECRET_KEY,
            },
            auth=False,
        )
        assert reply.data["result"] is True, reply.text
        self.token = reply.data["info"]["access_token"]
        return self.token

    async def admin_login(self) -> str:
        reply = await self.request(
            "POST",
            "/admin_login",
            json={"app_id": DEMO_APP_ID, "account": DEMO_ACCOUNT, "password": DEMO_PASSWORD},
            auth=False,
        )
        assert reply.data["result"] is True, reply.text
        return str(reply.data["info"]["access_token"])

    async def info(self, method: str, path: str, **kwargs: Any) -> Any:
        """The `info` of a successful answer (asserts HTTP 200 and result true)."""
        reply = await self.request(method, path, **kwargs)
        assert reply.status == 200, reply.text
        assert reply.data["result"] is True, reply.text
        return reply.data["info"]

    async def failure(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """A result:false answer (asserts HTTP 200 and the global failure shape)."""
        reply = await self.request(method, path, **kwargs)
        assert reply.status == 200, reply.text
        assert reply.data["result"] is False, reply.text
        assert set(reply.data) == {"result", "errcode", "message", "errors"}, reply.data
        assert isinstance(reply.data["errors"], list)
        data: dict[str, Any] = reply.data
        return data

    async def sim(self, method: str, path: str, **kwargs: Any) -> Reply:
        """A request to the admin API under /_sim/."""
        return await self.request(
            method, path, auth=False, base=self.running.url + "/_sim", **kwargs
        )


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """The simulator listens on 127.0.0.1."""


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def state(clock: FakeClock) -> SimulatorState:
    return demo_state(clock=clock)


@pytest.fixture
async def running(state: SimulatorState) -> AsyncIterator[RunningSimulator]:
    sim = await start_simulator(state)
    try:
        yield sim
    finally:
        await sim.close()


@pytest.fixture
async def api(running: RunningSimulator) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(session, running)
