"""The simulator process as the soak drives it: its admin API, its broker controls, its API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
import json
from typing import Any

import aiohttp

from simulator.scenarios import DEMO_ACCESS_KEY, DEMO_APP_ID, DEMO_SECRET_KEY

_TIMEOUT = aiohttp.ClientTimeout(total=60)


class SimulatorError(RuntimeError):
    """The simulator answered something unexpected."""


@dataclass
class Simulator:
    """A running simulator: `url` is its base URL (http://127.0.0.1:<port>)."""

    session: aiohttp.ClientSession
    url: str
    _token: str | None = None

    @property
    def api_url(self) -> str:
        """The ThingsCloud API's base URL."""
        return f"{self.url}/api/v1"

    @property
    def mqtt_url(self) -> str:
        """The broker's WebSocket URL."""
        return self.url.replace("http://", "ws://", 1) + "/mqtt"

    # ------------------------------------------------------------------ admin API

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        """One admin request (/_sim/...); its JSON answer; SimulatorError unless HTTP 200."""
        async with self.session.request(
            method, f"{self.url}/_sim{path}", json=body, timeout=_TIMEOUT
        ) as response:
            text = await response.text()
            if response.status != 200:
                raise SimulatorError(f"{method} /_sim{path} -> {response.status}: {text[:300]}")
            return json.loads(text)

    async def state(self) -> dict[str, Any]:
        """The whole simulated project (GET /_sim/state)."""
        state: dict[str, Any] = await self.admin("GET", "/state")
        return state

    async def tick(self) -> list[str]:
        """One tick; the devices that changed."""
        answer = await self.admin("POST", "/tick", {})
        changed: list[str] = answer["changed"]
        return changed

    async def set_fault(
        self, kind: str, endpoint: str | None = None, count: int | None = None, **params: Any
    ) -> dict[str, Any]:
        """Add a fault; the fault as the simulator describes it (with its id)."""
        body = {"kind": kind, "endpoint": endpoint, **params}
        if count is not None:
            body["count"] = count
        answer = await self.admin("POST", "/faults", body)
        fault: dict[str, Any] = answer["fault"]
        return fault

    async def faults(self) -> list[dict[str, Any]]:
        """The active faults."""
        answer = await self.admin("GET", "/faults")
        faults: list[dict[str, Any]] = answer["faults"]
        return faults

    async def clear_faults(self) -> int:
        """Remove every fault; how many there were."""
        answer = await self.admin("DELETE", "/faults")
        removed: int = answer["removed"]
        return removed

    async def set_rate_limit(self, per_second: float | None, *, retry_after: bool = True) -> None:
        """Limit the API requests per second and token (None: no limit)."""
        if per_second is None:
            await self.admin("DELETE", "/rate_limit")
        else:
            await self.admin(
                "POST", "/rate_limit", {"per_second": per_second, "retry_after": retry_after}
            )

    async def expire_tokens(self) -> int:
        """Make every access token issued so far invalid."""
        answer = await self.admin("POST", "/tokens/expire", {})
        expired: int = answer["expired"]
        return expired

    async def report(self, device_id: str, attributes: dict[str, Any]) -> None:
        """The device reports these attribute values (pushed on the broker too)."""
        await self.admin("POST", f"/devices/{device_id}/report", attributes)

    async def set_online(self, device_id: str, *, online: bool) -> None:
        """Set a device on- or offline."""
        await self.admin("POST", f"/devices/{device_id}/online", {"online": online})

    async def set_alarm(self, device_id: str, level: int | None) -> None:
        """Raise (1-3) or clear (None) a device's alarm."""
        await self.admin(
            "POST", f"/devices/{device_id}/alarm", {"level": level, "info": {"rule": "soak"}}
        )

    async def counts(self) -> dict[str, int]:
        """API requests served so far, by route name."""
        answer = await self.admin("GET", "/counts")
        counts: dict[str, int] = answer["counts"]
        return counts

    async def request_log(self, route: str) -> list[dict[str, Any]]:
        """The logged requests of one route, oldest first."""
        answer = await self.admin("GET", f"/log?route={route}")
        entries: list[dict[str, Any]] = answer["entries"]
        return entries

    # ------------------------------------------------------------------ broker

    async def mqtt_status(self) -> dict[str, Any]:
        """The broker's connections, subscriptions and settings."""
        status: dict[str, Any] = await self.admin("GET", "/mqtt")
        return status

    async def mqtt_link_up(self) -> bool:
        """Whether a client is logged in with a subscription."""
        status = await self.mqtt_status()
        return any(c["connected"] and c["subscriptions"] for c in status["clients"])

    async def mqtt_settings(self, *, refuse_credentials: bool) -> None:
        """Refuse (CONNACK 5) or accept logins from now on."""
        await self.admin("POST", "/mqtt", {"refuse_credentials": refuse_credentials})

    async def mqtt_drop(self) -> int:
        """Cut every broker connection; how many."""
        answer = await self.admin("POST", "/mqtt/drop", {})
        dropped: int = answer["dropped"]
        return dropped

    async def mqtt_publish(self, topic: str, payload: str) -> int:
        """Publish a raw payload; to how many subscribers it went."""
        answer = await self.admin("POST", "/mqtt/publish", {"topic": topic, "payload": payload})
        delivered: int = answer["delivered"]
        return delivered

    # ------------------------------------------------------------------ the API, as a user

    async def _api_once(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        if self._token is None:
            async with self.session.post(
                f"{self.api_url}/access_token",
                json={
                    "app_id": DEMO_APP_ID,
                    "access_key": DEMO_ACCESS_KEY,
                    "secret_key": DEMO_SECRET_KEY,
                },
                timeout=_TIMEOUT,
            ) as response:
                answer = json.loads(await response.text())
                if response.status != 200 or not answer.get("result"):
                    return response.status, answer
                self._token = answer["info"]["access_token"]
        async with self.session.request(
            method,
            f"{self.api_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=_TIMEOUT,
        ) as response:
            text = await response.text()
            try:
                answer = json.loads(text)
            except ValueError:
                answer = text
            if response.status == 401:
                self._token = None
            return response.status, answer

    async def api(self, method: str, path: str, body: Any = None, *, attempts: int = 5) -> Any:
        """One API request with the soak's own token; its `info`. Retried a few times."""
        last: Any = None
        for attempt in range(attempts):
            try:
                status, answer = await self._api_once(method, path, body)
            except (aiohttp.ClientError, TimeoutError, ValueError) as err:
                status, answer = 0, repr(err)
            if status == 200 and isinstance(answer, dict) and answer.get("result"):
                return answer.get("info")
            last = (status, answer)
            await asyncio.sleep(1 + attempt)
        raise SimulatorError(f"{method} {path} failed {attempts} times: {last!r:.300}")

    async def create_device(self, name: str, device_key: str, type_id: str) -> str:
        """POST /device; the new device's id."""
        info = await self.api(
            "POST", "/device", {"name": name, "device_key": device_key, "type": type_id}
        )
        device_id: str = info["id"]
        return device_id

    async def delete_device(self, device_id: str) -> None:
        """DELETE /device/<id>."""
        await self.api("DELETE", f"/device/{device_id}")
