"""The simulator in its own process, so that its CPU time is not counted as the integration's."""

import asyncio
from collections.abc import Mapping
import contextlib
from dataclasses import dataclass
import re
import sys
from typing import Any, Self

import aiohttp

_URL = re.compile(r"listening on (http://\S+)")


async def _read_url(process: asyncio.subprocess.Process) -> str:
    """The URL the simulator prints once it listens."""
    stdout = process.stdout
    if stdout is None:
        raise RuntimeError("the simulator's output is not piped")
    while line := (await stdout.readline()).decode():
        if match := _URL.search(line):
            return match.group(1)
    raise RuntimeError("the simulator exited before listening")


@dataclass(slots=True)
class SimulatorProcess:
    """A ``python -m simulator --scenario generated`` child process and its admin API."""

    url: str
    process: asyncio.subprocess.Process
    session: aiohttp.ClientSession

    @classmethod
    async def start(
        cls,
        devices: int,
        attributes: int,
        change_share: float,
        latency_ms: float,
        *,
        ignore_page_records: bool = False,
        seed: int = 0,
        meters: int = 0,
        rate_limit: float | None = None,
    ) -> Self:
        """Start the simulator on a free loopback port and wait until it listens.

        ``meters`` adds energy meters with 30 days of history; ``rate_limit`` answers HTTP 429
        (with Retry-After) beyond that many API requests per second and access token.
        """
        args = [
            "-m",
            "simulator",
            "--scenario",
            "generated",
            "--port",
            "0",
            "--devices",
            str(devices),
            "--attributes",
            str(attributes),
            "--change-share",
            str(change_share),
            "--latency-ms",
            str(latency_ms),
            "--seed",
            str(seed),
        ]
        if ignore_page_records:
            args.append("--ignore-page-records")
        if meters:
            args += ["--meters", str(meters)]
        if rate_limit is not None:
            args += ["--rate-limit", str(rate_limit)]
        process = await asyncio.create_subprocess_exec(
            sys.executable, *args, stdout=asyncio.subprocess.PIPE
        )
        try:
            async with asyncio.timeout(120):
                url = await _read_url(process)
        except BaseException:
            process.kill()
            await process.wait()
            raise
        return cls(url, process, aiohttp.ClientSession())

    @property
    def mqtt_url(self) -> str:
        """The broker's WebSocket URL, ``ws://127.0.0.1:<port>/mqtt``."""
        return "ws" + self.url.removeprefix("http") + "/mqtt"

    async def _admin(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        async with self.session.request(method, f"{self.url}/_sim/{path}", json=body) as answer:
            answer.raise_for_status()
            return await answer.json()

    async def values(self) -> dict[tuple[str, str], Any]:
        """Every attribute value of the project: (device id, identifier) -> value."""
        dump = await self._admin("GET", "state")
        return {
            (device["id"], identifier): value
            for device in dump["devices"]
            for identifier, value in device["attributes"].items()
        }

    async def tick(self) -> list[str]:
        """Apply one tick of changes; return the ids of the devices that changed."""
        answer = await self._admin("POST", "tick", {})
        changed: list[str] = answer["changed"]
        return changed

    async def clear_counts(self) -> None:
        """Forget the requests received so far."""
        await self._admin("DELETE", "log")

    async def counts(self) -> dict[str, int]:
        """Requests received since the last clear, per route name."""
        answer = await self._admin("GET", "counts")
        counts: dict[str, int] = answer["counts"]
        return counts

    async def log(self, route: str | None = None) -> list[dict[str, Any]]:
        """The requests received since the last clear (optionally of one route)."""
        answer = await self._admin("GET", f"log?route={route}" if route else "log")
        entries: list[dict[str, Any]] = answer["entries"]
        return entries

    async def report(self, device_id: str, attributes: Mapping[str, Any]) -> None:
        """Make a device report attribute values (the broker publishes them)."""
        # The body is the attribute map itself (simulator/admin.py, ``report``).
        await self._admin("POST", f"devices/{device_id}/report", attributes)

    async def ping(self) -> None:
        """A small admin request that changes nothing (to weigh the admin client's own cost)."""
        await self._admin("GET", "rate_limit")

    async def mqtt(self, **settings: Any) -> dict[str, Any]:
        """Change the broker's settings (refuse_credentials, delay_ms); return its status."""
        status: dict[str, Any] = await self._admin("POST", "mqtt", settings)
        return status

    async def mqtt_drop(self) -> int:
        """Cut every broker connection now; return how many."""
        answer = await self._admin("POST", "mqtt/drop", {})
        dropped: int = answer["dropped"]
        return dropped

    async def close(self) -> None:
        """Stop the simulator process."""
        await self.session.close()
        if self.process.returncode is None:
            self.process.terminate()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await self.process.wait()
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
