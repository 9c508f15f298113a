"""The autouse fixture `thingscloud_deprecations` catches Home Assistant's real reports.

Home Assistant tells whose code called a deprecated API from the file of the calling frame
(`custom_components/<domain>/...`). A stand-in module written to such a path, outside the
repository, calls the real APIs here, so Home Assistant reports it exactly as it would the
integration's own code.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from pathlib import Path
import subprocess
import sys
import textwrap
from types import ModuleType

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .deprecations import DeprecationWatch

REPO_ROOT = Path(__file__).resolve().parents[1]

STAND_IN = '''\
"""Calls as the integration's code would make them."""

import asyncio


def remove_from_entry(registry, device_id, entry_id):
    """The call Home Assistant 2026.10 reports as deprecated."""
    return registry.async_update_device(device_id, remove_config_entry_id=entry_id)


def rename(registry, device_id, name):
    """A current call."""
    return registry.async_update_device(device_id, name=name)


def loop_policy():
    """Deprecated in Python 3.14 (a DeprecationWarning attributed to this file)."""
    return asyncio.get_event_loop_policy()
'''


def stand_in(tmp_path: Path, domain: str) -> ModuleType:
    """The stand-in module as `custom_components/<domain>/stand_in.py` under tmp_path."""
    path = tmp_path / "custom_components" / domain / "stand_in.py"
    path.parent.mkdir(parents=True)
    path.write_text(STAND_IN)
    spec = importlib.util.spec_from_file_location(f"stand_in_{domain}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def registered_device(hass: HomeAssistant) -> tuple[dr.DeviceRegistry, str, str]:
    """A device of a thingscloud config entry: the registry, the device id, the entry id."""
    entry = MockConfigEntry(domain="thingscloud")
    entry.add_to_hass(hass)
    registry = dr.async_get(hass)
    device = registry.async_get_or_create(
        config_entry_id=entry.entry_id, identifiers={("thingscloud", "stand-in")}
    )
    return registry, device.id, entry.entry_id


async def test_a_deprecated_call_of_the_integration_is_reported(
    hass: HomeAssistant, tmp_path: Path, thingscloud_deprecations: DeprecationWatch
) -> None:
    """The frame helper's report naming the integration fails the test at its teardown."""
    registry, device_id, entry_id = registered_device(hass)

    stand_in(tmp_path, "thingscloud").remove_from_entry(registry, device_id, entry_id)

    reports = thingscloud_deprecations.reports
    assert len(reports) == 1, reports
    assert reports[0].startswith(
        "WARNING [homeassistant.helpers.frame] Detected that custom integration 'thingscloud'"
        " calls `device_registry.async_update_device` with one of `add_config_entry_id`,"
    )
    assert "custom_components/thingscloud/stand_in.py" in reports[0]
    with pytest.raises(pytest.fail.Exception, match="deprecated use by the thingscloud"):
        thingscloud_deprecations.check()
    thingscloud_deprecations.clear()  # provoked on purpose: the test passes
    thingscloud_deprecations.check()


async def test_quiet_for_current_calls_and_other_integrations(
    hass: HomeAssistant,
    tmp_path: Path,
    thingscloud_deprecations: DeprecationWatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A current call is not reported; another integration's deprecated call is not ours."""
    registry, device_id, entry_id = registered_device(hass)

    stand_in(tmp_path, "thingscloud").rename(registry, device_id, "Renamed")
    assert registry.async_get(device_id).name == "Renamed"
    stand_in(tmp_path, "other_integration").remove_from_entry(registry, device_id, entry_id)

    # Home Assistant did report the other integration, and only that.
    detected = [r.getMessage() for r in caplog.records if "Detected that" in r.getMessage()]
    assert len(detected) == 1, detected
    assert detected[0].startswith("Detected that custom integration 'other_integration' calls")
    assert thingscloud_deprecations.reports == []


async def test_deprecation_warnings_of_the_integration_are_reported(
    tmp_path: Path, thingscloud_deprecations: DeprecationWatch
) -> None:
    """A DeprecationWarning from the integration's files, or naming it, is a report."""
    stand_in(tmp_path, "thingscloud").loop_policy()
    logging.getLogger(__name__).warning("A warning that names thingscloud but no deprecation")
    asyncio.get_event_loop_policy()  # deprecated, but called from here: not the integration's

    reports = thingscloud_deprecations.reports
    assert len(reports) == 1, reports
    assert reports[0].startswith("DeprecationWarning at ")
    assert "custom_components/thingscloud/stand_in.py" in reports[0]
    assert "'asyncio.get_event_loop_policy' is deprecated" in reports[0]
    thingscloud_deprecations.clear()


def test_the_autouse_fixture_fails_a_test_that_causes_a_report(tmp_path: Path) -> None:
    """A real pytest run: a test whose code makes the deprecated call errors at teardown."""
    (tmp_path / "stand_in_dir").mkdir()
    (tmp_path / "other_dir").mkdir()
    # This suite's fixtures, the autouse ones included, for a test file outside of tests/.
    (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n")
    inner = tmp_path / "test_inner.py"
    inner.write_text(
        textwrap.dedent(
            f"""\
            from pathlib import Path

            from tests.test_deprecations import registered_device, stand_in


            async def test_calls_a_deprecated_api(hass):
                registry, device_id, entry_id = registered_device(hass)
                module = stand_in(Path({str(tmp_path / "stand_in_dir")!r}), "thingscloud")
                module.remove_from_entry(registry, device_id, entry_id)


            async def test_calls_a_current_api(hass):
                registry, device_id, _ = registered_device(hass)
                module = stand_in(Path({str(tmp_path / "other_dir")!r}), "thingscloud")
                module.rename(registry, device_id, "Renamed")
            """
        )
    )
    done = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "pytest",
            "-c",
            str(REPO_ROOT / "pyproject.toml"),
            "--rootdir",
            str(REPO_ROOT),
            "-q",
            str(inner),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    # The test itself passed; its teardown (the fixture) errors, which fails the run.
    assert "2 passed, 1 error" in output, output
    assert "ERROR at teardown of test_calls_a_deprecated_api" in output, output
    assert (
        "Home Assistant reported a deprecated use by the thingscloud integration during this test"
        in output
    ), output
    assert "Detected that custom integration 'thingscloud' calls" in output, output
