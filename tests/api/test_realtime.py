"""The MQTT app subscription client, against the simulator's broker and small fake servers."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
import contextlib
import datetime
import ipaddress
import json
import logging
from pathlib import Path
import socket
import ssl
import threading
import time
from typing import Any

from aiohttp import web
import aiomqtt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
import pytest

from custom_components.thingscloud.api import (
    ThingsCloudAuthError,
    ThingsCloudConnectionError,
    ThingsCloudInvalidEndpointError,
    realtime,
)
from custom_components.thingscloud.api.realtime import (
    AttributeReport,
    RealtimeEndpoint,
    RealtimeSubscriber,
    ThingsCloudRealtimeAuthError,
    ThingsCloudRealtimeConnectionError,
    check_realtime,
    parse_realtime_url,
    parse_report,
    realtime_topic,
)
from simulator.app import create_app
from simulator.broker import (
    BROKER_KEY,
    CONNACK,
    CONNECT,
    SUBACK,
    SUBSCRIBE,
    MqttBroker,
    encode_packet,
    split_packets,
)
from simulator.scenarios import demo_state
from simulator.state import SimulatorState
from simulator.testing import RunningSimulator, start_simulator

VIEW_KEY = "vk-test"
SECRET = "S3cret-View-Secret-0xC0FFEE"
TOPIC = f"{VIEW_KEY}/+/attributes"

type Subscriber = Callable[..., RealtimeSubscriber]


# ------------------------------------------------------------------------------ helpers


@pytest.fixture
def state() -> SimulatorState:
    sim_state = demo_state()
    sim_state.view_key = VIEW_KEY
    sim_state.view_secret = SECRET
    return sim_state


@pytest.fixture
async def simulator(state: SimulatorState) -> AsyncIterator[RunningSimulator]:
    running = await start_simulator(state)
    try:
        yield running
    finally:
        await running.close()


@pytest.fixture
def endpoint(simulator: RunningSimulator) -> RealtimeEndpoint:
    return parse_realtime_url(simulator.mqtt_url)


@pytest.fixture
async def executor(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ThreadPoolExecutor]:
    """A default executor of our own, where paho connects: its threads are checked.

    (Home Assistant's loop refuses set_default_executor.)
    """
    pool = ThreadPoolExecutor(thread_name_prefix="realtime-test")
    loop = asyncio.get_running_loop()
    original = loop.run_in_executor

    def run_in_executor(executor: Any, func: Callable[..., Any], *args: Any) -> Any:
        return original(pool if executor is None else executor, func, *args)

    monkeypatch.setattr(loop, "run_in_executor", run_in_executor)
    yield pool
    pool.shutdown(wait=False)


@pytest.fixture(autouse=True)
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test logs at debug level, and no log line may hold the secret."""
    caplog.set_level(logging.DEBUG)
    yield
    assert SECRET not in caplog.text


async def until(condition: Callable[[], object], seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - polling what servers and threads do
            await asyncio.sleep(0.005)


def client_tasks(before: set[asyncio.Task[Any]]) -> list[asyncio.Task[Any]]:
    """Tasks started since `before`, leaving out the servers' own (aiohttp, the simulator)."""
    found = []
    for task in asyncio.all_tasks() - before - {asyncio.current_task()}:
        code = getattr(task.get_coro(), "cr_code", None)
        filename = code.co_filename if code else ""
        server_side = any(part in filename for part in ("aiohttp", "simulator"))
        if not server_side and code.co_qualname != "StalledServer.handle":
            found.append(task)
    return found


def open_sockets() -> int:
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            count += str(fd.readlink()).startswith("socket:")
    return count


async def threads_gone(pool: ThreadPoolExecutor) -> None:
    """The executor's threads all end once it shuts down: none is stuck in a connect."""
    pool.shutdown(wait=False)
    await until(lambda: not [t for t in threading.enumerate() if t.name.startswith("realtime-")])
    assert not [t for t in threading.enumerate() if "paho" in t.name]


class Sleeps:
    """An injected sleep: records each delay and returns at once, up to `limit` delays."""

    def __init__(self, limit: int = 1000) -> None:
        self.delays: list[float] = []
        self.limit = limit

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if len(self.delays) >= self.limit:
            await asyncio.Event().wait()  # until cancelled
        await asyncio.sleep(0)


class Recorder:
    """The callbacks of a subscriber."""

    def __init__(self) -> None:
        self.reports: list[AttributeReport] = []
        self.links: list[bool] = []
        self.auth_errors: list[ThingsCloudRealtimeAuthError] = []

    def on_report(self, report: AttributeReport) -> None:
        self.reports.append(report)

    def on_link(self, up: bool) -> None:
        self.links.append(up)

    def on_auth_error(self, err: ThingsCloudRealtimeAuthError) -> None:
        self.auth_errors.append(err)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def make_subscriber(
    endpoint: RealtimeEndpoint, recorder: Recorder
) -> AsyncIterator[Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]]]:
    """Start `run()` of a subscriber (keyword arguments override the defaults)."""
    tasks: list[asyncio.Task[None]] = []

    def start(**kwargs: Any) -> tuple[RealtimeSubscriber, asyncio.Task[None]]:
        options: dict[str, Any] = {
            "endpoint": endpoint,
            "view_key": VIEW_KEY,
            "view_secret": SECRET,
            "client_id": "client_abc123",
            "ssl_context": None,
            "on_report": recorder.on_report,
            "on_link": recorder.on_link,
            "on_auth_error": recorder.on_auth_error,
        } | kwargs
        subscriber = RealtimeSubscriber(
            options.pop("endpoint"), options.pop("view_key"), options.pop("view_secret"), **options
        )
        task = asyncio.create_task(subscriber.run())
        tasks.append(task)
        return subscriber, task

    yield start
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


class FakeBroker:
    """A WebSocket server that answers CONNECT and SUBSCRIBE as told (None: never)."""

    def __init__(self, connack: int | None = 0, suback: int | None = 0) -> None:
        self.connack = connack
        self.suback = suback
        self.connections = 0
        self.accepted = 0

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(protocols=("mqtt",))
        await ws.prepare(request)
        self.connections += 1
        self.accepted += 1
        buffer = bytearray()
        try:
            async for message in ws:
                buffer += message.data
                for kind, _, body in split_packets(buffer):
                    if kind == CONNECT and self.connack is not None:
                        await ws.send_bytes(encode_packet(CONNACK, 0, bytes([0, self.connack])))
                    if kind == SUBSCRIBE and self.suback is not None:
                        await ws.send_bytes(
                            encode_packet(SUBACK, 0, body[:2] + bytes([self.suback]))
                        )
        finally:
            self.connections -= 1
        return ws


@pytest.fixture
async def fake_broker() -> AsyncIterator[Callable[..., Awaitable[tuple[FakeBroker, str]]]]:
    runners: list[web.AppRunner] = []

    async def serve(**kwargs: Any) -> tuple[FakeBroker, str]:
        fake = FakeBroker(**kwargs)
        app = web.Application()
        app.router.add_get("/mqtt", fake.handle)
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return fake, f"ws://127.0.0.1:{runner.addresses[0][1]}/mqtt"

    yield serve
    for runner in runners:
        await runner.cleanup()


class StalledServer:
    """Accepts TCP connections and never answers (the WebSocket handshake hangs)."""

    def __init__(self) -> None:
        self.accepted = 0
        self.release = asyncio.Event()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        await self.release.wait()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


@pytest.fixture
async def stalled() -> AsyncIterator[tuple[StalledServer, str]]:
    server_state = StalledServer()
    server = await asyncio.start_server(server_state.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield server_state, f"ws://127.0.0.1:{port}/mqtt"
    server_state.release.set()
    server.close()
    await server.wait_closed()


# ------------------------------------------------------------------------------ URLs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("wss://sh-3-mqtt.iot-api.com/mqtt", ("sh-3-mqtt.iot-api.com", 443, "/mqtt", True)),
        ("  wss://Broker.Example.COM:8084/mqtt \n", ("broker.example.com", 8084, "/mqtt", True)),
        ("wss://broker.example.com", ("broker.example.com", 443, "/mqtt", True)),
        ("WSS://broker.example.com.:443/ws/mqtt", ("broker.example.com.", 443, "/ws/mqtt", True)),
        ("wss://broker.example.com:/", ("broker.example.com", 443, "/", True)),
        ("wss://203.0.113.7/mqtt", ("203.0.113.7", 443, "/mqtt", True)),
        ("wss://[2001:db8::1]:8084/mqtt", ("2001:db8::1", 8084, "/mqtt", True)),
        ("ws://127.0.0.1:8083/mqtt", ("127.0.0.1", 8083, "/mqtt", False)),
        ("ws://127.9.9.9/mqtt", ("127.9.9.9", 80, "/mqtt", False)),
        ("ws://localhost", ("localhost", 80, "/mqtt", False)),
        ("ws://[::1]:9001/mqtt", ("::1", 9001, "/mqtt", False)),
    ],
)
def test_parse_realtime_url(url: str, expected: tuple[str, int, str, bool]) -> None:
    endpoint = parse_realtime_url(url)
    assert (endpoint.host, endpoint.port, endpoint.path, endpoint.tls) == expected


def test_endpoint_url() -> None:
    assert parse_realtime_url("wss://b.example.com").url == "wss://b.example.com:443/mqtt"
    assert parse_realtime_url("ws://[::1]/x").url == "ws://[::1]:80/x"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "http://broker.example.com/mqtt",
        "https://broker.example.com/mqtt",
        "mqtt://broker.example.com:1883",
        "broker.example.com/mqtt",
        "ws://broker.example.com/mqtt",
        "ws://10.0.0.1/mqtt",
        "ws://localhost.example.com/mqtt",
        "wss://user:pass@broker.example.com/mqtt",
        "wss://user@broker.example.com/mqtt",
        "wss://broker.example.com/mqtt?x=1",
        "wss://broker.example.com/mqtt?",
        "wss://broker.example.com/mqtt#top",
        "wss://broker.example.com/my mqtt",
        "wss://broker.example.com/mqtt\x00",
        "wss://bröker.example.com/mqtt",
        "wss:///mqtt",
        "wss://:443/mqtt",
        "wss://broker.example.com:0/mqtt",
        "wss://broker.example.com:65536/mqtt",
        "wss://broker.example.com:port/mqtt",
        "wss://[::1/mqtt",
        "wss://bro$ker.example.com/mqtt",
        "wss://-broker.example.com/mqtt",
        "wss://broker..example.com/mqtt",
    ],
)
def test_parse_realtime_url_rejects(url: str) -> None:
    with pytest.raises(ThingsCloudInvalidEndpointError, match="Invalid MQTT address"):
        parse_realtime_url(url)


def test_realtime_topic() -> None:
    assert realtime_topic("vk") == "vk/+/attributes"
    for key in ("", "a/b", "a+", "a#", "a\x00"):
        with pytest.raises(ThingsCloudRealtimeAuthError):
            realtime_topic(key)


def test_error_classes() -> None:
    assert issubclass(ThingsCloudRealtimeAuthError, ThingsCloudAuthError)
    assert issubclass(ThingsCloudRealtimeConnectionError, ThingsCloudConnectionError)


# ------------------------------------------------------------------------------ reports


def _report(**fields: Any) -> bytes:
    return json.dumps(fields).encode()


@pytest.mark.parametrize(
    ("payload", "device_id", "attributes", "ts"),
    [
        (
            _report(attributes={"t": 21.5, "on": True}, device={"id": "d1", "name": "x"}, ts=17),
            "d1",
            {"t": 21.5, "on": True},
            17,
        ),
        (_report(attributes={}, device={"id": 42}), "42", {}, None),
        (
            _report(attributes={"o": {"a": [1]}}, device={"id": "d"}, ts="1700000000000"),
            "d",
            {"o": {"a": [1]}},
            1_700_000_000_000,
        ),
        (_report(attributes={}, device={"id": "d"}, ts=1.7e12), "d", {}, 1_700_000_000_000),
        (_report(attributes={}, device={"id": "d"}, ts=True), "d", {}, None),
        (_report(attributes={}, device={"id": "d"}, ts=-5), "d", {}, None),
        (_report(attributes={}, device={"id": "d"}, ts=0), "d", {}, None),
        (_report(attributes={}, device={"id": "d"}, ts=1e300), "d", {}, None),
        (_report(attributes={}, device={"id": "d"}, ts="soon"), "d", {}, None),
        (_report(attributes={}, device={"id": "d"}, ts=None), "d", {}, None),
        (_report(attributes={}, device={"id": "d"}, ts=[1]), "d", {}, None),
        (b'{"attributes": {}, "device": {"id": "d"}, "ts": 1' + b"0" * 400 + b"}", "d", {}, None),
        (
            '{"attributes": {"名": "值"}, "device": {"id": "设备"}}'.encode(),
            "设备",
            {"名": "值"},
            None,
        ),
    ],
)
def test_parse_report(
    payload: bytes, device_id: str, attributes: dict[str, Any], ts: int | None
) -> None:
    report = parse_report("vk/tok/attributes", payload)
    assert report == AttributeReport(device_id, attributes, ts, "vk/tok/attributes")


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"not json", id="text"),
        pytest.param(b"\xff\xfe\x00", id="bytes"),
        pytest.param(b"[1, 2]", id="array"),
        pytest.param(b'"report"', id="string"),
        pytest.param(b"null", id="null"),
        pytest.param(_report(attributes={"a": 1}), id="no-device"),
        pytest.param(_report(attributes={"a": 1}, device="d1"), id="device-not-object"),
        pytest.param(_report(attributes={"a": 1}, device={}), id="no-id"),
        pytest.param(_report(attributes={"a": 1}, device={"id": True}), id="id-bool"),
        pytest.param(_report(attributes={"a": 1}, device={"id": 1.5}), id="id-float"),
        pytest.param(_report(attributes={"a": 1}, device={"id": None}), id="id-null"),
        pytest.param(_report(attributes={"a": 1}, device={"id": ""}), id="id-empty"),
        pytest.param(_report(attributes={"a": 1}, device={"id": "  "}), id="id-blank"),
        pytest.param(_report(device={"id": "d"}), id="no-attributes"),
        pytest.param(_report(attributes=[1], device={"id": "d"}), id="attributes-list"),
        pytest.param(_report(attributes="a=1", device={"id": "d"}), id="attributes-string"),
        pytest.param(b'{"attributes": {"a": NaN}, "device": {"id": "d"}}', id="nan"),
        pytest.param(b'{"attributes": {"a": -Infinity}, "device": {"id": "d"}}', id="infinity"),
        pytest.param(b"[" * 150_000 + b"]" * 150_000, id="deep-array"),
        pytest.param(
            b'{"attributes": {"a": '
            + b'{"b": ' * 150_000
            + b"1"
            + b"}" * 150_001
            + b', "device": {"id": "d"}}',
            id="deep-attribute",
        ),
        pytest.param(
            b'{"attributes": {"a": 1' + b"0" * 5000 + b'}, "device": {"id": "d"}}', id="5000-digits"
        ),
    ],
)
def test_parse_report_rejects(payload: bytes) -> None:
    with pytest.raises(ValueError):
        parse_report("vk/tok/attributes", payload)


# ------------------------------------------------------------------------------ check_realtime


async def test_check_realtime(
    simulator: RunningSimulator, endpoint: RealtimeEndpoint, executor: ThreadPoolExecutor
) -> None:
    before = asyncio.all_tasks()
    context = ssl.create_default_context()  # ignored for ws://
    await check_realtime(endpoint, VIEW_KEY, SECRET, ssl_context=context, client_id="check_1")
    assert client_tasks(before) == []
    await until(lambda: simulator.broker.connections == 0)
    await threads_gone(executor)


@pytest.mark.parametrize(("refuse", "secret", "code"), [(False, "wrong", 134), (True, SECRET, 135)])
async def test_check_realtime_refused(
    simulator: RunningSimulator,
    endpoint: RealtimeEndpoint,
    refuse: bool,
    secret: str,
    code: int,
) -> None:
    simulator.broker.refuse_credentials = refuse
    with pytest.raises(ThingsCloudRealtimeAuthError, match=f"refused the view key.*{code}"):
        await check_realtime(endpoint, VIEW_KEY, secret, ssl_context=None, client_id="c")
    await until(lambda: simulator.broker.connections == 0)


async def test_check_realtime_unusable_key(endpoint: RealtimeEndpoint) -> None:
    with pytest.raises(ThingsCloudRealtimeAuthError, match="topic"):
        await check_realtime(endpoint, "a/b", SECRET, ssl_context=None, client_id="c")


async def test_check_realtime_nothing_listening(executor: ThreadPoolExecutor) -> None:
    endpoint = parse_realtime_url(f"ws://127.0.0.1:{free_port()}/mqtt")
    before, sockets = asyncio.all_tasks(), open_sockets()
    with pytest.raises(ThingsCloudRealtimeConnectionError, match="Cannot reach"):
        await check_realtime(endpoint, VIEW_KEY, SECRET, ssl_context=None, client_id="c")
    assert client_tasks(before) == []
    assert open_sockets() == sockets
    await threads_gone(executor)


async def test_check_realtime_not_an_mqtt_path(simulator: RunningSimulator) -> None:
    endpoint = parse_realtime_url(simulator.mqtt_url.replace("/mqtt", "/nothing"))
    with pytest.raises(ThingsCloudRealtimeConnectionError, match="Cannot reach"):
        await check_realtime(endpoint, VIEW_KEY, SECRET, ssl_context=None, client_id="c")


async def test_check_realtime_needs_a_context_for_tls() -> None:
    with pytest.raises(ValueError, match="SSL context"):
        await check_realtime(
            parse_realtime_url("wss://b.example.com"),
            VIEW_KEY,
            SECRET,
            ssl_context=None,
            client_id="c",
        )


@pytest.mark.parametrize(
    ("behaviour", "error", "match"),
    [
        ({"connack": None}, ThingsCloudRealtimeConnectionError, "Cannot reach.*timed out"),
        ({"connack": 3}, ThingsCloudRealtimeConnectionError, "refused the connection"),
        ({"suback": None}, ThingsCloudRealtimeConnectionError, "Cannot subscribe.*timed out"),
        ({"suback": 0x80}, ThingsCloudRealtimeAuthError, "refused the subscription"),
    ],
)
async def test_check_realtime_broker_answers(
    fake_broker: Callable[..., Awaitable[tuple[FakeBroker, str]]],
    behaviour: dict[str, Any],
    error: type[Exception],
    match: str,
) -> None:
    fake, url = await fake_broker(**behaviour)
    before = asyncio.all_tasks()
    started = time.monotonic()
    with pytest.raises(error, match=match):
        await check_realtime(
            parse_realtime_url(url),
            VIEW_KEY,
            SECRET,
            ssl_context=None,
            client_id="c",
            timeout=0.3,
        )
    assert time.monotonic() - started < 2
    assert client_tasks(before) == []
    await until(lambda: fake.connections == 0)


async def test_check_realtime_handshake_timeout(
    stalled: tuple[StalledServer, str], executor: ThreadPoolExecutor
) -> None:
    server, url = stalled
    started = time.monotonic()
    with pytest.raises(ThingsCloudRealtimeConnectionError, match="timed out"):
        await check_realtime(
            parse_realtime_url(url),
            VIEW_KEY,
            SECRET,
            ssl_context=None,
            client_id="c",
            timeout=0.5,
        )
    assert server.accepted == 1
    assert time.monotonic() - started < 3
    await threads_gone(executor)


async def test_disconnect_that_does_not_complete(
    simulator: RunningSimulator, endpoint: RealtimeEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A disconnect that times out still closes the socket and leaves no task."""

    async def stuck(self: aiomqtt.Client, *args: object) -> None:
        raise aiomqtt.MqttError("Operation timed out")

    monkeypatch.setattr(aiomqtt.Client, "__aexit__", stuck)
    before = asyncio.all_tasks()
    await check_realtime(endpoint, VIEW_KEY, SECRET, ssl_context=None, client_id="c")
    assert client_tasks(before) == []
    await until(lambda: simulator.broker.connections == 0)


# ------------------------------------------------------------------------------ TLS


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "thingscloud test broker")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@pytest.fixture
async def tls_broker(
    state: SimulatorState, certificate: tuple[Path, Path]
) -> AsyncIterator[tuple[MqttBroker, RealtimeEndpoint]]:
    """The simulator served over TLS.

    A client refusing the certificate makes the server's loop report the failed handshake:
    that report, and only it, is kept from the test's loop exception handler.
    """
    loop = asyncio.get_running_loop()
    handler = loop.get_exception_handler()

    def server_handshake_failures(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if isinstance(context.get("exception"), ssl.SSLError):
            return
        if handler is None:  # pragma: no cover - a test plugin's handler is set
            loop.default_exception_handler(context)
        else:
            handler(loop, context)

    loop.set_exception_handler(server_handshake_failures)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(*certificate)
    runner = web.AppRunner(
        create_app(state), handle_signals=False, handler_cancellation=True, shutdown_timeout=0.5
    )
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_context).start()
    endpoint = parse_realtime_url(f"wss://127.0.0.1:{runner.addresses[0][1]}/mqtt")
    yield runner.app[BROKER_KEY], endpoint
    await runner.cleanup()
    loop.set_exception_handler(handler)


async def test_tls(
    tls_broker: tuple[MqttBroker, RealtimeEndpoint],
    certificate: tuple[Path, Path],
    state: SimulatorState,
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
) -> None:
    broker, endpoint = tls_broker
    context = ssl.create_default_context(cafile=str(certificate[0]))
    await check_realtime(endpoint, VIEW_KEY, SECRET, ssl_context=context, client_id="c")
    subscriber, task = make_subscriber(endpoint=endpoint, ssl_context=context)
    await until(lambda: subscriber.connected)
    state.set_attributes("dev-living-th", {"temperature": 19.5})
    await until(lambda: recorder.reports)
    assert recorder.reports[0].attributes == {"temperature": 19.5}
    await cancel(task)
    await until(lambda: broker.connections == 0)


async def test_tls_certificate_not_trusted(
    tls_broker: tuple[MqttBroker, RealtimeEndpoint],
) -> None:
    _, endpoint = tls_broker
    with pytest.raises(ThingsCloudRealtimeConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
        await check_realtime(
            endpoint, VIEW_KEY, SECRET, ssl_context=ssl.create_default_context(), client_id="c"
        )


def test_subscriber_needs_a_context_for_tls(recorder: Recorder) -> None:
    with pytest.raises(ValueError, match="SSL context"):
        RealtimeSubscriber(
            parse_realtime_url("wss://b.example.com"),
            VIEW_KEY,
            SECRET,
            client_id="c",
            ssl_context=None,
            on_report=recorder.on_report,
            on_link=recorder.on_link,
            on_auth_error=recorder.on_auth_error,
        )


# ------------------------------------------------------------------------------ run()


async def test_reports_are_delivered(
    simulator: RunningSimulator,
    state: SimulatorState,
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
) -> None:
    subscriber, _ = make_subscriber()
    assert (subscriber.connected, subscriber.connects, subscriber.last_error) == (False, 0, None)
    await until(lambda: subscriber.connected)
    assert recorder.links == [True]
    assert simulator.broker.status()["clients"] == [
        {"client_id": "client_abc123", "connected": True, "subscriptions": [TOPIC]}
    ]
    state.set_attributes("dev-plug-tv", {"relay": True, "power": 120.5})
    await until(lambda: recorder.reports)
    device = state.devices["dev-plug-tv"]
    assert recorder.reports == [
        AttributeReport(
            "dev-plug-tv",
            {"relay": True, "power": 120.5},
            device.attributes["power"].ts,
            f"{VIEW_KEY}/{device.view_token}/attributes",
        )
    ]
    assert (subscriber.messages, subscriber.malformed, subscriber.connects) == (1, 0, 1)
    assert subscriber.diagnostics() == {
        "endpoint": simulator.mqtt_url,
        "connected": True,
        "connects": 1,
        "messages": 1,
        "malformed": 0,
        "last_error": None,
    }


async def test_malformed_messages_are_dropped(
    simulator: RunningSimulator,
    state: SimulatorState,
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    subscriber, _ = make_subscriber()
    await until(lambda: subscriber.connected)
    topic = f"{VIEW_KEY}/some-token/attributes"
    for payload in (b"not json", b"[1]", b'{"attributes": {}}', b"[" * 150_000):
        simulator.broker.publish(topic, payload)
    state.set_attributes("dev-living-th", {"temperature": 25})
    await until(lambda: recorder.reports)
    assert subscriber.malformed == 4
    assert (subscriber.messages, subscriber.connects, recorder.links) == (1, 1, [True])
    assert simulator.broker.connections == 1
    assert (
        "Dropped a malformed message on <view key>/some-token/attributes: not JSON" in caplog.text
    )
    assert VIEW_KEY not in caplog.text


async def test_on_report_raising_keeps_the_link(
    state: SimulatorState,
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def on_report(report: AttributeReport) -> None:
        recorder.reports.append(report)
        if len(recorder.reports) == 1:
            raise RuntimeError("a bug in the callback")

    subscriber, _ = make_subscriber(on_report=on_report)
    await until(lambda: subscriber.connected)
    state.set_attributes("dev-living-th", {"temperature": 25})
    state.set_attributes("dev-living-th", {"temperature": 26})
    await until(lambda: len(recorder.reports) == 2)
    assert "Error in a real-time update callback" in caplog.text
    assert "a bug in the callback" in caplog.text
    assert (subscriber.connected, subscriber.connects, subscriber.messages) == (True, 1, 2)


@pytest.mark.parametrize(("stable_after", "second_delay"), [(3600.0, 1.5), (0.0, 0.75)])
async def test_link_drop_reconnects_with_backoff(
    simulator: RunningSimulator,
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    stable_after: float,
    second_delay: float,
) -> None:
    sleeps = Sleeps()
    subscriber, _ = make_subscriber(sleep=sleeps, random=lambda: 0.5, stable_after=stable_after)
    await until(lambda: subscriber.connected)
    simulator.broker.drop_connections()
    await until(lambda: subscriber.connects == 2 and subscriber.connected)
    simulator.broker.drop_connections()
    await until(lambda: subscriber.connects == 3 and subscriber.connected)
    assert recorder.links == [True, False, True, False, True]
    # Each link was brief: the delay doubles, unless a link that stayed up reset it.
    assert sleeps.delays == [0.75, second_delay]
    assert subscriber.last_error is not None
    assert "The link was lost" in subscriber.last_error


async def test_backoff_doubles_to_the_cap_with_jitter(
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    executor: ThreadPoolExecutor,
) -> None:
    sleeps = Sleeps(limit=7)
    jitter = iter([0.0, 1.0, 0.5, 0.5, 0.25, 0.0, 1.0])
    endpoint = parse_realtime_url(f"ws://127.0.0.1:{free_port()}/mqtt")
    subscriber, task = make_subscriber(
        endpoint=endpoint, sleep=sleeps, random=lambda: next(jitter), max_backoff=8.0
    )
    await until(lambda: len(sleeps.delays) == 7)
    await cancel(task)
    # Equal jitter: half the step, plus up to the other half; steps 1, 2, 4, 8, 8...
    assert sleeps.delays == [0.5, 2.0, 3.0, 6.0, 5.0, 4.0, 8.0]
    assert recorder.links == []
    assert recorder.auth_errors == []
    assert subscriber.last_error is not None
    assert "Cannot reach the MQTT broker" in subscriber.last_error
    await threads_gone(executor)


@pytest.mark.parametrize("refuse", [True, False])
async def test_refused_credentials_retry_slowly(
    simulator: RunningSimulator,
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    refuse: bool,
) -> None:
    sleeps = Sleeps(limit=1000)
    simulator.broker.refuse_credentials = refuse
    subscriber, _ = make_subscriber(
        view_secret=SECRET if refuse else "wrong",
        sleep=sleeps,
        random=lambda: 0.5,
        max_backoff=40.0,
    )
    await until(lambda: len(sleeps.delays) == 3)
    assert sleeps.delays == [40.0, 40.0, 40.0]
    assert len(recorder.auth_errors) >= 3
    assert all(isinstance(err, ThingsCloudRealtimeAuthError) for err in recorder.auth_errors)
    assert recorder.links == []
    assert subscriber.last_error is not None
    assert "refused the view key or secret" in subscriber.last_error
    if not refuse:
        return
    # Once a connection succeeds, a drop is retried at the usual pace again.
    simulator.broker.refuse_credentials = False
    await until(lambda: subscriber.connected)
    simulator.broker.drop_connections()
    await until(lambda: recorder.links == [True, False])
    await until(lambda: len(sleeps.delays) >= 4)
    assert sleeps.delays[3] < 40.0


async def test_unusable_view_key_is_an_auth_error(
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
) -> None:
    sleeps = Sleeps(limit=2)
    make_subscriber(view_key="a/b", sleep=sleeps, max_backoff=9.0)
    await until(lambda: len(sleeps.delays) == 2)
    assert sleeps.delays == [9.0, 9.0]
    assert recorder.auth_errors


async def test_unexpected_errors_are_logged_and_retried(
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(realtime, "_client", broken)
    sleeps = Sleeps(limit=2)
    subscriber, _ = make_subscriber(sleep=sleeps, random=lambda: 1.0)
    await until(lambda: len(sleeps.delays) == 2)
    assert sleeps.delays == [1.0, 2.0]
    assert subscriber.last_error == "RuntimeError: unexpected"
    assert "Unexpected error in the real-time subscription" in caplog.text


async def test_callback_errors_are_logged(
    simulator: RunningSimulator,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def on_link(up: bool) -> None:
        raise RuntimeError("link callback")

    subscriber, _ = make_subscriber(on_link=on_link)
    await until(lambda: subscriber.connected)
    assert "link callback" in caplog.text


# ------------------------------------------------------------------------------ cancellation


async def test_cancel_while_connected_leaves_nothing(
    simulator: RunningSimulator,
    state: SimulatorState,
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    executor: ThreadPoolExecutor,
) -> None:
    before, sockets = asyncio.all_tasks(), open_sockets()
    threads = set(threading.enumerate())
    subscriber, task = make_subscriber()
    await until(lambda: subscriber.connected)
    state.set_attributes("dev-living-th", {"temperature": 25})
    await until(lambda: recorder.reports)
    assert open_sockets() > sockets
    await cancel(task)
    # Right away: no task of the client is left, not even aiomqtt's housekeeping.
    assert client_tasks(before) == []
    assert not subscriber.connected
    assert recorder.links == [True]  # cancellation calls no callback
    await until(lambda: simulator.broker.connections == 0)
    await until(lambda: open_sockets() == sockets)
    await threads_gone(executor)
    assert set(threading.enumerate()) <= threads


async def test_cancel_while_waiting_for_connack(
    fake_broker: Callable[..., Awaitable[tuple[FakeBroker, str]]],
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    executor: ThreadPoolExecutor,
) -> None:
    fake, url = await fake_broker(connack=None)
    before = asyncio.all_tasks()
    _, task = make_subscriber(endpoint=parse_realtime_url(url))
    await until(lambda: fake.connections == 1)
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await cancel(task)
    assert time.monotonic() - started < 1  # no wait for the CONNACK timeout
    assert client_tasks(before) == []
    await until(lambda: fake.connections == 0)
    await threads_gone(executor)


async def test_cancel_during_a_hanging_handshake(
    stalled: tuple[StalledServer, str],
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    executor: ThreadPoolExecutor,
) -> None:
    """The connect thread cannot be interrupted: run() waits for it, then ends cleanly."""
    server, url = stalled
    before = asyncio.all_tasks()
    _, task = make_subscriber(endpoint=parse_realtime_url(url))
    await until(lambda: server.accepted == 1)
    task.cancel()
    await asyncio.sleep(0.2)
    task.cancel()  # a second cancellation changes nothing
    await asyncio.sleep(0.1)
    assert not task.done()
    server.release.set()  # the handshake fails; the thread returns
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert client_tasks(before) == []
    await threads_gone(executor)


async def test_cancel_while_waiting_to_retry(
    recorder: Recorder,
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
) -> None:
    endpoint = parse_realtime_url(f"ws://127.0.0.1:{free_port()}/mqtt")
    before = asyncio.all_tasks()
    subscriber, task = make_subscriber(endpoint=endpoint, min_backoff=60.0)
    await until(lambda: subscriber.last_error is not None)
    await asyncio.sleep(0.05)
    await cancel(task)
    assert client_tasks(before) == []


async def test_cancellation_is_never_swallowed(
    make_subscriber: Callable[..., tuple[RealtimeSubscriber, asyncio.Task[None]]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """An error while closing on cancellation replaces the CancelledError: run() still ends."""
    close = realtime._Client.close

    async def failing_close(self: Any) -> None:
        await close(self)
        raise RuntimeError("close failed")

    monkeypatch.setattr(realtime._Client, "close", failing_close)
    subscriber, task = make_subscriber()
    await until(lambda: subscriber.connected)
    await cancel(task)
    assert not subscriber.connected
    assert "close failed" in caplog.text
