"""How the translated texts read once rendered: links that stay links, Chinese punctuation.

The frontend renders descriptions as Markdown and turns URLs into links. A URL directly followed
by a CJK character or full-width punctuation takes that character into the link (the issue
"first ten minutes": the endpoint's example swallowed the Chinese text after it). Chinese texts
use full-width punctuation next to Chinese characters.
"""

from collections.abc import Iterator
import json
from pathlib import Path
import re
import string
from typing import Any

import pytest

from custom_components.thingscloud.config_flow import EXAMPLE_ENDPOINT

COMPONENT = Path(__file__).parent.parent / "custom_components" / "thingscloud"
LANGUAGES = ("en", "zh-Hans")

# Placeholders that the integration fills with a URL, and the URL they get.
URL_PLACEHOLDERS = {"example_endpoint": EXAMPLE_ENDPOINT}
# A URL as a link finder sees it: a scheme, then ASCII characters allowed in URLs. What comes
# next ends it: whitespace, the end, another ASCII character, or (the fault) anything else.
URL = re.compile(r"(?:https?|wss?)://[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
CJK_CHAR = re.compile(f"[{CJK}]")
# ASCII punctuation that Chinese text writes full-width next to Chinese characters.
ASCII_PUNCTUATION = ",;:!?()"
HALF_WIDTH_NEXT_TO_CJK = re.compile(
    f"[{CJK}][{re.escape(ASCII_PUNCTUATION)}]|[{re.escape(ASCII_PUNCTUATION)}][{CJK}]"
)


def load(language: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (COMPONENT / "translations" / f"{language}.json").read_text(encoding="utf-8")
    )
    return data


def texts(tree: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every text of a translation tree, with its path."""
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from texts(value, f"{path}/{key}" if path else key)
    else:
        yield path, tree


class _KeepOthers(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return f"{{{key}}}"


def render(text: str) -> str:
    """The text as shown: URL placeholders filled in, other placeholders left as they are."""
    return string.Formatter().vformat(text, (), _KeepOthers(URL_PLACEHOLDERS))


def badly_ended_urls(text: str) -> list[str]:
    """The URLs of a rendered text that run straight into a CJK character."""
    return [
        text[match.start() : match.end() + 1]
        for match in URL.finditer(text)
        if match.end() < len(text)
        and not (text[match.end()].isascii() or text[match.end()].isspace())
    ]


def texts_with_urls() -> list[tuple[str, str, str]]:
    """(language, path, rendered text) of every text showing a URL once rendered."""
    found = []
    for language in LANGUAGES:
        for path, text in texts(load(language)):
            shown = render(text)
            if URL.search(shown):
                found.append((language, path, shown))
    return found


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("例如 https://sh-1-api.iot-api.com。在控制台", ["https://sh-1-api.iot-api.com。"]),
        ("例如 https://sh-1-api.iot-api.com，或", ["https://sh-1-api.iot-api.com，"]),  # noqa: RUF001
        ("地址 wss://mqtt.example.com/mqtt地址", ["wss://mqtt.example.com/mqtt地"]),
        ("例如 https://sh-1-api.iot-api.com 。在控制台", []),
        ("such as https://sh-1-api.iot-api.com. The console", []),
        ("(https://sh-1-api.iot-api.com)", []),
        ("ends with https://sh-1-api.iot-api.com", []),
        ("显示的 wss:// 地址", []),
        ("例如 https://sh-1-api.iot-api.com\u3000在控制台", []),
        ("“https://a.example”", ["https://a.example”"]),
    ],
)
def test_url_check_finds_cjk_after_a_url(text: str, bad: list[str]) -> None:
    """The check below flags a URL running into CJK text, and only that."""
    assert badly_ended_urls(text) == bad


def test_url_placeholders_are_rendered() -> None:
    """The endpoint's example is among the texts checked, in both languages."""
    rendered = {(language, path) for language, path, _ in texts_with_urls()}
    for language in LANGUAGES:
        for step in ("app", "admin", "reconfigure"):
            assert (language, f"config/step/{step}/data_description/endpoint") in rendered


@pytest.mark.parametrize(
    ("language", "path", "shown"),
    [pytest.param(*found, id=f"{found[0]}:{found[1]}") for found in texts_with_urls()],
)
def test_urls_end_before_cjk_text(language: str, path: str, shown: str) -> None:
    """Every URL shown (written out or from a placeholder) is followed by whitespace, the end
    of the text or an ASCII delimiter, never directly by a CJK character or full-width
    punctuation, so that the frontend's link stops where the URL does.
    """
    assert badly_ended_urls(shown) == [], shown


def zh_service_and_exception_texts() -> list[Any]:
    chinese = load("zh-Hans")
    params = []
    for section in ("services", "exceptions"):
        for path, text in texts(chinese[section], section):
            params.append(pytest.param(path, text, id=path))
    return params


@pytest.mark.parametrize(("path", "text"), zh_service_and_exception_texts())
def test_zh_services_and_exceptions_use_full_width_punctuation(path: str, text: str) -> None:
    """Chinese action and error texts put full-width punctuation next to Chinese text: no
    ASCII , ; : ! ? ( ) directly before or after a CJK character.
    """
    assert CJK_CHAR.search(text), f"{path} is not translated"
    assert HALF_WIDTH_NEXT_TO_CJK.findall(text) == [], text
