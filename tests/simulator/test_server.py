"""The command line: arguments, the state they describe, serving until stopped."""

import asyncio
import io
import os
from pathlib import Path
import runpy
import sys
from typing import Any

import aiohttp
import pytest

from simulator import server
from simulator.scenarios import demo_state
from simulator.server import make_state, parse_args, serve
from simulator.testing import start_simulator

ROOT = Path(__file__).resolve().parents[2]


def test_defaults() -> None:
    args = parse_args([])
    assert (args.host, args.port, args.scenario) == ("127.0.0.1", 8081, "demo")
    assert (args.devices, args.attributes, args.change_share, args.seed) == (100, 10, 0.05, 0)
    assert (args.tick_seconds, args.latency_ms, args.ignore_page_records) == (0.0, 0.0, False)
    assert (args.app_token_lifetime, args.admin_token_lifetime) == (None, None)


def test_generated_arguments() -> None:
    args = parse_args(
        [
            "--scenario", "generated", "--devices", "30", "--attributes", "3",
            "--change-share", "0.5", "--seed", "7", "--tick-seconds", "2.5",
            "--latency-ms", "40", "--ignore-page-records", "--port", "0",
            "--app-token-lifetime", "60", "--admin-token-lifetime", "120",
        ]
    )  # fmt: skip
    state = make_state(args)
    assert len(state.devices) == 30
    assert len(state.devices["gen-00001"].attributes) == 3
    assert state.change_share == 0.5
    assert state.ignore_page_records is True
    assert (state.app_token_lifetime, state.admin_token_lifetime) == (60, 120)
    [latency] = state.faults.active
    assert (latency.kind, latency.endpoint, latency.params) == ("latency", None, {"ms": 40.0})
    assert args.tick_seconds == 2.5


def test_demo_state_from_arguments() -> None:
    state = make_state(parse_args(["--scenario", "demo"]))
    assert state.project.id == "proj-demo"
    assert not state.faults
    assert state.app_token_lifetime == 86400


@pytest.mark.parametrize(
    "argv",
    [
        ["--scenario", "other"],
        ["--change-share", "2"],
        ["--tick-seconds", "-1"],
        ["--devices", "-5"],
        ["--attributes", "-1"],
        ["--port", "x"],
    ],
)
def test_bad_arguments(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as err:
        parse_args(argv)
    assert err.value.code == 2
    assert "error" in capsys.readouterr().err


async def test_serve_until_stopped() -> None:
    args = parse_args(["--port", "0", "--tick-seconds", "0.05"])
    out = io.StringIO()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(args, stop=stop, out=out))
    for _ in range(200):
        if out.getvalue():
            break
        await asyncio.sleep(0.01)
    text = out.getvalue()
    assert "listening on http://127.0.0.1:" in text
    assert "app_id=demo-app access_key=demo-access-key secret_key=demo-secret-key" in text
    assert "account=admin password=demo-password" in text
    url = text.split("listening on ", 1)[1].split()[0]
    async with aiohttp.ClientSession() as session:
        async with session.get(url + "/api/v1/project") as response:
            assert response.status == 401
        await asyncio.sleep(0.2)
        async with session.get(url + "/_sim/state") as response:
            assert (await response.json())["ticks"] >= 2
    stop.set()
    await asyncio.wait_for(task, 5)
    async with aiohttp.ClientSession() as session:
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(url + "/api/v1/project")


def test_main_runs_until_interrupted(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    def fake_run(coro: Any) -> None:
        seen.append(coro)
        coro.close()
        raise KeyboardInterrupt

    monkeypatch.setattr(asyncio, "run", fake_run)
    assert server.main(["--port", "0"]) == 0
    assert len(seen) == 1


def test_module_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "main", lambda: 0)
    with pytest.raises(SystemExit) as err:
        runpy.run_module("simulator", run_name="__main__")
    assert err.value.code == 0


async def test_python_dash_m_simulator_serves() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulator", "--port", "0", "--scenario", "generated",
        "--devices", "5",
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert "ThingsCloud simulator (generated) listening on http://127.0.0.1:" in line
        url = line.rsplit(" ", 1)[1].strip()
        async with aiohttp.ClientSession() as session:
            body = {
                "app_id": "demo-app",
                "access_key": "demo-access-key",
                "secret_key": "demo-secret-key",
            }
            async with session.post(url + "/api/v1/access_token", json=body) as response:
                assert (await response.json())["result"] is True
            async with session.get(url + "/_sim/state") as response:
                assert len((await response.json())["devices"]) == 5
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


async def test_serve_without_ticks() -> None:
    stop = asyncio.Event()
    stop.set()
    out = io.StringIO()
    await asyncio.wait_for(serve(parse_args(["--port", "0"]), stop=stop, out=out), 5)
    assert "(demo) listening on" in out.getvalue()


async def test_start_simulator_on_a_busy_port() -> None:

    first = await start_simulator(demo_state())
    try:
        port = int(first.url.rsplit(":", 1)[1])
        with pytest.raises(OSError, match="address already in use"):
            await start_simulator(demo_state(), port=port)
    finally:
        await first.close()


def test_generated_meters_from_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert parse_args([]).meters == 0
    state = make_state(parse_args(["--scenario", "generated", "--devices", "2", "--meters", "3"]))
    assert [d for d in state.devices if d.startswith("meter-")] == [
        "meter-0001",
        "meter-0002",
        "meter-0003",
    ]
    with pytest.raises(SystemExit):
        parse_args(["--meters", "-1"])
    assert "--meters" in capsys.readouterr().err
