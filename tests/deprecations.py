"""Catch Home Assistant's reports of deprecated use by the integration during a test.

Home Assistant only logs most of them, so a test passes while the integration calls an API that
is about to go. The autouse fixture `thingscloud_deprecations` (tests/conftest.py) watches each
test with `watch_deprecations()` and fails it, at teardown, when the test caused:

- a report of the frame helper (`homeassistant.helpers.frame.report_usage`) that names the custom
  integration: "Detected that custom integration 'thingscloud' calls ...". It is logged on the
  logger `homeassistant.helpers.frame`, once per call site and process (the test plugin resets
  that memory after each test), and raised as well where Home Assistant chooses ERROR for
  custom integrations; other Home Assistant reports that name "custom integration 'thingscloud'"
  (such as a blocking call in the event loop) count too;
- a report of the deprecation helper (`homeassistant.helpers.deprecation`: "The deprecated
  function x was called from thingscloud. ..."), logged on the logger of the deprecated module;
- a `DeprecationWarning` raised from the integration's code (its file is under
  custom_components/thingscloud/) or whose message names thingscloud.

Log records are caught by a handler on the frame helper's logger (the source) and on the root
logger (the deprecation helper's loggers vary), warnings with `warnings.catch_warnings`. Every
warning caught is emitted again when the watch ends, so pytest's own warning summary still
shows them.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import logging
import os
import re
import warnings

import pytest

DOMAIN = "thingscloud"
FRAME_LOGGER = "homeassistant.helpers.frame"

_REPORTED = f"custom integration '{DOMAIN}'"
_DEPRECATION_HELPER = re.compile(rf"^The deprecated .+ was .+ from {DOMAIN}\.")
_INTEGRATION_FILES = (
    f"custom_components{os.sep}{DOMAIN}{os.sep}",
    f"custom_components/{DOMAIN}/",
)
# The word itself, not a part of another name (such as the cache folder thingscloud-ha).
_NAMED = re.compile(rf"(?<![\w-]){DOMAIN}(?![\w-])")


def names_integration_in_log(record: logging.LogRecord) -> bool:
    """Whether a log record is Home Assistant reporting a (deprecated) use by the integration."""
    message = record.getMessage()
    return _REPORTED in message or _DEPRECATION_HELPER.search(message) is not None


def names_integration_in_warning(message: warnings.WarningMessage) -> bool:
    """Whether a warning is a DeprecationWarning of the integration's code or naming it."""
    if not issubclass(message.category, DeprecationWarning):
        return False
    filename = str(message.filename)
    return any(part in filename for part in _INTEGRATION_FILES) or (
        _NAMED.search(str(message.message)) is not None
    )


def _describe(message: warnings.WarningMessage) -> str:
    where = f"{message.filename}:{message.lineno}"
    return f"{message.category.__name__} at {where}: {message.message}"


class _Handler(logging.Handler):
    """Keeps the records that report the integration (each once, whatever the handlers)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if names_integration_in_log(record) and not any(r is record for r in self.records):
            self.records.append(record)


class DeprecationWatch:
    """What Home Assistant reported about the integration so far in a test."""

    def __init__(self, handler: _Handler, caught: list[warnings.WarningMessage]) -> None:
        self._handler = handler
        self._caught = caught

    @property
    def reports(self) -> list[str]:
        """One line per report: log records first, then warnings."""
        lines = [
            f"{record.levelname} [{record.name}] {record.getMessage()}"
            for record in self._handler.records
        ]
        lines.extend(
            _describe(message) for message in self._caught if names_integration_in_warning(message)
        )
        return lines

    def clear(self) -> None:
        """Forget the reports so far (for a test that provokes them on purpose)."""
        self._handler.records.clear()
        self._caught[:] = [m for m in self._caught if not names_integration_in_warning(m)]

    def check(self) -> None:
        """Fail the test when there are reports."""
        if reports := self.reports:
            pytest.fail(
                f"Home Assistant reported a deprecated use by the {DOMAIN} integration during"
                " this test:\n" + "\n".join(f"  {line}" for line in reports),
                pytrace=False,
            )


@contextlib.contextmanager
def watch_deprecations() -> Iterator[DeprecationWatch]:
    """Collect the reports while the block runs (see the module's docstring)."""
    handler = _Handler()
    frame_logger = logging.getLogger(FRAME_LOGGER)
    root = logging.getLogger()
    frame_level = frame_logger.level
    if not frame_logger.isEnabledFor(logging.DEBUG):
        frame_logger.setLevel(logging.DEBUG)  # whatever level a report is logged at
    frame_logger.addHandler(handler)
    root.addHandler(handler)
    try:
        # The filters stay as pytest set them (DeprecationWarning: always, plus the ini's).
        with warnings.catch_warnings(record=True) as caught:
            yield DeprecationWatch(handler, caught)
    finally:
        root.removeHandler(handler)
        frame_logger.removeHandler(handler)
        frame_logger.setLevel(frame_level)
    for message in list(caught):
        warnings.warn_explicit(
            message.message,
            message.category,
            message.filename,
            message.lineno,
            source=message.source,
        )
