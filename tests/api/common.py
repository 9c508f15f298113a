"""Helpers of the client tests: a small simulated project and a hand-written fake API."""

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
import json

from aiohttp import web

from custom_components.thingscloud.api import ThingsCloudClient
from simulator.state import (
    Admin,
    AttributeModel,
    Customer,
    CustomerRole,
    Device,
    DeviceGroup,
    DeviceType,
    ExtendInfoDef,
    LogEntry,
    Project,
    SimulatorState,
)

APP_ID = "test-app"
ACCESS_KEY = "test-access-key-AK"
SECRET_KEY = "test-secret-key-SK"
ADMIN_ACCOUNT = "root"
ADMIN_PASSWORD = "test-admin-password-PW"
PROJECT_ID = "proj-test"
START = 1_750_000_000.0  # fake epoch seconds

# Device ids that must reach exactly their own route.
ODD_IDS = ("../project", "a/b", "a?b", "中文", "a#b", "%2F", "a b", "a%b", "..a", "x/../y")


class FakeClock:
    """A clock shared by the simulator (token expiry) and the client (token refresh)."""

    def __init__(self) -> None:
        self.now = START
        self.sleep_calls: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        """A sleep that lets others run once, then moves this clock to its end."""
        self.sleep_calls.append(seconds)
        until = self.now + seconds
        await asyncio.sleep(0)
        self.now = max(self.now, until)


def use_clock(api: ThingsCloudClient, clock: FakeClock) -> ThingsCloudClient:
    """Make the client read `clock` (token expiry, pacing) and sleep by moving it."""
    api._transport.pacer.clock = clock
    api._transport.pacer.sleep = clock.sleep
    return api


def build_state(clock: Callable[[], float]) -> SimulatorState:
    """A small project with every kind of resource and some awkward device ids."""
    state = SimulatorState(
        Project(
            PROJECT_ID, "Test project 测试", descr="for the client tests", tags={"site": "lab"}
        ),
        app_id=APP_ID,
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        clock=clock,
    )
    state.admins["adm-1"] = Admin("adm-1", ADMIN_ACCOUNT, ADMIN_PASSWORD, "Root", email="r@x.io")
    state.standard_infos = [
        ExtendInfoDef("std-location", "location", "Location", is_standard=True),
    ]
    state.add_device_type(
        DeviceType(
            "type-sensor",
            "Sensor 传感器",
            create_time=1_700_000_000_000,
            models={
                "temperature": AttributeModel(
                    "temperature", "Temperature", "report", "number", {"unit": "°C"}
                ),
                "relay": AttributeModel("relay", "Relay", "push", "boolean"),
            },
            extend_infos=[ExtendInfoDef("ext-room", "text", "Room", default="none")],
        )
    )
    state.add_group(DeviceGroup("grp-1", "Floor 1"))
    state.add_group(DeviceGroup("grp-1a", "Room A", parent="grp-1"))
    state.add_group(DeviceGroup("grp-2", "Floor 2"))
    state.add_device(
        Device(
            "dev-1",
            "Living room 客厅",
            "type-sensor",
            device_key="key-1",
            tags={"floor": "1"},
            create_time=1_700_000_000_000,
            groups=["grp-1a"],
            online=True,
        )
    )
    state.add_device(Device("dev-2", "Kitchen", "type-sensor", groups=["grp-2"]))
    for odd in ODD_IDS:
        state.add_device(Device(odd, f"odd {odd}"))
    state.set_attributes("dev-1", {"temperature": 21.5, "relay": False})
    state.set_alarm("dev-2", 2, {"reason": "hot"})
    state.roles["role-1"] = CustomerRole("role-1", "Viewer")
    state.add_customer(
        Customer(
            "cust-1",
            "alice",
            "alice-password",
            "Alice",
            role_id="role-1",
            device_ids=["dev-1", "dev-2"],
        )
    )
    state.add_customer(Customer("中文/客户", "bob", "bob-password", "Bob"))
    return state


def api_requests(state: SimulatorState) -> list[LogEntry]:
    """Requests the simulator received, without the token requests."""
    return [e for e in state.requests() if e.route not in {"access_token", "admin_login"}]


def only_request(state: SimulatorState) -> LogEntry:
    """The one API request (besides authentication) the simulator received."""
    entries = api_requests(state)
    assert len(entries) == 1, [(e.method, e.raw_path) for e in entries]
    return entries[0]


@dataclass
class Recorded:
    """One request the fake API received."""

    method: str
    raw_path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes


type Answer = tuple[int, object, dict[str, str]]


@dataclass
class FakeApi:
    """A hand-written ThingsCloud look-alike for shapes the simulator does not produce.

    `answers` maps "METHOD /path" to a list of answers (status, body, headers) used in turn
    (the last one repeats). A body that is bytes is sent as is; anything else as JSON.
    Token requests answer `token_info` unless `answers` has them.
    """

    answers: dict[str, list[Answer]] = field(default_factory=dict)
    token_info: dict[str, object] = field(
        default_factory=lambda: {"access_token": "fake-token", "expires_in": 86400}
    )
    received: list[Recorded] = field(default_factory=list)

    def on(self, method: str, path: str, *answers: Answer) -> None:
        self.answers[f"{method} {path}"] = list(answers)

    def requests(self, path: str | None = None) -> list[Recorded]:
        return [r for r in self.received if path is None or r.raw_path.split("?")[0] == path]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.received.append(
            Recorded(
                request.method,
                request.raw_path,
                dict(request.query),
                dict(request.headers),
                await request.read(),
            )
        )
        key = f"{request.method} {request.raw_path.split('?')[0]}"
        answers = self.answers.get(key)
        if answers is None:
            if request.path in {"/api/v1/access_token", "/api/v1/admin_login"}:
                return web.json_response({"result": True, "info": self.token_info})
            return web.json_response({"message": "Request invalid"}, status=404)
        status, body, headers = answers.pop(0) if len(answers) > 1 else answers[0]
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return web.Response(
            status=status, body=data, headers=headers, content_type="application/json"
        )

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        return app


def ok(info: object) -> Answer:
    """A successful answer."""
    return 200, {"result": True, "info": info}, {}


@asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[str]:
    """Serve an aiohttp app on loopback; yields its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
