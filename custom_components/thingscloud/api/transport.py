"""The HTTP side of the client: URLs, JSON in and out, answers to errors, access tokens.

``Transport.request`` sends one authenticated request through the pacer and returns the
``info`` of a successful answer, or raises the matching ``ThingsCloudError``.
"""

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
import contextlib
from contextvars import ContextVar
from datetime import datetime
from email.utils import parsedate_to_datetime
import ipaddress
import json
import logging
import re
import time
from typing import cast
import unicodedata
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from .accounts import AdminCredentials, AppCredentials
from .const import (
    ADMIN_TOKEN_LIFETIME,
    APP_TOKEN_LIFETIME,
    DEFAULT_REQUEST_TIMEOUT,
    PACING_RETRIES,
    PATH_ACCESS_TOKEN,
    PATH_ADMIN_LOGIN,
    TOKEN_REFRESH_MARGIN,
    TOKEN_REFRESH_MARGIN_SHARE,
)
from .errors import (
    ThingsCloudApiError,
    ThingsCloudAuthError,
    ThingsCloudConnectionError,
    ThingsCloudForbiddenError,
    ThingsCloudInvalidEndpointError,
    ThingsCloudNotFoundError,
    ThingsCloudRateLimitError,
    ThingsCloudTimeoutError,
)
from .pacing import Clock, Pacer, Sleep
from .parsing import JsonObject, JsonValue, as_object, parse_number

_LOGGER = logging.getLogger(__name__)

type QueryValue = str | int
type Query = Mapping[str, QueryValue]

# Answers that mean "this access token is not accepted".
_TOKEN_REJECTED_STATUSES = frozenset({401, 403})
_TOKEN_REJECTED_ERRCODES = frozenset({401, 403})
# The reference documents no errcode for an expired token; a `result: false` whose message
# says the token is invalid or expired counts as a rejected token too (refresh + retry once).
_TOKEN_REJECTED_MESSAGE = re.compile(
    r"token.*(invalid|expired?|illegal|无效|过期|失效|非法)"
    r"|(invalid|expired?|illegal|无效|过期|失效|非法).*token"
    r"|unauthori[sz]ed|未授权|未登录|登录已?过期",
    re.IGNORECASE,
)
_RATE_LIMITED = 429
_DEFAULT_PORTS = {"http": 80, "https": 443}

_BACKGROUND: ContextVar[bool] = ContextVar("thingscloud_background", default=False)


class _TokenRejectedError(Exception):
    """Internal: the access token of a request was rejected (never escapes)."""


@contextlib.contextmanager
def background_requests() -> Iterator[None]:
    """Make the requests sent inside the block (and its tasks) background requests."""
    reset = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(reset)


# --- endpoint --------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    """Return whether ``host`` names the local machine."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_endpoint(url: str) -> str:
    """Return the API endpoint as ``scheme://host[:port]``.

    Strips whitespace, a trailing ``/`` and a trailing ``/api/v1``. Accepts https, and
    plain http only for loopback hosts. Anything with a path, query, fragment or user
    info left is refused with ``ThingsCloudInvalidEndpointError``.
    """
    if not isinstance(url, str):
        raise ThingsCloudInvalidEndpointError("The endpoint must be a string")
    text = url.strip()
    if not text or any(char.isspace() or unicodedata.category(char) == "Cc" for char in text):
        raise ThingsCloudInvalidEndpointError("The endpoint is empty or contains spaces")
    if "://" not in text:
        text = f"https://{text}"
    text = text.rstrip("/")
    if text.lower().endswith("/api/v1"):
        text = text[: -len("/api/v1")].rstrip("/")
    if "@" in text:
        raise ThingsCloudInvalidEndpointError("The endpoint must not contain user info")
    if "?" in text or "#" in text:
        raise ThingsCloudInvalidEndpointError("The endpoint must not have a query or fragment")
    try:
        parsed = URL(text)
        scheme = parsed.scheme.lower()
        host = parsed.raw_host
        port = parsed.explicit_port
    except (ValueError, TypeError) as err:
        raise ThingsCloudInvalidEndpointError("The endpoint is not a valid URL") from err
    if scheme not in _DEFAULT_PORTS:
        raise ThingsCloudInvalidEndpointError("The endpoint must use https")
    if not host:
        raise ThingsCloudInvalidEndpointError("The endpoint has no host")
    if parsed.raw_path not in ("", "/"):
        raise ThingsCloudInvalidEndpointError(
            "The endpoint must not have a path other than /api/v1"
        )
    if scheme == "http" and not is_loopback(parsed.host or host):
        raise ThingsCloudInvalidEndpointError("Plain http is accepted only for the local machine")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


# --- bodies and answers ------------------------------------------------------------


def encode_body(body: JsonObject) -> bytes:
    """Return a request body as JSON; ``ValueError`` if it cannot be JSON (NaN, sets ...)."""
    try:
        return json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
    except (ValueError, TypeError, RecursionError) as err:
        raise ValueError(f"The request body cannot be sent as JSON: {err}") from None


def decode_body(body: bytes) -> tuple[bool, JsonValue]:
    """Return (is usable JSON, value) for a response body."""
    try:
        return True, cast("JsonValue", json.loads(body))
    except ValueError, RecursionError:  # ValueError includes UnicodeDecodeError
        return False, None


def _seconds(value: object) -> float | None:
    """Return a non-negative finite number of seconds from a number or numeric text."""
    number = parse_number(value)
    if number is None:
        return None
    return number if number > 0 else 0.0


def _retry_after(header: str | None, payload: JsonValue) -> float | None:
    """Return the delay asked for by a 429 answer: header seconds or date, else body."""
    if header:
        seconds = _seconds(header)
        if seconds is not None:
            return seconds
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            when = parsedate_to_datetime(header)
            if when.tzinfo is not None:
                return _seconds((when - datetime.now(when.tzinfo)).total_seconds())
    body = as_object(payload)
    for source in (body, as_object(body.get("info"))):
        for key in ("retry_after", "retryAfter"):
            seconds = _seconds(source.get(key))
            if seconds is not None:
                return seconds
    return None


def _is_false(result: JsonValue) -> bool:
    """Return whether a ``result`` field says the request failed."""
    if isinstance(result, str):
        return result.strip().lower() in ("false", "0")
    return result is False or (isinstance(result, int) and result == 0)


def _errcode(value: JsonValue) -> int | None:
    """Return an integer errcode from an integer, integral float or numeric string."""
    number = parse_number(value)
    return int(number) if number is not None and number.is_integer() else None


def _says_token_rejected(errcode: int | None, message: JsonValue) -> bool:
    """Return whether a ``result: false`` answer rejects the request's access token."""
    if errcode in _TOKEN_REJECTED_ERRCODES:
        return True
    return isinstance(message, str) and _TOKEN_REJECTED_MESSAGE.search(message) is not None


def _api_error(payload: JsonObject, fallback: str) -> ThingsCloudApiError:
    """Return the ApiError of a ``result: false`` answer."""
    message = payload.get("message")
    errors = payload.get("errors")
    return ThingsCloudApiError(
        message if isinstance(message, str) and message else fallback,
        errcode=_errcode(payload.get("errcode")),
        errors=errors if isinstance(errors, list) else (),
    )


def parse_single[T](parser: Callable[[object], T], info: JsonValue, what: str) -> T:
    """Parse a single object answer; an unusable one is an ApiError."""
    try:
        return parser(info)
    except ValueError:
        raise ThingsCloudApiError(f"The answer has no usable {what}") from None


def interpret(
    what: str,
    status: int,
    raw_body: bytes,
    retry_after_header: str | None,
    *,
    authenticated: bool,
    token_errcodes: bool,
) -> JsonValue:
    """Map an answer to its ``info`` or to the matching error.

    A rejected token is ``_TokenRejectedError`` for authenticated requests and
    ``ThingsCloudAuthError`` for the token requests themselves.
    """
    is_json, payload = decode_body(raw_body)
    body = as_object(payload)
    failed = "result" in body and _is_false(body["result"])
    errcode = _errcode(body.get("errcode")) if failed else None

    if _RATE_LIMITED in (status, errcode):
        retry_after = _retry_after(retry_after_header, payload)
        raise ThingsCloudRateLimitError(
            f"ThingsCloud rate limit hit on {what}", retry_after=retry_after
        )
    if status in _TOKEN_REJECTED_STATUSES or (
        token_errcodes and failed and _says_token_rejected(errcode, body.get("message"))
    ):
        if authenticated:
            raise _TokenRejectedError
        raise ThingsCloudAuthError(
            f"ThingsCloud rejected the credentials (HTTP {status}"
            + (f", errcode {errcode})" if errcode is not None else ")")
        )
    if status >= 500:
        raise ThingsCloudConnectionError(f"ThingsCloud answered HTTP {status} to {what}")
    if status == 404 and not failed:
        raise ThingsCloudNotFoundError(f"ThingsCloud does not know {what} (HTTP 404)")
    if not is_json:
        raise ThingsCloudConnectionError(
            f"ThingsCloud answered {what} with a body that is not usable JSON"
        )
    if failed:
        raise _api_error(body, f"ThingsCloud refused {what}")
    if not 200 <= status < 300:
        raise ThingsCloudApiError(f"Unexpected HTTP {status} answering {what}")
    if not isinstance(payload, dict):
        raise ThingsCloudApiError(f"ThingsCloud answered {what} with an unexpected shape")
    return body.get("info")


# --- the transport -------------------------------------------------------------------


class Transport:
    """Sends the requests of one project: session, token, pacing.

    Caches the access token, refreshes it shortly before it expires (one refresh shared
    by concurrent callers) and, when a request's token is rejected, refreshes once and
    retries that request once. Every request, token requests included, waits for a slot
    of the pacer: they all count against whatever limit ThingsCloud applies.
    """

    def __init__(
        self,
        endpoint: str,
        credentials: AppCredentials | AdminCredentials,
        *,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """Prepare the transport; nothing is sent until the first request."""
        if not isinstance(credentials, (AppCredentials, AdminCredentials)):
            raise TypeError("credentials must be AppCredentials or AdminCredentials")
        if isinstance(request_timeout, bool) or not request_timeout > 0:
            raise ValueError("request_timeout must be a positive number of seconds")
        self.endpoint = normalize_endpoint(endpoint)
        self.credentials = credentials
        self.session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._token: str | None = None
        self._token_refresh_at = 0.0
        self._token_lock = asyncio.Lock()
        self.pacer = Pacer(clock=clock, sleep=sleep)

    async def close(self) -> None:
        """Close the HTTP session if the transport created it."""
        if self._owns_session and self.session is not None:
            await self.session.close()
            self.session = None

    def _url(self, path: str, query: Query | None) -> URL:
        text = self.endpoint + path
        if query:
            text += "?" + urlencode(
                {key: str(value) for key, value in query.items()}, quote_via=quote, safe=""
            )
        # Already percent-encoded: keep aiohttp/yarl from normalising it again.
        return URL(text, encoded=True)

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        query: Query | None,
        data: bytes | None,
        token_errcodes: bool,
    ) -> JsonValue:
        """Send one request and return the ``info`` of a successful answer."""
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        _LOGGER.debug("%s %s", method, path)
        if self.session is None:
            self.session = aiohttp.ClientSession()
        try:
            async with self.session.request(
                method,
                self._url(path, query),
                headers=headers,
                data=data,
                timeout=self._timeout,
                allow_redirects=False,
                raise_for_status=False,
            ) as response:
                status = response.status
                raw_body = await response.read()
                retry_after_header = response.headers.get("Retry-After")
        except TimeoutError as err:
            raise ThingsCloudTimeoutError(
                f"ThingsCloud did not answer {method} {path} within {self._timeout.total} s"
            ) from err
        except aiohttp.ClientError as err:
            raise ThingsCloudConnectionError(
                f"Cannot reach ThingsCloud for {method} {path}: {type(err).__name__}"
            ) from err
        return interpret(
            f"{method} {path}",
            status,
            raw_body,
            retry_after_header,
            authenticated=token is not None,
            token_errcodes=token_errcodes,
        )

    # --- access token --------------------------------------------------------------

    def _token_is_fresh(self) -> bool:
        return self._token is not None and self.pacer.clock() < self._token_refresh_at

    async def _fetch_token(self) -> str:
        """Request a new access token (call with the token lock held)."""
        self._token = None
        credentials = self.credentials
        body: JsonObject
        if isinstance(credentials, AppCredentials):
            path, lifetime = PATH_ACCESS_TOKEN, APP_TOKEN_LIFETIME
            body = {
                "app_id": credentials.app_id,
                "access_key": credentials.access_key,
                "secret_key": credentials.secret_key,
            }
        else:
            path, lifetime = PATH_ADMIN_LOGIN, ADMIN_TOKEN_LIFETIME
            body = {
                "app_id": credentials.app_id,
                "account": credentials.account,
                "password": credentials.password,
            }
        data = encode_body(body)
        try:
            info = await self.pacer.run(
                lambda: self._exchange(
                    "POST", path, token=None, query=None, data=data, token_errcodes=True
                ),
                urgent=True,
                retries=PACING_RETRIES,
            )
        except ThingsCloudApiError as err:
            raise ThingsCloudAuthError(
                "ThingsCloud rejected the credentials"
                + (f" (errcode {err.errcode})" if err.errcode is not None else "")
            ) from None
        info_obj = as_object(info)
        token = info_obj.get("access_token")
        if not isinstance(token, str) or not token:
            raise ThingsCloudApiError("The authentication answer has no access token")
        expires_in = _seconds(info_obj.get("expires_in"))
        if expires_in is not None and expires_in > 0:
            lifetime = expires_in
        margin = min(TOKEN_REFRESH_MARGIN, lifetime * TOKEN_REFRESH_MARGIN_SHARE)
        self._token = token
        self._token_refresh_at = self.pacer.clock() + lifetime - margin
        _LOGGER.debug("Obtained an access token valid for %.0f s", lifetime)
        return token

    async def _valid_token(self) -> str:
        """Return a token that is not about to expire, refreshing it if needed."""
        token = self._token
        if token is not None and self._token_is_fresh():
            return token
        async with self._token_lock:
            if self._token is not None and self._token_is_fresh():
                return self._token
            return await self._fetch_token()

    async def _replace_rejected_token(self, rejected: str) -> str:
        """Return a new token after ``rejected`` was refused (one refresh for all callers)."""
        async with self._token_lock:
            if self._token is not None and self._token != rejected and self._token_is_fresh():
                return self._token
            return await self._fetch_token()

    async def authenticate(self) -> None:
        """Get a fresh access token now; ``ThingsCloudAuthError`` if refused."""
        async with self._token_lock:
            await self._fetch_token()

    # --- requests --------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: JsonObject | None = None,
        token_errcodes: bool = True,
        background: bool = False,
    ) -> JsonValue:
        """Send an authenticated request and return the ``info`` of its answer.

        The body is encoded first (``ValueError`` before anything is sent). A rejected
        token is refreshed and the request retried once; refused again, it is
        ``ThingsCloudForbiddenError``. ``background`` requests (or any sent inside
        ``background_requests()``) give way to normal ones.
        """
        data = None if body is None else encode_body(body)
        background = background or _BACKGROUND.get()

        used = ""

        async def send(token: str) -> JsonValue:
            def exchange() -> Awaitable[JsonValue]:
                # A refresh while this request waited for its turn: send the new token.
                nonlocal used
                used = self._token or token
                return self._exchange(
                    method, path, token=used, query=query, data=data, token_errcodes=token_errcodes
                )

            return await self.pacer.run(exchange, background=background, retries=PACING_RETRIES)

        try:
            return await send(await self._valid_token())
        except _TokenRejectedError:
            _LOGGER.debug("Access token rejected on %s %s, refreshing it once", method, path)
        token = await self._replace_rejected_token(used)
        try:
            return await send(token)
        except _TokenRejectedError:
            raise ThingsCloudForbiddenError(
                f"ThingsCloud refused {method} {path} even with a fresh access token"
            ) from None
