"""Async client of the ThingsCloud project HTTP API (no Home Assistant imports)."""

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
import ipaddress
import json
import logging
import math
import re
import time
from types import TracebackType
from typing import Literal, Self, cast
import unicodedata
from urllib.parse import quote, urlencode

import aiohttp
from yarl import URL

from .const import (
    ADMIN_TOKEN_LIFETIME,
    APP_TOKEN_LIFETIME,
    DATA_STREAM_TYPES,
    DEFAULT_REQUEST_TIMEOUT,
    DEVICES_PAGE_RECORDS,
    MAX_DEVICE_PAGES,
    MAX_ID_LENGTH,
    MAX_PARALLEL_PAGES,
    PATH_ACCESS_TOKEN,
    PATH_ADMIN,
    PATH_ADMIN_LOGIN,
    PATH_ALARM_LOGS,
    PATH_CONTROL_ATTRIBUTES,
    PATH_CONTROL_COMMAND,
    PATH_CONTROL_DATA_STREAM,
    PATH_CUSTOMER,
    PATH_CUSTOMER_AUTH,
    PATH_CUSTOMER_CREATE,
    PATH_CUSTOMER_DEVICES,
    PATH_CUSTOMER_INFO,
    PATH_CUSTOMER_PASSWORD,
    PATH_CUSTOMER_ROLES,
    PATH_CUSTOMER_TAGS,
    PATH_CUSTOMERS,
    PATH_DEVICE,
    PATH_DEVICE_ALARM_LOGS,
    PATH_DEVICE_ATTRIBUTE_SERIES,
    PATH_DEVICE_ATTRIBUTES,
    PATH_DEVICE_ATTRIBUTES_RAW,
    PATH_DEVICE_ATTRIBUTES_REMOVE,
    PATH_DEVICE_CERTIFICATE,
    PATH_DEVICE_CREATE,
    PATH_DEVICE_CUSTOMERS,
    PATH_DEVICE_EXTEND_INFOS,
    PATH_DEVICE_GROUPS,
    PATH_DEVICE_GROUPS_TREE,
    PATH_DEVICE_INFO,
    PATH_DEVICE_STANDARD_INFOS,
    PATH_DEVICE_TAGS,
    PATH_DEVICE_TAGS_REMOVE,
    PATH_DEVICE_TYPE_EXTEND_INFOS,
    PATH_DEVICE_TYPES,
    PATH_DEVICES,
    PATH_DEVICES_ALARM_STAT,
    PATH_DEVICES_STAT,
    PATH_PROJECT,
    PUSH_MODES,
    SERIES_MAX_RANGE_DAYS,
    SERIES_PAGE_RECORDS_DEFAULT,
    SERIES_PAGE_RECORDS_MAX,
    SERIES_PAGE_RECORDS_MIN,
    TOKEN_REFRESH_MARGIN,
    TOKEN_REFRESH_MARGIN_SHARE,
)
from .errors import (
    ThingsCloudApiError,
    ThingsCloudAuthError,
    ThingsCloudConnectionError,
    ThingsCloudInvalidEndpointError,
    ThingsCloudInvalidIdError,
    ThingsCloudNotFoundError,
    ThingsCloudRateLimitError,
    ThingsCloudTimeoutError,
)
from .models import (
    Admin,
    AdminCredentials,
    AlarmLog,
    AppCredentials,
    Attribute,
    CreatedResource,
    Customer,
    CustomerRole,
    Device,
    DeviceCertificate,
    DeviceGroup,
    DevicePage,
    DeviceType,
    ExtendInfo,
    JsonObject,
    JsonValue,
    Project,
    SeriesPoint,
    as_object,
    numeric_fields,
    parse_items,
)

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


class _TokenRejectedError(Exception):
    """Internal: the access token of a request was rejected (never escapes)."""


# --- endpoint and path parameters -------------------------------------------------


def _is_loopback(host: str) -> bool:
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
    if scheme == "http" and not _is_loopback(parsed.host or host):
        raise ThingsCloudInvalidEndpointError("Plain http is accepted only for the local machine")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc += f":{port}"
    return f"{scheme}://{netloc}"


def _check_text(value: object, name: str) -> str:
    """Return ``value`` if it is a usable identifier text, else raise."""
    if not isinstance(value, str):
        raise ThingsCloudInvalidIdError(f"{name} must be a string")
    if not value.strip():
        raise ThingsCloudInvalidIdError(f"{name} must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise ThingsCloudInvalidIdError(f"{name} is longer than {MAX_ID_LENGTH} characters")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        raise ThingsCloudInvalidIdError(f"{name} contains control characters")
    return value


def encode_path_segment(value: object, name: str = "id") -> str:
    """Validate a path parameter and percent-encode it as exactly one path segment.

    ``/``, ``?``, ``#``, ``%`` and every non-ASCII character are encoded; ``.`` and
    ``..`` are refused because they would collapse into another path.
    """
    text = _check_text(value, name)
    if text in (".", ".."):
        raise ThingsCloudInvalidIdError(f"{name} must not be '.' or '..'")
    return quote(text, safe="")


def _check_int(value: object, name: str, minimum: int, maximum: int | None = None) -> int:
    """Return ``value`` if it is an integer in range, else raise ``ValueError``."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{name} must be an integer")  # noqa: TRY004 - input validation
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ValueError(f"{name} must be {bound}")
    return value


def _check_nonempty_str(value: object, name: str) -> str:
    """Return ``value`` if it is a non-empty string, else raise ``ValueError``."""
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


def _check_keys(keys: Sequence[str], name: str, *, allow_empty: bool = False) -> list[JsonValue]:
    """Return a list of strings; a bare string (a common slip) is refused."""
    if isinstance(keys, str) or not all(isinstance(key, str) for key in keys):
        raise ValueError(f"{name} must be a list of strings")
    if not keys and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    return list(keys)


def _check_mapping(value: Mapping[str, JsonValue], name: str) -> JsonObject:
    """Return a non-empty mapping as a JSON object."""
    if not isinstance(value, Mapping) or not value:
        raise ValueError(f"{name} must be a non-empty mapping")
    return {str(key): item for key, item in value.items()}


def _epoch_ms(value: datetime) -> int:
    """Return a datetime as epoch milliseconds (naive datetimes are local time)."""
    return int(value.timestamp() * 1000)


# --- answers ---------------------------------------------------------------------


def _decode(body: bytes) -> tuple[bool, JsonValue]:
    """Return (is JSON, value) for a response body."""
    try:
        return True, cast("JsonValue", json.loads(body))
    except ValueError:  # includes UnicodeDecodeError and JSONDecodeError
        return False, None


def _seconds(value: object) -> float | None:
    """Return a non-negative finite number of seconds from a number or numeric text."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return max(number, 0.0) if math.isfinite(number) else None


def _retry_after(header: str | None, payload: JsonValue) -> float | None:
    """Return the delay asked for by a 429 answer: header seconds or date, else body."""
    if header:
        seconds = _seconds(header)
        if seconds is not None:
            return seconds
        try:
            when = parsedate_to_datetime(header)
        except TypeError, ValueError:
            when = None
        if when is not None and when.tzinfo is not None:
            return max((when - datetime.now(when.tzinfo)).total_seconds(), 0.0)
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
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, (float, str)):
        try:
            number = float(value)
        except ValueError:
            return None
        if math.isfinite(number) and number.is_integer():
            return int(number)
    return None


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


class ThingsCloudClient:
    """Client of one ThingsCloud project.

    Authenticates with API application credentials or an administrator login, caches
    the access token, refreshes it shortly before it expires (one refresh shared by
    concurrent callers) and, when a request's token is rejected, refreshes once and
    retries that request once.
    """

    def __init__(
        self,
        endpoint: str,
        credentials: AppCredentials | AdminCredentials,
        *,
        session: aiohttp.ClientSession | None = None,
        request_timeout: float = DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        """Prepare the client; nothing is sent until the first call."""
        if not isinstance(credentials, (AppCredentials, AdminCredentials)):
            raise TypeError("credentials must be AppCredentials or AdminCredentials")
        if isinstance(request_timeout, bool) or not request_timeout > 0:
            raise ValueError("request_timeout must be a positive number of seconds")
        self._endpoint = normalize_endpoint(endpoint)
        self._credentials = credentials
        self._session = session
        self._owns_session = session is None
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._token: str | None = None
        self._token_refresh_at = 0.0
        self._token_lock = asyncio.Lock()
        self._clock: Callable[[], float] = time.monotonic
        # The last device parsed from a /devices page, by id: an item equal to it is not
        # parsed again (the whole list is read every polling cycle and rarely changes).
        self._listed_devices: dict[str, Device] = {}

    @property
    def endpoint(self) -> str:
        """Return the normalised endpoint."""
        return self._endpoint

    @property
    def is_admin(self) -> bool:
        """Return whether the client logs in as an administrator."""
        return isinstance(self._credentials, AdminCredentials)

    async def close(self) -> None:
        """Close the HTTP session if the client created it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> Self:
        """Enter an ``async with`` block."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the session the client created."""
        await self.close()

    # --- transport ---------------------------------------------------------------

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    def _url(self, path: str, query: Query | None) -> URL:
        text = self._endpoint + path
        if query:
            text += "?" + urlencode(
                {key: str(value) for key, value in query.items()}, quote_via=quote, safe=""
            )
        # Already percent-encoded: keep aiohttp/yarl from normalising it again.
        return URL(text, encoded=True)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        token: str | None,
        query: Query | None = None,
        body: JsonObject | None = None,
        token_errcodes: bool = True,
    ) -> JsonValue:
        """Send one request and return the ``info`` of a successful answer.

        Raises ``_TokenRejectedError`` when ``token`` is rejected; for requests
        without a token (authentication) a rejection is ``ThingsCloudAuthError``.
        """
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode()
        _LOGGER.debug("%s %s", method, path)
        try:
            async with self._get_session().request(
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
        return self._interpret(
            method,
            path,
            status,
            raw_body,
            retry_after_header,
            authenticated=token is not None,
            token_errcodes=token_errcodes,
        )

    def _interpret(
        self,
        method: str,
        path: str,
        status: int,
        raw_body: bytes,
        retry_after_header: str | None,
        *,
        authenticated: bool,
        token_errcodes: bool,
    ) -> JsonValue:
        """Map an answer to its ``info`` or to the matching error."""
        what = f"{method} {path}"
        is_json, payload = _decode(raw_body)
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
                f"ThingsCloud answered {what} with a body that is not JSON"
            )
        if failed:
            raise _api_error(body, f"ThingsCloud refused {what}")
        if not 200 <= status < 300:
            raise ThingsCloudApiError(f"Unexpected HTTP {status} answering {what}")
        if not isinstance(payload, dict):
            raise ThingsCloudApiError(f"ThingsCloud answered {what} with an unexpected shape")
        return body.get("info")

    # --- authentication ----------------------------------------------------------

    def _token_is_fresh(self) -> bool:
        return self._token is not None and self._clock() < self._token_refresh_at

    async def _fetch_token(self) -> str:
        """Request a new access token (call with the token lock held)."""
        self._token = None
        credentials = self._credentials
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
        try:
            info = await self._send("POST", path, token=None, body=body)
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
        self._token_refresh_at = self._clock() + lifetime - margin
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

    async def _request(
        self,
        method: str,
        path: str,
        *,
        query: Query | None = None,
        body: JsonObject | None = None,
        token_errcodes: bool = True,
    ) -> JsonValue:
        """Send an authenticated request; refresh the token and retry once if rejected."""
        token = await self._valid_token()
        try:
            return await self._send(
                method, path, token=token, query=query, body=body, token_errcodes=token_errcodes
            )
        except _TokenRejectedError:
            _LOGGER.debug("Access token rejected on %s %s, refreshing it once", method, path)
        token = await self._replace_rejected_token(token)
        try:
            return await self._send(
                method, path, token=token, query=query, body=body, token_errcodes=token_errcodes
            )
        except _TokenRejectedError:
            raise ThingsCloudAuthError(
                f"ThingsCloud rejected a fresh access token on {method} {path}"
            ) from None

    @staticmethod
    def _one[T](parser: Callable[[object], T], info: JsonValue, what: str) -> T:
        """Parse a single object answer; an unusable one is an ApiError."""
        try:
            return parser(info)
        except ValueError:
            raise ThingsCloudApiError(f"The answer has no usable {what}") from None

    # --- project -----------------------------------------------------------------

    async def get_project(self) -> Project:
        """Return the project (``GET /project``)."""
        info = await self._request("GET", PATH_PROJECT)
        return self._one(Project.from_api, info, "project")

    async def get_devices_stat(self) -> dict[str, int]:
        """Return the device statistics (numeric fields only)."""
        return numeric_fields(await self._request("GET", PATH_DEVICES_STAT))

    async def get_devices_alarm_stat(self) -> dict[str, int]:
        """Return the device alarm statistics (numeric fields only)."""
        return numeric_fields(await self._request("GET", PATH_DEVICES_ALARM_STAT))

    # --- device types and groups -------------------------------------------------

    async def get_device_types(self) -> list[DeviceType]:
        """Return all device types."""
        return parse_items(DeviceType.from_api, await self._request("GET", PATH_DEVICE_TYPES))

    async def get_device_type_extend_infos(self, device_type_id: str) -> list[ExtendInfo]:
        """Return the extended information definitions of a device type."""
        path = PATH_DEVICE_TYPE_EXTEND_INFOS.format(
            device_type_id=encode_path_segment(device_type_id, "device_type_id")
        )
        return parse_items(ExtendInfo.from_api, await self._request("GET", path))

    async def get_device_groups_tree(self) -> list[DeviceGroup]:
        """Return the device group tree."""
        return parse_items(
            DeviceGroup.from_api, await self._request("GET", PATH_DEVICE_GROUPS_TREE)
        )

    # --- devices -----------------------------------------------------------------

    async def get_devices_page(
        self,
        page: int = 1,
        *,
        device_type: str | None = None,
        group: str | None = None,
        page_records: int | None = DEVICES_PAGE_RECORDS,
    ) -> DevicePage:
        """Return one page of devices, optionally of one type or group.

        ``page_records`` is not documented, but ThingsCloud's own tools send it; a
        server that ignores it still works since callers walk ``page_total``.
        """
        query: dict[str, QueryValue] = {"page": _check_int(page, "page", 1)}
        if page_records is not None:
            query["page_records"] = _check_int(page_records, "page_records", 1)
        if device_type is not None:
            query["type"] = _check_text(device_type, "device_type")
        if group is not None:
            query["group"] = _check_text(group, "group")
        info = await self._request("GET", PATH_DEVICES, query=query)
        return DevicePage.from_api(info, page=page, parse_device=self._parse_listed_device)

    def _parse_listed_device(self, data: object) -> Device:
        """Return ``Device.from_api(data)``; the same object as last time for an equal item."""
        if isinstance(data, dict) and isinstance(device_id := data.get("id"), str):
            known = self._listed_devices.get(device_id)
            if known is not None and known.raw == data:
                return known
        device = Device.from_api(data)
        self._listed_devices[device.id] = device
        return device

    async def get_all_devices(
        self, *, device_type: str | None = None, group: str | None = None
    ) -> list[Device]:
        """Return every device (walking all pages)."""
        if device_type is not None:
            _check_text(device_type, "device_type")
        if group is not None:
            _check_text(group, "group")

        async def fetch(page: int) -> DevicePage:
            return await self.get_devices_page(page, device_type=device_type, group=group)

        return await _walk_pages(fetch)

    async def get_device(self, device_id: str) -> Device:
        """Return one device."""
        path = PATH_DEVICE.format(device_id=encode_path_segment(device_id, "device_id"))
        return self._one(Device.from_api, await self._request("GET", path), "device")

    async def get_device_certificate(self, device_id: str) -> DeviceCertificate:
        """Return the connection certificate of a device."""
        path = PATH_DEVICE_CERTIFICATE.format(device_id=encode_path_segment(device_id, "device_id"))
        info = await self._request("GET", path)
        if not isinstance(info, dict):
            raise ThingsCloudApiError("The answer has no usable certificate")
        return DeviceCertificate.from_api(info)

    async def get_device_customers(self, device_id: str) -> list[Customer]:
        """Return the customers a device is associated with."""
        path = PATH_DEVICE_CUSTOMERS.format(device_id=encode_path_segment(device_id, "device_id"))
        return parse_items(Customer.from_api, await self._request("GET", path))

    async def update_device_info(
        self,
        device_id: str,
        *,
        name: str | None = None,
        descr: str | None = None,
        device_key: str | None = None,
    ) -> None:
        """Change a device's name, description or device key (at least one)."""
        path = PATH_DEVICE_INFO.format(device_id=encode_path_segment(device_id, "device_id"))
        body: JsonObject = {
            key: value
            for key, value in (("name", name), ("descr", descr), ("device_key", device_key))
            if value is not None
        }
        if not body:
            raise ValueError("Give at least one of name, descr, device_key")
        await self._request("PUT", path, body=body)

    async def update_device_tags(self, device_id: str, tags: Mapping[str, str]) -> None:
        """Add or change tags of a device."""
        path = PATH_DEVICE_TAGS.format(device_id=encode_path_segment(device_id, "device_id"))
        await self._request("PUT", path, body={"tags": _check_mapping(tags, "tags")})

    async def remove_device_tags(self, device_id: str, keys: Sequence[str]) -> None:
        """Remove tags of a device by key."""
        path = PATH_DEVICE_TAGS_REMOVE.format(device_id=encode_path_segment(device_id, "device_id"))
        await self._request("POST", path, body={"keys": _check_keys(keys, "keys")})

    async def update_device_groups(self, device_id: str, groups: Sequence[str]) -> None:
        """Set the groups of a device (an empty list removes it from all groups)."""
        path = PATH_DEVICE_GROUPS.format(device_id=encode_path_segment(device_id, "device_id"))
        body: JsonObject = {"groups": _check_keys(groups, "groups", allow_empty=True)}
        await self._request("PUT", path, body=body)

    async def delete_device(self, device_id: str) -> None:
        """Remove a device."""
        path = PATH_DEVICE.format(device_id=encode_path_segment(device_id, "device_id"))
        await self._request("DELETE", path)

    async def create_device(
        self,
        name: str,
        *,
        descr: str | None = None,
        device_type: str | None = None,
        tags: Mapping[str, str] | None = None,
        device_key: str | None = None,
    ) -> CreatedResource:
        """Create a device and return its id and name."""
        body: JsonObject = {"name": _check_nonempty_str(name, "name")}
        if descr is not None:
            body["descr"] = descr
        if device_type is not None:
            body["type"] = _check_text(device_type, "device_type")
        if tags is not None:
            body["tags"] = dict(tags)
        if device_key is not None:
            body["device_key"] = device_key
        info = await self._request("POST", PATH_DEVICE_CREATE, body=body)
        return self._one(CreatedResource.from_api, info, "device id")

    # --- extended information ----------------------------------------------------

    async def get_device_extend_infos(self, device_id: str) -> list[ExtendInfo]:
        """Return all extended information of a device."""
        path = PATH_DEVICE_EXTEND_INFOS.format(
            device_id=encode_path_segment(device_id, "device_id")
        )
        return parse_items(ExtendInfo.from_api, await self._request("GET", path))

    async def update_device_standard_info(
        self, device_id: str, info_type: str, value: Mapping[str, JsonValue]
    ) -> JsonObject:
        """Change a standard extended information; returns what the API updated."""
        path = PATH_DEVICE_STANDARD_INFOS.format(
            device_id=encode_path_segment(device_id, "device_id")
        )
        body: JsonObject = {
            "info_type": _check_nonempty_str(info_type, "info_type"),
            "value": _check_mapping(value, "value"),
        }
        return as_object(await self._request("POST", path, body=body))

    async def update_device_extend_infos(
        self, device_id: str, infos: Mapping[str, JsonValue]
    ) -> JsonObject:
        """Change custom extended information by id; returns what the API updated."""
        path = PATH_DEVICE_EXTEND_INFOS.format(
            device_id=encode_path_segment(device_id, "device_id")
        )
        body: JsonObject = {"infos": _check_mapping(infos, "infos")}
        return as_object(await self._request("POST", path, body=body))

    # --- device data -------------------------------------------------------------

    async def get_device_attributes(self, device_id: str) -> list[Attribute]:
        """Return the current attributes of a device with their models."""
        path = PATH_DEVICE_ATTRIBUTES.format(device_id=encode_path_segment(device_id, "device_id"))
        return parse_items(Attribute.from_api, await self._request("GET", path))

    async def get_device_attributes_raw(self, device_id: str) -> JsonObject:
        """Return the current attribute values of a device (identifier → value)."""
        path = PATH_DEVICE_ATTRIBUTES_RAW.format(
            device_id=encode_path_segment(device_id, "device_id")
        )
        return as_object(await self._request("GET", path))

    async def get_attribute_series(
        self,
        device_id: str,
        identifier: str,
        *,
        page: int = 1,
        page_records: int = SERIES_PAGE_RECORDS_DEFAULT,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
    ) -> list[SeriesPoint]:
        """Return one page of an attribute's history (newest first, as the API sends it).

        ``start_time``/``end_time`` are sent in ms; with both, the range may be at most
        30 days. Naive datetimes are taken as local time.
        """
        path = PATH_DEVICE_ATTRIBUTE_SERIES.format(
            device_id=encode_path_segment(device_id, "device_id"),
            identifier=encode_path_segment(identifier, "identifier"),
        )
        query: dict[str, QueryValue] = {
            "page": _check_int(page, "page", 1),
            "page_records": _check_int(
                page_records, "page_records", SERIES_PAGE_RECORDS_MIN, SERIES_PAGE_RECORDS_MAX
            ),
        }
        if start_time is not None:
            query["start_time"] = _epoch_ms(start_time)
        if end_time is not None:
            query["end_time"] = _epoch_ms(end_time)
        if start_time is not None and end_time is not None:
            if end_time < start_time:
                raise ValueError("end_time is before start_time")
            if end_time - start_time > timedelta(days=SERIES_MAX_RANGE_DAYS):
                raise ValueError(f"The range may be at most {SERIES_MAX_RANGE_DAYS} days")
        return parse_items(SeriesPoint.from_api, await self._request("GET", path, query=query))

    async def get_all_attribute_series(
        self,
        device_id: str,
        identifier: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page_records: int = SERIES_PAGE_RECORDS_MAX,
        max_pages: int = 100,
    ) -> list[SeriesPoint]:
        """Return an attribute's history, page after page until a short page."""
        _check_int(max_pages, "max_pages", 1)
        points: list[SeriesPoint] = []
        for page in range(1, max_pages + 1):
            batch = await self.get_attribute_series(
                device_id,
                identifier,
                page=page,
                page_records=page_records,
                start_time=start_time,
                end_time=end_time,
            )
            points.extend(batch)
            if len(batch) < page_records:
                break
        return points

    async def remove_device_attributes(self, device_id: str, keys: Sequence[str]) -> None:
        """Remove attributes of a device by identifier."""
        path = PATH_DEVICE_ATTRIBUTES_REMOVE.format(
            device_id=encode_path_segment(device_id, "device_id")
        )
        await self._request("POST", path, body={"keys": _check_keys(keys, "keys")})

    # --- device communication ----------------------------------------------------

    async def push_attributes(self, device_id: str, attributes: Mapping[str, JsonValue]) -> None:
        """Send attributes to the device (``POST control/device/<id>/attributes``)."""
        path = PATH_CONTROL_ATTRIBUTES.format(device_id=encode_path_segment(device_id, "device_id"))
        await self._request("POST", path, body=_check_mapping(attributes, "attributes"))

    async def set_cloud_attributes(
        self, device_id: str, attributes: Mapping[str, JsonValue]
    ) -> None:
        """Update cloud attributes (``PUT control/device/<id>/attributes``)."""
        path = PATH_CONTROL_ATTRIBUTES.format(device_id=encode_path_segment(device_id, "device_id"))
        await self._request("PUT", path, body=_check_mapping(attributes, "attributes"))

    async def send_command(
        self,
        device_id: str,
        method: str,
        params: Mapping[str, JsonValue] | None = None,
        command_id: int | None = None,
    ) -> None:
        """Send a command ``{method, params, id}`` to a device."""
        path = PATH_CONTROL_COMMAND.format(device_id=encode_path_segment(device_id, "device_id"))
        if params is not None and not isinstance(params, Mapping):
            raise ValueError("params must be a mapping")
        body: JsonObject = {
            "method": _check_nonempty_str(method, "method"),
            "params": dict(params) if params is not None else {},
        }
        if command_id is not None:
            body["id"] = _check_int(command_id, "command_id", 0)
        await self._request("POST", path, body=body)

    async def send_data_stream(
        self,
        device_id: str,
        identifier: str,
        message_type: Literal["hex", "text", "json"],
        message: str | Mapping[str, JsonValue],
        *,
        push_mode: Literal["mqtt", "tcp"] = "mqtt",
    ) -> None:
        """Send a custom data stream message to a device.

        ``json`` messages are objects (a string holding a JSON object is accepted);
        ``hex`` messages are hex digits, optionally separated by spaces.
        """
        path = PATH_CONTROL_DATA_STREAM.format(
            device_id=encode_path_segment(device_id, "device_id"),
            identifier=encode_path_segment(identifier, "identifier"),
        )
        if message_type not in DATA_STREAM_TYPES:
            raise ValueError(f"message_type must be one of {', '.join(DATA_STREAM_TYPES)}")
        if push_mode not in PUSH_MODES:
            raise ValueError(f"push_mode must be one of {', '.join(PUSH_MODES)}")
        msg: JsonValue
        if message_type == "json":
            msg = _json_message(message)
        else:
            if not isinstance(message, str) or not message:
                raise ValueError(f"A {message_type} message must be a non-empty string")
            if message_type == "hex":
                digits = "".join(message.split())
                if len(digits) % 2 or any(char not in "0123456789abcdefABCDEF" for char in digits):
                    raise ValueError("A hex message must be pairs of hex digits")
            msg = message
        # The reference's request syntax names the field `message`, but all three of its
        # examples (hex, text, json) send `msg`, so `msg` is what we send.
        body: JsonObject = {"type": message_type, "msg": msg}
        await self._request("POST", path, query={"push_mode": push_mode}, body=body)

    # --- alarms ------------------------------------------------------------------

    async def get_alarm_logs(self) -> list[AlarmLog]:
        """Return the alarm history of the project."""
        return parse_items(AlarmLog.from_api, await self._request("GET", PATH_ALARM_LOGS))

    async def get_device_alarm_logs(self, device_id: str) -> list[AlarmLog]:
        """Return the alarm history of one device."""
        path = PATH_DEVICE_ALARM_LOGS.format(device_id=encode_path_segment(device_id, "device_id"))
        return parse_items(AlarmLog.from_api, await self._request("GET", path))

    # --- customers ---------------------------------------------------------------

    async def get_customers(self) -> list[Customer]:
        """Return the customers of the project."""
        return parse_items(Customer.from_api, await self._request("GET", PATH_CUSTOMERS))

    async def get_customer_roles(self) -> list[CustomerRole]:
        """Return the customer roles of the project."""
        return parse_items(CustomerRole.from_api, await self._request("GET", PATH_CUSTOMER_ROLES))

    async def get_customer(self, customer_id: str) -> Customer:
        """Return one customer."""
        path = PATH_CUSTOMER.format(customer_id=encode_path_segment(customer_id, "customer_id"))
        return self._one(Customer.from_api, await self._request("GET", path), "customer")

    async def get_customer_devices_page(self, customer_id: str, page: int = 1) -> DevicePage:
        """Return one page of a customer's devices."""
        path = PATH_CUSTOMER_DEVICES.format(
            customer_id=encode_path_segment(customer_id, "customer_id")
        )
        query: dict[str, QueryValue] = {"page": _check_int(page, "page", 1)}
        return DevicePage.from_api(await self._request("GET", path, query=query), page=page)

    async def get_all_customer_devices(self, customer_id: str) -> list[Device]:
        """Return every device of a customer (walking all pages)."""
        encode_path_segment(customer_id, "customer_id")

        async def fetch(page: int) -> DevicePage:
            return await self.get_customer_devices_page(customer_id, page)

        return await _walk_pages(fetch)

    async def create_customer(
        self,
        name: str,
        account: str,
        password: str,
        *,
        descr: str | None = None,
        email: str | None = None,
        mobile: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> CreatedResource:
        """Create a customer and return its id and name."""
        body: JsonObject = {
            "name": _check_nonempty_str(name, "name"),
            "account": _check_nonempty_str(account, "account"),
            "password": _check_nonempty_str(password, "password"),
        }
        for key, value in (("descr", descr), ("email", email), ("mobile", mobile)):
            if value is not None:
                body[key] = value
        if tags is not None:
            body["tags"] = dict(tags)
        info = await self._request("POST", PATH_CUSTOMER_CREATE, body=body)
        return self._one(CreatedResource.from_api, info, "customer id")

    async def update_customer_info(
        self,
        customer_id: str,
        *,
        name: str | None = None,
        descr: str | None = None,
        email: str | None = None,
        mobile: str | None = None,
    ) -> None:
        """Change a customer's name, description, email or mobile (at least one)."""
        path = PATH_CUSTOMER_INFO.format(
            customer_id=encode_path_segment(customer_id, "customer_id")
        )
        body: JsonObject = {
            key: value
            for key, value in (
                ("name", name),
                ("descr", descr),
                ("email", email),
                ("mobile", mobile),
            )
            if value is not None
        }
        if not body:
            raise ValueError("Give at least one of name, descr, email, mobile")
        await self._request("PUT", path, body=body)

    async def update_customer_password(self, customer_id: str, password: str) -> None:
        """Change a customer's password."""
        path = PATH_CUSTOMER_PASSWORD.format(
            customer_id=encode_path_segment(customer_id, "customer_id")
        )
        body: JsonObject = {"password": _check_nonempty_str(password, "password")}
        await self._request("PUT", path, body=body)

    async def update_customer_tags(self, customer_id: str, tags: Mapping[str, str]) -> None:
        """Add or change tags of a customer."""
        path = PATH_CUSTOMER_TAGS.format(
            customer_id=encode_path_segment(customer_id, "customer_id")
        )
        await self._request("PUT", path, body={"tags": _check_mapping(tags, "tags")})

    async def delete_customer(self, customer_id: str) -> None:
        """Remove a customer."""
        path = PATH_CUSTOMER.format(customer_id=encode_path_segment(customer_id, "customer_id"))
        await self._request("DELETE", path)

    async def customer_auth(self, account: str, password: str) -> CreatedResource:
        """Check a customer's account and password; ``ThingsCloudApiError`` if wrong.

        A ``result: false`` here is about the customer's password, whatever its
        errcode, so it never counts as a rejected access token.
        """
        body: JsonObject = {
            "account": _check_nonempty_str(account, "account"),
            "password": _check_nonempty_str(password, "password"),
        }
        info = await self._request("POST", PATH_CUSTOMER_AUTH, body=body, token_errcodes=False)
        return self._one(CreatedResource.from_api, info, "customer id")

    # --- administrator -----------------------------------------------------------

    async def get_admin(self) -> Admin:
        """Return the administrator the token belongs to (administrator login only)."""
        info = await self._request("GET", PATH_ADMIN)
        if not isinstance(info, dict):
            raise ThingsCloudApiError("The answer has no usable administrator")
        return Admin.from_api(info)


def _json_message(message: str | Mapping[str, JsonValue]) -> JsonValue:
    """Return the object of a ``json`` data stream message."""
    if isinstance(message, str):
        try:
            decoded = cast("JsonValue", json.loads(message))
        except ValueError:
            raise ValueError("A json message must be an object or a JSON object text") from None
        if not isinstance(decoded, dict):
            raise ValueError("A json message must be an object or a JSON object text")  # noqa: TRY004
        return decoded
    if not isinstance(message, Mapping):
        raise ValueError("A json message must be an object")  # noqa: TRY004
    return {str(key): value for key, value in message.items()}


async def _walk_pages(fetch: Callable[[int], Awaitable[DevicePage]]) -> list[Device]:
    """Collect the devices of every page.

    Stops after ``page_total`` pages, on an empty page, on a page that brings no new
    device (a server that ignores ``page``), without ``page_total`` once ``total``
    devices are collected (or at once without ``total``), and after MAX_DEVICE_PAGES.

    Pages 1 and 2 are read one after the other; once page 2 brought new devices (the
    server pages), the pages ``page_total`` announces are read MAX_PARALLEL_PAGES at a
    time, and still checked in order with the rules above.
    """
    devices: dict[str, Device] = {}
    page = 1
    batch = [await fetch(page)]
    while True:
        for result in batch:
            new = [device for device in result.items if device.id not in devices]
            for device in new:
                devices[device.id] = device
            if not new:
                return list(devices.values())
            if result.has_page_total:
                if page >= result.page_total:
                    return list(devices.values())
            elif result.total is None or len(devices) >= result.total:
                return list(devices.values())
            if page >= MAX_DEVICE_PAGES:
                _LOGGER.warning("Stopped reading devices after %s pages", MAX_DEVICE_PAGES)
                return list(devices.values())
            page += 1
        last = batch[-1]
        end = page
        if page > 2 and last.has_page_total:
            end = min(page + MAX_PARALLEL_PAGES - 1, last.page_total, MAX_DEVICE_PAGES)
        batch = await _fetch_pages(fetch, range(page, end + 1))


async def _fetch_pages(
    fetch: Callable[[int], Awaitable[DevicePage]], pages: range
) -> list[DevicePage]:
    """Fetch pages concurrently; raise the error of the first page that failed."""
    if len(pages) == 1:
        return [await fetch(pages[0])]
    results = await asyncio.gather(*(fetch(page) for page in pages), return_exceptions=True)
    pages_read: list[DevicePage] = []
    for result in results:
        if isinstance(result, BaseException):
            raise result
        pages_read.append(result)
    return pages_read


__all__ = [
    "ThingsCloudClient",
    "encode_path_segment",
    "normalize_endpoint",
]
