"""The route table of the simulated ThingsCloud project HTTP API.

One row per endpoint of the reference: the route name (used by faults and the request log),
the HTTP method, the aiohttp path pattern and whether an access token is required.
"""

from __future__ import annotations

from dataclasses import dataclass

API_PREFIX = "/api/v1"


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint of the API."""

    name: str
    method: str
    path: str
    auth: bool = True


ROUTES: tuple[Route, ...] = (
    Route("access_token", "POST", "/access_token", auth=False),
    Route("admin_login", "POST", "/admin_login", auth=False),
    Route("project", "GET", "/project"),
    Route("devices_stat", "GET", "/devices_stat"),
    Route("devices_alarm_stat", "GET", "/devices_alarm_stat"),
    Route("device_types", "GET", "/device_types"),
    Route("device_type_extend_infos", "GET", "/device_type/{device_type_id}/extend_infos"),
    Route("device_groups_tree", "GET", "/device_groups_tree"),
    Route("devices", "GET", "/devices"),
    Route("device", "GET", "/device/{device_id}"),
    Route("device_certificate", "GET", "/device/{device_id}/certificate"),
    Route("device_customers", "GET", "/device/{device_id}/customers"),
    Route("device_info_put", "PUT", "/device/{device_id}/info"),
    Route("device_tags_put", "PUT", "/device/{device_id}/tags"),
    Route("device_tags_remove", "POST", "/device/{device_id}/tags_remove"),
    Route("device_groups_put", "PUT", "/device/{device_id}/groups"),
    Route("device_delete", "DELETE", "/device/{device_id}"),
    Route("device_create", "POST", "/device"),
    Route("device_extend_infos", "GET", "/device/{device_id}/extend_infos"),
    Route("device_standard_infos_post", "POST", "/device/{device_id}/standard_infos"),
    Route("device_extend_infos_post", "POST", "/device/{device_id}/extend_infos"),
    Route("attributes", "GET", "/device/{device_id}/attributes"),
    Route("attributes_raw", "GET", "/device/{device_id}/attributes_raw"),
    Route("attribute_series", "GET", "/device/{device_id}/attribute/{identifier}/series"),
    Route("attributes_remove", "POST", "/device/{device_id}/attributes_remove"),
    Route("control_attributes_post", "POST", "/control/device/{device_id}/attributes"),
    Route("control_attributes_put", "PUT", "/control/device/{device_id}/attributes"),
    Route("control_command", "POST", "/control/device/{device_id}/command"),
    Route("control_data_stream", "POST", "/control/device/{device_id}/data/{identifier}/set"),
    Route("alarm_logs", "GET", "/alarm_logs"),
    Route("device_alarm_logs", "GET", "/device/{device_id}/alarm_logs"),
    Route("customers", "GET", "/customers"),
    Route("customer_roles", "GET", "/customer_roles"),
    Route("customer", "GET", "/customer/{customer_id}"),
    Route("customer_devices", "GET", "/customer/{customer_id}/devices"),
    Route("customer_create", "POST", "/customer"),
    Route("customer_info_put", "PUT", "/customer/{customer_id}/info"),
    Route("customer_pwd_put", "PUT", "/customer/{customer_id}/pwd"),
    Route("customer_tags_put", "PUT", "/customer/{customer_id}/tags"),
    Route("customer_delete", "DELETE", "/customer/{customer_id}"),
    Route("customer_auth", "POST", "/customer_auth"),
    Route("admin", "GET", "/admin"),
)

ROUTES_BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}
ROUTE_NAMES: frozenset[str] = frozenset(ROUTES_BY_NAME)
