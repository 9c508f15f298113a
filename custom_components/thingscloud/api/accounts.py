"""Models of the people of a project: customers, their roles, administrators, credentials."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Self

from .parsing import (
    ApiModel,
    JsonObject,
    api_field,
    api_id,
    api_model,
    as_object,
    id_or_empty,
    parse_bool,
    parse_id,
    parse_int,
    parse_tags,
    parse_text,
    parse_timestamp,
    text_of,
)


@api_model
class Customer(ApiModel):
    """A user (customer) of the project.

    ``device_count`` is read from ``count.device_count``, else from ``device_count``.
    """

    id: str = api_id()
    account: str | None = api_field(parse_text)
    name: str = api_field(text_of)
    descr: str = api_field(text_of)
    role_id: str | None = api_field(parse_id)
    email: str | None = api_field(parse_text)
    mobile: str | None = api_field(parse_text)
    tags: dict[str, str] = api_field(parse_tags)
    locale: str | None = api_field(parse_text)
    create_time: datetime | None = api_field(parse_timestamp)
    device_count: int | None
    raw: JsonObject = field(repr=False)

    @classmethod
    def from_api(cls, data: object) -> Self:
        """Build from a customer object; ``ValueError`` without an id."""
        raw = as_object(data)
        device_count = parse_int(as_object(raw.get("count")).get("device_count"))
        if device_count is None:
            device_count = parse_int(raw.get("device_count"))
        return cls.build(raw, device_count=device_count)


@api_model
class CustomerRole(ApiModel):
    """A role that customers can have."""

    id: str = api_id()
    name: str = api_field(text_of)
    descr: str = api_field(text_of)
    allow_operate_device: bool | None = api_field(parse_bool)
    allow_alarm_msg_maintain: bool | None = api_field(parse_bool)
    allow_add_device: bool | None = api_field(parse_bool)
    create_time: datetime | None = api_field(parse_timestamp)
    customer_count: int | None = api_field(parse_int)
    raw: JsonObject = field(repr=False)


@api_model
class Admin(ApiModel):
    """The administrator the access token was issued to (``GET /admin``)."""

    id: str = api_field(id_or_empty)
    account: str | None = api_field(parse_text)
    name: str = api_field(text_of)
    email: str | None = api_field(parse_text)
    tags: dict[str, str] = api_field(parse_tags)
    raw: JsonObject = field(repr=False)


@api_model
class CreatedResource(ApiModel):
    """The id and name a create (or customer auth) call answers with."""

    id: str = api_id()
    name: str = api_field(text_of)
    raw: JsonObject = field(repr=False)


@dataclass(frozen=True, slots=True)
class AppCredentials:
    """API application credentials (``POST /access_token``); the keys stay out of repr."""

    app_id: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class AdminCredentials:
    """Administrator credentials (``POST /admin_login``); the password stays out of repr."""

    app_id: str
    account: str
    password: str = field(repr=False)
