"""The aiohttp application serving the simulated ThingsCloud project HTTP API."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
import functools
import json
import math
import re

from aiohttp import web

from .admin import add_admin_routes
from .broker import add_broker
from .faults import Fault
from .jsontypes import Json, JsonObject
from .routes import API_PREFIX, ROUTES, Route
from .state import (
    DEFAULT_PAGE_RECORDS,
    MAX_PAGE_RECORDS,
    AlarmLog,
    AttributeModel,
    CommandRecord,
    Customer,
    DataStreamRecord,
    Device,
    DeviceGroup,
    SimulatorState,
    Token,
    WriteRecord,
    is_number,
    normalize_data_type,
    number_option,
)

STATE_KEY: web.AppKey[SimulatorState] = web.AppKey("thingscloud_simulator_state", SimulatorState)

MAX_SERIES_RANGE_MS = 30 * 86400 * 1000

_dumps = functools.partial(json.dumps, ensure_ascii=False)


class ApiError(Exception):
    """Raised by a handler to answer HTTP 200 with result:false."""

    def __init__(self, errcode: int, message: str, errors: list[Json] | None = None) -> None:
        super().__init__(message)
        self.errcode = errcode
        self.message = message
        self.errors: list[Json] = errors or []


@dataclass(slots=True)
class Call:
    """What a handler gets: the state, the request, its JSON body and its token."""

    state: SimulatorState
    request: web.Request
    body: Json
    token: Token | None

    def param(self, name: str) -> str:
        return self.request.match_info[name]

    def device(self) -> Device:
        device = self.state.devices.get(self.param("device_id"))
        if device is None:
            raise ApiError(404, "device not found")
        return device

    def customer(self) -> Customer:
        customer = self.state.customers.get(self.param("customer_id"))
        if customer is None:
            raise ApiError(404, "customer not found")
        return customer

    def obj(self) -> JsonObject:
        if not isinstance(self.body, dict):
            raise ApiError(400, "Invalid parameters", ["request body must be a JSON object"])
        return self.body


type HandlerFn = Callable[[Call], Awaitable[Json]]


# ------------------------------------------------------------------------ responses


def json_response(data: Json, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def ok(info: Json) -> web.Response:
    return json_response({"result": True, "info": info})


def fail(errcode: int, message: str, errors: list[Json] | None = None) -> web.Response:
    return json_response(
        {"result": False, "errcode": errcode, "message": message, "errors": errors or []}
    )


def not_found() -> web.Response:
    return json_response({"message": "Request invalid"}, status=404)


def invalid_json() -> web.Response:
    return json_response(
        {"result": False, "message": "Invalid JSON message", "errcode": 400}, status=404
    )


def unauthorized() -> web.Response:
    return json_response(
        {"result": False, "errcode": 401, "message": "Invalid access token"}, status=401
    )


def too_many_requests(retry_after: float | None) -> web.Response:
    """HTTP 429 of the rate limit; `Retry-After` in whole seconds when given."""
    response = json_response(
        {"result": False, "errcode": 429, "message": "Too Many Requests", "errors": []},
        status=429,
    )
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


# ------------------------------------------------------------------------ validation helpers


def _required_str(body: JsonObject, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, "Invalid parameters", [{"field": key, "message": "required"}])
    return value


def _optional_str(body: JsonObject, key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, "Invalid parameters", [{"field": key, "message": "must be a string"}])
    return value


def _tags(body: JsonObject, key: str = "tags", *, required: bool = False) -> dict[str, str]:
    value = body.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ApiError(
            400, "Invalid parameters", [{"field": key, "message": "must map keys to strings"}]
        )
    return {k: v for k, v in value.items() if isinstance(v, str)}


def _str_list(body: JsonObject, key: str) -> list[str]:
    value = body.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ApiError(
            400, "Invalid parameters", [{"field": key, "message": "must be a list of strings"}]
        )
    return [v for v in value if isinstance(v, str)]


def _int_query(call: Call, key: str, default: int, low: int, high: int | None = None) -> int:
    raw = call.request.query.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid parameter {key}") from None
    if value < low or (high is not None and value > high):
        raise ApiError(400, f"Invalid parameter {key}")
    return value


# ------------------------------------------------------------------------ JSON shapes


def device_json(state: SimulatorState, device: Device, *, full: bool = False) -> JsonObject:
    device_type = state.device_types.get(device.type_id or "")
    data: JsonObject = {
        "id": device.id,
        "name": device.name,
        "descr": device.descr,
        "device_key": device.device_key,
        "tags": dict(device.tags),
        "create_time": device.create_time,
        "alarm": dict(device.alarm),
        "active": dict(device.active),
        "online": device.online,
        "type": device.type_id,
        "type_info": device_type.info_json() if device_type else None,
    }
    if full:
        data["groups"] = list(device.groups)
        data["view_token"] = device.view_token
        data["device_code"] = device.device_code
    return data


def customer_json(customer: Customer, *, with_role: bool = True) -> JsonObject:
    data: JsonObject = {
        "id": customer.id,
        "account": customer.account,
        "name": customer.name,
        "descr": customer.descr,
        "email": customer.email,
        "mobile": customer.mobile,
        "tags": dict(customer.tags),
        "locale": customer.locale,
        "create_time": customer.create_time,
        "count": {"device_count": len(customer.device_ids)},
    }
    if with_role:
        data["role_id"] = customer.role_id
    return data


def group_json(state: SimulatorState, group: DeviceGroup) -> JsonObject:
    children: list[Json] = [
        group_json(state, child) for child in state.groups.values() if child.parent == group.id
    ]
    return {
        "id": group.id,
        "name": group.name,
        "descr": group.descr,
        "tags": dict(group.tags),
        "create_time": group.create_time,
        "children": children,
    }


def attribute_json(state: SimulatorState, device: Device, identifier: str) -> JsonObject:
    current = device.attributes[identifier]
    model = state.model_of(device, identifier)
    if model is None:
        return {"identifier": identifier, "value": current.value, "ts": current.ts}
    return {
        "identifier": identifier,
        "value": current.value,
        "attr_type": model.attr_type,
        "data_type": model.data_type,
        "ts": current.ts,
        "model": model.as_json(),
    }


def paginate(call: Call, devices: list[Device]) -> JsonObject:
    page = _int_query(call, "page", 1, 1)
    per_page = DEFAULT_PAGE_RECORDS
    if not call.state.ignore_page_records:
        per_page = _int_query(call, "page_records", DEFAULT_PAGE_RECORDS, 1, MAX_PAGE_RECORDS)
    start = (page - 1) * per_page
    items: list[Json] = [device_json(call.state, d) for d in devices[start : start + per_page]]
    return {
        "items": items,
        "total": len(devices),
        "page_total": math.ceil(len(devices) / per_page),
    }


# ------------------------------------------------------------------------ handlers: auth


async def access_token(call: Call) -> Json:
    body = call.obj()
    app_id = _required_str(body, "app_id")
    access_key = _required_str(body, "access_key")
    secret_key = _required_str(body, "secret_key")
    state = call.state
    if (app_id, access_key, secret_key) != (state.app_id, state.access_key, state.secret_key):
        raise ApiError(401, "Invalid app_id, access_key or secret_key")
    token = state.issue_token("app", app_id)
    return {"access_token": token.value, "expires_in": int(state.app_token_lifetime)}


async def admin_login(call: Call) -> Json:
    body = call.obj()
    app_id = _required_str(body, "app_id")
    account = _required_str(body, "account")
    password = _required_str(body, "password")
    state = call.state
    admin = next((a for a in state.admins.values() if a.account == account), None)
    if app_id != state.app_id or admin is None or admin.password != password:
        raise ApiError(401, "Invalid account or password")
    return {"access_token": state.issue_token("admin", admin.id).value}


async def admin(call: Call) -> Json:
    token = call.token
    found = call.state.admins.get(token.subject) if token and token.kind == "admin" else None
    if found is None:
        raise ApiError(400, "Only available with an administrator access token")
    return found.as_json()


# ------------------------------------------------------------------------ handlers: project


async def project(call: Call) -> Json:
    return call.state.project.as_json()


async def devices_stat(call: Call) -> Json:
    return dict(call.state.devices_stat())


async def devices_alarm_stat(call: Call) -> Json:
    return dict(call.state.devices_alarm_stat())


async def device_types(call: Call) -> Json:
    state = call.state
    counts: dict[str, int] = {}
    for device in state.devices.values():
        if device.type_id:
            counts[device.type_id] = counts.get(device.type_id, 0) + 1
    items: list[Json] = [
        {
            "id": t.id,
            "name": t.name,
            "descr": t.descr,
            "tags": dict(t.tags),
            "create_time": t.create_time,
            "device_count": counts.get(t.id, 0),
            "conn_protocol": t.conn_protocol,
            "conn_type": t.conn_type,
        }
        for t in state.device_types.values()
    ]
    return {"items": items}


async def device_type_extend_infos(call: Call) -> Json:
    device_type = call.state.device_types.get(call.param("device_type_id"))
    if device_type is None:
        raise ApiError(404, "device type not found")
    infos = [*call.state.standard_infos, *device_type.extend_infos]
    return {"items": [info.as_json() for info in infos]}


async def device_groups_tree(call: Call) -> Json:
    state = call.state
    items: list[Json] = [group_json(state, g) for g in state.groups.values() if g.parent is None]
    return {"items": items}


# ------------------------------------------------------------------------ handlers: devices


async def devices(call: Call) -> Json:
    state = call.state
    found = list(state.devices.values())
    type_id = call.request.query.get("type")
    if type_id:
        found = [d for d in found if d.type_id == type_id]
    group_id = call.request.query.get("group")
    if group_id:
        groups = state.group_ids_under(group_id)
        found = [d for d in found if groups.intersection(d.groups)]
    return paginate(call, found)


async def device(call: Call) -> Json:
    return device_json(call.state, call.device(), full=True)


async def device_certificate(call: Call) -> Json:
    found = call.device()
    return {
        "id": found.id,
        "name": found.name,
        "access_token": found.access_token,
        "project_key": call.state.project_key,
    }


async def device_customers(call: Call) -> Json:
    found = call.device()
    return {"items": [customer_json(c) for c in call.state.customers_of(found.id)]}


def _check_device_key(state: SimulatorState, device_key: str, device_id: str | None) -> None:
    if device_key and any(
        d.device_key == device_key and d.id != device_id for d in state.devices.values()
    ):
        raise ApiError(409, "device_key already exists")


async def device_info_put(call: Call) -> Json:
    found = call.device()
    body = call.obj()
    name = _optional_str(body, "name")
    descr = _optional_str(body, "descr")
    device_key = _optional_str(body, "device_key")
    if name is not None and not name.strip():
        raise ApiError(400, "Invalid parameters", [{"field": "name", "message": "required"}])
    if device_key is not None:
        _check_device_key(call.state, device_key, found.id)
        found.device_key = device_key
    if name is not None:
        found.name = name
    if descr is not None:
        found.descr = descr
    return {}


async def device_tags_put(call: Call) -> Json:
    found = call.device()
    found.tags.update(_tags(call.obj(), required=True))
    return {}


async def device_tags_remove(call: Call) -> Json:
    found = call.device()
    for key in _str_list(call.obj(), "keys"):
        found.tags.pop(key, None)
    return {}


async def device_groups_put(call: Call) -> Json:
    found = call.device()
    groups = _str_list(call.obj(), "groups")
    unknown = [g for g in groups if g not in call.state.groups]
    if unknown:
        raise ApiError(404, "device group not found", list[Json](unknown))
    found.groups = list(dict.fromkeys(groups))
    return {}


async def device_delete(call: Call) -> Json:
    call.state.delete_device(call.device().id)
    return {}


async def device_create(call: Call) -> Json:
    state = call.state
    body = call.obj()
    name = _required_str(body, "name")
    descr = _optional_str(body, "descr") or ""
    type_id = _optional_str(body, "type") or None
    tags = _tags(body)
    device_key = _optional_str(body, "device_key") or ""
    if type_id is not None and type_id not in state.device_types:
        raise ApiError(404, "device type not found")
    _check_device_key(state, device_key, None)
    new_id = state.new_id("dev")
    created = Device(
        new_id,
        name,
        type_id,
        descr=descr,
        device_key=device_key or f"key-{new_id}",
        tags=tags,
        create_time=state.now_ms(),
    )
    state.add_device(created)
    return {"id": created.id, "name": created.name}


# ------------------------------------------------------------------------ handlers: extend infos


async def device_extend_infos(call: Call) -> Json:
    found = call.device()
    state = call.state
    device_type = state.device_types.get(found.type_id or "")
    standard: list[Json] = [
        {**info.as_json(), "value": dict(found.standard_infos.get(info.info_type, {}))}
        for info in state.standard_infos
    ]
    custom: list[Json] = [
        {**info.as_json(), "value": found.extend_values.get(info.id, info.default)}
        for info in (device_type.extend_infos if device_type else [])
    ]
    return {"items": standard + custom}


def _scalar(value: object) -> bool:
    return isinstance(value, str | bool | int | float) and not (
        isinstance(value, float) and not math.isfinite(value)
    )


async def device_standard_infos_post(call: Call) -> Json:
    found = call.device()
    body = call.obj()
    info_type = _required_str(body, "info_type")
    value = body.get("value")
    if info_type not in {info.info_type for info in call.state.standard_infos}:
        raise ApiError(404, "standard info type not found")
    if not isinstance(value, dict) or not all(_scalar(v) for v in value.values()):
        raise ApiError(400, "Invalid parameters", [{"field": "value", "message": "invalid"}])
    merged = found.standard_infos.setdefault(info_type, {})
    merged.update(value)
    return {info_type: dict(merged)}


def _info_value_ok(info_type: str, value: Json) -> bool:
    kind = info_type.lower()
    if kind == "number":
        return is_number(value)
    if kind in {"boolean", "bool", "switch"}:
        return isinstance(value, bool)
    if kind in {"text", "string", "select"}:
        return isinstance(value, str)
    return _scalar(value)


async def device_extend_infos_post(call: Call) -> Json:
    found = call.device()
    infos = call.obj().get("infos")
    if not isinstance(infos, dict):
        raise ApiError(400, "Invalid parameters", [{"field": "infos", "message": "required"}])
    device_type = call.state.device_types.get(found.type_id or "")
    defs = {info.id: info for info in device_type.extend_infos} if device_type else {}
    updated: JsonObject = {}
    for info_id, value in infos.items():
        info = defs.get(info_id)
        if info is None or not info.enabled or not _info_value_ok(info.info_type, value):
            continue
        found.extend_values[info_id] = value
        updated[info_id] = value
    return updated


# ------------------------------------------------------------------------ handlers: data


async def attributes(call: Call) -> Json:
    found = call.device()
    return [attribute_json(call.state, found, key) for key in found.attributes]


async def attributes_raw(call: Call) -> Json:
    found = call.device()
    return {key: current.value for key, current in found.attributes.items()}


def _time_query(call: Call, key: str) -> int | None:
    raw = call.request.query.get(key)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, f"Invalid parameter {key}") from None


async def attribute_series(call: Call) -> Json:
    found = call.device()
    page = _int_query(call, "page", 1, 1)
    per_page = _int_query(call, "page_records", DEFAULT_PAGE_RECORDS, 1, MAX_PAGE_RECORDS)
    start = _time_query(call, "start_time")
    end = _time_query(call, "end_time")
    if start is None or end is None:
        start = end = None  # a range applies only with both ends: else the newest points
    elif end < start:
        raise ApiError(400, "end_time must not be before start_time")
    elif end - start > MAX_SERIES_RANGE_MS:
        raise ApiError(400, "The time range must not exceed 30 days")
    identifier = call.param("identifier")
    offset = (page - 1) * per_page
    points = call.state.series_page(found.id, identifier, start, end, offset=offset, count=per_page)
    return [p.as_json() for p in points]


async def attributes_remove(call: Call) -> Json:
    found = call.device()
    call.state.remove_attributes(found.id, _str_list(call.obj(), "keys"))
    return {}


# ------------------------------------------------------------------------ handlers: control


def _enum_values(model: AttributeModel) -> list[Json] | None:
    items = model.data_options.get("items")
    if isinstance(items, dict):
        return list(items)
    if isinstance(items, list):
        return [i.get("value") if isinstance(i, dict) else i for i in items]
    return None


def _value_error(model: AttributeModel, value: Json) -> str | None:
    """Why `value` does not fit the model, or None."""
    kind = normalize_data_type(model.data_type)
    options = model.data_options
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        low, high = number_option(options, "min"), number_option(options, "max")
        if (low is not None and value < low) or (high is not None and value > high):
            return "out of range"
    elif kind == "boolean" and not isinstance(value, bool):
        return "must be a boolean"
    elif kind == "string" and not isinstance(value, str):
        return "must be a string"
    elif kind == "enum":
        values = _enum_values(model)
        # A mapping's keys are strings in JSON: accept the value or its string form.
        if values is not None and value not in values and str(value) not in map(str, values):
            return "is not one of the enum items"
    return None


def _check_write(call: Call, found: Device, body: JsonObject, *, cloud: bool) -> None:
    if not body:
        raise ApiError(400, "Invalid parameters", ["no attributes given"])
    if not call.state.validate_writes:
        return
    errors: list[Json] = []
    for identifier, value in body.items():
        model = call.state.model_of(found, identifier)
        if model is None:
            continue
        if cloud and model.kind == "report":
            errors.append({"field": identifier, "message": "is reported by the device"})
            continue
        reason = _value_error(model, value)
        if reason:
            errors.append({"field": identifier, "message": reason})
    if errors:
        raise ApiError(400, "Invalid attribute value", errors)


async def control_attributes_post(call: Call) -> Json:
    found = call.device()
    body = call.obj()
    _check_write(call, found, body, cloud=False)
    state = call.state
    # An online device applies what it receives and reports it back.
    state.writes[found.id].append(
        WriteRecord(state.now_ms(), "device", dict(body), applied=found.online)
    )
    if found.online:
        state.set_attributes(found.id, body, source="report")
    return {}


async def control_attributes_put(call: Call) -> Json:
    found = call.device()
    body = call.obj()
    _check_write(call, found, body, cloud=True)
    state = call.state
    state.writes[found.id].append(WriteRecord(state.now_ms(), "cloud", dict(body), applied=True))
    state.set_attributes(found.id, body, source="cloud")
    return {}


async def control_command(call: Call) -> Json:
    found = call.device()
    body = call.obj()
    method = _required_str(body, "method")
    params = body.get("params", {})
    command_id = body.get("id")
    if not isinstance(params, dict):
        raise ApiError(400, "Invalid parameters", [{"field": "params", "message": "object"}])
    if command_id is not None and (isinstance(command_id, bool) or not isinstance(command_id, int)):
        raise ApiError(400, "Invalid parameters", [{"field": "id", "message": "integer"}])
    state = call.state
    state.commands[found.id].append(CommandRecord(state.now_ms(), method, params, command_id))
    if found.online:
        found.active["command"] = state.now_ms()
    return {}


_HEX = re.compile(r"^(?:[0-9a-fA-F]{2}\s*)+$")

# Data stream message types and what their message must be.
_STREAM_MESSAGE_CHECKS: dict[str, Callable[[Json], bool]] = {
    "hex": lambda msg: isinstance(msg, str) and bool(_HEX.match(msg.strip())),
    "text": lambda msg: isinstance(msg, str),
    "json": lambda msg: isinstance(msg, dict | list),
}


async def control_data_stream(call: Call) -> Json:
    found = call.device()
    body = call.obj()
    push_mode = call.request.query.get("push_mode", "mqtt")
    if push_mode not in {"mqtt", "tcp"}:
        raise ApiError(400, "Invalid parameter push_mode")
    kind = body.get("type")
    check = _STREAM_MESSAGE_CHECKS.get(kind) if isinstance(kind, str) else None
    if kind is None or check is None:
        raise ApiError(400, "Invalid parameters", [{"field": "type", "message": "hex|text|json"}])
    message = body["msg"] if "msg" in body else body.get("message")
    if not check(message):
        raise ApiError(400, "Invalid parameters", [{"field": "msg", "message": f"not {kind}"}])
    state = call.state
    state.data_streams[found.id].append(
        DataStreamRecord(state.now_ms(), call.param("identifier"), str(kind), message, push_mode)
    )
    return {}


# ------------------------------------------------------------------------ handlers: alarms


def _newest_first(logs: list[AlarmLog]) -> JsonObject:
    # Of two logs with the same time, the later-written one leads.
    ordered = sorted(enumerate(logs), key=lambda pair: (pair[1].create_time, pair[0]))
    return {"items": [log.as_json() for _, log in reversed(ordered)]}


async def alarm_logs(call: Call) -> Json:
    return _newest_first(call.state.alarm_logs)


async def device_alarm_logs(call: Call) -> Json:
    found = call.device()
    return _newest_first([log for log in call.state.alarm_logs if log.device_id == found.id])


# ------------------------------------------------------------------------ handlers: customers


async def customers(call: Call) -> Json:
    return {"items": [customer_json(c) for c in call.state.customers.values()]}


async def customer_roles(call: Call) -> Json:
    state = call.state
    items: list[Json] = [
        {
            "id": r.id,
            "name": r.name,
            "descr": r.descr,
            "allow_operate_device": r.allow_operate_device,
            "allow_alarm_msg_maintain": r.allow_alarm_msg_maintain,
            "allow_add_device": r.allow_add_device,
            "create_time": r.create_time,
            "customer_count": sum(1 for c in state.customers.values() if c.role_id == r.id),
        }
        for r in state.roles.values()
    ]
    return {"items": items}


async def customer(call: Call) -> Json:
    return customer_json(call.customer(), with_role=False)


async def customer_devices(call: Call) -> Json:
    found = call.customer()
    state = call.state
    owned = [state.devices[i] for i in found.device_ids if i in state.devices]
    return paginate(call, owned)


async def customer_create(call: Call) -> Json:
    state = call.state
    body = call.obj()
    name = _required_str(body, "name")
    account = _required_str(body, "account")
    password = _required_str(body, "password")
    extra = {key: _optional_str(body, key) or "" for key in ("descr", "email", "mobile")}
    tags = _tags(body)
    if any(c.account == account for c in state.customers.values()):
        raise ApiError(409, "account already exists")
    created = Customer(
        state.new_id("cust"),
        account,
        password,
        name,
        descr=extra["descr"],
        email=extra["email"],
        mobile=extra["mobile"],
        tags=tags,
        create_time=state.now_ms(),
    )
    state.add_customer(created)
    return {"id": created.id, "name": created.name}


async def customer_info_put(call: Call) -> Json:
    found = call.customer()
    body = call.obj()
    values = {key: _optional_str(body, key) for key in ("name", "descr", "email", "mobile")}
    if all(value is None for value in values.values()):
        raise ApiError(400, "Invalid parameters", ["at least one field is required"])
    if values["name"] is not None and not values["name"].strip():
        raise ApiError(400, "Invalid parameters", [{"field": "name", "message": "required"}])
    for key, value in values.items():
        if value is not None:
            setattr(found, key, value)
    return {}


async def customer_pwd_put(call: Call) -> Json:
    found = call.customer()
    found.password = _required_str(call.obj(), "password")
    return {}


async def customer_tags_put(call: Call) -> Json:
    found = call.customer()
    found.tags.update(_tags(call.obj(), required=True))
    return {}


async def customer_delete(call: Call) -> Json:
    del call.state.customers[call.customer().id]
    return {}


async def customer_auth(call: Call) -> Json:
    body = call.obj()
    account = _required_str(body, "account")
    password = _required_str(body, "password")
    found = next((c for c in call.state.customers.values() if c.account == account), None)
    if found is None or found.password != password:
        raise ApiError(400, "Invalid account or password")
    return {"id": found.id, "name": found.name}


HANDLERS: dict[str, HandlerFn] = {
    "access_token": access_token,
    "admin_login": admin_login,
    "project": project,
    "devices_stat": devices_stat,
    "devices_alarm_stat": devices_alarm_stat,
    "device_types": device_types,
    "device_type_extend_infos": device_type_extend_infos,
    "device_groups_tree": device_groups_tree,
    "devices": devices,
    "device": device,
    "device_certificate": device_certificate,
    "device_customers": device_customers,
    "device_info_put": device_info_put,
    "device_tags_put": device_tags_put,
    "device_tags_remove": device_tags_remove,
    "device_groups_put": device_groups_put,
    "device_delete": device_delete,
    "device_create": device_create,
    "device_extend_infos": device_extend_infos,
    "device_standard_infos_post": device_standard_infos_post,
    "device_extend_infos_post": device_extend_infos_post,
    "attributes": attributes,
    "attributes_raw": attributes_raw,
    "attribute_series": attribute_series,
    "attributes_remove": attributes_remove,
    "control_attributes_post": control_attributes_post,
    "control_attributes_put": control_attributes_put,
    "control_command": control_command,
    "control_data_stream": control_data_stream,
    "alarm_logs": alarm_logs,
    "device_alarm_logs": device_alarm_logs,
    "customers": customers,
    "customer_roles": customer_roles,
    "customer": customer,
    "customer_devices": customer_devices,
    "customer_create": customer_create,
    "customer_info_put": customer_info_put,
    "customer_pwd_put": customer_pwd_put,
    "customer_tags_put": customer_tags_put,
    "customer_delete": customer_delete,
    "customer_auth": customer_auth,
    "admin": admin,
}


# ------------------------------------------------------------------------ request pipeline


async def _read_body(request: web.Request) -> tuple[bool, Json]:
    """(True, the parsed JSON body of a POST/PUT) or (False, None) when it is not valid JSON."""
    raw = await request.read()
    try:
        return True, json.loads(raw.decode("utf-8"))
    except ValueError, RecursionError:  # RecursionError: nested too deeply to parse
        return False, None


def _bearer(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def _fault_response(state: SimulatorState, faults: list[Fault]) -> web.Response | None:
    """Apply the faults of one request; a response ends the request there."""
    for fault in faults:
        if fault.kind == "latency":
            await state.hang(fault.number("ms", 1000) / 1000)
    for fault in faults:
        match fault.kind:
            case "hang":
                if await state.hang(fault.number("seconds", 60)):
                    return json_response({"message": "Simulator shutting down"}, status=503)
            case "http_error":
                status = int(fault.number("status", 500))
                body = fault.text("body")
                if body is None:
                    reason = web.Response(status=status).reason
                    body = f"<html><body><h1>{status} {reason}</h1></body></html>"
                return web.Response(status=status, text=body, content_type="text/html")
            case "invalid_json":
                body = fault.text("body")
                return web.Response(
                    text="<html>not json" if body is None else body,
                    content_type="application/json",
                )
            case "result_false":
                message = fault.text("message") or "Simulated failure"
                return fail(int(fault.number("errcode", 500)), message)
            case "token_expired":
                state.expire_tokens()
            case "rate_limit":
                retry_after = fault.number("retry_after", 1)
                response = json_response(
                    {
                        "result": False,
                        "errcode": 429,
                        "message": "Too Many Requests",
                        "retry_after": int(retry_after)
                        if retry_after.is_integer()
                        else retry_after,
                    },
                    status=429,
                )
                response.headers["Retry-After"] = str(math.ceil(retry_after))
                return response
    return None


def _endpoint(route: Route, handler: HandlerFn) -> Callable[[web.Request], Awaitable[web.Response]]:
    has_body = route.method in {"POST", "PUT"}

    async def handle(request: web.Request) -> web.Response:
        state = request.app[STATE_KEY]
        valid, body = await _read_body(request) if has_body else (True, None)
        entry = state.record_request(
            request.method,
            request.path,
            raw_path=request.raw_path,
            route=route.name,
            query=dict(request.query),
            body=body,
        )
        response = await _serve(state, request, route, handler, body, valid_body=valid)
        entry.status = response.status
        return response

    return handle


async def _serve(
    state: SimulatorState,
    request: web.Request,
    route: Route,
    handler: HandlerFn,
    body: Json,
    *,
    valid_body: bool,
) -> web.Response:
    if state.faults:
        faulted = await _fault_response(state, state.faults.take(route.name, auth=route.auth))
        if faulted is not None:
            return faulted
    if not valid_body:
        return invalid_json()
    token: Token | None = None
    if route.auth:
        value = _bearer(request)
        token = state.check_token(value) if value else None
        if token is None:
            return unauthorized()
        wait = state.take_rate(token.value)
        if wait is not None:
            return too_many_requests(wait if state.rate_limit_retry_after else None)
    try:
        info = await handler(Call(state, request, body, token))
    except ApiError as err:
        return fail(err.errcode, err.message, err.errors)
    return ok(info)


@web.middleware
async def _not_found_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Answer unknown paths and methods like ThingsCloud: 404 {"message": "Request invalid"}."""
    if request.match_info.route.name is not None:
        return await handler(request)
    state = request.app[STATE_KEY]
    entry = state.record_request(
        request.method,
        request.path,
        raw_path=request.raw_path,
        route=None,
        query=dict(request.query),
        body=None,
    )
    entry.status = 404
    return not_found()


def create_app(state: SimulatorState) -> web.Application:
    """The simulator's aiohttp application (API under /api/v1, admin API under /_sim/)."""
    app = web.Application(middlewares=[_not_found_middleware])
    app[STATE_KEY] = state
    for route in ROUTES:
        app.router.add_route(
            route.method,
            API_PREFIX + route.path,
            _endpoint(route, HANDLERS[route.name]),
            name=route.name,
        )
    add_admin_routes(app, state)
    add_broker(app, state)
    return app
