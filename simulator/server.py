"""Command line: run the simulator until interrupted.

python -m simulator --port 8081 --scenario demo
python -m simulator --scenario generated --devices 1000 --attributes 10 --tick-seconds 5
python -m simulator --scenario generated --meters 10 --rate-limit 5
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
import contextlib
import sys
from typing import TextIO

from .scenarios import (
    DEMO_ACCESS_KEY,
    DEMO_ACCOUNT,
    DEMO_APP_ID,
    DEMO_PASSWORD,
    DEMO_SECRET_KEY,
    demo_state,
    generated_state,
)
from .state import SimulatorState
from .testing import RunningSimulator, start_simulator


def _positive_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _rate(text: str) -> float:
    value = float(text)
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("must be between 0 and 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="A local simulator of the ThingsCloud project HTTP API.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port (8081; 0 = any free port)")
    parser.add_argument("--scenario", choices=("demo", "generated"), default="demo")
    parser.add_argument("--devices", type=int, default=100, help="generated: number of devices")
    parser.add_argument(
        "--attributes", type=int, default=10, help="generated: numeric attributes per device"
    )
    parser.add_argument(
        "--change-share", type=_share, default=0.05, help="generated: share changed per tick"
    )
    parser.add_argument("--seed", type=int, default=0, help="generated: random seed")
    parser.add_argument(
        "--meters", type=int, default=0, help="generated: energy meters with 30 days of history"
    )
    parser.add_argument(
        "--tick-seconds", type=_positive_float, default=0.0, help="tick every S seconds (0 = off)"
    )
    parser.add_argument(
        "--latency-ms", type=_positive_float, default=0.0, help="delay every API answer"
    )
    parser.add_argument(
        "--ignore-page-records", action="store_true", help="always 20 devices per page"
    )
    parser.add_argument(
        "--rate-limit", type=_rate, default=None, help="API requests per second and token (429)"
    )
    parser.add_argument(
        "--no-retry-after", action="store_true", help="rate limit: no Retry-After header"
    )
    parser.add_argument("--app-token-lifetime", type=_positive_float, default=None)
    parser.add_argument("--admin-token-lifetime", type=_positive_float, default=None)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.devices < 0 or args.attributes < 0 or args.meters < 0:
        parser.error("--devices, --attributes and --meters must not be negative")
    return args


def make_state(args: argparse.Namespace) -> SimulatorState:
    """The state the arguments describe, with their switches applied."""
    if args.scenario == "generated":
        state = generated_state(
            args.devices, args.attributes, args.change_share, args.seed, meters=args.meters
        )
    else:
        state = demo_state()
    if args.latency_ms:
        state.faults.set("latency", ms=args.latency_ms)
    state.ignore_page_records = args.ignore_page_records
    if args.rate_limit is not None:
        state.set_rate_limit(args.rate_limit, retry_after=not args.no_retry_after)
    if args.app_token_lifetime is not None:
        state.app_token_lifetime = args.app_token_lifetime
    if args.admin_token_lifetime is not None:
        state.admin_token_lifetime = args.admin_token_lifetime
    return state


def describe(running: RunningSimulator, args: argparse.Namespace) -> str:
    """What to print on start: where it listens and how to log in."""
    state = running.state
    return "\n".join(
        [
            f"ThingsCloud simulator ({args.scenario}) listening on {running.url}",
            f"  API:        {running.api_url}",
            f"  Admin API:  {running.url}/_sim/state",
            (
                f"  Project:    {state.project.name} ({state.project.id}),"
                f" {len(state.devices)} devices"
            ),
            (
                f"  App login:  app_id={DEMO_APP_ID} access_key={DEMO_ACCESS_KEY}"
                f" secret_key={DEMO_SECRET_KEY}"
            ),
            f"  Admin login: app_id={DEMO_APP_ID} account={DEMO_ACCOUNT} password={DEMO_PASSWORD}",
            f"  MQTT:       {running.mqtt_url}",
            (
                f"  MQTT login: view_key={state.view_key} view_secret={state.view_secret}"
                f" topic={state.view_key}/+/attributes"
            ),
        ]
    )


async def _tick_forever(state: SimulatorState, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        state.tick()


async def serve(
    args: argparse.Namespace, *, stop: asyncio.Event | None = None, out: TextIO | None = None
) -> None:
    """Run until `stop` is set (forever without one)."""
    running = await start_simulator(make_state(args), args.host, args.port)
    print(describe(running, args), file=out or sys.stdout, flush=True)
    ticker = (
        asyncio.create_task(_tick_forever(running.state, args.tick_seconds))
        if args.tick_seconds
        else None
    )
    try:
        await (stop or asyncio.Event()).wait()
    finally:
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
        await running.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))
    return 0
