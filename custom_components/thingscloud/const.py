"""Constants for the ThingsCloud integration."""

from datetime import timedelta
import logging
from typing import Final

DOMAIN: Final = "thingscloud"
LOGGER = logging.getLogger(__package__)

# Config entry data: the form fields of CONTRACT.md.
CONF_ENDPOINT: Final = "endpoint"
CONF_AUTH_TYPE: Final = "auth_type"
CONF_APP_ID: Final = "app_id"
CONF_ACCESS_KEY: Final = "access_key"
CONF_SECRET_KEY: Final = "secret_key"  # noqa: S105 - a form field name
CONF_ACCOUNT: Final = "account"
CONF_PASSWORD: Final = "password"  # noqa: S105 - a form field name

AUTH_TYPE_APP: Final = "app"
AUTH_TYPE_ADMIN: Final = "admin"
CREDENTIAL_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    AUTH_TYPE_APP: (CONF_APP_ID, CONF_ACCESS_KEY, CONF_SECRET_KEY),
    AUTH_TYPE_ADMIN: (CONF_APP_ID, CONF_ACCOUNT, CONF_PASSWORD),
}

# Options.
CONF_SCAN_INTERVAL: Final = "scan_interval"
DEFAULT_SCAN_INTERVAL: Final = 60
MIN_SCAN_INTERVAL: Final = 10
MAX_SCAN_INTERVAL: Final = 3600
CONF_DEVICE_TYPES: Final = "device_types"
CONF_GROUPS: Final = "groups"
CONF_COMMANDS: Final = "commands"

# Events.
EVENT_ALARM: Final = "thingscloud_alarm"

# Identifiers.
PROJECT_IDENTIFIER_PREFIX: Final = "project_"

DEFAULT_UPDATE_INTERVAL: Final = timedelta(seconds=DEFAULT_SCAN_INTERVAL)
