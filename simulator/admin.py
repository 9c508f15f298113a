"""The simulator's own admin HTTP API under /_sim/: faults, ticks, request log, state.

Not part of ThingsCloud. Errors are HTTP 400/404 with {"error": "..."}.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
import json
from typing import Any

from aiohttp import web

from .jsontypes import Json, JsonObject
from .state import SimulatorState

SIM_PREFIX = "/_sim"
_NOT_AN_OBJECT = "the body must be a JSON object"

type AdminHandler = Callable[[web.Request], Awaitable[web.Response]]


def _error(message: str, status: int = 400) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json_object(request: web.Request) -> JsonObject | None:
    """The request's JSON object body ({} when empty), or None when it is not an object."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError, RecursionError:  # RecursionError: nested too deeply to parse
        return None
    return data if isinstance(data, dict) else None


def state_json(state: SimulatorState) -> JsonObject:
    """A readable dump of the simulated project."""
    devices: list[Json] = [
        {
            "id": d.id,
            "name": d.name,
            "type": d.type_id,
            "online": d.online,
            "alarm": dict(d.alarm),
            "active": dict(d.active),
            "groups": list(d.groups),
            "attributes": {key: current.value for key, current in d.attributes.items()},
        }
        for d in state.devices.values()
    ]
    return {
        "project": state.project.as_json(),
        "devices_stat": dict(state.devices_stat()),
        "devices": devices,
        "customers": list[Json](sorted(state.customers)),
        "tokens": len(state.tokens),
        "ticks": state.ticks,
        "faults": [fault.as_dict() for fault in state.faults.active],
        "counts": dict(state.request_counts()),
        "control": control_json(state),
    }


def control_json(state: SimulatorState) -> JsonObject:
    """Recorded control traffic per device."""
    return {
        "commands": {k: [r.as_json() for r in v] for k, v in state.commands.items()},
        "data_streams": {k: [r.as_json() for r in v] for k, v in state.data_streams.items()},
        "writes": {k: [r.as_json() for r in v] for k, v in state.writes.items()},
    }


def add_admin_routes(app: web.Application, state: SimulatorState) -> None:
    """Register the /_sim/ routes of one state on an app."""

    async def get_state(request: web.Request) -> web.Response:
        return web.json_response(state_json(state))

    async def get_control(request: web.Request) -> web.Response:
        return web.json_response(control_json(state))

    async def get_faults(request: web.Request) -> web.Response:
        return web.json_response({"faults": [f.as_dict() for f in state.faults.active]})

    async def post_fault(request: web.Request) -> web.Response:
        body: dict[str, Any] | None = await _json_object(request)
        if body is None:
            return _error(_NOT_AN_OBJECT)
        kind = body.pop("kind", None)
        endpoint = body.pop("endpoint", None)
        if not isinstance(kind, str):
            return _error("kind is required")
        if endpoint is not None and not isinstance(endpoint, str):
            return _error("endpoint must be a route name")
        try:
            fault = state.faults.set(kind, endpoint, count=body.pop("count", None), **body)
        except ValueError as err:
            return _error(str(err))
        return web.json_response({"fault": fault.as_dict()})

    async def delete_faults(request: web.Request) -> web.Response:
        query = request.query
        removed = state.faults.clear(query.get("kind"), query.get("endpoint"))
        return web.json_response({"removed": removed})

    async def post_tick(request: web.Request) -> web.Response:
        body = await _json_object(request)
        if body is None:
            return _error(_NOT_AN_OBJECT)
        count = body.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            return _error("count must be a positive integer")
        changed: list[str] = []
        for _ in range(count):
            changed.extend(state.tick())
        return web.json_response({"changed": changed, "ticks": state.ticks})

    async def get_log(request: web.Request) -> web.Response:
        route = request.query.get("route")
        entries = state.requests(route)
        limit = request.query.get("limit")
        if limit is not None:
            if not limit.isdigit():
                return _error("limit must be a number")
            entries = entries[-int(limit) :] if int(limit) else []
        return web.json_response({"entries": [e.as_json() for e in entries]})

    async def delete_log(request: web.Request) -> web.Response:
        state.clear_log()
        return web.json_response({"cleared": True})

    async def get_counts(request: web.Request) -> web.Response:
        return web.json_response({"counts": state.request_counts()})

    async def expire_tokens(request: web.Request) -> web.Response:
        return web.json_response({"expired": state.expire_tokens()})

    def rate_limit_json() -> JsonObject:
        return {"per_second": state.rate_limit, "retry_after": state.rate_limit_retry_after}

    async def get_rate_limit(request: web.Request) -> web.Response:
        return web.json_response(rate_limit_json())

    async def post_rate_limit(request: web.Request) -> web.Response:
        body = await _json_object(request)
        if body is None:
            return _error(_NOT_AN_OBJECT)
        per_second, retry_after = body.get("per_second"), body.get("retry_after", True)
        if per_second is not None and (
            isinstance(per_second, bool) or not isinstance(per_second, int | float)
        ):
            return _error("per_second must be a positive number or null")
        if not isinstance(retry_after, bool):
            return _error("retry_after must be true or false")
        try:
            state.set_rate_limit(per_second, retry_after)
        except ValueError as err:
            return _error(str(err))
        return web.json_response(rate_limit_json())

    async def delete_rate_limit(request: web.Request) -> web.Response:
        state.set_rate_limit(None)
        return web.json_response(rate_limit_json())

    def device_action(
        action: Callable[[str, JsonObject], str | None],
    ) -> AdminHandler:
        async def handle(request: web.Request) -> web.Response:
            device_id = request.match_info["device_id"]
            if device_id not in state.devices:
                return _error("device not found", 404)
            body = await _json_object(request)
            if body is None:
                return _error(_NOT_AN_OBJECT)
            problem = action(device_id, body)
            if problem:
                return _error(problem)
            return web.json_response({"device": device_id})

        return handle

    def set_online(device_id: str, body: JsonObject) -> str | None:
        online = body.get("online")
        if not isinstance(online, bool):
            return "online must be true or false"
        state.set_online(device_id, online)
        return None

    def set_alarm(device_id: str, body: JsonObject) -> str | None:
        level, info = body.get("level"), body.get("info", {})
        if level is not None and (
            isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 3
        ):
            return "level must be 1, 2, 3, 0 or null"
        if not isinstance(info, dict):
            return "info must be an object"
        state.set_alarm(device_id, level, info)
        return None

    def report(device_id: str, body: JsonObject) -> str | None:
        if not body:
            return "no attributes given"
        state.set_attributes(device_id, body)
        return None

    router = app.router
    router.add_get(f"{SIM_PREFIX}/state", get_state, name="sim_state")
    router.add_get(f"{SIM_PREFIX}/control", get_control, name="sim_control")
    router.add_get(f"{SIM_PREFIX}/faults", get_faults, name="sim_faults")
    router.add_post(f"{SIM_PREFIX}/faults", post_fault, name="sim_faults_post")
    router.add_delete(f"{SIM_PREFIX}/faults", delete_faults, name="sim_faults_delete")
    router.add_post(f"{SIM_PREFIX}/tick", post_tick, name="sim_tick")
    router.add_get(f"{SIM_PREFIX}/log", get_log, name="sim_log")
    router.add_delete(f"{SIM_PREFIX}/log", delete_log, name="sim_log_delete")
    router.add_get(f"{SIM_PREFIX}/counts", get_counts, name="sim_counts")
    router.add_post(f"{SIM_PREFIX}/tokens/expire", expire_tokens, name="sim_tokens_expire")
    router.add_get(f"{SIM_PREFIX}/rate_limit", get_rate_limit, name="sim_rate_limit")
    router.add_post(f"{SIM_PREFIX}/rate_limit", post_rate_limit, name="sim_rate_limit_post")
    router.add_delete(f"{SIM_PREFIX}/rate_limit", delete_rate_limit, name="sim_rate_limit_delete")
    device_path = SIM_PREFIX + "/devices/{device_id}"
    router.add_post(f"{device_path}/online", device_action(set_online), name="sim_online")
    router.add_post(f"{device_path}/alarm", device_action(set_alarm), name="sim_alarm")
    router.add_post(f"{device_path}/report", device_action(report), name="sim_report")
