"""Areas suggested from the group tree, read as ThingsCloud answers it."""

from unittest.mock import AsyncMock, create_autospec

from custom_components.thingscloud.api import (
    Device,
    DeviceGroup,
    ThingsCloudClient,
    ThingsCloudConnectionError,
    ThingsCloudRateLimitError,
)
from custom_components.thingscloud.api.project import ProjectReader
from custom_components.thingscloud.errors import bounded_retry_after

TREE = [
    DeviceGroup.from_api({"id": "kitchen", "name": "Kitchen, listed first"}),
    DeviceGroup.from_api(
        {
            "id": "home",
            "name": "Home",
            "children": [{"id": "kitchen", "name": "Kitchen"}],
        }
    ),
    DeviceGroup.from_api({"id": "kitchen", "name": "Kitchen again"}),
]


async def test_the_innermost_group_names_the_area() -> None:
    """Groups listed with a device are used as they are; a group the tree repeats counts
    where it is deepest;
    groups the tree does not know, or a device whose groups cannot be read, suggest nothing."""
    client = create_autospec(ThingsCloudClient, instance=True)
    client.get_device = AsyncMock(side_effect=ThingsCloudConnectionError("down"))
    devices = [
        Device.from_api({"id": "a", "groups": ["home", "kitchen"]}),
        Device.from_api({"id": "b", "groups": ["elsewhere"]}),
        Device.from_api({"id": "c"}),
    ]

    reader = ProjectReader(client, lambda identifier, value, model: identifier)
    reader.groups_tree = TREE
    areas = await reader.innermost_group_names(devices)

    assert areas == {"a": "Kitchen"}
    client.get_device.assert_awaited_once_with("c")


def test_retry_after_is_held_to_the_interval_range() -> None:
    """No delay given: Home Assistant's own; a given one within 10 s to 1 hour."""
    assert bounded_retry_after(ThingsCloudRateLimitError("429")) is None
    assert bounded_retry_after(ThingsCloudRateLimitError("429", retry_after=0.5)) == 10
    assert bounded_retry_after(ThingsCloudRateLimitError("429", retry_after=1e9)) == 3600
