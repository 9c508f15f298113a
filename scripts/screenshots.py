"""Take the README screenshots in headless Chromium, against scripts/develop.

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]

Runs scripts/develop with a temporary configuration directory and free ports, onboards an owner
through Home Assistant's REST API, then drives Chromium through its DevTools protocol (a token in
localStorage logs the browser in): the config flow (menu, then the filled API application form,
submitted), the integration page and a device page. The PNGs are shrunk with pngquant when it is
installed. Chromium (Debian: `apt-get install chromium`) is not needed by the tests or CI.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator.scenarios import (  # noqa: E402
    DEMO_ACCESS_KEY,
    DEMO_APP_ID,
    DEMO_PROJECT_NAME,
    DEMO_SECRET_KEY,
)
from tests.e2e.harness import (  # noqa: E402
    HomeAssistantApi,
    Managed,
    free_port,
    spawn,
    wait_for,
    wait_http,
)

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]
DEVICE_SHOWN = "dev-thermostat"  # number, select, switches and sensors on one page

# JavaScript helpers that see through shadow roots (Home Assistant's frontend is web components).
DEEP_TEXT = """(() => {
  const texts = [];
  const visit = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) texts.push(node.data);
      else if (node.shadowRoot) visit(node.shadowRoot);
    }
  };
  visit(document);
  return texts.join(" ");
})()"""

CLICK_TEXT = """((label) => {
  let found = null;
  const visit = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE && node.data.trim() === label) {
        found = node.parentElement;
      } else if (node.nodeType === Node.ELEMENT_NODE && node.shadowRoot) {
        visit(node.shadowRoot);
      }
    }
  };
  visit(document);
  if (!found) return false;
  found.click();
  return true;
})(%s)"""

FOCUS_INPUT = """((index) => {
  // The visible text inputs of the config flow dialog, in order.
  const inputs = [];
  let dialog = null;
  const find = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.tagName === "DIALOG-DATA-ENTRY-FLOW") dialog = el;
      if (el.shadowRoot && !dialog) find(el.shadowRoot);
    }
  };
  const visit = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.tagName === "INPUT" && ["text", "password", "url", ""].includes(el.type)) {
        const box = el.getBoundingClientRect();
        if (box.width > 0 && box.height > 0) inputs.push(el);
      }
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  find(document);
  if (!dialog) return "no config flow dialog";
  visit(dialog.shadowRoot || dialog);
  if (index >= inputs.length) return `${inputs.length} inputs`;
  inputs[index].focus();
  inputs[index].select();
  return "";
})(%d)"""


class DevTools:
    """A minimal Chrome DevTools protocol client for one page."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, debug_dir: Path | None = None) -> None:
        self.ws = ws
        self.last_id = 0
        self.debug_dir = debug_dir

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        message_id = self.last_id
        await self.ws.send_json({"id": message_id, "method": method, "params": params})
        while True:
            answer = await self.ws.receive_json(timeout=60)
            if answer.get("id") == message_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:60]}...: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def goto(self, url: str) -> None:
        await self.send("Page.navigate", url=url)

    async def wait_text(self, *texts: str, seconds: float = 60) -> None:
        async def shown() -> bool:
            page = await self.evaluate(DEEP_TEXT) or ""
            return all(text in page for text in texts)

        try:
            await wait_for(shown, seconds, f"the page to show {texts}", interval=0.5)
        except TimeoutError:
            if self.debug_dir is not None:
                shot = await self.send("Page.captureScreenshot", format="png")
                await asyncio.to_thread(
                    save, self.debug_dir / "failure.png", base64.b64decode(shot["data"])
                )
                text = await self.evaluate(DEEP_TEXT) or ""
                print(f"page text: {' '.join(text.split())[:2000]}")
                print(f"screenshot: {self.debug_dir / 'failure.png'}")
            raise

    async def click_text(self, label: str) -> None:
        async def clicked() -> bool:
            return bool(await self.evaluate(CLICK_TEXT % json.dumps(label)))

        await wait_for(clicked, 30, f"something labelled {label!r} to click", interval=0.5)

    async def type_into(self, index: int, text: str) -> None:
        problem = await self.evaluate(FOCUS_INPUT % index)
        if problem:
            raise RuntimeError(f"input {index} of the dialog not found: {problem}")
        await self.send("Input.insertText", text=text)

    async def screenshot(self, path: Path, width: int, height: int) -> None:
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )
        await asyncio.sleep(1.5)  # let animations and lazy icons settle
        shot = await self.send("Page.captureScreenshot", format="png")
        size = await asyncio.to_thread(save, path, base64.b64decode(shot["data"]), shrink=True)
        print(f"wrote {path} ({size // 1024} KB)")


def save(path: Path, data: bytes, *, shrink: bool = False) -> int:
    """Write a PNG, quantised with pngquant when asked and available; its size in bytes."""
    path.write_bytes(data)
    if shrink and shutil.which("pngquant") is not None:
        subprocess.run(
            [
                "pngquant",
                "--force",
                "--skip-if-larger",
                "--quality=70-95",
                "--output",
                str(path),
                "--",
                str(path),
            ],
            check=False,
        )
    return path.stat().st_size


async def start_chromium(chromium: str, profile: Path) -> tuple[Managed, str]:
    """Headless Chromium with a fresh profile; the DevTools websocket URL of its page."""
    browser = await spawn(
        "Chromium",
        [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
        profile.parent / "chromium.log",
    )
    port_file = profile / "DevToolsActivePort"

    async def port_written() -> bool:
        browser.check_running()
        return port_file.exists() and len(port_file.read_text().splitlines()) >= 2

    await wait_for(port_written, 30, "Chromium's DevTools port")
    port = port_file.read_text().splitlines()[0]
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{port}/json/list") as response,
    ):
        targets = await response.json()
    page = next(t for t in targets if t["type"] == "page")
    return browser, page["webSocketDebuggerUrl"]


async def run(out: Path, chromium: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="thingscloud-screenshots-"))
    ha_port, sim_port = free_port(), free_port()
    base = f"http://127.0.0.1:{ha_port}"
    sim_url = f"http://127.0.0.1:{sim_port}"
    develop = await spawn(
        "scripts/develop",
        [
            str(ROOT / "scripts" / "develop"),
            "--config",
            str(work / "config"),
            "--ha-port",
            str(ha_port),
            "--sim-port",
            str(sim_port),
            "--tick-seconds",
            "0",
        ],
        work / "develop.log",
    )
    browser: Managed | None = None
    started = time.monotonic()
    async with aiohttp.ClientSession() as session:
        api = HomeAssistantApi(session, base)
        try:
            # The first start installs the frontend and default_config's requirements.
            await wait_http(session, f"{base}/api/onboarding", develop, 900)
            await api.onboard(username="demo", password="demo-password-1", name="Demo", full=True)
            await api.wait_running(900)
            print(f"Home Assistant running after {time.monotonic() - started:.0f} s")

            browser, ws_url = await start_chromium(chromium, work / "chromium-profile")
            async with session.ws_connect(ws_url, max_msg_size=64 * 1024 * 1024) as ws:
                page = DevTools(ws, work)
                await page.send("Page.enable")
                await page.send(
                    "Emulation.setDeviceMetricsOverride",
                    width=1280,
                    height=860,
                    deviceScaleFactor=1,
                    mobile=False,
                )
                await page.goto(f"{base}/auth/providers")
                await asyncio.sleep(1)
                tokens = {
                    "hassUrl": base,
                    "clientId": api.client_id,
                    "access_token": api.tokens["access_token"],
                    "refresh_token": api.tokens["refresh_token"],
                    "token_type": "Bearer",
                    "expires_in": api.tokens["expires_in"],
                    "expires": int(time.time() * 1000) + api.tokens["expires_in"] * 1000,
                }
                await page.evaluate(
                    f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))});"
                    "localStorage.setItem('selectedLanguage', '\"en\"'); true"
                )

                # Config flow: the menu, then the API application form, filled and submitted.
                await page.goto(f"{base}/config/integrations/dashboard/add?domain=thingscloud")
                await page.wait_text("Do you want to set up ThingsCloud?")
                await page.click_text("OK")
                await page.wait_text("Connect a ThingsCloud project", "API application")
                await page.screenshot(out / "config-flow-menu.png", 1280, 860)
                await page.click_text("API application (AppID, Access Key and Secret Key)")
                await page.wait_text("Sign in with an API application", "Secret Key")
                for index, value in enumerate(
                    (sim_url, DEMO_APP_ID, DEMO_ACCESS_KEY, DEMO_SECRET_KEY)
                ):
                    await page.type_into(index, value)
                await page.screenshot(out / "config-flow-app.png", 1280, 1000)
                await page.click_text("Submit")

                async def entry_added() -> bool:
                    entries = await api.get("/api/config/config_entries/entry?domain=thingscloud")
                    return any(e["state"] == "loaded" for e in entries)

                await wait_for(entry_added, 60, "the config entry to load")
                await asyncio.sleep(5)  # the first refresh adds the attribute entities

                await page.goto(f"{base}/config/integrations/integration/thingscloud")
                await page.wait_text(DEMO_PROJECT_NAME)
                await page.screenshot(out / "integration.png", 1280, 860)

                devices = await api.ws("config/device_registry/list")
                device = next(
                    d for d in devices if ["thingscloud", DEVICE_SHOWN] in d["identifiers"]
                )
                await page.goto(f"{base}/config/devices/device/{device['id']}")
                await page.wait_text(device["name"], "Controls", "Sensors")
                await page.screenshot(out / "device.png", 1280, 1100)
        finally:
            await api.close()
            if browser is not None:
                await browser.stop(5)
            await develop.stop(60)
    print(f"logs and configuration: {work}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        args.out.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(args.out.resolve(), args.chromium))
    return 0


if __name__ == "__main__":
    sys.exit(main())
