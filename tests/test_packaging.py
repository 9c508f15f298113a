"""The repository keeps the HACS and hassfest rules, and the integration loads."""

import json
from pathlib import Path

from homeassistant.core import HomeAssistant
from homeassistant.loader import async_get_integration
from homeassistant.setup import async_setup_component

from custom_components.thingscloud.const import DOMAIN

ROOT = Path(__file__).parent.parent
INTEGRATION = ROOT / "custom_components" / DOMAIN

# https://hacs.xyz/docs/publish/start/#hacsjson
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
}


def _load(path: Path) -> dict[str, object]:
    data = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_hacs_json_has_only_known_keys() -> None:
    hacs = _load(ROOT / "hacs.json")
    assert "name" in hacs
    assert set(hacs) <= HACS_KEYS, set(hacs) - HACS_KEYS


def test_hacs_minimum_home_assistant_is_the_tested_one() -> None:
    from homeassistant.const import __version__ as ha_version

    assert _load(ROOT / "hacs.json")["homeassistant"] == ha_version


def test_manifest_keys_and_order() -> None:
    manifest = _load(INTEGRATION / "manifest.json")
    keys = list(manifest)
    # hassfest: domain, name, then the rest sorted alphabetically.
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == DOMAIN
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "cloud_polling"
    assert manifest["integration_type"] == "hub"
    # HACS requires these for a custom integration.
    for key in ("documentation", "issue_tracker", "codeowners", "version"):
        assert manifest[key], key


def test_license_is_present() -> None:
    assert "Permission is hereby granted" in (ROOT / "LICENSE").read_text(encoding="utf-8")


async def test_integration_loads(hass: HomeAssistant) -> None:
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.version is not None
    assert str(integration.version) == _load(INTEGRATION / "manifest.json")["version"]
    assert await async_setup_component(hass, DOMAIN, {})
    assert DOMAIN in hass.config.components
