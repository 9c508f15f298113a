"""Errors raised by the ThingsCloud client.

Every message is plain English and never contains a token, key or password.
"""

from collections.abc import Sequence

from .parsing import JsonValue


class ThingsCloudError(Exception):
    """Base class of every error raised by the client."""


class ThingsCloudConnectionError(ThingsCloudError):
    """The API could not be reached or did not answer sensibly.

    Network failures, timeouts, HTTP 5xx answers and bodies that are not usable JSON.
    """


class ThingsCloudTimeoutError(ThingsCloudConnectionError):
    """The request did not complete within the client's timeout."""


class ThingsCloudAuthError(ThingsCloudError):
    """ThingsCloud refused the credentials themselves.

    Raised only when a token endpoint (``/access_token`` or ``/admin_login``) says no.
    """


class ThingsCloudForbiddenError(ThingsCloudError):
    """ThingsCloud refused one request even with a freshly obtained access token.

    The credentials are fine (the token was just issued): the failure belongs to that one
    request or device, not to the whole project.
    """


class ThingsCloudApiError(ThingsCloudError):
    """The API answered ``result: false`` (or an answer that cannot be used)."""

    def __init__(
        self,
        message: str,
        *,
        errcode: int | None = None,
        errors: Sequence[JsonValue] = (),
    ) -> None:
        """Keep the fields of the failure answer."""
        self.errcode = errcode
        self.message = message
        self.errors: list[JsonValue] = list(errors)
        text = (
            f"ThingsCloud API error {errcode}: {message}"
            if errcode is not None
            else f"ThingsCloud API error: {message}"
        )
        super().__init__(text)


class ThingsCloudNotFoundError(ThingsCloudError):
    """The API path does not exist (HTTP 404 ``{"message": "Request invalid"}``)."""


class ThingsCloudRateLimitError(ThingsCloudError):
    """Too many requests (HTTP 429)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        """Keep the delay the server asked for, in seconds, when it gave one."""
        self.retry_after = retry_after
        super().__init__(message)


class ThingsCloudInvalidIdError(ThingsCloudError, ValueError):
    """A path parameter (device id, identifier, ...) is unusable; nothing was sent."""


class ThingsCloudInvalidEndpointError(ThingsCloudError, ValueError):
    """The API endpoint URL is not acceptable."""
