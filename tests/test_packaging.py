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


# Home Assistant's Integration Quality Scale, Bronze to Platinum.
QUALITY_SCALE_RULES = {
    # Bronze
    "action-setup", "appropriate-polling", "brands", "common-modules",
    "config-flow-test-coverage", "config-flow", "dependency-transparency", "docs-actions",
    "docs-conditions", "docs-high-level-description", "docs-installation-instructions",
    "docs-removal-instructions", "docs-triggers", "entity-event-setup", "entity-unique-id",
    "has-entity-name", "runtime-data", "test-before-configure", "test-before-setup",
    "unique-config-entry",
    # Silver
    "action-exceptions", "config-entry-unloading", "docs-configuration-parameters",
    "docs-installation-parameters", "entity-unavailable", "integration-owner",
    "log-when-unavailable", "parallel-updates", "reauthentication-flow", "test-coverage",
    # Gold
    "devices", "diagnostics", "discovery-update-info", "discovery", "docs-data-update",
    "docs-examples", "docs-known-limitations", "docs-supported-devices",
    "docs-supported-functions", "docs-troubleshooting", "docs-use-cases", "dynamic-devices",
    "entity-category", "entity-device-class", "entity-disabled-by-default",
    "entity-translations", "exception-translations", "icon-translations",
    "reconfiguration-flow", "repair-issues", "stale-devices",
    # Platinum
    "async-dependency", "inject-websession", "strict-typing",
}  # fmt: skip


def test_quality_scale_marks_every_rule() -> None:
    """Every rule is done, or exempt/todo with the reason why."""
    import yaml

    rules = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8"))[
        "rules"
    ]
    assert set(rules) == QUALITY_SCALE_RULES
    for name, rule in rules.items():
        status = rule if isinstance(rule, str) else rule["status"]
        assert status in {"done", "exempt", "todo"}, name
        if status != "done":
            assert isinstance(rule, dict), name
            assert rule.get("comment"), name


def test_brand_images_are_pngs() -> None:
    for name in ("icon.png", "icon@2x.png", "logo.png"):
        assert (INTEGRATION / "brand" / name).read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), name
