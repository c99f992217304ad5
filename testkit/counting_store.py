"""A store backend that counts the calls made to it: a fake that forwards every call to a real
backend (memory or Redis) and counts it as ``"<store>.<method>"``, e.g. ``"rooms.mutate"``.
Tests assert what an operation costs with it; benchmarks report calls per operation."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sessionsvc.rooms.store import Backend

STORES = (
    "rooms",
    "ledgers",
    "deadlines",
    "nodes",
    "statements",
    "reports",
    "media_stats",
)


class CountingStore:
    """One of a backend's stores, counting each call made to it in ``counts``."""

    def __init__(self, inner: Any, name: str, counts: Counter[str]) -> None:
        self._inner, self._name, self._counts = inner, name, counts

    def __getattr__(self, attr: str) -> Any:
        target = getattr(self._inner, attr)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self._counts[f"{self._name}.{attr}"] += 1
            return await target(*args, **kwargs)

        return counted


class CountingBackend:
    """A whole backend whose stores count their calls in ``counts``; pass it wherever a
    :class:`~sessionsvc.rooms.store.Backend` goes."""

    def __init__(self, inner: Backend) -> None:
        self.counts: Counter[str] = Counter()
        self._inner = inner
        for name in STORES:
            setattr(self, name, CountingStore(getattr(inner, name), name, self.counts))
        # not counted: the outbox is read by the webhook deliverer in the background, while an
        # operation's own events are written by the room and ledger stores' atomic steps
        self.outbox = inner.outbox

    async def ping(self) -> None:
        await self._inner.ping()

    async def close(self) -> None:
        await self._inner.close()
