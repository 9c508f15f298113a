"""Constants of the ThingsCloud project HTTP API (paths, limits, defaults)."""

from typing import Final

API_PREFIX: Final = "/api/v1"

# Authentication (no Authorization header).
PATH_ACCESS_TOKEN: Final = f"{API_PREFIX}/access_token"
PATH_ADMIN_LOGIN: Final = f"{API_PREFIX}/admin_login"

# Project.
PATH_PROJECT: Final = f"{API_PREFIX}/project"
PATH_DEVICES_STAT: Final = f"{API_PREFIX}/devices_stat"
PATH_DEVICES_ALARM_STAT: Final = f"{API_PREFIX}/devices_alarm_stat"

# Device types and groups.
PATH_DEVICE_TYPES: Final = f"{API_PREFIX}/device_types"
PATH_DEVICE_TYPE_EXTEND_INFOS: Final = f"{API_PREFIX}/device_type/{{device_type_id}}/extend_infos"
PATH_DEVICE_GROUPS_TREE: Final = f"{API_PREFIX}/device_groups_tree"

# Devices. Placeholders are filled with percent-encoded single path segments only.
PATH_DEVICES: Final = f"{API_PREFIX}/devices"
PATH_DEVICE_CREATE: Final = f"{API_PREFIX}/device"
PATH_DEVICE: Final = f"{API_PREFIX}/device/{{device_id}}"
PATH_DEVICE_CERTIFICATE: Final = f"{PATH_DEVICE}/certificate"
PATH_DEVICE_CUSTOMERS: Final = f"{PATH_DEVICE}/customers"
PATH_DEVICE_INFO: Final = f"{PATH_DEVICE}/info"
PATH_DEVICE_TAGS: Final = f"{PATH_DEVICE}/tags"
PATH_DEVICE_TAGS_REMOVE: Final = f"{PATH_DEVICE}/tags_remove"
PATH_DEVICE_GROUPS: Final = f"{PATH_DEVICE}/groups"
PATH_DEVICE_EXTEND_INFOS: Final = f"{PATH_DEVICE}/extend_infos"
PATH_DEVICE_STANDARD_INFOS: Final = f"{PATH_DEVICE}/standard_infos"
PATH_DEVICE_ATTRIBUTES: Final = f"{PATH_DEVICE}/attributes"
PATH_DEVICE_ATTRIBUTES_RAW: Final = f"{PATH_DEVICE}/attributes_raw"
PATH_DEVICE_ATTRIBUTE_SERIES: Final = f"{PATH_DEVICE}/attribute/{{identifier}}/series"
PATH_DEVICE_ATTRIBUTES_REMOVE: Final = f"{PATH_DEVICE}/attributes_remove"
PATH_DEVICE_ALARM_LOGS: Final = f"{PATH_DEVICE}/alarm_logs"

# Device communication.
PATH_CONTROL_ATTRIBUTES: Final = f"{API_PREFIX}/control/device/{{device_id}}/attributes"
PATH_CONTROL_COMMAND: Final = f"{API_PREFIX}/control/device/{{device_id}}/command"
PATH_CONTROL_DATA_STREAM: Final = (
    f"{API_PREFIX}/control/device/{{device_id}}/data/{{identifier}}/set"
)

# Alarms.
PATH_ALARM_LOGS: Final = f"{API_PREFIX}/alarm_logs"

# Customers (users of the project).
PATH_CUSTOMERS: Final = f"{API_PREFIX}/customers"
PATH_CUSTOMER_ROLES: Final = f"{API_PREFIX}/customer_roles"
PATH_CUSTOMER_CREATE: Final = f"{API_PREFIX}/customer"
PATH_CUSTOMER: Final = f"{API_PREFIX}/customer/{{customer_id}}"
PATH_CUSTOMER_DEVICES: Final = f"{PATH_CUSTOMER}/devices"
PATH_CUSTOMER_INFO: Final = f"{PATH_CUSTOMER}/info"
PATH_CUSTOMER_PASSWORD: Final = f"{PATH_CUSTOMER}/pwd"
PATH_CUSTOMER_TAGS: Final = f"{PATH_CUSTOMER}/tags"
PATH_CUSTOMER_AUTH: Final = f"{API_PREFIX}/customer_auth"

# Administrator.
PATH_ADMIN: Final = f"{API_PREFIX}/admin"

# Defaults and limits.
DEFAULT_REQUEST_TIMEOUT: Final = 15.0
"""Seconds for one whole request (connect, send, read)."""

DEVICES_PAGE_RECORDS: Final = 100
"""``page_records`` sent to ``/devices``: undocumented, but ThingsCloud's own tools send it."""

MAX_DEVICE_PAGES: Final = 1000
"""Stop walking a device list after this many pages, whatever ``page_total`` says."""

MAX_PARALLEL_PAGES: Final = 4
"""Pages of a device list read at the same time (from page 3 on, see ``_walk_pages``)."""

SERIES_PAGE_RECORDS_MIN: Final = 1
SERIES_PAGE_RECORDS_MAX: Final = 100
SERIES_PAGE_RECORDS_DEFAULT: Final = 20
SERIES_MAX_RANGE_DAYS: Final = 30
"""The API refuses a history range longer than 30 days."""

SERIES_RANGE_MAX_PAGES: Final = 200
"""Pages read per 30-day window of ``get_attribute_series_range`` before giving up on it."""

MAX_LISTING_CACHES: Final = 32
"""Device list filters whose parsed devices are kept for reuse (the most recently walked)."""

# Pacing of requests (see pacing.py). ThingsCloud documents no rate limit; it answers 429.
PACING_MAX_CONCURRENCY: Final = 8
"""Requests in flight at once while ThingsCloud does not push back."""

PACING_BACKGROUND_SLOTS: Final = 2
"""Most background requests in flight at once (fewer when the concurrency is lower)."""

PACING_DEFAULT_SPACING: Final = 0.2
"""Seconds between request starts after a first 429 (5 requests a second); it doubles with
each further 429."""

PACING_MAX_SPACING: Final = 5.0
"""Longest spacing between request starts (a cycle of 100 requests then takes 8 minutes)."""

PACING_MAX_PAUSE: Final = 60.0
"""Longest pause for a Retry-After."""

PACING_MIN_SPACING: Final = 0.05
"""A spacing that recovers below this many seconds is dropped."""

PACING_RETRIES: Final = 2
"""Times a request answered 429 with a short wait is sent again (after the wait)."""

PACING_RECOVERY_SUCCESSES: Final = 10
"""Answers without a 429 in a row before the concurrency grows by one and the spacing halves."""

APP_TOKEN_LIFETIME: Final = 86400.0
"""Seconds an application access token lives when ``expires_in`` is not given (1 day)."""

ADMIN_TOKEN_LIFETIME: Final = 7 * 86400.0
"""Seconds an administrator access token lives (7 days; the login answer has no ``expires_in``)."""

TOKEN_REFRESH_MARGIN: Final = 300.0
"""Refresh a token this many seconds before it expires ..."""

TOKEN_REFRESH_MARGIN_SHARE: Final = 0.1
"""... or this share of its lifetime, whichever is smaller (short lifetimes)."""

MAX_ID_LENGTH: Final = 256
"""Longest path parameter accepted."""

MAX_GROUP_DEPTH: Final = 32
"""Deepest device group tree that is parsed."""

DATA_STREAM_TYPES: Final = ("hex", "text", "json")
PUSH_MODES: Final = ("mqtt", "tcp")
