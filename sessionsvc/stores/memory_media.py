"""Media samples and timelines in memory (the embedded default's ``MediaStatsStore``).

Each (room, role) holds two bounded deques that expire ``ttl`` seconds after their last write.
The service's clock reaches the store with every write; expired lists are swept out at most once
a minute of that clock, on a write, and are never returned by a read in between.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from ..rooms.model import Role
from ..rooms.samples import MediaSample, TimelineEntry

V = TypeVar("V")
Key = tuple[str, Role]
PURGE_EVERY = 60.0


@dataclass
class _Kept(Generic[V]):
    items: deque[V]
    expires_at: float


@dataclass
class _Lists(Generic[V]):
    lists: dict[Key, _Kept[V]] = field(default_factory=dict)

    def add(self, key: Key, item: V, keep: int, expires_at: float) -> None:
        kept = self.lists.get(key)
        if kept is None or kept.items.maxlen != keep:
            kept = _Kept(deque(kept.items if kept else (), maxlen=keep), expires_at)
            self.lists[key] = kept
        kept.items.append(item)
        kept.expires_at = expires_at

    def get(self, key: Key, now: float) -> deque[V]:
        kept = self.lists.get(key)
        if kept is None or kept.expires_at <= now:
            return deque()
        return kept.items

    def purge(self, now: float) -> None:
        for key in [k for k, v in self.lists.items() if v.expires_at <= now]:
            del self.lists[key]


class MemoryMediaStats:
    """Samples and timeline entries per (room, role), bounded and expiring."""

    def __init__(self) -> None:
        self._samples: _Lists[MediaSample] = _Lists()
        self._entries: _Lists[TimelineEntry] = _Lists()
        self._now = float("-inf")  # the latest time a write brought
        self._next_purge = float("-inf")

    def _tick(self, now: float) -> None:
        self._now = max(self._now, now)
        if self._now >= self._next_purge:
            self._samples.purge(self._now)
            self._entries.purge(self._now)
            self._next_purge = self._now + PURGE_EVERY

    async def add_sample(
        self, room_id: str, role: Role, sample: MediaSample, *, keep: int, ttl: float, now: float
    ) -> None:
        self._tick(now)
        self._samples.add((room_id, role), sample, keep, now + ttl)

    async def recent_samples(self, room_id: str, role: Role, count: int) -> list[MediaSample]:
        items = self._samples.get((room_id, role), self._now)
        return list(items)[-count:] if count > 0 else []

    async def samples(self, room_id: str, role: Role) -> list[MediaSample]:
        return list(self._samples.get((room_id, role), self._now))

    async def report_context(
        self, room_id: str, role: Role, count: int
    ) -> tuple[list[MediaSample], MediaSample | None]:
        other = Role.CLIENT if role is Role.PROFESSIONAL else Role.PROFESSIONAL
        theirs = self._samples.get((room_id, other), self._now)
        return await self.recent_samples(room_id, role, count), theirs[-1] if theirs else None

    async def latest_samples(self, keys: list[tuple[str, Role]]) -> list[MediaSample | None]:
        out: list[MediaSample | None] = []
        for key in keys:
            items = self._samples.get(key, self._now)
            out.append(items[-1] if items else None)
        return out

    async def add_entry(
        self,
        room_id: str,
        role: Role,
        entry: TimelineEntry,
        *,
        keep: int,
        ttl: float,
        now: float,
    ) -> None:
        self._tick(now)
        self._entries.add((room_id, role), entry, keep, now + ttl)

    async def entries(self, room_id: str, role: Role) -> list[TimelineEntry]:
        return list(self._entries.get((room_id, role), self._now))
