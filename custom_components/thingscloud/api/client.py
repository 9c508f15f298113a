"""Async client of the ThingsCloud project HTTP API: one method per endpoint.

Arguments are checked before anything is sent; answers are parsed into the models. The
HTTP side (tokens, errors, pacing) is the transport's; the customer and administrator
endpoints come from ``customers.CustomerEndpoints``.
"""

from collections.abc import Mapping, Sequence
import contextlib
from datetime import datetime, timedelta
import functools
from types import TracebackType
from typing import Literal, Self

import aiohttp

from .accounts import AdminCredentials, AppCredentials, CreatedResource, Customer
from .const import (
    DATA_STREAM_TYPES,
    DEFAULT_REQUEST_TIMEOUT,
    DEVICES_PAGE_RECORDS,
    PATH_ALARM_LOGS,
    PATH_CONTROL_ATTRIBUTES,
    PATH_CONTROL_COMMAND,
    PATH_CONTROL_DATA_STREAM,
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
    SERIES_RANGE_MAX_PAGES,
)
from .customers import CustomerEndpoints
from .errors import ThingsCloudApiError
from .models import (
    AlarmLog,
    Attribute,
    Device,
    DeviceCertificate,
    DeviceGroup,
    DevicePage,
    DeviceType,
    ExtendInfo,
    Project,
    SeriesPoint,
)
from .pacing import PacingState
from .paging import DeviceListings, ListingKey, walk_device_pages, walk_series_range
from .params import (
    api_path,
    changes,
    check_hex,
    check_int,
    check_keys,
    check_mapping,
    check_nonempty_str,
    check_text,
    encode_path_segment,
    epoch_ms,
    given,
    json_message,
)
from .parsing import JsonObject, JsonValue, as_object, numeric_fields, parse_items
from .transport import (
    QueryValue,
    Transport,
    background_requests,
    parse_single,
)

_SERIES_WINDOW_MS = SERIES_MAX_RANGE_DAYS * 86_400_000


class ThingsCloudClient(CustomerEndpoints):
    """Client of one ThingsCloud project.

    Authenticates with API application credentials or an administrator login (see the
    transport for tokens and pacing). ``pacing`` tells how requests are paced now.
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
        super().__init__(
            Transport(endpoint, credentials, session=session, request_timeout=request_timeout)
        )
        self._listings = DeviceListings()

    @property
    def endpoint(self) -> str:
        """Return the normalised endpoint."""
        return self._transport.endpoint

    @property
    def is_admin(self) -> bool:
        """Return whether the client logs in as an administrator."""
        return isinstance(self._transport.credentials, AdminCredentials)

    @property
    def pacing(self) -> PacingState:
        """Return how requests are paced now (concurrency, spacing, 429s seen)."""
        return self._transport.pacer.state

    @staticmethod
    def background() -> contextlib.AbstractContextManager[None]:
        """Return a context in which every request is a background request.

        Background requests start only while no normal request waits for a slot.
        """
        return background_requests()

    async def authenticate(self) -> None:
        """Get a fresh access token now; ``ThingsCloudAuthError`` if refused."""
        await self._transport.authenticate()

    async def close(self) -> None:
        """Close the HTTP session if the client created it."""
        await self._transport.close()

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

    # --- project -----------------------------------------------------------------

    async def get_project(self) -> Project:
        """Return the project (``GET /project``)."""
        return parse_single(Project.from_api, await self._request("GET", PATH_PROJECT), "project")

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
        path = api_path(PATH_DEVICE_TYPE_EXTEND_INFOS, device_type_id=device_type_id)
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
        return await self._devices_page(page, device_type, group, page_records, None)

    async def _devices_page(
        self,
        page: int,
        device_type: str | None,
        group: str | None,
        page_records: int | None,
        listing: ListingKey | None,
    ) -> DevicePage:
        query: dict[str, QueryValue] = {"page": check_int(page, "page", 1)}
        if page_records is not None:
            query["page_records"] = check_int(page_records, "page_records", 1)
        if device_type is not None:
            query["type"] = check_text(device_type, "device_type")
        if group is not None:
            query["group"] = check_text(group, "group")
        info = await self._request("GET", PATH_DEVICES, query=query)
        parse = functools.partial(self._listings.parse, key=listing)
        return DevicePage.from_api(info, page=page, parse_device=parse)

    async def get_all_devices(
        self, *, device_type: str | None = None, group: str | None = None
    ) -> list[Device]:
        """Return every device (walking all pages), optionally of one type or group.

        The devices of this walk replace those kept for reuse from the last walk of the
        same filter.
        """
        if device_type is not None:
            check_text(device_type, "device_type")
        if group is not None:
            check_text(group, "group")
        key = (device_type, group)

        async def fetch(page: int) -> DevicePage:
            return await self._devices_page(page, device_type, group, DEVICES_PAGE_RECORDS, key)

        devices = await walk_device_pages(fetch)
        self._listings.replace(key, devices)
        return devices

    async def get_device(self, device_id: str) -> Device:
        """Return one device."""
        info = await self._request("GET", api_path(PATH_DEVICE, device_id=device_id))
        return parse_single(Device.from_api, info, "device")

    async def get_device_certificate(self, device_id: str) -> DeviceCertificate:
        """Return the connection certificate of a device."""
        info = await self._request("GET", api_path(PATH_DEVICE_CERTIFICATE, device_id=device_id))
        if not isinstance(info, dict):
            raise ThingsCloudApiError("The answer has no usable certificate")
        return DeviceCertificate.from_api(info)

    async def get_device_customers(self, device_id: str) -> list[Customer]:
        """Return the customers a device is associated with."""
        info = await self._request("GET", api_path(PATH_DEVICE_CUSTOMERS, device_id=device_id))
        return parse_items(Customer.from_api, info)

    async def update_device_info(
        self,
        device_id: str,
        *,
        name: str | None = None,
        descr: str | None = None,
        device_key: str | None = None,
    ) -> None:
        """Change a device's name, description or device key (at least one)."""
        path = api_path(PATH_DEVICE_INFO, device_id=device_id)
        body = changes(name=name, descr=descr, device_key=device_key)
        await self._request("PUT", path, body=body)

    async def update_device_tags(self, device_id: str, tags: Mapping[str, str]) -> None:
        """Add or change tags of a device."""
        path = api_path(PATH_DEVICE_TAGS, device_id=device_id)
        await self._request("PUT", path, body={"tags": check_mapping(tags, "tags")})

    async def remove_device_tags(self, device_id: str, keys: Sequence[str]) -> None:
        """Remove tags of a device by key."""
        path = api_path(PATH_DEVICE_TAGS_REMOVE, device_id=device_id)
        await self._request("POST", path, body={"keys": check_keys(keys, "keys")})

    async def update_device_groups(self, device_id: str, groups: Sequence[str]) -> None:
        """Set the groups of a device (an empty list removes it from all groups)."""
        path = api_path(PATH_DEVICE_GROUPS, device_id=device_id)
        body: JsonObject = {"groups": check_keys(groups, "groups", allow_empty=True)}
        await self._request("PUT", path, body=body)

    async def delete_device(self, device_id: str) -> None:
        """Remove a device."""
        await self._request("DELETE", api_path(PATH_DEVICE, device_id=device_id))

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
        body = given(
            name=check_nonempty_str(name, "name"),
            descr=descr,
            type=None if device_type is None else check_text(device_type, "device_type"),
            tags=None if tags is None else dict(tags),
            device_key=device_key,
        )
        info = await self._request("POST", PATH_DEVICE_CREATE, body=body)
        return parse_single(CreatedResource.from_api, info, "device id")

    # --- extended information ----------------------------------------------------

    async def get_device_extend_infos(self, device_id: str) -> list[ExtendInfo]:
        """Return all extended information of a device."""
        info = await self._request("GET", api_path(PATH_DEVICE_EXTEND_INFOS, device_id=device_id))
        return parse_items(ExtendInfo.from_api, info)

    async def update_device_standard_info(
        self, device_id: str, info_type: str, value: Mapping[str, JsonValue]
    ) -> JsonObject:
        """Change a standard extended information; returns what the API updated."""
        path = api_path(PATH_DEVICE_STANDARD_INFOS, device_id=device_id)
        body: JsonObject = {
            "info_type": check_nonempty_str(info_type, "info_type"),
            "value": check_mapping(value, "value"),
        }
        return as_object(await self._request("POST", path, body=body))

    async def update_device_extend_infos(
        self, device_id: str, infos: Mapping[str, JsonValue]
    ) -> JsonObject:
        """Change custom extended information by id; returns what the API updated."""
        path = api_path(PATH_DEVICE_EXTEND_INFOS, device_id=device_id)
        body: JsonObject = {"infos": check_mapping(infos, "infos")}
        return as_object(await self._request("POST", path, body=body))

    # --- device data -------------------------------------------------------------

    async def get_device_attributes(self, device_id: str) -> list[Attribute]:
        """Return the current attributes of a device with their models."""
        info = await self._request("GET", api_path(PATH_DEVICE_ATTRIBUTES, device_id=device_id))
        return parse_items(Attribute.from_api, info)

    async def get_device_attributes_raw(self, device_id: str) -> JsonObject:
        """Return the current attribute values of a device (identifier → value)."""
        path = api_path(PATH_DEVICE_ATTRIBUTES_RAW, device_id=device_id)
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
        background: bool = False,
    ) -> list[SeriesPoint]:
        """Return one page of an attribute's history (newest first, as the API sends it).

        ``start_time``/``end_time`` are sent in ms; with both, the range may be at most
        30 days. Naive datetimes are taken as local time.
        """
        path = api_path(PATH_DEVICE_ATTRIBUTE_SERIES, device_id=device_id, identifier=identifier)
        query: dict[str, QueryValue] = {
            "page": check_int(page, "page", 1),
            "page_records": check_int(
                page_records, "page_records", SERIES_PAGE_RECORDS_MIN, SERIES_PAGE_RECORDS_MAX
            ),
        }
        if start_time is not None:
            query["start_time"] = epoch_ms(start_time)
        if end_time is not None:
            query["end_time"] = epoch_ms(end_time)
        if start_time is not None and end_time is not None:
            if end_time < start_time:
                raise ValueError("end_time is before start_time")
            if end_time - start_time > timedelta(days=SERIES_MAX_RANGE_DAYS):
                raise ValueError(f"The range may be at most {SERIES_MAX_RANGE_DAYS} days")
        info = await self._request("GET", path, query=query, background=background)
        return parse_items(SeriesPoint.from_api, info)

    async def get_all_attribute_series(
        self,
        device_id: str,
        identifier: str,
        *,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
        page_records: int = SERIES_PAGE_RECORDS_MAX,
        max_pages: int = 100,
        background: bool = False,
    ) -> list[SeriesPoint]:
        """Return an attribute's history, page after page until a short page."""
        check_int(max_pages, "max_pages", 1)
        points: list[SeriesPoint] = []
        for page in range(1, max_pages + 1):
            batch = await self.get_attribute_series(
                device_id,
                identifier,
                page=page,
                page_records=page_records,
                start_time=start_time,
                end_time=end_time,
                background=background,
            )
            points.extend(batch)
            if len(batch) < page_records:
                break
        return points

    async def get_attribute_series_range(
        self,
        device_id: str,
        identifier: str,
        start: datetime,
        end: datetime,
        *,
        background: bool = True,
    ) -> list[SeriesPoint]:
        """Return every point of an attribute's history with ``start <= ts < end``.

        Oldest first, one point per time. Walks windows of at most 30 days, each in
        pages of 100 (see ``paging.walk_series_range``). Naive datetimes are local time.
        Background requests by default: they give way to polling.
        """
        path = api_path(PATH_DEVICE_ATTRIBUTE_SERIES, device_id=device_id, identifier=identifier)
        if not isinstance(start, datetime) or not isinstance(end, datetime):
            raise ValueError("start and end must be datetimes")  # noqa: TRY004
        start_ms, end_ms = epoch_ms(start), epoch_ms(end)
        if end_ms < start_ms:
            raise ValueError("end is before start")

        async def fetch(page: int, window_start: int, window_end: int) -> list[SeriesPoint]:
            query: dict[str, QueryValue] = {
                "page": page,
                "page_records": SERIES_PAGE_RECORDS_MAX,
                "start_time": window_start,
                "end_time": window_end,
            }
            info = await self._request("GET", path, query=query, background=background)
            return parse_items(SeriesPoint.from_api, info)

        return await walk_series_range(
            fetch,
            start_ms,
            end_ms,
            window_ms=_SERIES_WINDOW_MS,
            page_records=SERIES_PAGE_RECORDS_MAX,
            max_pages=SERIES_RANGE_MAX_PAGES,
            what=f"{device_id} {identifier}",
        )

    async def remove_device_attributes(self, device_id: str, keys: Sequence[str]) -> None:
        """Remove attributes of a device by identifier."""
        path = api_path(PATH_DEVICE_ATTRIBUTES_REMOVE, device_id=device_id)
        await self._request("POST", path, body={"keys": check_keys(keys, "keys")})

    # --- device communication ----------------------------------------------------

    async def push_attributes(self, device_id: str, attributes: Mapping[str, JsonValue]) -> None:
        """Send attributes to the device (``POST control/device/<id>/attributes``)."""
        path = api_path(PATH_CONTROL_ATTRIBUTES, device_id=device_id)
        await self._request("POST", path, body=check_mapping(attributes, "attributes"))

    async def set_cloud_attributes(
        self, device_id: str, attributes: Mapping[str, JsonValue]
    ) -> None:
        """Update cloud attributes (``PUT control/device/<id>/attributes``)."""
        path = api_path(PATH_CONTROL_ATTRIBUTES, device_id=device_id)
        await self._request("PUT", path, body=check_mapping(attributes, "attributes"))

    async def send_command(
        self,
        device_id: str,
        method: str,
        params: Mapping[str, JsonValue] | None = None,
        command_id: int | None = None,
    ) -> None:
        """Send a command ``{method, params, id}`` to a device."""
        path = api_path(PATH_CONTROL_COMMAND, device_id=device_id)
        if params is not None and not isinstance(params, Mapping):
            raise ValueError("params must be a mapping")
        body: JsonObject = {
            "method": check_nonempty_str(method, "method"),
            "params": dict(params) if params is not None else {},
        }
        if command_id is not None:
            body["id"] = check_int(command_id, "command_id", 0)
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
        path = api_path(PATH_CONTROL_DATA_STREAM, device_id=device_id, identifier=identifier)
        if message_type not in DATA_STREAM_TYPES:
            raise ValueError(f"message_type must be one of {', '.join(DATA_STREAM_TYPES)}")
        if push_mode not in PUSH_MODES:
            raise ValueError(f"push_mode must be one of {', '.join(PUSH_MODES)}")
        msg: JsonValue
        if message_type == "json":
            msg = json_message(message)
        else:
            if not isinstance(message, str) or not message:
                raise ValueError(f"A {message_type} message must be a non-empty string")
            if message_type == "hex":
                check_hex(message)
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
        info = await self._request("GET", api_path(PATH_DEVICE_ALARM_LOGS, device_id=device_id))
        return parse_items(AlarmLog.from_api, info)


__all__ = [
    "ThingsCloudClient",
    "encode_path_segment",
]
