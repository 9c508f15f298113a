"""End-to-end tests: a real Home Assistant process, not the hass fixture."""

import pytest


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations() -> None:
    """Override the package-wide autouse fixture, which would create a hass instance here.

    Home Assistant runs in a subprocess in these tests; it loads the integration through a
    symlink in its temporary configuration directory.
    """
    return


@pytest.fixture(autouse=True)
def loopback_sockets(socket_enabled: None) -> None:
    """Let the tests open TCP sockets; they only ever talk to 127.0.0.1."""
    return
