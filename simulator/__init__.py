"""A stateful simulator of the ThingsCloud project HTTP API (for tests, benchmarks, demos).

Scenarios: `demo_state()` (9 devices of 7 types, credentials `scenarios.DEMO_*`; the TV
plug's `energy` has 35 days of 5-minute history with a reset and a 6-hour gap) and
`generated_state(devices, attributes, change_share, seed, meters=0)` (`meters` energy meters
with 30 days of 5-minute history); `state.tick()` moves values.

In tests: `running = await start_simulator(state)`, talk to `running.url`, inspect `state`
(`state.requests(route)`, `state.request_counts()`, `state.commands`, `state.data_streams`,
`state.pushes`, `state.cloud_writes`), then `await running.close()`.

Faults: `state.faults.set(kind, endpoint=None, count=None, **params)` with kind latency(ms),
http_error(status, body), hang(seconds), invalid_json(body), result_false(errcode, message),
token_expired, rate_limit(retry_after); endpoint is a route name of `routes.ROUTES`.

Admin HTTP API (not ThingsCloud): GET /_sim/state, /_sim/control, /_sim/log?route=&limit=,
/_sim/counts, /_sim/faults; POST /_sim/faults {kind, endpoint, count, ...}, /_sim/tick {count},
/_sim/tokens/expire, /_sim/devices/<id>/online {online}, .../alarm {level, info},
.../report {attributes}; DELETE /_sim/faults?kind=&endpoint=, /_sim/log.

Rate limit: `state.set_rate_limit(per_second, retry_after=True)`, `GET/POST/DELETE
/_sim/rate_limit {per_second, retry_after}`, `--rate-limit N [--no-retry-after]`: HTTP 429
beyond N API requests per second and access token (token requests are not limited).

MQTT app subscription (broker.py): `ws://<host>:<port>/mqtt` (`running.mqtt_url`), user
`state.view_key`, password `state.view_secret`; controls on `running.broker` and under /_sim/mqtt.

Command line: `python -m simulator --port 8081 --scenario demo|generated [--help]`.
"""

from .app import create_app
from .faults import FAULT_KINDS, Fault, FaultRegistry
from .routes import ROUTE_NAMES, ROUTES
from .scenarios import demo_state, generated_state
from .state import SimulatorState
from .testing import RunningSimulator, start_simulator

__all__ = [
    "FAULT_KINDS",
    "ROUTES",
    "ROUTE_NAMES",
    "Fault",
    "FaultRegistry",
    "RunningSimulator",
    "SimulatorState",
    "create_app",
    "demo_state",
    "generated_state",
    "start_simulator",
]
