"""ThingsCloud's MQTT app subscription, simulated: a small MQTT 3.1.1 broker over WebSocket.

Serves `/mqtt` (subprotocol `mqtt`) in the simulator's own aiohttp app. A client logs in with
the project's view key and secret (`state.view_key`, `state.view_secret`; CONNACK 4 when they
are wrong, 5 while `refuse_credentials` is on), subscribes (QoS 0 is always granted; a filter
outside `<view_key>/` or an invalid one gets 0x80) and receives, whenever a device reports
attributes, `{"attributes", "device": {"id", "name"}, "ts"}` on
`<view_key>/<view_token>/attributes`. Also UNSUBSCRIBE, PINGREQ and DISCONNECT. Packets may be
split across or packed into WebSocket frames; a malformed or unexpected packet closes that
connection. Keep-alive is not enforced, QoS 1/2 and retained messages are not supported.

Controls (`running.broker`): `refuse_credentials`, `delay_ms` (delays each PUBLISH),
`drop_connections()`, `publish(topic, payload)`, `status()`, `connections`, `published`.
Admin HTTP API: GET /_sim/mqtt, POST /_sim/mqtt {refuse_credentials, delay_ms},
POST /_sim/mqtt/drop, POST /_sim/mqtt/publish {topic, payload | payload_base64}.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from collections.abc import Iterator
from dataclasses import dataclass, field
import json
import logging
import time
from typing import Final, cast

from aiohttp import WSMsgType, web

from .admin import SIM_PREFIX, _error, _json_object
from .jsontypes import Json, JsonObject
from .state import Device, SimulatorState

_LOGGER = logging.getLogger(__name__)

MQTT_PATH: Final = "/mqtt"
MQTT_ADMIN_PATH: Final = f"{SIM_PREFIX}/mqtt"
MAX_PACKET: Final = 256 * 1024

CONNECT: Final = 1
CONNACK: Final = 2
PUBLISH: Final = 3
SUBSCRIBE: Final = 8
SUBACK: Final = 9
UNSUBSCRIBE: Final = 10
UNSUBACK: Final = 11
PINGREQ: Final = 12
PINGRESP: Final = 13
DISCONNECT: Final = 14

# The packets a client may send, with the flags of their fixed header.
_CLIENT_PACKETS: Final = {CONNECT: 0, SUBSCRIBE: 2, UNSUBSCRIBE: 2, PINGREQ: 0, DISCONNECT: 0}

CONNACK_ACCEPTED: Final = 0
CONNACK_BAD_PROTOCOL: Final = 1
CONNACK_BAD_CLIENT_ID: Final = 2
CONNACK_BAD_CREDENTIALS: Final = 4
CONNACK_NOT_AUTHORIZED: Final = 5
SUBACK_FAILURE: Final = 0x80


class MqttProtocolError(Exception):
    """A malformed or unexpected packet; the broker closes the connection."""


# ------------------------------------------------------------------------------ codec


def encode_length(length: int) -> bytes:
    """The variable-length "remaining length" of a fixed header."""
    out = bytearray()
    while True:
        length, digit = divmod(length, 128)
        out.append(digit | (0x80 if length else 0))
        if not length:
            return bytes(out)


def encode_packet(kind: int, flags: int, body: bytes = b"") -> bytes:
    return bytes([kind << 4 | flags]) + encode_length(len(body)) + body


def encode_string(text: str) -> bytes:
    data = text.encode()
    return len(data).to_bytes(2, "big") + data


def publish_packet(topic: str, payload: bytes) -> bytes:
    """A QoS 0 PUBLISH."""
    return encode_packet(PUBLISH, 0, encode_string(topic) + payload)


def split_packets(buffer: bytearray) -> Iterator[tuple[int, int, bytes]]:
    """Take each complete packet (type, flags, body) off the front of `buffer`."""
    while buffer:
        length, multiplier, index = 0, 1, 1
        while True:
            if index >= len(buffer):
                return  # the rest of the length has not arrived yet
            if index > 4:
                raise MqttProtocolError("remaining length longer than 4 bytes")
            digit = buffer[index]
            length += (digit & 0x7F) * multiplier
            multiplier *= 128
            index += 1
            if not digit & 0x80:
                break
        if length > MAX_PACKET:
            raise MqttProtocolError(f"packet of {length} bytes is too large")
        if len(buffer) < index + length:
            return
        first = buffer[0]
        body = bytes(buffer[index : index + length])
        del buffer[: index + length]
        yield first >> 4, first & 0x0F, body


class _Reader:
    """Reads the fields of a packet body."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise MqttProtocolError("packet too short")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def byte(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        return int.from_bytes(self.take(2), "big")

    def binary(self) -> bytes:
        return self.take(self.u16())

    def string(self) -> str:
        try:
            text = self.binary().decode()
        except UnicodeDecodeError as err:
            raise MqttProtocolError("string is not UTF-8") from err
        if "\x00" in text:
            raise MqttProtocolError("string contains U+0000")
        return text

    @property
    def done(self) -> bool:
        return self.pos == len(self.data)

    def end(self) -> None:
        if not self.done:
            raise MqttProtocolError("unexpected bytes at the end of the packet")


# ------------------------------------------------------------------------------ topics


def valid_filter(topic_filter: str) -> bool:
    """A topic filter as MQTT 3.1.1 allows it (`+` and `#` each alone in their level)."""
    if not topic_filter:
        return False
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            return False
        if "+" in level and level != "+":
            return False
    return True


def valid_topic(topic: str) -> bool:
    """A topic name one can publish to: not empty, no wildcards, no U+0000."""
    return bool(topic) and not any(c in topic for c in "+#\x00")


def topic_matches(topic_filter: str, topic: str) -> bool:
    """Whether a (valid) filter matches a topic name."""
    if topic.startswith("$") and topic_filter[0] in "+#":
        return False
    wanted = topic_filter.split("/")
    levels = topic.split("/")
    for index, level in enumerate(wanted):
        if level == "#":
            return True
        if index >= len(levels) or level not in ("+", levels[index]):
            return False
    return len(wanted) == len(levels)


# ------------------------------------------------------------------------------ broker


@dataclass(eq=False, slots=True)
class Connection:
    """One WebSocket connection; `connected` once its CONNECT was accepted."""

    ws: web.WebSocketResponse
    transport: asyncio.Transport
    client_id: str = ""
    connected: bool = False
    subscriptions: list[str] = field(default_factory=list)
    outbox: asyncio.Queue[tuple[float, bytes]] = field(default_factory=asyncio.Queue)

    def wants(self, topic: str) -> bool:
        return self.connected and any(topic_matches(f, topic) for f in self.subscriptions)


class MqttBroker:
    """The broker of one simulated project; see the module docstring."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self.refuse_credentials = False
        self.delay_ms = 0.0
        self.published = 0
        self._connections: set[Connection] = set()

    @property
    def connections(self) -> int:
        """Open WebSocket connections (logged in or not)."""
        return len(self._connections)

    def status(self) -> JsonObject:
        clients: list[Json] = [
            {
                "client_id": conn.client_id,
                "connected": conn.connected,
                "subscriptions": list[Json](conn.subscriptions),
            }
            for conn in sorted(self._connections, key=lambda c: c.client_id)
        ]
        return {
            "path": MQTT_PATH,
            "view_key": self.state.view_key,
            "connections": self.connections,
            "subscriptions": sum(len(conn.subscriptions) for conn in self._connections),
            "clients": clients,
            "published": self.published,
            "refuse_credentials": self.refuse_credentials,
            "delay_ms": self.delay_ms,
        }

    def drop_connections(self) -> int:
        """Cut every connection now (no DISCONNECT, no close frame); return how many."""
        for conn in self._connections:
            conn.transport.abort()
        return len(self._connections)

    def publish(self, topic: str, payload: bytes | str) -> int:
        """Send a QoS 0 PUBLISH to every matching subscriber; return how many it goes to.

        The payload is sent as it is (a str as UTF-8), so it may be anything, even invalid.
        """
        if not valid_topic(topic):
            raise ValueError("not a valid topic name")
        data = publish_packet(topic, payload.encode() if isinstance(payload, str) else payload)
        due = time.monotonic() + self.delay_ms / 1000
        targets = [conn for conn in self._connections if conn.wants(topic)]
        for conn in targets:
            conn.outbox.put_nowait((due, data))
        return len(targets)

    def on_report(self, device: Device, attributes: JsonObject, ts: int) -> None:
        """Publish a device's attribute report as ThingsCloud does."""
        message = {
            "attributes": attributes,
            "device": {"id": device.id, "name": device.name},
            "ts": ts,
        }
        payload = json.dumps(message, ensure_ascii=False).encode()
        self.publish(f"{self.state.view_key}/{device.view_token}/attributes", payload)

    # -------------------------------------------------------------------------- serving

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /mqtt: one MQTT connection over WebSocket."""
        ws = web.WebSocketResponse(protocols=("mqtt",), compress=False, timeout=2.0)
        if ws.can_prepare(request).protocol != "mqtt":
            return web.Response(status=400, text="a WebSocket with subprotocol mqtt is expected")
        await ws.prepare(request)
        # Prepared, so the request has its transport.
        conn = Connection(ws, cast("asyncio.Transport", request.transport))
        self._connections.add(conn)
        writer = asyncio.create_task(self._write(conn))
        try:
            await self._read(conn)
        except MqttProtocolError as err:
            _LOGGER.debug("Closing MQTT connection %r: %s", conn.client_id, err)
        finally:
            self._connections.discard(conn)
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            await ws.close()
        return ws

    async def _write(self, conn: Connection) -> None:
        """Send what `publish` queued for a connection, each at its due time."""
        while True:
            due, data = await conn.outbox.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await conn.ws.send_bytes(data)
            self.published += 1

    async def _read(self, conn: Connection) -> None:
        buffer = bytearray()
        async for message in conn.ws:
            if message.type is not WSMsgType.BINARY:
                raise MqttProtocolError(f"{message.type.name} frame; MQTT needs binary frames")
            buffer += message.data
            for kind, flags, body in split_packets(buffer):
                if not await self._packet(conn, kind, flags, body):
                    return

    async def _packet(self, conn: Connection, kind: int, flags: int, body: bytes) -> bool:
        """Handle one packet; False to close the connection."""
        if _CLIENT_PACKETS.get(kind) != flags:
            raise MqttProtocolError(f"unexpected packet type {kind} (flags {flags})")
        if (kind == CONNECT) == conn.connected:
            raise MqttProtocolError("CONNECT must come first, and only once")
        if kind == CONNECT:
            return await self._connect(conn, body)
        if kind == SUBSCRIBE:
            await conn.ws.send_bytes(encode_packet(SUBACK, 0, self._subscribe(conn, body)))
        elif kind == UNSUBSCRIBE:
            await conn.ws.send_bytes(encode_packet(UNSUBACK, 0, self._unsubscribe(conn, body)))
        elif body:
            raise MqttProtocolError(f"packet type {kind} must be empty")
        elif kind == PINGREQ:
            await conn.ws.send_bytes(encode_packet(PINGRESP, 0))
        else:  # DISCONNECT
            return False
        return True

    async def _connect(self, conn: Connection, body: bytes) -> bool:
        reader = _Reader(body)
        if reader.string() != "MQTT":
            raise MqttProtocolError("protocol name is not MQTT")
        level, flags = reader.byte(), reader.byte()
        reader.u16()  # keep-alive, not enforced
        if flags & 0x01:
            raise MqttProtocolError("reserved connect flag set")
        client_id = reader.string()
        if flags & 0x04:
            reader.string()  # will topic
            reader.binary()  # will message
        elif flags & 0x38:
            raise MqttProtocolError("will QoS or retain without a will")
        username = reader.string() if flags & 0x80 else None
        password = reader.binary() if flags & 0x40 else None
        if password is not None and username is None:
            raise MqttProtocolError("password without user name")
        reader.end()
        if level != 4:
            code = CONNACK_BAD_PROTOCOL
        elif not client_id and not flags & 0x02:
            code = CONNACK_BAD_CLIENT_ID
        elif self.refuse_credentials:
            code = CONNACK_NOT_AUTHORIZED
        elif username != self.state.view_key or password != self.state.view_secret.encode():
            code = CONNACK_BAD_CREDENTIALS
        else:
            code = CONNACK_ACCEPTED
        await conn.ws.send_bytes(encode_packet(CONNACK, 0, bytes([0, code])))
        conn.client_id = client_id
        conn.connected = code == CONNACK_ACCEPTED
        return conn.connected

    def _subscribe(self, conn: Connection, body: bytes) -> bytes:
        """Apply a SUBSCRIBE; the body of its SUBACK."""
        reader = _Reader(body)
        packet_id = reader.u16()
        codes = bytearray()
        while not reader.done:
            topic_filter = reader.string()
            if reader.byte() > 2:
                raise MqttProtocolError("invalid requested QoS")
            allowed = topic_filter.split("/", 1)[0] == self.state.view_key
            if valid_filter(topic_filter) and allowed:
                if topic_filter not in conn.subscriptions:
                    conn.subscriptions.append(topic_filter)
                codes.append(0)  # QoS 0, whatever was asked for
            else:
                codes.append(SUBACK_FAILURE)
        if not packet_id or not codes:
            raise MqttProtocolError("SUBSCRIBE needs a packet id and a topic filter")
        return packet_id.to_bytes(2, "big") + bytes(codes)

    def _unsubscribe(self, conn: Connection, body: bytes) -> bytes:
        """Apply an UNSUBSCRIBE; the body of its UNSUBACK."""
        reader = _Reader(body)
        packet_id = reader.u16()
        filters = []
        while not reader.done:
            filters.append(reader.string())
        if not packet_id or not filters:
            raise MqttProtocolError("UNSUBSCRIBE needs a packet id and a topic filter")
        conn.subscriptions[:] = [f for f in conn.subscriptions if f not in filters]
        return packet_id.to_bytes(2, "big")

    async def shutdown(self, app: web.Application | None = None) -> None:
        """Cut every connection (the app's on_shutdown)."""
        self.drop_connections()


BROKER_KEY: web.AppKey[MqttBroker] = web.AppKey("thingscloud_simulator_broker", MqttBroker)


def add_broker(app: web.Application, state: SimulatorState) -> MqttBroker:
    """Serve the broker of `state` in `app` (/mqtt and the admin routes under /_sim/mqtt)."""
    broker = MqttBroker(state)
    app[BROKER_KEY] = broker
    state.add_report_listener(broker.on_report)

    async def forget(app: web.Application) -> None:
        state.remove_report_listener(broker.on_report)

    app.on_shutdown.append(broker.shutdown)
    app.on_cleanup.append(forget)

    async def get_status(request: web.Request) -> web.Response:
        return web.json_response(broker.status())

    async def post_settings(request: web.Request) -> web.Response:
        body = await _json_object(request)
        if body is None:
            return _error("the body must be a JSON object")
        refuse = body.get("refuse_credentials", broker.refuse_credentials)
        delay = body.get("delay_ms", broker.delay_ms)
        if not isinstance(refuse, bool):
            return _error("refuse_credentials must be true or false")
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not delay >= 0:
            return _error("delay_ms must be a number >= 0")
        broker.refuse_credentials = refuse
        broker.delay_ms = float(delay)
        return web.json_response(broker.status())

    async def post_drop(request: web.Request) -> web.Response:
        return web.json_response({"dropped": broker.drop_connections()})

    async def post_publish(request: web.Request) -> web.Response:
        body = await _json_object(request)
        if body is None:
            return _error("the body must be a JSON object")
        topic, text, encoded = body.get("topic"), body.get("payload"), body.get("payload_base64")
        if not isinstance(topic, str) or not valid_topic(topic):
            return _error("topic must be a topic name (no wildcards)")
        if isinstance(text, str) and encoded is None:
            payload = text.encode()
        elif isinstance(encoded, str) and text is None:
            try:
                payload = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                return _error("payload_base64 is not base64")
        else:
            return _error("give either payload (a string) or payload_base64")
        return web.json_response({"delivered": broker.publish(topic, payload)})

    router = app.router
    router.add_get(MQTT_PATH, broker.handle, name="mqtt")
    router.add_get(MQTT_ADMIN_PATH, get_status, name="sim_mqtt")
    router.add_post(MQTT_ADMIN_PATH, post_settings, name="sim_mqtt_settings")
    router.add_post(f"{MQTT_ADMIN_PATH}/drop", post_drop, name="sim_mqtt_drop")
    router.add_post(f"{MQTT_ADMIN_PATH}/publish", post_publish, name="sim_mqtt_publish")
    return broker
