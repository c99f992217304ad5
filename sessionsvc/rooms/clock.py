"""Injected time, so that lobby, reconnect and departure timeouts are testable without sleeping."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Protocol


class Clock(Protocol):
    """A source of wall-clock time in seconds since the epoch."""

    def now(self) -> float: ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to; for tests."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def set(self, when: float) -> None:
        self._now = when


class SharedClock:
    """This node's clock set to a reference that every node shares (the store's own clock), so
    that what one node writes and another measures against (the held-rule's ticks, departure
    and reconnect deadlines, outcome times) are on one clock however far the machines' clocks
    drift apart. Without a reference (a store of one process) it is ``local`` as it is.

    ``calibrate()`` reads the reference again; ``local`` keeps the time moving in between."""

    def __init__(self, local: Clock, reference: Callable[[], Awaitable[float | None]]) -> None:
        self._local = local
        self._reference = reference
        self._offset = 0.0

    def now(self) -> float:
        return self._local.now() + self._offset

    @property
    def offset(self) -> float:
        """Seconds this node's clock is behind the reference (negative: ahead)."""
        return self._offset

    async def calibrate(self) -> None:
        reference = await self._reference()
        if reference is not None:
            self._offset = reference - self._local.now()
