"""HA-free async client of the ThingsCloud project HTTP API."""

from .accounts import (
    Admin,
    AdminCredentials,
    AppCredentials,
    CreatedResource,
    Customer,
    CustomerRole,
)
from .client import ThingsCloudClient
from .const import DEVICES_PAGE_RECORDS
from .errors import (
    ThingsCloudApiError,
    ThingsCloudAuthError,
    ThingsCloudConnectionError,
    ThingsCloudError,
    ThingsCloudForbiddenError,
    ThingsCloudInvalidEndpointError,
    ThingsCloudInvalidIdError,
    ThingsCloudNotFoundError,
    ThingsCloudRateLimitError,
    ThingsCloudTimeoutError,
)
from .models import (
    AlarmLog,
    Attribute,
    AttributeModel,
    Device,
    DeviceAlarm,
    DeviceCertificate,
    DeviceGroup,
    DevicePage,
    DeviceType,
    DeviceTypeInfo,
    ExtendInfo,
    Project,
    SeriesPoint,
)
from .pacing import PacingState
from .params import encode_path_segment
from .parsing import JsonObject, JsonValue, parse_bool, parse_number, parse_timestamp
from .project import AlarmChange, DeviceSnapshot, ProjectData, ProjectReader
from .transport import normalize_endpoint
from .vocabulary import ALARM_LEVEL_NAMES

__all__ = [
    "ALARM_LEVEL_NAMES",
    "DEVICES_PAGE_RECORDS",
    "Admin",
    "AdminCredentials",
    "AlarmChange",
    "AlarmLog",
    "AppCredentials",
    "Attribute",
    "AttributeModel",
    "CreatedResource",
    "Customer",
    "CustomerRole",
    "Device",
    "DeviceAlarm",
    "DeviceCertificate",
    "DeviceGroup",
    "DevicePage",
    "DeviceSnapshot",
    "DeviceType",
    "DeviceTypeInfo",
    "ExtendInfo",
    "JsonObject",
    "JsonValue",
    "PacingState",
    "Project",
    "ProjectData",
    "ProjectReader",
    "SeriesPoint",
    "ThingsCloudApiError",
    "ThingsCloudAuthError",
    "ThingsCloudClient",
    "ThingsCloudConnectionError",
    "ThingsCloudError",
    "ThingsCloudForbiddenError",
    "ThingsCloudInvalidEndpointError",
    "ThingsCloudInvalidIdError",
    "ThingsCloudNotFoundError",
    "ThingsCloudRateLimitError",
    "ThingsCloudTimeoutError",
    "encode_path_segment",
    "normalize_endpoint",
    "parse_bool",
    "parse_number",
    "parse_timestamp",
]
