"""Shared fixtures for the ThingsCloud tests."""

import pytest

# pytest-homeassistant-custom-component ships its own `custom_components` package; importing the
# project's one here, before the hass fixture runs, makes Home Assistant find this integration.
import custom_components.thingscloud  # noqa: F401


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let every test load the custom integration."""
    return
