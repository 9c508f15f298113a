"""Small helpers shared by the config flow and the integration setup."""

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import AdminCredentials, AppCredentials, ThingsCloudClient
from .const import (
    AUTH_TYPE_ADMIN,
    AUTH_TYPE_APP,
    CONF_ACCESS_KEY,
    CONF_ACCOUNT,
    CONF_APP_ID,
    CONF_AUTH_TYPE,
    CONF_ENDPOINT,
    CONF_PASSWORD,
    CONF_SECRET_KEY,
)


def create_credentials(data: Mapping[str, Any]) -> AppCredentials | AdminCredentials:
    """Return the client credentials of config entry data (or flow input shaped like it)."""
    auth_type = data[CONF_AUTH_TYPE]
    if auth_type == AUTH_TYPE_APP:
        return AppCredentials(
            app_id=data[CONF_APP_ID],
            access_key=data[CONF_ACCESS_KEY],
            secret_key=data[CONF_SECRET_KEY],
        )
    if auth_type == AUTH_TYPE_ADMIN:
        return AdminCredentials(
            app_id=data[CONF_APP_ID],
            account=data[CONF_ACCOUNT],
            password=data[CONF_PASSWORD],
        )
    raise ValueError(f"Unknown ThingsCloud auth type: {auth_type!r}")


def create_client(hass: HomeAssistant, data: Mapping[str, Any]) -> ThingsCloudClient:
    """Return a client for config entry data, on Home Assistant's shared HTTP session.

    The client does not own the session: closing it is not needed.
    Raises ``ThingsCloudInvalidEndpointError`` for an unusable endpoint and
    ``ValueError`` for an unknown ``auth_type``.
    """
    return ThingsCloudClient(
        data[CONF_ENDPOINT],
        create_credentials(data),
        session=async_get_clientsession(hass),
    )
