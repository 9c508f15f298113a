"""The pacer: concurrency and spacing that adapt to 429 answers, and background requests."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
import contextlib

import aiohttp
from aiohttp import web
import pytest

from custom_components.thingscloud.api import (
    AppCredentials,
    PacingState,
    ThingsCloudApiError,
    ThingsCloudClient,
    ThingsCloudConnectionError,
    ThingsCloudRateLimitError,
)
from custom_components.thingscloud.api.const import (
    PACING_DEFAULT_SPACING as SPACING,
    PACING_MAX_CONCURRENCY,
    PACING_MAX_PAUSE,
    PACING_MAX_SPACING,
    PACING_MIN_SPACING,
    PACING_RECOVERY_SUCCESSES,
)
from custom_components.thingscloud.api.pacing import Pacer
from simulator.state import SimulatorState

from .common import START, FakeClock, serve


def near(expected: object) -> object:
    """Seconds as the fake clock adds them up (a rounding error away)."""
    return pytest.approx(expected, abs=1e-6)


class Requests:
    """Requests run through a pacer that finish when the test says so."""

    def __init__(self, pacer: Pacer, clock: FakeClock) -> None:
        self.pacer = pacer
        self.clock = clock
        self.started: list[tuple[str, float]] = []
        self.gates: dict[str, asyncio.Future[None]] = {}
        self.tasks: dict[str, asyncio.Task[str]] = {}

    def send(self, name: str, *, background: bool = False, urgent: bool = False) -> None:
        gate = asyncio.get_running_loop().create_future()
        self.gates[name] = gate

        async def call() -> str:
            self.started.append((name, self.clock()))
            await gate
            return name

        self.tasks[name] = asyncio.create_task(
            self.pacer.run(call, background=background, urgent=urgent)
        )

    def finish(self, name: str, error: BaseException | None = None) -> None:
        if error is None:
            self.gates[name].set_result(None)
        else:
            self.gates[name].set_exception(error)

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.started]

    @property
    def elapsed(self) -> list[float]:
        """When each request started, in seconds after START."""
        return [when - START for _, when in self.started]

    async def settle(self) -> None:
        for _ in range(20):
            await asyncio.sleep(0)

    async def close(self) -> None:
        """Cancel what a failed test left waiting, so that it does not outlive the test."""
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)


@pytest.fixture
def pacer(clock: FakeClock) -> Pacer:
    return Pacer(clock=clock, sleep=clock.sleep)


@pytest.fixture
async def make_requests(clock: FakeClock) -> AsyncIterator[Callable[[Pacer], Requests]]:
    made: list[Requests] = []

    def make(pacer: Pacer) -> Requests:
        made.append(Requests(pacer, clock))
        return made[-1]

    yield make
    for requests in made:
        await requests.close()


@pytest.fixture
def requests(pacer: Pacer, make_requests: Callable[[Pacer], Requests]) -> Requests:
    return make_requests(pacer)


async def _ok() -> str:
    return "ok"


async def _raise(error: BaseException) -> str:
    raise error


def _run(pacer: Pacer, error: BaseException | None = None) -> Awaitable[str]:
    call: Callable[[], Awaitable[str]] = _ok if error is None else (lambda: _raise(error))
    return pacer.run(call)


async def _rate_limited(pacer: Pacer, retry_after: float | None = None) -> None:
    with pytest.raises(ThingsCloudRateLimitError):
        await _run(pacer, ThingsCloudRateLimitError("429", retry_after=retry_after))


def test_initial_state(pacer: Pacer) -> None:
    assert pacer.state == PacingState(
        concurrency=PACING_MAX_CONCURRENCY,
        spacing=0.0,
        in_flight=0,
        rate_limited=0,
        since_rate_limited=None,
    )


async def test_eight_at_once_then_in_order(requests: Requests, pacer: Pacer) -> None:
    for number in range(12):
        requests.send(f"r{number}")
    await requests.settle()

    assert requests.names == [f"r{number}" for number in range(8)]
    assert pacer.state.in_flight == 8
    assert {when for _, when in requests.started} == {START}  # no spacing

    requests.finish("r3")
    requests.finish("r5")
    await requests.settle()

    assert requests.names[8:] == ["r8", "r9"]
    assert await requests.tasks["r3"] == "r3"
    for name in [f"r{number}" for number in range(12)]:
        if not requests.gates[name].done():
            requests.finish(name)
    await asyncio.gather(*requests.tasks.values())
    assert pacer.state.in_flight == 0
    assert not pacer._normal
    assert not pacer._background


async def test_a_429_halves_the_concurrency_and_spaces_starts(
    pacer: Pacer, requests: Requests, clock: FakeClock
) -> None:
    await _rate_limited(pacer)

    assert pacer.state == PacingState(
        concurrency=4, spacing=SPACING, in_flight=0, rate_limited=1, since_rate_limited=0.0
    )
    for number in range(6):
        requests.send(f"r{number}")
    await requests.settle()

    # Spaced apart from the 429 on, at most 4 at once.
    assert requests.names == ["r0", "r1", "r2", "r3"]
    assert requests.elapsed == near([SPACING, 2 * SPACING, 3 * SPACING, 4 * SPACING])
    assert pacer.state.in_flight == 4
    clock.advance(10)
    assert pacer.state.since_rate_limited == near(4 * SPACING + 10)
    for name in ("r0", "r1", "r2", "r3"):
        requests.finish(name)
    await requests.settle()
    # The next one may start at once, the one after it a spacing later.
    assert requests.names[4:] == ["r4", "r5"]
    assert requests.elapsed[4:] == near([4 * SPACING + 10, 5 * SPACING + 10])
    for name in ("r4", "r5"):
        requests.finish(name)
    await asyncio.gather(*requests.tasks.values())


@pytest.mark.parametrize(
    ("retry_after", "pause"),
    [
        (None, SPACING),
        (0, SPACING),
        (SPACING / 2, SPACING / 2),  # shorter than the spacing
        (5, 5.0),
        (PACING_MAX_SPACING * 2, PACING_MAX_SPACING * 2),  # longer than the longest spacing
        (1e9, PACING_MAX_PAUSE),
    ],
)
async def test_retry_after_pauses_up_to_the_longest_pause(
    pacer: Pacer, requests: Requests, retry_after: float | None, pause: float
) -> None:
    await _rate_limited(pacer, retry_after)
    requests.send("first")
    requests.send("second")
    await requests.settle()

    assert pacer.state.spacing == SPACING
    assert requests.names == ["first", "second"]
    assert requests.elapsed == near([pause, pause + SPACING])
    requests.finish("first")
    requests.finish("second")
    await asyncio.gather(*requests.tasks.values())


async def test_429s_of_requests_sent_together_count_once(pacer: Pacer, requests: Requests) -> None:
    for number in range(8):
        requests.send(f"r{number}")
    await requests.settle()
    for number in range(8):
        requests.finish(f"r{number}", ThingsCloudRateLimitError("429"))
    results = await asyncio.gather(*requests.tasks.values(), return_exceptions=True)

    assert all(isinstance(result, ThingsCloudRateLimitError) for result in results)
    assert (pacer.state.concurrency, pacer.state.spacing, pacer.state.rate_limited) == (
        4,
        SPACING,
        8,
    )

    await _rate_limited(pacer)  # sent after the slow-down: slows down again
    assert (pacer.state.concurrency, pacer.state.spacing) == (2, 2 * SPACING)
    spacings = []
    for _ in range(8):
        await _rate_limited(pacer)
        spacings.append(pacer.state.spacing)
    # Doubled by each 429, up to the longest spacing; one request at a time.
    assert spacings == [min(SPACING * 2**n, PACING_MAX_SPACING) for n in range(2, 10)]
    assert spacings[-1] == PACING_MAX_SPACING
    assert pacer.state.concurrency == 1


async def test_recovery_steps(pacer: Pacer) -> None:
    await _rate_limited(pacer)
    await _rate_limited(pacer)
    await _rate_limited(pacer)
    assert (pacer.state.concurrency, pacer.state.spacing) == (1, 4 * SPACING)
    seen = []
    for _ in range(9):
        for _ in range(PACING_RECOVERY_SUCCESSES):
            await _run(pacer)
        seen.append((pacer.state.concurrency, pacer.state.spacing))

    # Each step one more at once and half the spacing; a spacing below the shortest is
    # dropped (here at the fifth step).
    assert SPACING / 8 < PACING_MIN_SPACING <= SPACING / 4
    assert seen == [
        (2, 2 * SPACING),
        (3, SPACING),
        (4, SPACING / 2),
        (5, SPACING / 4),
        (6, 0.0),
        (7, 0.0),
        (8, 0.0),
        (8, 0.0),
        (8, 0.0),
    ]


async def test_what_counts_as_an_answer(pacer: Pacer) -> None:
    await _rate_limited(pacer)
    for _ in range(3 * PACING_RECOVERY_SUCCESSES):
        with pytest.raises(ThingsCloudConnectionError):
            await _run(pacer, ThingsCloudConnectionError("down"))
    assert pacer.state.concurrency == 4  # no answer: no recovery

    for _ in range(PACING_RECOVERY_SUCCESSES - 1):
        with pytest.raises(ThingsCloudApiError):
            await _run(pacer, ThingsCloudApiError("refused"))
    await _rate_limited(pacer)  # a 429 starts the count again
    for _ in range(PACING_RECOVERY_SUCCESSES - 1):
        await _run(pacer)
    assert pacer.state.concurrency == 2
    with pytest.raises(ThingsCloudApiError):
        await _run(pacer, ThingsCloudApiError("refused"))
    assert pacer.state.concurrency == 3
    assert pacer.state.in_flight == 0


async def test_urgent_requests_go_first(pacer: Pacer, requests: Requests) -> None:
    await _rate_limited(pacer)
    await _rate_limited(pacer)
    await _rate_limited(pacer)  # one at a time
    requests.send("a")
    requests.send("b")
    requests.send("token", urgent=True)
    requests.send("c")
    await requests.settle()
    for name in ("a", "token", "b", "c"):
        requests.finish(name)
        await requests.settle()

    assert requests.names == ["a", "token", "b", "c"]
    await asyncio.gather(*requests.tasks.values())


async def test_background_waits_while_normal_requests_wait(
    pacer: Pacer, requests: Requests
) -> None:
    for number in range(9):
        requests.send(f"n{number}")
    requests.send("bg1", background=True)
    requests.send("bg2", background=True)
    requests.send("bg3", background=True)
    await requests.settle()
    assert requests.names == [f"n{number}" for number in range(8)]

    requests.finish("n0")  # n8 waits for a slot: it goes first
    await requests.settle()
    assert requests.names[8:] == ["n8"]
    for number in range(1, 4):
        requests.finish(f"n{number}")
    await requests.settle()
    # No normal request waits: background requests start, at most 2 at a time.
    assert requests.names[9:] == ["bg1", "bg2"]
    assert pacer.state.in_flight == 7

    requests.send("n9")  # a normal request takes a free slot at once
    await requests.settle()
    assert requests.names[11:] == ["n9"]
    requests.finish("bg1")
    await requests.settle()
    assert requests.names[12:] == ["bg3"]
    for name in ("n4", "n5", "n6", "n7", "n8", "n9", "bg2", "bg3"):
        requests.finish(name)
    await asyncio.gather(*requests.tasks.values())
    assert pacer.state.in_flight == 0


@pytest.mark.parametrize(("concurrency", "background"), [(1, 1), (2, 1), (3, 2), (8, 2)])
async def test_background_leaves_a_slot_for_normal_requests(
    clock: FakeClock,
    make_requests: Callable[[Pacer], Requests],
    concurrency: int,
    background: int,
) -> None:
    requests = make_requests(Pacer(clock=clock, sleep=clock.sleep, max_concurrency=concurrency))
    for number in range(3):
        requests.send(f"bg{number}", background=True)
    await requests.settle()
    assert requests.names == [f"bg{number}" for number in range(background)]

    for name in requests.names:
        requests.finish(name)
    await requests.settle()
    assert len(requests.names) == min(3, 2 * background)
    for name in requests.gates:
        if not requests.gates[name].done():
            requests.finish(name)
    await asyncio.gather(*requests.tasks.values())
    assert requests.pacer.state.in_flight == 0


async def test_background_never_delays_a_normal_request(
    pacer: Pacer, requests: Requests, clock: FakeClock
) -> None:
    await _rate_limited(pacer, 10)  # nothing for 10 s, then a spacing apart
    requests.send("bg", background=True)  # waits until it may start ...
    requests.send("n")  # ... and a normal request arriving meanwhile goes first
    await requests.settle()

    assert requests.started[0] == ("n", START + 10)
    requests.finish("n")
    await requests.settle()
    assert requests.names == ["n", "bg"]
    assert requests.elapsed[1] == near(10 + SPACING)
    requests.finish("bg")
    await asyncio.gather(*requests.tasks.values())
    assert clock.sleep_calls == near([10, 10, SPACING])


async def test_cancelled_requests_give_their_slot_back(pacer: Pacer, requests: Requests) -> None:
    for number in range(8):
        requests.send(f"n{number}")
    requests.send("waiting")
    requests.send("bg", background=True)
    await requests.settle()
    requests.tasks["waiting"].cancel()
    requests.tasks["bg"].cancel()
    await requests.settle()
    assert not pacer._normal
    assert not pacer._background

    # Granted a slot, but cancelled before it could run.
    requests.send("granted")
    await requests.settle()
    requests.finish("n0")
    await asyncio.sleep(0)  # n0 ends and hands its slot to "granted", which has not run yet
    assert pacer.state.in_flight == 8
    requests.tasks["granted"].cancel()
    await requests.settle()
    assert pacer.state.in_flight == 7
    assert "granted" not in requests.names

    for number in range(1, 8):
        requests.finish(f"n{number}")
    await requests.settle()
    assert pacer.state.in_flight == 0

    # Cancelled while waiting for its start time.
    await _rate_limited(pacer, 30)
    requests.send("spaced")
    await asyncio.sleep(0)
    requests.tasks["spaced"].cancel()
    await requests.settle()
    assert pacer.state.in_flight == 0
    results = await asyncio.gather(*requests.tasks.values(), return_exceptions=True)
    assert sum(isinstance(result, asyncio.CancelledError) for result in results) == 4


async def test_a_cancelled_background_request_passes_its_wake_up_on(
    pacer: Pacer, requests: Requests
) -> None:
    for number in range(9):
        requests.send(f"n{number}")
    requests.send("bg1", background=True)
    requests.send("bg2", background=True)
    await requests.settle()
    requests.finish("n0")  # n8 gets the slot; the background requests keep waiting
    await requests.settle()
    requests.finish("n1")
    await asyncio.sleep(0)  # n1 ends and wakes bg1 (only)
    requests.tasks["bg1"].cancel()  # ... which is cancelled before it runs
    await requests.settle()

    assert requests.names[-1] == "bg2"
    for name in ("n2", "n3", "n4", "n5", "n6", "n7", "n8", "bg2"):
        requests.finish(name)
    await asyncio.gather(*requests.tasks.values(), return_exceptions=True)
    assert pacer.state.in_flight == 0


async def test_slots_skip_requests_cancelled_in_the_same_moment(
    pacer: Pacer, requests: Requests
) -> None:
    for number in range(8):
        requests.send(f"n{number}")
    requests.send("gone")
    requests.send("next")
    requests.send("bg-gone", background=True)
    await requests.settle()

    requests.finish("n0")  # its slot is handed on before "gone" learns of its cancel
    requests.tasks["gone"].cancel()
    await requests.settle()
    assert requests.names[8:] == ["next"]

    requests.finish("n1")
    requests.tasks["bg-gone"].cancel()
    await requests.settle()
    assert "bg-gone" not in requests.names
    for name in ("n2", "n3", "n4", "n5", "n6", "n7", "next"):
        requests.finish(name)
    results = await asyncio.gather(*requests.tasks.values(), return_exceptions=True)
    assert sum(isinstance(result, asyncio.CancelledError) for result in results) == 2
    assert pacer.state.in_flight == 0
    assert not pacer._normal
    assert not pacer._background


async def test_the_client_slows_down_for_the_simulators_rate_limit(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.authenticate()
    per_second = round(1 / SPACING) + 1  # a little more than requests a spacing apart
    sim_state.set_rate_limit(per_second)

    results = await asyncio.gather(*(client.get_device_attributes_raw("dev-1") for _ in range(8)))
    # Those over the limit get a 429 with a short Retry-After: waited out, then sent again.
    assert results == [{"temperature": 21.5, "relay": False}] * 8
    limited = 8 - per_second
    statuses = [entry.status for entry in sim_state.requests("attributes_raw")]
    assert statuses.count(429) == limited
    assert statuses.count(200) == 8
    assert (client.pacing.concurrency, client.pacing.spacing) == (4, SPACING)
    assert (client.pacing.in_flight, client.pacing.rate_limited) == (0, limited)

    # From now on requests start a spacing apart: the limit is not hit again. (One after
    # the other: the fake clock jumps to the end of the longest of sleeps that overlap,
    # so requests waiting together would reach the simulator at the same fake moment.)
    for _ in range(PACING_RECOVERY_SUCCESSES):
        result = await client.get_device_attributes_raw("dev-1")
        assert result == {"temperature": 21.5, "relay": False}
    statuses = [entry.status for entry in sim_state.requests("attributes_raw")]
    assert statuses.count(429) == limited
    assert client.pacing.rate_limited == limited
    # As many answers without a 429 as it takes: a step back up.
    assert client.pacing.spacing == SPACING / 2
    assert client.pacing.concurrency == 5


async def test_sequential_requests_hit_the_limit_until_the_spacing_fits(
    client: ThingsCloudClient, sim_state: SimulatorState, clock: FakeClock
) -> None:
    await client.authenticate()
    per_second = round(1 / SPACING) + 1  # a little more than requests a spacing apart
    sim_state.set_rate_limit(per_second, retry_after=False)
    limited: list[ThingsCloudRateLimitError] = []
    for _ in range(30):
        try:
            await client.get_project()
        except ThingsCloudRateLimitError as err:
            limited.append(err)

    # The first requests fill the simulator's one-second window at once. Without a
    # Retry-After the pacer pauses a spacing, doubled by each further 429, until the
    # pauses outlast the window (1, 2, then 4 spacings); from then on the limit is not hit again.
    # The request refused first is sent again after each of the first two pauses: the third
    # refusal is its error.
    assert 3 * SPACING < 1 <= 7 * SPACING
    assert [err.retry_after for err in limited] == [None]
    assert client.pacing.rate_limited == 3
    statuses = [entry.status for entry in sim_state.requests("project")]
    assert statuses == [200] * per_second + [429] * 3 + [200] * (30 - per_second - 1)
    assert clock.now - START >= 7 * SPACING + 9 * 4 * SPACING  # the pauses, then 4 spacings apart


async def test_token_requests_are_paced_too(
    client: ThingsCloudClient, sim_state: SimulatorState, clock: FakeClock
) -> None:
    sim_state.faults.set("rate_limit", "access_token", count=1, retry_after=3)

    await client.get_project()
    assert (client.pacing.concurrency, client.pacing.spacing) == (4, SPACING)
    assert sim_state.count("access_token") == 2
    # The token request waits 3 s and is sent again, the project request a spacing later.
    assert clock.sleep_calls == near([3.0, SPACING])


async def test_many_requests_at_once_keep_eight_in_flight(
    session: aiohttp.ClientSession,
) -> None:
    in_flight = 0
    most = 0
    eight = asyncio.Event()

    async def answer(request: web.Request) -> web.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        if in_flight == 8:
            eight.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):  # the first 8 wait for each other
                await eight.wait()
        await asyncio.sleep(0.01)
        in_flight -= 1
        return web.json_response({"result": True, "info": {"v": 1}})

    async def token(request: web.Request) -> web.Response:
        return web.json_response({"result": True, "info": {"access_token": "t"}})

    app = web.Application()
    app.router.add_post("/api/v1/access_token", token)
    app.router.add_get("/api/v1/device/{device_id}/attributes_raw", answer)
    async with serve(app) as url:
        api = ThingsCloudClient(url, AppCredentials("a", "k", "s"), session=session)
        results = await asyncio.gather(*(api.get_device_attributes_raw(f"d{n}") for n in range(80)))

    assert results == [{"v": 1}] * 80
    assert most == 8
    assert api.pacing.in_flight == 0
    assert api.pacing.spacing == 0  # answers without a 429 never space requests


async def test_background_requests_are_marked(
    client: ThingsCloudClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    pacer = client._transport.pacer
    seen: list[bool] = []
    original = pacer.run

    async def run(call: Callable[[], Awaitable[object]], **kwargs: bool) -> object:
        seen.append(kwargs.get("background", False))
        return await original(call, **kwargs)

    monkeypatch.setattr(pacer, "run", run)
    await client.authenticate()
    seen.clear()
    await client.get_attribute_series("dev-1", "temperature")
    await client.get_attribute_series("dev-1", "temperature", background=True)
    await client.get_all_attribute_series("dev-1", "temperature", background=True)
    with client.background():
        await client.get_project()
        await asyncio.create_task(client.get_devices_stat())
    await client.get_project()

    assert seen == [False, True, True, True, True, False]


async def test_requests_queued_behind_a_pause_are_sent_with_the_refreshed_token(
    client: ThingsCloudClient, sim_state: SimulatorState
) -> None:
    await client.authenticate()
    sim_state.faults.set("rate_limit", "devices_stat", count=3, retry_after=30)
    for _ in range(3):
        with pytest.raises(ThingsCloudRateLimitError):
            await client.get_devices_stat()
    assert client.pacing.concurrency == 1  # one request at a time, none for 30 s
    sim_state.expire_tokens()  # the server forgets the token; the client still trusts it

    results = await asyncio.gather(*(client.get_devices_stat() for _ in range(6)))

    assert len(results) == 6
    assert sim_state.count("access_token") == 2  # one refresh for all
    statuses = [entry.status for entry in sim_state.requests("devices_stat")]
    # The first request sent after the pause is refused and refreshes the token. The second
    # already holds the one slot (the token request waits for it) and still sends the old
    # token. The four queued behind them are sent once, with the new token.
    assert statuses == [429] * 3 + [401, 401] + [200] * 6
