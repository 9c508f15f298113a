"""Helpers shared by the thing-model tests (pure functions, no Home Assistant instance)."""

from typing import Any

from custom_components.thingscloud.api.models import AttributeModel, JsonValue
from custom_components.thingscloud.thing_model import AttributeSpec, describe_attribute


def model(
    data_type: str | None = None,
    attr_type: str | None = "report",
    name: str | None = None,
    **data_options: Any,
) -> AttributeModel:
    """Build an attribute model the way the client does."""
    fields = {"data_type": data_type, "attr_type": attr_type, "name": name}
    raw: dict[str, Any] = {key: value for key, value in fields.items() if value is not None}
    return AttributeModel.from_api({**raw, "data_options": data_options})


def describe(
    identifier: str = "attr",
    value: JsonValue = None,
    data_type: str | None = None,
    attr_type: str | None = "report",
    name: str | None = None,
    **data_options: Any,
) -> AttributeSpec:
    """Describe an attribute with a model."""
    return describe_attribute(identifier, value, model(data_type, attr_type, name, **data_options))
