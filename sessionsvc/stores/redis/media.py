"""Media samples and timelines in Redis: one list per participant and room (in the room's hash
slot), appended, trimmed to its bound and given its expiry in one MULTI/EXEC."""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis

from ...rooms.model import Role
from ...rooms.samples import MediaSample, TimelineEntry
from .keys import Keys

_sample = msgspec.json.Decoder(MediaSample)
_entry = msgspec.json.Decoder(TimelineEntry)


class RedisMediaStats:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def _push(self, key: str, value: bytes, keep: int, ttl: float) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.rpush(key, value)
            pipe.ltrim(key, -keep, -1)
            pipe.pexpire(key, max(1, int(ttl * 1000)))
            await pipe.execute()

    async def add_sample(
        self, room_id: str, role: Role, sample: MediaSample, *, keep: int, ttl: float, now: float
    ) -> None:
        key = self._keys.samples(room_id, role.value)
        await self._push(key, msgspec.json.encode(sample), keep, ttl)

    async def recent_samples(self, room_id: str, role: Role, count: int) -> list[MediaSample]:
        if count <= 0:
            return []
        raws = await self._redis.lrange(self._keys.samples(room_id, role.value), -count, -1)
        return [_sample.decode(r) for r in raws]

    async def samples(self, room_id: str, role: Role) -> list[MediaSample]:
        raws = await self._redis.lrange(self._keys.samples(room_id, role.value), 0, -1)
        return [_sample.decode(r) for r in raws]

    async def report_context(
        self, room_id: str, role: Role, count: int
    ) -> tuple[list[MediaSample], MediaSample | None]:
        other = Role.CLIENT if role is Role.PROFESSIONAL else Role.PROFESSIONAL
        async with self._redis.pipeline(transaction=False) as pipe:  # one slot: the room's
            pipe.lrange(self._keys.samples(room_id, role.value), -max(count, 1), -1)
            pipe.lindex(self._keys.samples(room_id, other.value), -1)
            mine, theirs = await pipe.execute()
        recent = [_sample.decode(r) for r in mine] if count > 0 else []
        return recent, None if theirs is None else _sample.decode(theirs)

    async def latest_samples(self, keys: list[tuple[str, Role]]) -> list[MediaSample | None]:
        if not keys:
            return []
        # one LINDEX per participant in a plain pipeline: the rooms live in different slots
        async with self._redis.pipeline(transaction=False) as pipe:
            for room_id, role in keys:
                pipe.lindex(self._keys.samples(room_id, role.value), -1)
            raws: list[bytes | None] = await pipe.execute()
        return [None if r is None else _sample.decode(r) for r in raws]

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
        key = self._keys.timeline(room_id, role.value)
        await self._push(key, msgspec.json.encode(entry), keep, ttl)

    async def entries(self, room_id: str, role: Role) -> list[TimelineEntry]:
        raws = await self._redis.lrange(self._keys.timeline(room_id, role.value), 0, -1)
        return [_entry.decode(r) for r in raws]
