"""Run the simulator and a real Home Assistant as subprocesses and talk to them over HTTP.

Used by the end-to-end test and by scripts/screenshots.py. Nothing here imports Home Assistant:
it only starts `python -m homeassistant` and `python -m simulator` and speaks their HTTP APIs.
Every wait is bounded; `Managed.stop()` ends a process (and its process group) in any case.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
import contextlib
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
import json
import os
from pathlib import Path
import re
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import aiohttp
from packaging.requirements import Requirement

REPO_ROOT = Path(__file__).resolve().parents[2]
INTEGRATION_DIR = REPO_ROOT / "custom_components" / "thingscloud"
LOOPBACK = "127.0.0.1"
# The newest Home Assistant, which scripts/setup installs from requirements_newest_ha.txt; only
# the end-to-end test runs it (as a process: no test plugin exists for it).
NEWEST_HA_VENV = REPO_ROOT / ".venv-newest-ha"
NEWEST_HA_REQUIREMENTS = REPO_ROOT / "requirements_newest_ha.txt"

# The smallest configuration that serves the REST and websocket APIs, onboarding and config
# flows. `frontend` is loaded (and critical: Home Assistant falls back to recovery mode without
# it) whatever the configuration says; pointing it at an empty "development repository" keeps it
# from needing the home-assistant-frontend package, so nothing has to be installed.
MINIMAL_CONFIGURATION = """\
frontend:
  development_repo: {frontend_repo}
api:
config:
onboarding:
logger:
  default: warning
  logs:
    custom_components.thingscloud: debug
    homeassistant.bootstrap: info
"""

FULL_CONFIGURATION = """\
default_config:
logger:
  default: warning
  logs:
    custom_components.thingscloud: debug
    homeassistant.bootstrap: info
"""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def write_http_storage(config_dir: Path, port: int, host: str = LOOPBACK) -> None:
    """Bind Home Assistant to host:port through its stored HTTP config.

    `http:` in configuration.yaml is only a pending setting in Home Assistant 2026.10 (it is
    reverted, with a restart, unless a user confirms it in the UI). A version 1 store file is
    migrated to the stable slot instead.
    """
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    data = {"server_host": [host], "server_port": port}
    (storage / "http").write_text(
        json.dumps({"version": 1, "minor_version": 1, "key": "http", "data": data})
    )


def write_ha_config(config_dir: Path, port: int, *, full: bool = False) -> None:
    """A Home Assistant configuration directory that loads this working tree's integration.

    full=False: the minimal API-only configuration (nothing to install; run with --skip-pip).
    full=True: `default_config:` with the real frontend (its requirements get installed).
    """
    config_dir.mkdir(parents=True, exist_ok=True)
    if full:
        text = FULL_CONFIGURATION
    else:
        frontend_repo = config_dir / "frontend-stub"
        (frontend_repo / "hass_frontend").mkdir(parents=True, exist_ok=True)
        text = MINIMAL_CONFIGURATION.format(frontend_repo=frontend_repo)
    (config_dir / "configuration.yaml").write_text(text)
    write_http_storage(config_dir, port)
    custom = config_dir / "custom_components"
    custom.mkdir(exist_ok=True)
    link = custom / "thingscloud"
    if not link.is_symlink():
        link.symlink_to(INTEGRATION_DIR, target_is_directory=True)


def installed_versions(python: str | Path, names: Sequence[str]) -> dict[str, str | None]:
    """The installed versions of the distributions `names` in the environment of `python`."""
    script = (
        "import importlib.metadata as m, json, sys\n"
        "def v(name):\n"
        "    try:\n"
        "        return m.version(name)\n"
        "    except m.PackageNotFoundError:\n"
        "        return None\n"
        "print(json.dumps({name: v(name) for name in sys.argv[1:]}))\n"
    )
    done = subprocess.run(  # noqa: S603
        [str(python), "-c", script, *names],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    versions: dict[str, str | None] = json.loads(done.stdout)
    return versions


def home_assistant_version(python: str | Path) -> str | None:
    """The version of Home Assistant installed for `python` (None: no such interpreter or HA)."""
    if not Path(python).exists():
        return None
    try:
        return installed_versions(python, ["homeassistant"])["homeassistant"]
    except OSError, subprocess.SubprocessError:
        return None


def pinned_newest_ha_version() -> str:
    """The Home Assistant version that requirements_newest_ha.txt pins."""
    for line in NEWEST_HA_REQUIREMENTS.read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        requirement = Requirement(text)
        if requirement.name == "homeassistant":
            specifiers = list(requirement.specifier)
            if len(specifiers) == 1 and specifiers[0].operator == "==":
                return specifiers[0].version
    raise ValueError(f"{NEWEST_HA_REQUIREMENTS.name} pins no homeassistant==VERSION")


def missing_integration_requirements(python: str | Path | None = None) -> list[str]:
    """The integration's manifest requirements not installed for `python` (default: this one)."""
    manifest = json.loads((INTEGRATION_DIR / "manifest.json").read_text())
    requirements = [Requirement(text) for text in manifest.get("requirements", [])]
    if not requirements:
        return []
    if python is None:
        versions: dict[str, str | None] = {}
        for requirement in requirements:
            try:
                versions[requirement.name] = version(requirement.name)
            except PackageNotFoundError:
                versions[requirement.name] = None
    else:
        versions = installed_versions(python, [r.name for r in requirements])
    return [
        str(requirement)
        for requirement in requirements
        if (installed := versions.get(requirement.name)) is None
        or not requirement.specifier.contains(installed, prereleases=True)
    ]


# One record of Home Assistant's log starts with its time stamp (2026.11 added the UTC offset:
# `2026-11-30 06:34:44.194+00:00`); the lines up to the next one (a traceback, the source line of a
# warning) belong to it.
_RECORD_START = re.compile(
    r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[.,]\d+(?:Z|[+-]\d{2}:?\d{2})? ([A-Z]+) ", re.MULTILINE
)


def log_records(text: str) -> list[tuple[str, str]]:
    """Home Assistant's log as (level, record) pairs; text before the first record is dropped."""
    starts = list(_RECORD_START.finditer(text))
    ends = [match.start() for match in starts[1:]] + [len(text)]
    return [
        (match.group(1), text[match.start() : end].rstrip())
        for match, end in zip(starts, ends, strict=True)
    ]


def deprecation_reports(text: str, domain: str = "thingscloud") -> list[str]:
    """The records of a Home Assistant log that report deprecated or incorrect use by `domain`.

    - the frame helper's `report_usage` ("Detected that custom integration 'thingscloud' ...",
      whatever the level; also the other "custom integration 'thingscloud'" reports, such as
      blocking calls);
    - the deprecation helper ("The deprecated function x was called from thingscloud. ...");
    - a `DeprecationWarning` (logged through `py.warnings` when Python shows them, e.g. with
      `-W default::DeprecationWarning`) or any other warning that speaks of a deprecation and
      names the integration.
    """
    # Named as the integration, not as a path that merely contains the word (the cache of
    # scripts/setup is ~/.cache/thingscloud-ha/; a checkout may be in a folder of that name).
    named = re.compile(
        rf"custom_components[/.]{re.escape(domain)}\b|'{re.escape(domain)}'"
        rf"|\bfrom {re.escape(domain)}\b"
    )
    reports: list[str] = []
    for level, record in log_records(text):
        reported = f"custom integration '{domain}'" in record
        deprecation = (
            level in ("WARNING", "ERROR", "CRITICAL")
            and re.search("deprecat", record, re.IGNORECASE) is not None
            and named.search(record) is not None
        )
        if reported or deprecation:
            reports.append(record)
    return reports


@dataclass
class Managed:
    """A subprocess with its output in a log file."""

    name: str
    process: asyncio.subprocess.Process
    log_path: Path

    def log_tail(self, lines: int = 80) -> str:
        """The last lines of its output."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def check_running(self) -> None:
        """Raise with its output when it has exited."""
        if self.process.returncode is not None:
            raise RuntimeError(
                f"{self.name} exited with code {self.process.returncode}:\n{self.log_tail()}"
            )

    async def stop(self, grace: float = 30.0) -> int | None:
        """SIGTERM, then SIGKILL after `grace` s; also kill what is left of its process group."""
        process = self.process
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            try:
                await asyncio.wait_for(process.wait(), grace)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(process.wait(), 10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        return process.returncode


async def spawn(
    name: str,
    args: Sequence[str],
    log_path: Path,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = REPO_ROOT,
) -> Managed:
    """Start a process in its own session, output to log_path."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=asyncio.subprocess.STDOUT,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    return Managed(name, process, log_path)


async def start_simulator(
    log_path: Path, port: int, *extra: str, scenario: str = "demo"
) -> Managed:
    """`python -m simulator --scenario <scenario>` on 127.0.0.1:port."""
    args = [sys.executable, "-m", "simulator", "--host", LOOPBACK, "--port", str(port)]
    return await spawn("simulator", [*args, "--scenario", scenario, *extra], log_path)


async def start_home_assistant(
    config_dir: Path,
    *,
    python: str | Path = sys.executable,
    python_options: Sequence[str] = (),
    skip_pip: bool = True,
    env: Mapping[str, str] | None = None,
) -> Managed:
    """`python [python_options] -m homeassistant -c config_dir` (output in config_dir/hass.out).

    `python` is the interpreter of the Home Assistant to run (default: this one).
    """
    args = [str(python), *python_options, "-m", "homeassistant", "-c", str(config_dir)]
    args.append("--log-no-color")
    if skip_pip:
        args.append("--skip-pip")
    return await spawn("Home Assistant", args, config_dir / "hass.out", env=env)


async def wait_http(
    session: aiohttp.ClientSession,
    url: str,
    managed: Managed,
    seconds: float,
    *,
    statuses: Sequence[int] = (200,),
) -> Any:
    """Poll url until it answers one of `statuses`; return its JSON body (or None)."""
    deadline = time.monotonic() + seconds
    last: str = "no answer"
    while time.monotonic() < deadline:
        managed.check_running()
        try:
            async with session.get(url, timeout=aiohttp.ClientTimeout(total=3)) as response:
                if response.status in statuses:
                    if response.content_type == "application/json":
                        return await response.json()
                    return None
                last = f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError) as err:
            last = repr(err)
        await asyncio.sleep(0.2)
    raise TimeoutError(
        f"{url} did not answer {list(statuses)} within {seconds} s ({last});"
        f" {managed.name} output:\n{managed.log_tail()}"
    )


async def wait_for(
    check: Callable[[], Awaitable[Any]],
    seconds: float,
    what: str | Callable[[], str],
    *,
    interval: float = 0.3,
) -> Any:
    """Await `check()` until it returns something truthy; TimeoutError naming `what`.

    `what` may be a callable, asked only on timeout (e.g. for what is still missing).
    """
    deadline = time.monotonic() + seconds
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() >= deadline:
            described = what if isinstance(what, str) else what()
            raise TimeoutError(f"timed out after {seconds} s waiting for {described}")
        await asyncio.sleep(interval)


class HttpError(AssertionError):
    """An unexpected HTTP status."""


@dataclass
class HomeAssistantApi:
    """The REST and websocket APIs of a running Home Assistant."""

    session: aiohttp.ClientSession
    base_url: str
    token: str | None = None
    tokens: dict[str, Any] = field(default_factory=dict)
    _ws: aiohttp.ClientWebSocketResponse | None = None
    _ws_id: int = 0
    _ws_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def client_id(self) -> str:
        """The OAuth client id onboarding and the token endpoint use."""
        return f"{self.base_url}/"

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(
        self, method: str, path: str, *, json_body: Any = None, expect: int = 200
    ) -> Any:
        """One request; HttpError unless the status is `expect`; the JSON body."""
        async with self.session.request(
            method,
            self.base_url + path,
            json=json_body,
            headers=self._headers(),
            timeout=aiohttp.ClientTimeout(total=30),
        ) as response:
            text = await response.text()
            if response.status != expect:
                raise HttpError(f"{method} {path} -> HTTP {response.status}: {text[:500]}")
            return json.loads(text) if text else None

    async def get(self, path: str) -> Any:
        """GET path."""
        return await self.request("GET", path)

    async def post(self, path: str, body: Any = None, *, expect: int = 200) -> Any:
        """POST path with a JSON body."""
        return await self.request("POST", path, json_body=body, expect=expect)

    async def onboard(self, *, username: str, password: str, name: str, full: bool) -> None:
        """Create the owner through onboarding and log in (self.token).

        full=True also finishes the remaining onboarding steps (core config, analytics,
        integration), as the UI does, so that the frontend opens on the dashboard.
        """
        created = await self.post(
            "/api/onboarding/users",
            {
                "client_id": self.client_id,
                "name": name,
                "username": username,
                "password": password,
                "language": "en",
            },
        )
        async with self.session.post(
            f"{self.base_url}/auth/token",
            data={
                "grant_type": "authorization_code",
                "code": created["auth_code"],
                "client_id": self.client_id,
            },
            timeout=aiohttp.ClientTimeout(total=30),
        ) as response:
            if response.status != 200:
                raise HttpError(f"/auth/token -> HTTP {response.status}: {await response.text()}")
            tokens = await response.json()
        self.token = tokens["access_token"]
        self.tokens = tokens
        if full:
            await self.post("/api/onboarding/core_config", {})
            await self.post("/api/onboarding/analytics", {})
            await self.post(
                "/api/onboarding/integration",
                {"client_id": self.client_id, "redirect_uri": f"{self.base_url}/?auth_callback=1"},
            )

    async def wait_running(self, seconds: float) -> None:
        """Until the core reports RUNNING (every integration of the config set up)."""

        async def running() -> bool:
            config = await self.get("/api/config")
            return bool(config.get("state") == "RUNNING")

        await wait_for(running, seconds, "Home Assistant to reach RUNNING")

    async def ws(self, command: str, **payload: Any) -> Any:
        """One websocket command (connects and authenticates on first use); its result."""
        async with self._ws_lock:
            if self._ws is None:
                ws = await self.session.ws_connect(
                    f"{self.base_url}/api/websocket", timeout=aiohttp.ClientWSTimeout(ws_close=10)
                )
                hello = await ws.receive_json(timeout=10)
                assert hello["type"] == "auth_required", hello
                await ws.send_json({"type": "auth", "access_token": self.token})
                answer = await ws.receive_json(timeout=10)
                if answer["type"] != "auth_ok":
                    await ws.close()
                    raise HttpError(f"websocket auth failed: {answer}")
                self._ws = ws
            self._ws_id += 1
            message_id = self._ws_id
            await self._ws.send_json({"id": message_id, "type": command, **payload})
            while True:
                answer = await self._ws.receive_json(timeout=30)
                if answer.get("id") == message_id and answer.get("type") == "result":
                    break
        if not answer["success"]:
            raise HttpError(f"websocket {command} failed: {answer.get('error')}")
        return answer["result"]

    async def close(self) -> None:
        """Close the websocket, if any."""
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def flow(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST to a config flow endpoint; the flow result."""
        result: dict[str, Any] = await self.post(path, dict(body))
        return result

    async def add_thingscloud_entry(
        self, endpoint: str, app_id: str, access_key: str, secret_key: str
    ) -> dict[str, Any]:
        """Run the config flow: menu `user` -> `app` form -> created entry; the last result."""
        flow = await self.flow(
            "/api/config/config_entries/flow",
            {"handler": "thingscloud", "show_advanced_options": False},
        )
        flow = await self.flow(
            f"/api/config/config_entries/flow/{flow['flow_id']}", {"next_step_id": "app"}
        )
        return await self.flow(
            f"/api/config/config_entries/flow/{flow['flow_id']}",
            {
                "endpoint": endpoint,
                "app_id": app_id,
                "access_key": access_key,
                "secret_key": secret_key,
            },
        )
