"""What a synthetic participant heard from the server: every event in arrival order, and waiting
for one that matches."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    """A server event as received, with the monotonic time of its arrival."""

    name: str
    payload: Any
    at: float


@dataclass
class _Waiter:
    name: str
    predicate: Callable[[Any], bool] | None
    future: asyncio.Future[Any]


class EventLog:
    """The events of one participant, oldest first, and the waits on them. ``label`` names the
    participant in a timeout's message."""

    def __init__(self, label: Callable[[], str]) -> None:
        self.events: list[Event] = []
        self._label = label
        self._waiters: list[_Waiter] = []

    def mark(self) -> int:
        """A position in :attr:`events`, for ``wait_for(..., since=mark)``."""
        return len(self.events)

    def latest(self, name: str) -> Any:
        """The payload of the newest event ``name`` that carries an object, or None."""
        for ev in reversed(self.events):
            if ev.name == name and isinstance(ev.payload, dict):
                return ev.payload
        return None

    def cancel_waits(self) -> None:
        """Cancel every wait under way (the participant closed)."""
        for w in self._waiters:
            w.future.cancel()

    def record(self, name: str, payload: Any) -> None:
        """Keep an event and wake the waits it satisfies (a failing predicate fails its wait)."""
        self.events.append(Event(name, payload, time.monotonic()))
        for w in list(self._waiters):
            if w.name != name or w.future.done():
                continue
            try:
                matched = w.predicate is None or w.predicate(payload)
            except Exception as e:
                w.future.set_exception(e)
                continue
            if matched:
                w.future.set_result(payload)

    async def wait_for(
        self,
        name: str,
        predicate: Callable[[Any], bool] | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 (a test helper: a bound per call reads best)
        since: int = 0,
    ) -> Any:
        """The payload of the first event ``name`` (at or after position ``since``) for which
        ``predicate`` holds, waiting up to ``timeout`` seconds for it."""
        for ev in self.events[since:]:
            if ev.name == name and (predicate is None or predicate(ev.payload)):
                return ev.payload
        waiter = _Waiter(name, predicate, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        try:
            return await asyncio.wait_for(waiter.future, timeout)
        except TimeoutError:
            seen = [e.name for e in self.events[since:]]
            raise TimeoutError(f"{self._label()}: no {name!r} in {timeout}s; saw {seen}") from None
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)
