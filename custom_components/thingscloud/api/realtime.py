"""Real-time attribute reports from ThingsCloud's MQTT app subscription (HA-free).

MQTT 3.1.1 over WebSocket (TLS for ``wss://``) through aiomqtt: user name ProjectViewKey,
password ProjectViewSecret, topic ``<view_key>/+/attributes`` at QoS 0. Each message is
``{"attributes": {...}, "device": {"id": ...}, "ts": <ms>}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
import ipaddress
import json
import logging
import math
import random as _random
import re
import socket
import ssl
from types import TracebackType
from typing import Any, Final, NoReturn
from urllib.parse import urlsplit

import aiomqtt
from aiomqtt.exceptions import MqttConnectError
from paho.mqtt.reasoncodes import ReasonCode

from .errors import (
    ThingsCloudAuthError,
    ThingsCloudConnectionError,
    ThingsCloudInvalidEndpointError,
)
from .parsing import JsonValue, parse_number
from .transport import is_loopback

_LOGGER = logging.getLogger(__name__)
# paho-mqtt's own log. It logs every packet with its topic, which starts with the view key
# (the MQTT user name): its debug lines stay off even when the integration's debug is on.
_MQTT_LOGGER = logging.getLogger(f"{__name__}.mqtt")
_MQTT_LOGGER.setLevel(logging.INFO)

DEFAULT_PATH: Final = "/mqtt"
KEEPALIVE: Final = 30
"""MQTT keep-alive (s); paho also uses it as the socket timeout of the TLS/WebSocket handshake."""
STEP_TIMEOUT: Final = 10.0
"""How long the subscriber waits for CONNACK, SUBACK and the end of a disconnect (s)."""
STABLE_AFTER: Final = 60.0
"""A link that stayed up this long (s) resets the backoff."""
MAX_TS: Final = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z in ms

# CONNACK codes refusing the credentials: MQTT 3.1.1 (4, 5) and as paho reports them (134, 135).
_REFUSED: Final = frozenset({4, 5, 134, 135})
_HOST_LABEL: Final = re.compile(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?")


class ThingsCloudRealtimeAuthError(ThingsCloudAuthError):
    """The MQTT broker refused the view key or secret (CONNACK 4/5) or the subscription."""


class ThingsCloudRealtimeConnectionError(ThingsCloudConnectionError):
    """The MQTT broker could not be reached, did not answer in time, or the link was lost."""


# ------------------------------------------------------------------------------ endpoint


@dataclass(frozen=True, slots=True)
class RealtimeEndpoint:
    """Where the broker listens: a WebSocket URL taken apart."""

    host: str
    port: int
    path: str
    tls: bool

    @property
    def url(self) -> str:
        """The URL again, with the port spelled out."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'wss' if self.tls else 'ws'}://{host}:{self.port}{self.path}"


def _invalid(reason: str) -> NoReturn:
    raise ThingsCloudInvalidEndpointError(f"Invalid MQTT address: {reason}")


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.removesuffix(".").split(".")
        return all(_HOST_LABEL.fullmatch(label) for label in labels)
    return True


def parse_realtime_url(url: str) -> RealtimeEndpoint:
    """Check and take apart the console's MQTT address (``wss://host[:port][/path]``).

    ``ws://`` is accepted for loopback hosts only. The port defaults to 443 (80 for ``ws``),
    the path to ``/mqtt``. Raises ThingsCloudInvalidEndpointError.
    """
    text = url.strip()
    if not text:
        _invalid("it is empty")
    if any(char.isspace() or not char.isprintable() for char in text) or not text.isascii():
        _invalid("it contains spaces or characters that are not plain ASCII")
    if "?" in text or "#" in text:
        _invalid("a query or fragment is not allowed")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as err:
        _invalid(str(err))
    if parts.scheme not in ("ws", "wss"):
        _invalid("it must start with wss://")
    if "@" in parts.netloc:
        _invalid("user information is not allowed")
    host = parts.hostname
    if not host or not _valid_host(host):
        _invalid("no valid host name")
    tls = parts.scheme == "wss"
    if not tls and not is_loopback(host):
        _invalid("ws:// (without TLS) is only for loopback hosts; use wss://")
    if port == 0:
        _invalid("port 0")
    return RealtimeEndpoint(host, port or (443 if tls else 80), parts.path or DEFAULT_PATH, tls)


def realtime_topic(view_key: str) -> str:
    """The subscription's topic filter; ThingsCloudRealtimeAuthError for an unusable key."""
    if not view_key or any(char in view_key for char in "/+#\x00"):
        raise ThingsCloudRealtimeAuthError("The view key cannot be used in a topic")
    return f"{view_key}/+/attributes"


# ------------------------------------------------------------------------------ reports


@dataclass(frozen=True, slots=True)
class AttributeReport:
    """One message of the subscription: changed attributes of one device."""

    device_id: str
    attributes: dict[str, JsonValue]
    ts: int | None
    """When the device reported (ms since the epoch); None when missing or unusable."""
    topic: str


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not JSON")


def _malformed(reason: str) -> NoReturn:
    raise ValueError(reason)


def parse_report(topic: str, payload: bytes) -> AttributeReport:
    """Parse one message; ValueError for anything malformed."""
    try:
        data = json.loads(payload, parse_constant=_no_constant)
    except (ValueError, RecursionError) as err:
        raise ValueError(f"not JSON ({type(err).__name__})") from err
    if not isinstance(data, dict):
        _malformed("not a JSON object")
    device = data.get("device")
    device_id = device.get("id") if isinstance(device, dict) else None
    if isinstance(device_id, bool) or not isinstance(device_id, str | int):
        _malformed("no device id")
    device_id = str(device_id)
    if not device_id.strip():
        _malformed("empty device id")
    attributes = data.get("attributes")
    if not isinstance(attributes, dict):
        _malformed("attributes is not an object")
    ts = parse_number(data.get("ts"))
    if ts is not None and not 0 < ts <= MAX_TS:
        ts = None
    return AttributeReport(device_id, attributes, None if ts is None else int(ts), topic)


# ------------------------------------------------------------------------------ client


class _Client(aiomqtt.Client):
    """aiomqtt's client, with a connect that survives cancellation and a complete close.

    Works around aiomqtt 2.5.1 and paho-mqtt 2.1.0 behaviours: paho's blocking connect runs in
    an executor thread that cannot be interrupted and leaves the socket of a failed handshake
    to the garbage collector; a connect cancelled while waiting for CONNACK leaves its socket
    and housekeeping task running (and its callbacks raise if a packet still arrives); after a
    close, that housekeeping task ends one or two loop iterations later.
    """

    _is_open = False
    _connected_thread: asyncio.Future[None]

    def _client_connect(self) -> None:
        """Run paho's blocking connect (in the executor thread); tell `open` it is over."""
        done = self._connected_thread
        try:
            super()._client_connect()
        except Exception as err:
            _close_sockets(err.__traceback__)
            raise
        finally:
            done.get_loop().call_soon_threadsafe(done.set_result, None)

    async def open(self) -> None:
        """Connect; on cancellation, close what the attempt opened, then re-raise.

        A cancelled attempt still waits for the executor thread: paho's socket timeouts bound
        it (5 s for the TCP connect, the keep-alive for the TLS and WebSocket handshakes).
        """
        self._connected_thread = asyncio.get_running_loop().create_future()
        attempt = asyncio.create_task(self.__aenter__())
        try:
            await asyncio.wait([attempt])  # unlike shield(), no error log if cancelled
        except asyncio.CancelledError:
            await _outlast(self._connected_thread)
            # Drop the socket first: once aiomqtt's CONNACK wait is cancelled, a packet still
            # arriving would make its callbacks raise.
            self._drop_socket()
            attempt.cancel()
            await _outlast(attempt)
            with contextlib.suppress(asyncio.CancelledError, Exception):
                attempt.result()  # whatever it was, it is over
            await self.close()
            raise
        attempt.result()
        self._is_open = True

    async def close(self) -> None:
        """Disconnect if connected; return once nothing of the client is left running."""
        if self._is_open:
            self._is_open = False
            with contextlib.suppress(aiomqtt.MqttError):
                await self.__aexit__(None, None, None)
        self._drop_socket()  # after a CONNACK that never came or a disconnect that timed out
        task = self._misc_task
        if task is not None:
            task.cancel()
            await asyncio.wait([task])
        if self._disconnected.done() and not self._disconnected.cancelled():
            self._disconnected.exception()  # a lost link is reported by the caller

    def _drop_socket(self) -> None:
        """Close paho's socket, if open, without a DISCONNECT: no callback runs after this."""
        if self._client.socket() is not None:
            # paho has no public way to drop a connection; this unregisters and closes it.
            self._client._sock_close()  # noqa: SLF001


def _close_sockets(trace: TracebackType | None) -> None:
    """Close the sockets a failed connect left in its frames.

    paho leaves the socket of a failed TLS or WebSocket handshake to the garbage collector.
    """
    while trace is not None:
        for value in list(trace.tb_frame.f_locals.values()):
            if isinstance(value, socket.socket):
                value.close()
        trace = trace.tb_next


async def _outlast(future: asyncio.Future[Any]) -> None:
    """Wait until `future` is done, even through cancellation (the caller re-raises it)."""
    while not future.done():
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait([future])


def _client(
    endpoint: RealtimeEndpoint,
    view_key: str,
    view_secret: str,
    *,
    ssl_context: ssl.SSLContext | None,
    client_id: str,
    timeout: float,
    keepalive: int,
) -> _Client:
    return _Client(
        endpoint.host,
        endpoint.port,
        username=view_key,
        password=view_secret,
        identifier=client_id,
        protocol=aiomqtt.ProtocolVersion.V311,
        clean_session=True,
        transport="websockets",
        websocket_path=endpoint.path,
        tls_context=ssl_context if endpoint.tls else None,
        timeout=timeout,
        keepalive=keepalive,
        logger=_MQTT_LOGGER,
    )


def _check_tls(endpoint: RealtimeEndpoint, ssl_context: ssl.SSLContext | None) -> None:
    if endpoint.tls and ssl_context is None:
        raise ValueError("a wss:// endpoint needs an SSL context")


def _code(code: int | ReasonCode | None) -> int | None:
    """The number of a CONNACK or SUBACK code, whichever way paho gives it."""
    return code.value if isinstance(code, ReasonCode) else code


async def _connect(client: _Client) -> None:
    """Connect, raising the realtime errors."""
    try:
        await client.open()
    except MqttConnectError as err:
        if _code(err.rc) in _REFUSED:
            raise ThingsCloudRealtimeAuthError(
                f"The MQTT broker refused the view key or secret ({err})"
            ) from err
        raise ThingsCloudRealtimeConnectionError(
            f"The MQTT broker refused the connection ({err})"
        ) from err
    except aiomqtt.MqttError as err:
        raise ThingsCloudRealtimeConnectionError(f"Cannot reach the MQTT broker: {err}") from err


async def _subscribe(client: _Client, topic: str) -> None:
    try:
        granted = await client.subscribe(topic, qos=0)
    except aiomqtt.MqttError as err:
        raise ThingsCloudRealtimeConnectionError(f"Cannot subscribe: {err}") from err
    if any((_code(code) or 0) >= 0x80 for code in granted):
        raise ThingsCloudRealtimeAuthError("The MQTT broker refused the subscription")


async def check_realtime(
    endpoint: RealtimeEndpoint,
    view_key: str,
    view_secret: str,
    *,
    ssl_context: ssl.SSLContext | None,
    client_id: str,
    timeout: float = 10,  # noqa: ASYNC109 - a timeout per step, not for the whole call
) -> None:
    """Connect, subscribe and disconnect, to check the address, key and secret.

    Raises ThingsCloudRealtimeAuthError (key or secret refused) or
    ThingsCloudRealtimeConnectionError (no broker, or no answer within `timeout` seconds per
    step). `ssl_context` is required for ``wss://`` and ignored for ``ws://``.
    """
    _check_tls(endpoint, ssl_context)
    topic = realtime_topic(view_key)
    client = _client(
        endpoint,
        view_key,
        view_secret,
        ssl_context=ssl_context,
        client_id=client_id,
        timeout=timeout,
        keepalive=max(1, math.ceil(timeout)),
    )
    try:
        await _connect(client)
        await _subscribe(client, topic)
    finally:
        await client.close()


# ------------------------------------------------------------------------------ subscriber


class RealtimeSubscriber:
    """Keeps the subscription up and hands each report over as it arrives.

    `run()` runs until cancelled: it connects, subscribes, calls ``on_link(True)``, calls
    ``on_report`` for each well-formed message (a malformed one is logged at debug level and
    dropped), and when the link drops calls ``on_link(False)`` and reconnects after an
    exponential backoff with equal jitter (``min_backoff`` doubling up to ``max_backoff``,
    reset by a link that stayed up STABLE_AFTER seconds). A refusal of the credentials calls
    ``on_auth_error`` and retries every ``max_backoff`` seconds until a connection succeeds.
    Cancellation calls no callback and leaves no task, thread or socket behind.
    """

    def __init__(
        self,
        endpoint: RealtimeEndpoint,
        view_key: str,
        view_secret: str,
        *,
        client_id: str,
        ssl_context: ssl.SSLContext | None,
        on_report: Callable[[AttributeReport], None],
        on_link: Callable[[bool], None],
        on_auth_error: Callable[[ThingsCloudRealtimeAuthError], None],
        min_backoff: float = 1.0,
        max_backoff: float = 300.0,
        random: Callable[[], float] = _random.random,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        stable_after: float = STABLE_AFTER,
    ) -> None:
        """Prepare; nothing connects before `run()`."""
        _check_tls(endpoint, ssl_context)
        self._endpoint = endpoint
        self._view_key = view_key
        self._view_secret = view_secret
        self._client_id = client_id
        self._ssl_context = ssl_context
        self._on_report = on_report
        self._on_link = on_link
        self._on_auth_error = on_auth_error
        self._min_backoff = min_backoff
        self._max_backoff = max(min_backoff, max_backoff)
        self._random = random
        self._sleep = sleep
        self._stable_after = stable_after
        self._connected = False
        self._connects = 0
        self._messages = 0
        self._malformed = 0
        self._last_error: str | None = None
        self._up_since: float | None = None

    @property
    def connected(self) -> bool:
        """Whether the subscription is up."""
        return self._connected

    @property
    def connects(self) -> int:
        """How many times the subscription came up."""
        return self._connects

    @property
    def messages(self) -> int:
        """Well-formed reports handed to ``on_report``."""
        return self._messages

    @property
    def malformed(self) -> int:
        """Messages dropped as malformed."""
        return self._malformed

    @property
    def last_error(self) -> str | None:
        """The last reason a connection failed or dropped (never the secret)."""
        return self._last_error

    def diagnostics(self) -> dict[str, Any]:
        """The state above with the endpoint, for diagnostics (no key, no secret)."""
        return {
            "endpoint": self._endpoint.url,
            "connected": self._connected,
            "connects": self._connects,
            "messages": self._messages,
            "malformed": self._malformed,
            "last_error": self._last_error,
        }

    async def run(self) -> None:
        """Keep the subscription up until cancelled; never raises anything else."""
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()
        backoff = self._min_backoff
        refused = False
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                self._connected = False
                raise
            except ThingsCloudRealtimeAuthError as err:
                self._last_error = str(err)
                refused = True
                self._call(self._on_auth_error, err)
            except ThingsCloudRealtimeConnectionError as err:
                self._last_error = str(err)
            except Exception as err:
                self._last_error = f"{type(err).__name__}: {err}"
                _LOGGER.exception("Unexpected error in the real-time subscription")
            if current is not None and current.cancelling():
                # An error raised while handling a cancellation replaced it: honour it.
                self._connected = False
                raise asyncio.CancelledError
            if self._up_since is not None:
                refused = False
                if loop.time() - self._up_since >= self._stable_after:
                    backoff = self._min_backoff
            if self._connected:
                self._link(up=False)
            if refused:
                delay = self._max_backoff
            else:
                delay = backoff / 2 + backoff / 2 * self._random()
                backoff = min(self._max_backoff, backoff * 2)
            _LOGGER.debug(
                "Real-time link to %s is down (%s); retrying in %.1f s",
                self._endpoint.url,
                self._last_error,
                delay,
            )
            await self._sleep(delay)

    async def _session(self) -> None:
        """One connection: connect, subscribe, deliver messages until the link drops."""
        self._up_since = None
        topic = realtime_topic(self._view_key)
        client = _client(
            self._endpoint,
            self._view_key,
            self._view_secret,
            ssl_context=self._ssl_context,
            client_id=self._client_id,
            timeout=STEP_TIMEOUT,
            keepalive=KEEPALIVE,
        )
        try:
            await _connect(client)
            await _subscribe(client, topic)
            self._up_since = asyncio.get_running_loop().time()
            self._connects += 1
            _LOGGER.debug("Real-time link to %s is up", self._endpoint.url)
            self._link(up=True)
            messages = client.messages
            while True:
                try:
                    message = await anext(messages)
                except aiomqtt.MqttError as err:
                    raise ThingsCloudRealtimeConnectionError(f"The link was lost: {err}") from err
                self._deliver(message.topic.value, message.payload)
        finally:
            await client.close()

    def _deliver(self, topic: str, payload: bytes) -> None:
        try:
            report = parse_report(topic, payload)
        except ValueError as err:
            self._malformed += 1
            # The topic starts with the view key (the MQTT user name): it stays out of logs.
            shown = topic.replace(self._view_key, "<view key>", 1)
            _LOGGER.debug("Dropped a malformed message on %s: %s", shown, err)
            return
        self._messages += 1
        self._call(self._on_report, report)

    def _link(self, *, up: bool) -> None:
        self._connected = up
        self._call(self._on_link, up)

    @staticmethod
    def _call[T](callback: Callable[[T], None], argument: T) -> None:
        try:
            callback(argument)
        except Exception:
            _LOGGER.exception("Error in a real-time update callback")
