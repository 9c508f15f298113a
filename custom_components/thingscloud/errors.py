"""The one place where ThingsCloud failures become translated errors and repair issues."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import (
    ConfigEntryAuthFailed,
    HomeAssistantError,
    ServiceValidationError,
)
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.update_coordinator import UpdateFailed

from .api import (
    ThingsCloudAuthError,
    ThingsCloudConnectionError,
    ThingsCloudError,
    ThingsCloudRateLimitError,
)
from .api.params import InvalidInputError
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


def validation_error(key: str, **placeholders: str) -> ServiceValidationError:
    """Return the translated error of input refused before anything was sent."""
    return ServiceValidationError(
        translation_domain=DOMAIN,
        translation_key=key,
        translation_placeholders=placeholders or None,
    )


@contextmanager
def translated_errors(hass: HomeAssistant, entry: ThingsCloudConfigEntry) -> Iterator[None]:
    """Translate the client errors of a user's request: a write, a command or an action.

    Input refused before anything was sent is a ``ServiceValidationError`` (with the
    check's own translation key where it has one); a failure is a ``HomeAssistantError``.
    Rejected credentials also start reauthentication.
    """
    try:
        yield
    except InvalidInputError as err:
        raise validation_error(err.translation_key, **err.translation_placeholders) from err
    except ValueError as err:  # ThingsCloudInvalidIdError included
        raise validation_error("invalid_parameter", error=str(err)) from err
    except ThingsCloudError as err:
        if isinstance(err, ThingsCloudAuthError):
            entry.async_start_reauth(hass)
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key=failure_key(err),
            translation_placeholders={"error": str(err)},
        ) from err


@callback
def async_show_issue(
    hass: HomeAssistant,
    entry: ConfigEntry,
    key: str,
    *,
    severity: ir.IssueSeverity = ir.IssueSeverity.WARNING,
    **placeholders: str,
) -> None:
    """Raise (or update) the entry's repair issue ``key``, titled with the entry's title."""
    ir.async_create_issue(
        hass,
        DOMAIN,
        f"{key}_{entry.entry_id}",
        is_fixable=False,
        severity=severity,
        translation_key=key,
        translation_placeholders={"title": entry.title, **placeholders},
    )


@callback
def async_clear_issue(hass: HomeAssistant, entry: ConfigEntry, key: str) -> None:
    """Delete the entry's repair issue ``key``, if raised."""
    ir.async_delete_issue(hass, DOMAIN, f"{key}_{entry.entry_id}")
