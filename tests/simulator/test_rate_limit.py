"""The rate limit mode: HTTP 429 beyond N API requests per second and access token."""

import pytest

from simulator.server import make_state, parse_args
from simulator.state import SimulatorState

from .conftest import Api, FakeClock


def test_sliding_window_per_token(state: SimulatorState, clock: FakeClock) -> None:
    state.set_rate_limit(2)
    assert [state.take_rate("a"), state.take_rate("a")] == [None, None]
    assert state.take_rate("a") == pytest.approx(1.0)
    assert state.take_rate("b") is None  # every token has its own window
    clock.advance(0.4)
    assert state.take_rate("a") == pytest.approx(0.6)
    clock.advance(0.6)  # the first request leaves the window
    assert state.take_rate("a") is None
    assert state.take_rate("a") is None  # the second left it too
    assert state.take_rate("a") == pytest.approx(1.0)


def test_rates_below_one_per_second(state: SimulatorState, clock: FakeClock) -> None:
    state.set_rate_limit(0.5)  # one request every 2 s
    assert state.take_rate("a") is None
    clock.advance(1.5)
    assert state.take_rate("a") == pytest.approx(0.5)
    clock.advance(0.5)
    assert state.take_rate("a") is None
    state.set_rate_limit(2.5)  # 2 requests per 0.8 s; a new limit starts afresh
    assert [state.take_rate("a") for _ in range(3)] == [None, None, pytest.approx(0.8)]


def test_no_limit_by_default_and_after_clearing(state: SimulatorState) -> None:
    assert state.rate_limit is None
    assert all(state.take_rate("a") is None for _ in range(1000))
    state.set_rate_limit(1)
    state.take_rate("a")
    state.set_rate_limit(None)
    assert state.take_rate("a") is None


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "5"])
def test_bad_limits_are_refused(state: SimulatorState, bad: object) -> None:
    with pytest.raises(ValueError, match="positive number"):
        state.set_rate_limit(bad)  # type: ignore[arg-type]
    assert state.rate_limit is None


async def test_429_with_retry_after(api: Api, state: SimulatorState, clock: FakeClock) -> None:
    await api.login()
    state.set_rate_limit(3)
    for _ in range(3):
        await api.info("GET", "/project")
    reply = await api.request("GET", "/devices_stat")
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "1"
    assert reply.data == {
        "result": False,
        "errcode": 429,
        "message": "Too Many Requests",
        "errors": [],
    }
    assert [e.status for e in state.requests("devices_stat")] == [429]
    clock.advance(1)
    await api.info("GET", "/devices_stat")


async def test_429_without_retry_after(api: Api, state: SimulatorState) -> None:
    await api.login()
    state.set_rate_limit(1, retry_after=False)
    await api.info("GET", "/project")
    reply = await api.request("GET", "/project")
    assert reply.status == 429
    assert "Retry-After" not in reply.headers


async def test_retry_after_is_whole_seconds(api: Api, state: SimulatorState) -> None:
    await api.login()
    state.set_rate_limit(0.2)  # one request every 5 s
    await api.info("GET", "/project")
    reply = await api.request("GET", "/project")
    assert reply.headers["Retry-After"] == "5"


async def test_token_requests_and_rejected_tokens_are_not_counted(
    api: Api, state: SimulatorState
) -> None:
    state.set_rate_limit(1)
    for _ in range(3):
        await api.login()  # token requests: never limited
    await api.info("GET", "/project")
    assert (await api.request("GET", "/project", token="not-a-token")).status == 401
    other = await api.admin_login()
    await api.info("GET", "/project", token=other)  # another token, another window
    assert (await api.request("GET", "/project")).status == 429


async def test_rate_limit_over_http(api: Api, state: SimulatorState) -> None:
    assert (await api.sim("GET", "/rate_limit")).data == {"per_second": None, "retry_after": True}
    reply = await api.sim("POST", "/rate_limit", json={"per_second": 5, "retry_after": False})
    assert reply.data == {"per_second": 5.0, "retry_after": False}
    assert (state.rate_limit, state.rate_limit_retry_after) == (5.0, False)
    reply = await api.sim("POST", "/rate_limit", json={"per_second": 2.5})
    assert reply.data == {"per_second": 2.5, "retry_after": True}
    reply = await api.sim("DELETE", "/rate_limit")
    assert reply.data == {"per_second": None, "retry_after": True}
    assert state.rate_limit is None
    await api.sim("POST", "/rate_limit", json={"per_second": 1})
    assert (await api.sim("POST", "/rate_limit", json={"per_second": None})).status == 200
    assert state.rate_limit is None
    for body, message in (
        ({"per_second": 0}, "positive number"),
        ({"per_second": "5"}, "positive number"),
        ({"per_second": True}, "positive number"),
        ({"per_second": 5, "retry_after": "no"}, "retry_after"),
        ([5], "JSON object"),
    ):
        reply = await api.sim("POST", "/rate_limit", json=body)
        assert reply.status == 400, body
        assert message in reply.data["error"]
    assert state.rate_limit is None


def test_rate_limit_from_the_command_line() -> None:
    assert make_state(parse_args([])).rate_limit is None
    state = make_state(parse_args(["--rate-limit", "5"]))
    assert (state.rate_limit, state.rate_limit_retry_after) == (5.0, True)
    state = make_state(parse_args(["--rate-limit", "0.5", "--no-retry-after"]))
    assert (state.rate_limit, state.rate_limit_retry_after) == (0.5, False)


@pytest.mark.parametrize("value", ["0", "-1", "inf", "x"])
def test_bad_rate_limit_on_the_command_line(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_args(["--rate-limit", value])
    assert "--rate-limit" in capsys.readouterr().err
