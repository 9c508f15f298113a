"""The one place where ThingsCloud client errors become translated Home Assistant errors."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    ThingsCloudAuthError,
    ThingsCloudConnectionError,
    ThingsCloudError,
    ThingsCloudRateLimitError,
)
from .const import DOMAIN, MAX_SCAN_INTERVAL, MIN_SCAN_INTERVAL

if TYPE_CHECKING:
    from .coordinator import ThingsCloudConfigEntry

# The translation key of each kind of failure, most specific first.
_FAILURE_KEYS: Final[tuple[tuple[type[ThingsCloudError], str], ...]] = (
    (ThingsCloudAuthError, "auth_failed"),
    (ThingsCloudRateLimitError, "rate_limited"),
    (ThingsCloudConnectionError, "connection_error"),
    (ThingsCloudError, "api_error"),
)


def failure_key(err: ThingsCloudError) -> str:
    """Return the translation key of a client error."""
    return next(key for kind, key in _FAILURE_KEYS if isinstance(err, kind))


def bounded_retry_after(err: ThingsCloudRateLimitError) -> float | None:
    """Return the server's requested delay, within the allowed polling interval range."""
    if err.retry_after is None:
        return None
    return min(max(err.retry_after, MIN_SCAN_INTERVAL), MAX_SCAN_INTERVAL)


def update_failed(err: ThingsCloudError) -> HomeAssistantError:
    """Return the error a polling cycle raises for a client error."""
    key = failure_key(err)
    placeholders = {"error": str(err)}
    if isinstance(err, ThingsCloudAuthError):
        return ConfigEntryAuthFailed(
            translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
        )
    return UpdateFailed(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders,
        retry_after=bounded_retry_after(err)
        if isinstance(err, ThingsCloudRateLimitError)
        else None,
    )


@contextmanager
def translated_errors(hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> Iterator[None]:
    """Translate the client errors of a user's request: a write, a command or an action.

    Input the client refused before sending anything is a ``ServiceValidationError``; a
    failure is a ``HomeAssistantError``. Rejected credentials also start reauthentication.
    """
    try:
        yield
    except ValueError as err:  # ThingsCloudInvalidIdError included
        raise ServiceValidationError(
            translation_domain=DOMAIN,
            translation_key="invalid_parameter",
            translation_placeholders={"error": str(err)},
        ) from err
    except ThingsCloudError as err:
        if isinstance(err, ThingsCloudAuthError):
            entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=failure_key(err),
            translation_placeholders={"error": str(err)},
        ) from err
