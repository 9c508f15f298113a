"""Start and stop the simulator inside a test's event loop.

running = await start_simulator(demo_state())
try:
    ...  # talk to running.url, inspect running.state
finally:
    await running.close()
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from .app import create_app
from .broker import BROKER_KEY, MQTT_PATH, MqttBroker
from .state import SimulatorState


@dataclass(slots=True)
class RunningSimulator:
    """A simulator listening on a local port."""

    url: str
    state: SimulatorState
    runner: web.AppRunner

    @property
    def api_url(self) -> str:
        """The API base, `<url>/api/v1`."""
        return f"{self.url}/api/v1"

    @property
    def broker(self) -> MqttBroker:
        """The MQTT broker (app subscription) and its controls."""
        return self.runner.app[BROKER_KEY]

    @property
    def mqtt_url(self) -> str:
        """The broker's WebSocket URL, `ws://host:port/mqtt`."""
        return "ws" + self.url.removeprefix("http") + MQTT_PATH

    async def close(self) -> None:
        """Stop listening; ends hanging requests and open connections."""
        self.state.release_hangs()
        await self.runner.cleanup()


async def start_simulator(
    state: SimulatorState, host: str = "127.0.0.1", port: int = 0
) -> RunningSimulator:
    """Serve `state` on host:port (port 0 = a free port); url is `http://host:port`."""
    runner = web.AppRunner(
        create_app(state),
        handle_signals=False,
        access_log=None,
        handler_cancellation=True,
        shutdown_timeout=1.0,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    bound_port = runner.addresses[0][1]
    url_host = f"[{host}]" if ":" in host else host
    return RunningSimulator(f"http://{url_host}:{bound_port}", state, runner)
