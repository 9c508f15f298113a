"""Adaptive pacing of the requests of one client.

How many requests may be in flight and how far apart they start, learnt from ThingsCloud's
HTTP 429 answers (it documents no rate limit); background requests give way to normal ones.
"""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass
import logging
import math
import time

from .const import (
    PACING_BACKGROUND_SLOTS,
    PACING_DEFAULT_SPACING,
    PACING_MAX_CONCURRENCY,
    PACING_MAX_PAUSE,
    PACING_MAX_SPACING,
    PACING_MIN_SPACING,
    PACING_RECOVERY_SUCCESSES,
)
from .errors import ThingsCloudConnectionError, ThingsCloudRateLimitError

_LOGGER = logging.getLogger(__name__)

type Clock = Callable[[], float]
type Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class PacingState:
    """How the client paces its requests right now (for diagnostics)."""

    concurrency: int
    """Requests allowed in flight at once."""
    spacing: float
    """Seconds between two request starts; 0 when they may start together."""
    in_flight: int
    """Requests holding a slot (sending, or waiting for their turn to start)."""
    rate_limited: int
    """HTTP 429 answers received so far."""
    since_rate_limited: float | None
    """Seconds since the last 429; ``None`` before the first."""


class Pacer:
    """Slots and start times for the requests of one client.

    Normal requests get slots in the order they ask (token requests first) and each
    reserves a start time ``spacing`` after the previous one. A background request
    starts only when no normal request waits, when fewer than PACING_BACKGROUND_SLOTS
    background requests (and never all slots) are in flight, and when the spacing
    allows it at once; so it never delays a normal request. No task runs while idle.
    """

    def __init__(
        self,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_concurrency: int = PACING_MAX_CONCURRENCY,
    ) -> None:
        """Start at ``max_concurrency`` requests at once, without spacing."""
        self.clock = clock
        self.sleep = sleep
        self._max = max_concurrency
        self._limit = max_concurrency
        self._spacing = 0.0
        self._next_start = -math.inf
        self._in_flight = 0
        self._background_in_flight = 0
        self._normal: deque[asyncio.Future[None]] = deque()
        self._background: deque[asyncio.Future[None]] = deque()
        self._rate_limited = 0
        self._last_rate_limited: float | None = None
        self._successes = 0
        self._epoch = 0

    @property
    def state(self) -> PacingState:
        """Return the current state."""
        last = self._last_rate_limited
        return PacingState(
            concurrency=self._limit,
            spacing=self._spacing,
            in_flight=self._in_flight,
            rate_limited=self._rate_limited,
            since_rate_limited=None if last is None else max(self.clock() - last, 0.0),
        )

    async def run[T](
        self,
        call: Callable[[], Awaitable[T]],
        *,
        background: bool = False,
        urgent: bool = False,
        retries: int = 0,
    ) -> T:
        """Run ``call`` (one HTTP exchange) in a slot and learn from its answer.

        ``urgent`` requests (access tokens) go ahead of the normal requests waiting. A 429
        asking for a short wait (at most PACING_MAX_SPACING, or none) is waited out and
        ``call`` run again, up to ``retries`` times; a longer wait is the caller's.
        """
        attempt = 0
        while True:
            try:
                return await self._run_once(call, background=background, urgent=urgent)
            except ThingsCloudRateLimitError as err:
                attempt += 1
                if attempt > retries or (err.retry_after or 0) > PACING_MAX_SPACING:
                    raise
                _LOGGER.debug("Sending a request again after a 429 (retry %s)", attempt)

    async def _run_once[T](
        self, call: Callable[[], Awaitable[T]], *, background: bool, urgent: bool
    ) -> T:
        if background:
            await self._acquire_background()
        else:
            await self._acquire_normal(urgent=urgent)
        epoch = self._epoch
        try:
            result = await call()
        except ThingsCloudRateLimitError as err:
            self._slow_down(err.retry_after, epoch)
            raise
        except ThingsCloudConnectionError:
            raise  # no usable answer: it says nothing about the rate
        except Exception:
            self._answered()  # a refusal is still an answer that was not a 429
            raise
        else:
            self._answered()
            return result
        finally:
            self._release(background=background)

    # --- slots ------------------------------------------------------------------

    async def _acquire_normal(self, *, urgent: bool) -> None:
        if self._in_flight >= self._limit or (self._normal and not urgent):
            future = asyncio.get_running_loop().create_future()
            if urgent:
                self._normal.appendleft(future)
            else:
                self._normal.append(future)
            try:
                await future
            except asyncio.CancelledError:
                if future.done() and not future.cancelled():
                    self._release(background=False)  # granted just before the cancel
                else:
                    with contextlib.suppress(ValueError):
                        self._normal.remove(future)
                    self._dispatch()
                raise
        else:
            self._in_flight += 1
        now = self.clock()
        start = max(now, self._next_start)
        self._next_start = start + self._spacing
        if start > now:
            try:
                await self.sleep(start - now)
            except asyncio.CancelledError:
                self._release(background=False)
                raise

    def _background_may_start(self) -> bool:
        slots = max(1, min(PACING_BACKGROUND_SLOTS, self._limit - 1))
        return (
            not self._normal
            and self._in_flight < self._limit
            and self._background_in_flight < slots
        )

    async def _acquire_background(self) -> None:
        while True:
            if self._background_may_start():
                delay = self._next_start - self.clock()
                if delay <= 0:
                    self._in_flight += 1
                    self._background_in_flight += 1
                    self._next_start = self.clock() + self._spacing
                    self._dispatch()  # another background request may fit too
                    return
                await self.sleep(delay)
                continue
            future = asyncio.get_running_loop().create_future()
            self._background.append(future)
            try:
                await future  # woken when it may start: checked again above
            except asyncio.CancelledError:
                with contextlib.suppress(ValueError):
                    self._background.remove(future)
                self._dispatch()  # pass a wake-up it may have had on
                raise

    def _dispatch(self) -> None:
        """Hand free slots to waiting normal requests, else wake one background request."""
        while self._normal and self._in_flight < self._limit:
            future = self._normal.popleft()
            if not future.done():
                self._in_flight += 1
                future.set_result(None)
        if self._background and self._background_may_start():
            while self._background:
                future = self._background.popleft()
                if not future.done():
                    future.set_result(None)
                    return

    def _release(self, *, background: bool) -> None:
        self._in_flight -= 1
        if background:
            self._background_in_flight -= 1
        self._dispatch()

    # --- adapting -----------------------------------------------------------------

    def _slow_down(self, retry_after: float | None, epoch: int) -> None:
        """React to a 429: halve the concurrency and space request starts apart.

        The spacing is PACING_DEFAULT_SPACING, doubled by each further 429. The server's
        Retry-After is a pause, not a spacing: no request starts before it has passed
        (at most PACING_MAX_PAUSE); without one, none before the spacing has. Requests
        sent before the last reaction only count.
        """
        now = self.clock()
        self._rate_limited += 1
        self._last_rate_limited = now
        self._successes = 0
        if epoch != self._epoch:
            return
        self._epoch += 1
        self._limit = max(1, self._limit // 2)
        spacing = max(PACING_DEFAULT_SPACING, self._spacing * 2)
        self._spacing = min(spacing, PACING_MAX_SPACING)
        pause = retry_after if retry_after is not None and retry_after > 0 else self._spacing
        self._next_start = max(self._next_start, now + min(pause, PACING_MAX_PAUSE))
        _LOGGER.debug(
            "Rate limited: at most %s requests at once, %.2f s apart, none for %.2f s",
            self._limit,
            self._spacing,
            self._next_start - now,
        )

    def _answered(self) -> None:
        """Count an answer that was not a 429; recover a step after enough of them."""
        self._successes += 1
        if self._successes < PACING_RECOVERY_SUCCESSES:
            return
        self._successes = 0
        if self._limit >= self._max and not self._spacing:
            return
        self._limit = min(self._limit + 1, self._max)
        self._spacing /= 2
        if self._spacing < PACING_MIN_SPACING:
            self._spacing = 0.0
        _LOGGER.debug(
            "Pacing recovers: at most %s requests at once, %.2f s apart",
            self._limit,
            self._spacing,
        )
