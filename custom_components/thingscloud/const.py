"""Constants of the ThingsCloud integration."""

import logging
from typing import Final

DOMAIN: Final = "thingscloud"
LOGGER = logging.getLogger(__package__)
MANUFACTURER: Final = "ThingsCloud"

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
CONF_MQTT_URL: Final = "mqtt_url"
CONF_VIEW_KEY: Final = "view_key"
CONF_VIEW_SECRET: Final = "view_secret"  # noqa: S105 - a form field name
REALTIME_FIELDS: Final = (CONF_MQTT_URL, CONF_VIEW_KEY, CONF_VIEW_SECRET)

# Command switches and buttons: config subentries.
SUBENTRY_COMMAND_SWITCH: Final = "command_switch"
SUBENTRY_COMMAND_BUTTON: Final = "command_button"
CONF_DEVICE_ID: Final = "device_id"
CONF_NAME: Final = "name"
CONF_COMMAND_ID: Final = "command_id"
CONF_METHOD: Final = "method"
CONF_PARAMS: Final = "params"
CONF_OFF_METHOD: Final = "off_method"
CONF_OFF_PARAMS: Final = "off_params"
CONF_STATE_ATTRIBUTE: Final = "state_attribute"

# The alarm event on the bus, and its data.
EVENT_ALARM: Final = "thingscloud_alarm"
ATTR_THINGSCLOUD_DEVICE_ID: Final = "thingscloud_device_id"
ATTR_ALARM: Final = "alarm"
ATTR_LEVEL: Final = "level"
ATTR_LEVEL_NAME: Final = "level_name"
ATTR_INFO: Final = "info"

PROJECT_IDENTIFIER_PREFIX: Final = "project_"
