"""Take the README screenshots in headless Chromium, against scripts/develop.

    .venv/bin/python scripts/screenshots.py [--out docs/images] [--chromium /usr/bin/chromium]

Runs scripts/develop with a temporary configuration directory and free ports, onboards an owner
through Home Assistant's REST API, then drives Chromium through its DevTools protocol (a token in
localStorage logs the browser in). With the profile language English:

* config-flow-menu.png, config-flow-app.png: the config flow's menu and the filled API application
  form, which is then submitted;
* config-flow-areas.png: the dialog that follows, with the areas suggested by the device groups;
* integration.png: the integration page, after adding a command switch and a command button
  (config subentries, added through the REST API);
* device.png: the thermostat's page after the simulator raised an alarm on it (the alarm event
  entity, and the alarm in the logbook);
* energy-picker.png: the statistic picker of the energy settings, with the imported statistic.

Then with the profile language 简体中文 (zh-Hans), the server language staying English:

* options-zh.png: the options form, filled with the simulator's real-time settings, then saved;
* project-zh.png: the project's device page: Chinese interface, English entity names, and the
  real-time updates sensor connected.

The PNGs are shrunk with pngquant when it is installed. Chromium (Debian: `apt-get install
chromium`) and a CJK font (`fonts-wqy-microhei`) are not needed by the tests or CI.
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
    DEMO_PROJECT_ID,
    DEMO_PROJECT_NAME,
    DEMO_SECRET_KEY,
    DEMO_VIEW_KEY,
    DEMO_VIEW_SECRET,
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
ALARM = {"level": 2, "info": {"rule": "温度过高 Temperature too high"}}
METER = "thingscloud:dev_plug_tv_energy"  # the demo's energy meter, with 30 days of history
# Command subentries added before the integration page is taken.
COMMANDS = (
    (
        "command_switch",
        {
            "device_id": "dev-lobby-led",
            "name": "Screen",
            "method": "screen_on",
            "off_method": "screen_off",
        },
    ),
    ("command_button", {"device_id": "dev-gateway", "name": "Reboot", "method": "reboot"}),
)
# The start of the SVG path of Material Design's cog icon (the options button of an entry).
MDI_COG = "M12,8A4,4 0 0,1 16,12"

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

CLICK_TEXT = """((label, index) => {
  // Click the element holding the text `label`: the index-th of them, -1 for the last one.
  const found = [];
  const visit = (root) => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE && node.data.trim() === label) {
        found.push(node.parentElement);
      } else if (node.nodeType === Node.ELEMENT_NODE && node.shadowRoot) {
        visit(node.shadowRoot);
      }
    }
  };
  visit(document);
  const element = found.at(index);
  if (!element) return false;
  element.click();
  return true;
})(%s, %d)"""

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


CLICK_ICON = """((path) => {
  // The first icon button (in document order) whose SVG path starts with `path`.
  const visit = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if (el.tagName === "HA-ICON-BUTTON" && typeof el.path === "string"
          && el.path.startsWith(path)) return el;
      if (el.shadowRoot) {
        const found = visit(el.shadowRoot);
        if (found) return found;
      }
    }
    return null;
  };
  const button = visit(document);
  if (!button) return false;
  button.click();
  return true;
})(%s)"""


class DevTools:
    """A minimal Chrome DevTools protocol client for one page."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, debug_dir: Path | None = None) -> None:
        self.ws = ws
        self.last_id = 0
        self.debug_dir = debug_dir
        self.size: tuple[int, int] | None = None

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

    async def wait_gone(self, text: str, seconds: float = 30) -> None:
        async def gone() -> bool:
            return text not in (await self.evaluate(DEEP_TEXT) or "")

        await wait_for(gone, seconds, f"the page to stop showing {text!r}", interval=0.5)

    async def click_text(self, label: str, index: int = -1) -> None:
        """Click the element showing `label` (the last one, or the index-th of them)."""

        async def clicked() -> bool:
            return bool(await self.evaluate(CLICK_TEXT % (json.dumps(label), index)))

        await wait_for(clicked, 30, f"something labelled {label!r} to click", interval=0.5)

    async def type_into(self, index: int, text: str) -> None:
        problem = await self.evaluate(FOCUS_INPUT % index)
        if problem:
            raise RuntimeError(f"input {index} of the dialog not found: {problem}")
        await self.send("Input.insertText", text=text)

    async def click_icon(self, path_start: str) -> None:
        async def clicked() -> bool:
            return bool(await self.evaluate(CLICK_ICON % json.dumps(path_start)))

        await wait_for(clicked, 30, f"an icon button drawn with {path_start!r}", interval=0.5)

    async def press_escape(self) -> None:
        for kind in ("keyDown", "keyUp"):
            await self.send(
                "Input.dispatchKeyEvent",
                type=kind,
                key="Escape",
                code="Escape",
                windowsVirtualKeyCode=27,
            )

    async def set_language(self, language: str) -> None:
        """The profile language of this browser (the frontend reads it when a page loads)."""
        await self.evaluate(
            f"localStorage.setItem('selectedLanguage', {json.dumps(json.dumps(language))}); true"
        )

    async def viewport(self, width: int, height: int) -> None:
        """Resize the page's viewport (which closes open drop-downs), when it has another size."""
        if self.size != (width, height):
            await self.send(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            self.size = (width, height)

    async def screenshot(
        self,
        path: Path,
        width: int,
        height: int,
        *,
        clip: tuple[int, int, int, int] | None = None,
    ) -> None:
        """A PNG of a width x height viewport; only its part clip = (x, y, width, height)."""
        await self.viewport(width, height)
        await asyncio.sleep(1.5)  # let animations and lazy icons settle
        options: dict[str, Any] = {"format": "png"}
        if clip is not None:
            x, y, clip_width, clip_height = clip
            options["clip"] = {
                "x": x,
                "y": y,
                "width": clip_width,
                "height": clip_height,
                "scale": 1,
            }
        shot = await self.send("Page.captureScreenshot", **options)
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


class Scenes:
    """The pages to take, in order, on one Home Assistant and one browser page."""

    def __init__(
        self,
        *,
        page: DevTools,
        api: HomeAssistantApi,
        session: aiohttp.ClientSession,
        base: str,
        sim_url: str,
        out: Path,
    ) -> None:
        self.page = page
        self.api = api
        self.session = session
        self.base = base
        self.sim_url = sim_url
        self.out = out
        self.entry_id = ""

    async def log_in(self) -> None:
        """Store the owner's tokens where the frontend looks for them; English profile."""
        api, page = self.api, self.page
        await page.goto(f"{self.base}/auth/providers")
        await asyncio.sleep(1)
        tokens = {
            "hassUrl": self.base,
            "clientId": api.client_id,
            "access_token": api.tokens["access_token"],
            "refresh_token": api.tokens["refresh_token"],
            "token_type": "Bearer",
            "expires_in": api.tokens["expires_in"],
            "expires": int(time.time() * 1000) + api.tokens["expires_in"] * 1000,
        }
        await page.evaluate(
            f"localStorage.setItem('hassTokens', {json.dumps(json.dumps(tokens))}); true"
        )
        await page.set_language("en")

    async def config_flow(self) -> None:
        """The menu, the filled API application form, then the areas of the new devices."""
        page = self.page
        await page.goto(f"{self.base}/config/integrations/dashboard/add?domain=thingscloud")
        await page.wait_text("Do you want to set up ThingsCloud?")
        await page.click_text("OK")
        await page.wait_text("Connect a ThingsCloud project", "API application")
        await page.screenshot(self.out / "config-flow-menu.png", 1280, 860)
        await page.click_text("API application (AppID, Access Key and Secret Key)")
        await page.wait_text("Sign in with an API application", "Secret Key")
        for index, value in enumerate(
            (self.sim_url, DEMO_APP_ID, DEMO_ACCESS_KEY, DEMO_SECRET_KEY)
        ):
            await page.type_into(index, value)
        await page.screenshot(self.out / "config-flow-app.png", 1280, 960)
        await page.click_text("Submit")
        # Home Assistant then names the new devices and offers the suggested areas.
        await page.wait_text("Finish", "客厅 Living room", seconds=90)
        # The dialog may render before the frontend has heard of the areas just created.
        await page.wait_gone("Unknown area selected")
        await page.screenshot(self.out / "config-flow-areas.png", 1280, 860)
        await page.click_text("Finish")

        async def entry_loaded() -> str | None:
            entries = await self.api.get("/api/config/config_entries/entry?domain=thingscloud")
            return next((e["entry_id"] for e in entries if e["state"] == "loaded"), None)

        self.entry_id = await wait_for(entry_loaded, 60, "the config entry to load")

    async def integration_page(self) -> None:
        """A command switch and a command button, then the integration page."""
        for subentry_type, data in COMMANDS:
            flow = await self.api.flow(
                "/api/config/config_entries/subentries/flow",
                {"handler": [self.entry_id, subentry_type]},
            )
            result = await self.api.flow(
                f"/api/config/config_entries/subentries/flow/{flow['flow_id']}", data
            )
            if result.get("type") != "create_entry":
                raise RuntimeError(f"adding a {subentry_type} failed: {result}")
        await self.page.goto(f"{self.base}/config/integrations/integration/thingscloud")
        await self.page.wait_text(DEMO_PROJECT_NAME, "Command switch", "Command button")
        await self.page.screenshot(self.out / "integration.png", 1280, 1440)

    async def entity_id(self, unique_id: str) -> str:
        async def registered() -> str | None:
            entities = await self.api.ws("config/entity_registry/list")
            return next(
                (
                    e["entity_id"]
                    for e in entities
                    if e["platform"] == "thingscloud" and e["unique_id"] == unique_id
                ),
                None,
            )

        entity_id: str = await wait_for(registered, 60, f"the entity {unique_id}")
        return entity_id

    async def device_id(self, identifier: str) -> tuple[str, str]:
        """The Home Assistant id and name of a device of the integration."""
        devices = await self.api.ws("config/device_registry/list")
        device = next(d for d in devices if ["thingscloud", identifier] in d["identifiers"])
        return device["id"], device["name"]

    async def device_page(self) -> None:
        """The simulator raises an alarm; an entity update polls; the device's page."""
        event = await self.entity_id(f"{DEVICE_SHOWN}_alarm_event")
        online = await self.entity_id(f"{DEVICE_SHOWN}_online")
        async with self.session.post(
            f"{self.sim_url}/_sim/devices/{DEVICE_SHOWN}/alarm", json=ALARM
        ) as response:
            response.raise_for_status()
        await self.api.post("/api/services/homeassistant/update_entity", {"entity_id": online})

        async def raised() -> bool:
            state = await self.api.get(f"/api/states/{event}")
            return bool(state["attributes"].get("event_type") == "raised")

        await wait_for(raised, 60, f"{event} to fire")
        device_id, name = await self.device_id(DEVICE_SHOWN)
        await self.page.goto(f"{self.base}/config/devices/device/{device_id}")
        await self.page.wait_text(name, "Controls", "Events", "raised a major alarm")
        await self.page.screenshot(self.out / "device.png", 1280, 1180)

    async def energy_picker(self) -> None:
        """The statistic picker of the energy settings, once the history is imported."""

        async def imported() -> bool:
            ids = await self.api.ws("recorder/list_statistic_ids", statistic_type="sum")
            return any(item["statistic_id"] == METER for item in ids)

        await wait_for(imported, 300, f"the statistic {METER}", interval=2)
        page = self.page
        await page.viewport(1280, 860)  # before the drop-down opens: a resize closes it
        await page.goto(f"{self.base}/config/energy")
        await page.click_text("Add grid connection")
        await page.wait_text("Configure grid connection")
        await asyncio.sleep(1)  # the dialog opens with an animation
        await page.click_text("Select a statistic", 0)  # energy imported from the grid
        await page.wait_text("电视插座 TV Plug 累计电量 Energy", "Why is my entity not listed?")
        # The dialog's top and the drop-down below its first field.
        await page.screenshot(self.out / "energy-picker.png", 1280, 860, clip=(350, 40, 580, 420))
        await page.press_escape()
        await page.press_escape()

    async def chinese_profile(self) -> None:
        """Profile in 简体中文: the options form with real-time updates, the project's page."""
        page = self.page
        await page.set_language("zh-Hans")
        await page.goto(f"{self.base}/config/integrations/integration/thingscloud")
        await page.wait_text(DEMO_PROJECT_NAME, "添加命令开关")
        await page.click_icon(MDI_COG)
        await page.wait_text("ThingsCloud 选项", "MQTT 地址")
        mqtt_url = self.sim_url.replace("http://", "ws://", 1) + "/mqtt"
        for index, value in enumerate((mqtt_url, DEMO_VIEW_KEY, DEMO_VIEW_SECRET)):
            await page.type_into(index, value)
        await page.screenshot(self.out / "options-zh.png", 1280, 960)
        await page.click_text("提交")
        realtime = await self.entity_id(f"{DEMO_PROJECT_ID}_realtime")

        async def connected() -> bool:
            try:
                state = await self.api.get(f"/api/states/{realtime}")
            except AssertionError:  # not in the state machine yet
                return False
            return bool(state["state"] == "on")

        await wait_for(connected, 60, f"{realtime} to be on")
        device_id, name = await self.device_id(f"project_{DEMO_PROJECT_ID}")
        await page.goto(f"{self.base}/config/devices/device/{device_id}")
        await page.wait_text(name, "Real-time updates", "已连接", "Online devices")
        await page.screenshot(self.out / "project-zh.png", 1280, 960)


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
                await page.viewport(1280, 860)
                scenes = Scenes(
                    page=page, api=api, session=session, base=base, sim_url=sim_url, out=out
                )
                await scenes.log_in()
                await scenes.config_flow()
                await scenes.integration_page()
                await scenes.device_page()
                await scenes.energy_picker()
                await scenes.chinese_profile()
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
