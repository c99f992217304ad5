"""The outbox of the in-memory store: streams, leases, retries and the catch-up log in
dictionaries of one process. ``write`` runs in the same event-loop step as the change it
reports (the memory store calls it without awaiting in between)."""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from dataclasses import replace

from ..rooms.clock import Clock, SystemClock
from ..rooms.errors import EventNotFound
from ..rooms.outbox import Notice, OutboxEvent, stamp
from ..rooms.store import Pending, Tries
from .wakeup import wait_or_timeout

LOG_KEEP = 100_000  # events the catch-up log keeps


class MemoryOutbox:
    def __init__(self, clock: Clock | None = None, log_keep: int = LOG_KEEP) -> None:
        self._clock = clock or SystemClock()
        self._log_keep = log_keep
        self._streams: dict[str, deque[Pending]] = {}
        self._due: dict[str, float] = {}
        self._leases: dict[str, tuple[str, float]] = {}
        self._tries: dict[str, Tries] = {}
        self._log: OrderedDict[str, OutboxEvent] = OrderedDict()
        self._stopped: dict[str, str] = {}
        self._entries = 0
        self._written = asyncio.Event()

    def write(self, notices: list[Notice]) -> list[OutboxEvent]:
        """Store the events of a change (synchronously: part of the caller's atomic step)."""
        if not notices:
            return []
        events = stamp(notices, self._clock.now())
        for event in events:
            self._entries += 1
            stream = self._streams.setdefault(event.stream, deque())
            stream.append(Pending(str(self._entries), event))
            self._due.setdefault(event.stream, 0.0)
            self._log[event.id] = event
        while len(self._log) > self._log_keep:
            self._log.popitem(last=False)
        self._written.set()
        return events

    async def due_streams(self, now: float, limit: int) -> list[str]:
        due = sorted((at, s) for s, at in self._due.items() if at <= now)
        return [s for _, s in due[:limit]]

    async def lease(self, stream: str, holder: str, now: float, ttl: float) -> bool:
        held = self._leases.get(stream)
        if held is not None and held[0] != holder and held[1] > now:
            return False
        self._leases[stream] = (holder, now + ttl)
        if stream in self._due:
            self._due[stream] = now + ttl
        return True

    async def release(self, stream: str, holder: str) -> None:
        held = self._leases.get(stream)
        if held is not None and held[0] == holder:
            del self._leases[stream]

    async def take(
        self, stream: str, holder: str, now: float, ttl: float, limit: int
    ) -> list[Pending] | None:
        if not await self.lease(stream, holder, now, ttl):
            return None
        return [
            replace(p, tries=self._tries.get(p.event.id, Tries()))
            for p in list(self._streams.get(stream, ()))[:limit]
        ]

    async def retry_later(self, stream: str, event_id: str, tries: Tries, at: float) -> None:
        self._tries[event_id] = tries
        self._due[stream] = at

    async def done(self, stream: str, delivered: list[Pending]) -> None:
        queue = self._streams.get(stream)
        for pending in delivered:
            if queue and queue[0].entry == pending.entry:
                queue.popleft()
            elif queue:
                for kept in queue:
                    if kept.entry == pending.entry:
                        queue.remove(kept)
                        break
            self._tries.pop(pending.event.id, None)

    async def settle(self, stream: str, holder: str, delivered: list[Pending]) -> bool:
        await self.done(stream, delivered)
        await self.release(stream, holder)
        if self._streams.get(stream):
            self._due[stream] = 0.0
            return False
        self._streams.pop(stream, None)
        self._due.pop(stream, None)
        return True

    async def recover(self, now: float) -> int:
        return 0  # a write and its due mark happen in one step: nothing can strand

    async def backlog(self) -> tuple[int, float | None]:
        count = sum(len(q) for q in self._streams.values())
        oldest = min((q[0].event.timestamp for q in self._streams.values() if q), default=None)
        return count, oldest

    async def log_after(self, after: str | None, limit: int) -> list[OutboxEvent]:
        ids = list(self._log)
        start = 0
        if after is not None:
            if after not in self._log:
                raise EventNotFound(f"no event {after!r} in the log (unknown, or too old)")
            start = ids.index(after) + 1
        return [self._log[i] for i in ids[start : start + limit]]

    async def logged(self, event_id: str) -> OutboxEvent | None:
        return self._log.get(event_id)

    async def endpoint_stopped(self, endpoint: str) -> str | None:
        return self._stopped.get(endpoint)

    async def stop_endpoint(self, endpoint: str, reason: str | None) -> None:
        if reason is None:
            self._stopped.pop(endpoint, None)
        else:
            self._stopped[endpoint] = reason

    async def wait_for_events(self, within: float) -> None:
        await wait_or_timeout(self._written, within)
