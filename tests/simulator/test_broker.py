"""The simulated MQTT app subscription: codec, topics, sessions, reports, controls, admin API."""

import asyncio
import base64
from collections.abc import AsyncIterator
import json
import time
from typing import Any

import aiohttp
import pytest

from simulator import broker as broker_module
from simulator.broker import (
    CONNACK,
    CONNECT,
    DISCONNECT,
    MAX_PACKET,
    PINGREQ,
    PINGRESP,
    PUBLISH,
    SUBACK,
    SUBSCRIBE,
    UNSUBACK,
    UNSUBSCRIBE,
    MqttProtocolError,
    encode_length,
    encode_packet,
    encode_string,
    split_packets,
    topic_matches,
    valid_filter,
)
from simulator.scenarios import DEMO_VIEW_KEY, DEMO_VIEW_SECRET
from simulator.server import describe, parse_args
from simulator.state import SimulatorState
from simulator.testing import RunningSimulator

from .conftest import Api

TOPIC = f"{DEMO_VIEW_KEY}/+/attributes"


def connect_packet(
    client_id: str = "client_abc123",
    username: str | None = DEMO_VIEW_KEY,
    password: str | None = DEMO_VIEW_SECRET,
    *,
    name: str = "MQTT",
    level: int = 4,
    flags: int = 0x02,
    extra: bytes = b"",
) -> bytes:
    flags |= (0x80 if username is not None else 0) | (0x40 if password is not None else 0)
    body = encode_string(name) + bytes([level, flags]) + (60).to_bytes(2, "big")
    body += encode_string(client_id) + extra
    if username is not None:
        body += encode_string(username)
    if password is not None:
        body += encode_string(password)
    return encode_packet(CONNECT, 0, body)


def subscribe_packet(packet_id: int, *filters: str, qos: int = 0) -> bytes:
    body = packet_id.to_bytes(2, "big")
    for topic_filter in filters:
        body += encode_string(topic_filter) + bytes([qos])
    return encode_packet(SUBSCRIBE, 2, body)


def unsubscribe_packet(packet_id: int, *filters: str) -> bytes:
    body = packet_id.to_bytes(2, "big") + b"".join(encode_string(f) for f in filters)
    return encode_packet(UNSUBSCRIBE, 2, body)


class RawClient:
    """A hand-driven MQTT client over aiohttp's WebSocket client."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.buffer = bytearray()
        self.packets: list[tuple[int, int, bytes]] = []

    async def send(self, *packets: bytes) -> None:
        await self.ws.send_bytes(b"".join(packets))

    async def packet(self, seconds: float = 2.0) -> tuple[int, int, bytes]:
        async with asyncio.timeout(seconds):
            while not self.packets:
                message = await self.ws.receive()
                assert message.type is aiohttp.WSMsgType.BINARY, message
                self.buffer += message.data
                self.packets.extend(split_packets(self.buffer))
        return self.packets.pop(0)

    async def expect_closed(self) -> None:
        async with asyncio.timeout(2):
            message = await self.ws.receive()
        assert message.type in {
            aiohttp.WSMsgType.CLOSE,
            aiohttp.WSMsgType.CLOSING,
            aiohttp.WSMsgType.CLOSED,
            aiohttp.WSMsgType.ERROR,
        }, message

    async def login(self, client_id: str = "client_abc123", *filters: str) -> None:
        await self.send(connect_packet(client_id))
        assert await self.packet() == (CONNACK, 0, b"\x00\x00")
        if filters:
            await self.send(subscribe_packet(1, *filters))
            assert await self.packet() == (SUBACK, 0, b"\x00\x01" + bytes(len(filters)))

    async def publishes(self, count: int) -> list[tuple[str, bytes]]:
        found = []
        for _ in range(count):
            kind, flags, body = await self.packet()
            assert (kind, flags) == (PUBLISH, 0)
            length = int.from_bytes(body[:2], "big")
            found.append((body[2 : 2 + length].decode(), body[2 + length :]))
        return found


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def connect(running: RunningSimulator, session: aiohttp.ClientSession) -> AsyncIterator[Any]:
    opened: list[aiohttp.ClientWebSocketResponse] = []

    async def open_client() -> RawClient:
        ws = await session.ws_connect(running.mqtt_url, protocols=("mqtt",))
        opened.append(ws)
        return RawClient(ws)

    yield open_client
    for ws in opened:
        await ws.close()


async def settle(running: RunningSimulator, connections: int) -> None:
    async with asyncio.timeout(2):
        while running.broker.connections != connections:  # noqa: ASYNC110 - polling the broker
            await asyncio.sleep(0.01)


# ------------------------------------------------------------------------------ codec


@pytest.mark.parametrize(
    ("length", "encoded"),
    [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\x80\x01"),
        (16383, b"\xff\x7f"),
        (16384, b"\x80\x80\x01"),
        (2097151, b"\xff\xff\x7f"),
        (2097152, b"\x80\x80\x80\x01"),
        (268435455, b"\xff\xff\xff\x7f"),
    ],
)
def test_remaining_length(length: int, encoded: bytes) -> None:
    assert encode_length(length) == encoded


def test_split_packets_waits_for_whole_packets() -> None:
    data = encode_packet(PINGREQ, 0) + encode_packet(PUBLISH, 0, b"x" * 200)
    buffer = bytearray()
    seen = []
    for byte in data:
        buffer.append(byte)
        seen.extend(split_packets(buffer))
    assert seen == [(PINGREQ, 0, b""), (PUBLISH, 0, b"x" * 200)]
    assert not buffer
    assert list(split_packets(bytearray())) == []


def test_split_packets_rejects_bad_lengths() -> None:
    with pytest.raises(MqttProtocolError, match="longer than 4"):
        list(split_packets(bytearray(b"\x30\xff\xff\xff\xff\x01")))
    with pytest.raises(MqttProtocolError, match="too large"):
        list(split_packets(bytearray(b"\x30" + encode_length(MAX_PACKET + 1))))


@pytest.mark.parametrize(
    ("topic_filter", "valid"),
    [
        ("a/b", True),
        ("a/+/c", True),
        ("+", True),
        ("#", True),
        ("a/#", True),
        ("", False),
        ("a/#/c", False),
        ("a#", False),
        ("a/b+", False),
    ],
)
def test_valid_filter(topic_filter: str, valid: bool) -> None:
    assert valid_filter(topic_filter) is valid


@pytest.mark.parametrize(
    ("topic_filter", "topic", "matches"),
    [
        ("k/+/attributes", "k/tok/attributes", True),
        ("k/+/attributes", "k/tok/events", False),
        ("k/+/attributes", "k/tok/attributes/x", False),
        ("k/+/attributes", "k/attributes", False),
        ("k/#", "k", True),
        ("k/#", "k/a/b", True),
        ("#", "k/a", True),
        ("#", "$SYS/x", False),
        ("+/x", "$SYS/x", False),
        ("$SYS/#", "$SYS/x", True),
        ("k/a", "k/a", True),
    ],
)
def test_topic_matches(topic_filter: str, topic: str, matches: bool) -> None:
    assert topic_matches(topic_filter, topic) is matches


# ------------------------------------------------------------------------------ sessions


async def test_connect_subscribe_ping_unsubscribe_disconnect(
    running: RunningSimulator, connect: Any
) -> None:
    client = await connect()
    await client.login("client_abc123", TOPIC)
    assert running.broker.connections == 1
    assert running.broker.status()["clients"] == [
        {"client_id": "client_abc123", "connected": True, "subscriptions": [TOPIC]}
    ]
    await client.send(encode_packet(PINGREQ, 0))
    assert await client.packet() == (PINGRESP, 0, b"")
    # QoS 1 and 2 are granted as QoS 0; a second subscription to a filter is not a second one.
    await client.send(subscribe_packet(2, TOPIC, f"{DEMO_VIEW_KEY}/#", qos=2))
    assert await client.packet() == (SUBACK, 0, b"\x00\x02\x00\x00")
    assert running.broker.status()["subscriptions"] == 2
    await client.send(unsubscribe_packet(3, TOPIC, "never/subscribed"))
    assert await client.packet() == (UNSUBACK, 0, b"\x00\x03")
    assert running.broker.status()["subscriptions"] == 1
    await client.send(encode_packet(DISCONNECT, 0))
    await client.expect_closed()
    await settle(running, 0)


async def test_refused_filters(connect: Any) -> None:
    client = await connect()
    await client.login()
    await client.send(
        subscribe_packet(7, "other-key/+/attributes", "#", f"{DEMO_VIEW_KEY}/a#", TOPIC)
    )
    assert await client.packet() == (SUBACK, 0, b"\x00\x07\x80\x80\x80\x00")


@pytest.mark.parametrize(
    ("packet", "code"),
    [
        pytest.param(connect_packet(password="wrong"), 4, id="wrong-secret"),
        pytest.param(connect_packet(username="other"), 4, id="wrong-key"),
        pytest.param(connect_packet(username=None, password=None), 4, id="no-credentials"),
        pytest.param(connect_packet(level=3), 1, id="mqtt-3.1"),
        pytest.param(connect_packet(client_id="", flags=0), 2, id="no-client-id"),
    ],
)
async def test_connect_refused(
    running: RunningSimulator, connect: Any, packet: bytes, code: int
) -> None:
    client = await connect()
    await client.send(packet)
    assert await client.packet() == (CONNACK, 0, bytes([0, code]))
    await client.expect_closed()
    await settle(running, 0)


async def test_refuse_credentials_switch(running: RunningSimulator, connect: Any) -> None:
    running.broker.refuse_credentials = True
    client = await connect()
    await client.send(connect_packet())
    assert await client.packet() == (CONNACK, 0, b"\x00\x05")
    running.broker.refuse_credentials = False
    client = await connect()
    await client.login()


async def test_empty_client_id_with_clean_session_and_a_will(connect: Any) -> None:
    client = await connect()
    will = encode_string("will/topic") + encode_string("bye")
    await client.send(connect_packet("", flags=0x02 | 0x04, extra=will))
    assert await client.packet() == (CONNACK, 0, b"\x00\x00")


def _connect_body(name: bytes, flags: int, rest: bytes = b"") -> bytes:
    return encode_packet(CONNECT, 0, name + bytes([4, flags]) + b"\x00\x3c" + rest)


@pytest.mark.parametrize(
    "packet",
    [
        pytest.param(connect_packet(name="MQIsdp"), id="protocol-name"),
        pytest.param(connect_packet(flags=0x03), id="reserved-flag"),
        pytest.param(connect_packet(flags=0x02 | 0x18), id="will-qos-without-will"),
        pytest.param(connect_packet(username=None), id="password-without-user"),
        pytest.param(
            _connect_body(encode_string("MQTT"), 0x02, encode_string("c") + b"x"), id="trailing"
        ),
        pytest.param(_connect_body(encode_string("MQTT"), 0x02, b"\x00"), id="truncated"),
        pytest.param(_connect_body(b"\x00\x02\xff\xfe", 0x02), id="not-utf8"),
        pytest.param(_connect_body(encode_string("MQTT"), 0x02, b"\x00\x01\x00"), id="nul"),
        pytest.param(subscribe_packet(1, TOPIC), id="subscribe-first"),
        pytest.param(encode_packet(PUBLISH, 0, encode_string("a") + b"x"), id="publish"),
        pytest.param(encode_packet(CONNECT, 1, b""), id="connect-flags"),
        pytest.param(encode_packet(0, 0), id="type-0"),
        pytest.param(b"\x30" + encode_length(MAX_PACKET + 1), id="too-large"),
    ],
)
async def test_malformed_first_packet_closes(
    running: RunningSimulator, connect: Any, packet: bytes
) -> None:
    client = await connect()
    await client.send(packet)
    await client.expect_closed()
    await settle(running, 0)


@pytest.mark.parametrize(
    "packet",
    [
        pytest.param(connect_packet(), id="second-connect"),
        pytest.param(encode_packet(PINGREQ, 0, b"x"), id="pingreq-body"),
        pytest.param(encode_packet(DISCONNECT, 0, b"x"), id="disconnect-body"),
        pytest.param(encode_packet(SUBSCRIBE, 0, b"\x00\x01"), id="subscribe-flags"),
        pytest.param(subscribe_packet(0, TOPIC), id="subscribe-id-0"),
        pytest.param(subscribe_packet(1), id="subscribe-nothing"),
        pytest.param(subscribe_packet(1, TOPIC, qos=3), id="subscribe-qos-3"),
        pytest.param(unsubscribe_packet(1), id="unsubscribe-nothing"),
        pytest.param(unsubscribe_packet(0, TOPIC), id="unsubscribe-id-0"),
        pytest.param(encode_packet(PUBLISH, 0, encode_string("a") + b"x"), id="publish"),
    ],
)
async def test_malformed_packet_after_connect_closes(
    running: RunningSimulator, connect: Any, packet: bytes
) -> None:
    client = await connect()
    await client.login()
    await client.send(packet)
    await client.expect_closed()
    await settle(running, 0)


async def test_text_frames_close(running: RunningSimulator, connect: Any) -> None:
    client = await connect()
    await client.ws.send_str("hello")
    await client.expect_closed()
    await settle(running, 0)


async def test_packets_split_across_and_packed_into_frames(connect: Any) -> None:
    client = await connect()
    data = connect_packet() + subscribe_packet(1, TOPIC) + encode_packet(PINGREQ, 0)
    for index in range(0, 9, 3):
        await client.ws.send_bytes(data[index : index + 3])
    await client.ws.send_bytes(data[9:])
    assert await client.packet() == (CONNACK, 0, b"\x00\x00")
    assert await client.packet() == (SUBACK, 0, b"\x00\x01\x00")
    assert await client.packet() == (PINGRESP, 0, b"")


async def test_not_a_websocket_or_not_mqtt(
    running: RunningSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.get(running.mqtt_url.replace("ws://", "http://")) as response:
        assert response.status == 400
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await session.ws_connect(running.mqtt_url, protocols=("other",))
    assert running.broker.connections == 0


# ------------------------------------------------------------------------------ reports


async def test_reports_are_published(
    running: RunningSimulator, state: SimulatorState, connect: Any, api: Api
) -> None:
    client = await connect()
    await client.login("c1", TOPIC)
    other = await connect()
    await other.login("c2", f"{DEMO_VIEW_KEY}/view-dev-plug-tv/attributes")

    reply = await api.sim("POST", "/devices/dev-living-th/report", json={"temperature": 21.5})
    assert reply.status == 200
    [(topic, payload)] = await client.publishes(1)
    assert topic == f"{DEMO_VIEW_KEY}/view-dev-living-th/attributes"
    message = json.loads(payload)
    device = state.devices["dev-living-th"]
    assert message == {
        "attributes": {"temperature": 21.5},
        "device": {"id": "dev-living-th", "name": device.name},
        "ts": device.attributes["temperature"].ts,
    }
    # A tick reports the drifting devices: the plug reaches its own subscriber too.
    changed = state.tick()
    received = await client.publishes(len(changed))
    assert [t.split("/")[1] for t, _ in received] == [f"view-{d}" for d in changed]
    [(plug_topic, _)] = await other.publishes(1)
    assert plug_topic == f"{DEMO_VIEW_KEY}/view-dev-plug-tv/attributes"
    assert running.broker.published == 1 + len(changed) + 1
    # Cloud writes are not reports.
    state.set_attributes("dev-living-th", {"temperature": 20}, source="cloud")
    await client.send(encode_packet(PINGREQ, 0))
    assert await client.packet() == (PINGRESP, 0, b"")


async def test_delay_and_raw_publish(running: RunningSimulator, connect: Any) -> None:
    client = await connect()
    await client.login("c1", TOPIC)
    running.broker.delay_ms = 150
    started = time.monotonic()
    assert running.broker.publish(f"{DEMO_VIEW_KEY}/t/attributes", "not json") == 1
    await client.send(encode_packet(PINGREQ, 0))
    # The ping is answered at once; the message comes after the delay.
    assert await client.packet() == (PINGRESP, 0, b"")
    assert await client.publishes(1) == [(f"{DEMO_VIEW_KEY}/t/attributes", b"not json")]
    assert time.monotonic() - started >= 0.14
    assert running.broker.publish("nobody/listens", b"\xff") == 0
    with pytest.raises(ValueError, match="topic"):
        running.broker.publish("a/+/b", b"")


async def test_drop_connections(running: RunningSimulator, connect: Any) -> None:
    first, second = await connect(), await connect()
    await first.login("c1", TOPIC)
    await second.login("c2")
    running.broker.delay_ms = 10_000  # still queued when the connection drops
    running.broker.publish(f"{DEMO_VIEW_KEY}/t/attributes", b"{}")
    assert running.broker.drop_connections() == 2
    await first.expect_closed()
    await second.expect_closed()
    await settle(running, 0)
    assert running.broker.published == 0


async def test_close_drops_connections_and_forgets_the_state(
    running: RunningSimulator, state: SimulatorState, connect: Any
) -> None:
    client = await connect()
    await client.login("c1", TOPIC)
    await running.close()
    await client.expect_closed()
    assert running.broker.connections == 0
    assert not state._report_listeners


# ------------------------------------------------------------------------------ admin API


async def test_admin_api(running: RunningSimulator, connect: Any, api: Api) -> None:
    client = await connect()
    await client.login("c1", TOPIC)
    status = (await api.sim("GET", "/mqtt")).data
    assert status == {
        "path": "/mqtt",
        "view_key": DEMO_VIEW_KEY,
        "connections": 1,
        "subscriptions": 1,
        "clients": [{"client_id": "c1", "connected": True, "subscriptions": [TOPIC]}],
        "published": 0,
        "refuse_credentials": False,
        "delay_ms": 0.0,
    }
    reply = await api.sim("POST", "/mqtt", json={"refuse_credentials": True, "delay_ms": 5})
    assert (reply.data["refuse_credentials"], reply.data["delay_ms"]) == (True, 5.0)
    reply = await api.sim("POST", "/mqtt", json={})
    assert (reply.data["refuse_credentials"], reply.data["delay_ms"]) == (True, 5.0)
    await api.sim("POST", "/mqtt", json={"refuse_credentials": False, "delay_ms": 0})

    topic = f"{DEMO_VIEW_KEY}/t/attributes"
    reply = await api.sim("POST", "/mqtt/publish", json={"topic": topic, "payload": "{bad"})
    assert reply.data == {"delivered": 1}
    raw = base64.b64encode(b"\x00\xff").decode()
    reply = await api.sim("POST", "/mqtt/publish", json={"topic": topic, "payload_base64": raw})
    assert reply.data == {"delivered": 1}
    assert await client.publishes(2) == [(topic, b"{bad"), (topic, b"\x00\xff")]

    reply = await api.sim("POST", "/mqtt/drop")
    assert reply.data == {"dropped": 1}
    await client.expect_closed()


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("/mqtt", "[1]", "JSON object"),
        ("/mqtt", {"refuse_credentials": 1}, "refuse_credentials"),
        ("/mqtt", {"delay_ms": -1}, "delay_ms"),
        ("/mqtt", {"delay_ms": True}, "delay_ms"),
        ("/mqtt", {"delay_ms": "5"}, "delay_ms"),
        ("/mqtt/publish", "[1]", "JSON object"),
        ("/mqtt/publish", {"payload": "x"}, "topic"),
        ("/mqtt/publish", {"topic": "a/#", "payload": "x"}, "topic"),
        ("/mqtt/publish", {"topic": "a"}, "either"),
        ("/mqtt/publish", {"topic": "a", "payload": "x", "payload_base64": "eA=="}, "either"),
        ("/mqtt/publish", {"topic": "a", "payload": 5}, "either"),
        ("/mqtt/publish", {"topic": "a", "payload_base64": "!!"}, "base64"),
    ],
)
async def test_admin_api_errors(api: Api, path: str, body: Any, error: str) -> None:
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    reply = await api.sim("POST", path, **kwargs)
    assert reply.status == 400
    assert error in reply.data["error"]


async def test_describe_prints_the_mqtt_url(running: RunningSimulator) -> None:
    text = describe(running, parse_args([]))
    assert f"MQTT:       {running.mqtt_url}" in text
    assert running.mqtt_url.startswith("ws://127.0.0.1:")
    assert running.mqtt_url.endswith("/mqtt")
    assert f"view_key={DEMO_VIEW_KEY} view_secret={DEMO_VIEW_SECRET}" in text
    assert broker_module.MQTT_PATH == "/mqtt"
