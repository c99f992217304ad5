"""What monthly statements are made from, in Redis: each professional's list of rooms that have
not ended, and the index of their Credit sessions that the outbox writes
(``outbox.RedisCreditSessions``), which outlives the rooms themselves."""

from __future__ import annotations

from redis.asyncio import Redis

from ...rooms.model import Room
from ...rooms.outbox import CreditSession
from ...rooms.retention import RoomRetention
from .keys import Keys, text
from .outbox import RedisCreditSessions
from .retention import retire
from .rooms import get_rooms


class RedisStatements:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        credits: RedisCreditSessions,
        retention: RoomRetention | None = None,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._credits = credits
        self._retention = retention or RoomRetention()

    async def professional_rooms(self, professional_id: str) -> list[Room]:
        """The professional's rooms that have not ended, oldest first. A room that ended but
        is still listed (its node died before retiring it) is retired now, and one whose
        retention ran out is taken off the list."""
        listed = self._keys.professional(professional_id)
        ids = [text(i) for i in await self._redis.lrange(listed, 0, -1)]
        rooms = await get_rooms(self._redis, self._keys, ids)
        for room in rooms:
            if room.phase.is_terminal:
                await retire(self._redis, self._keys, self._retention, room)
        for gone in set(ids) - {r.room_id for r in rooms}:
            await self._redis.lrem(listed, 0, gone)
        return [r for r in rooms if not r.phase.is_terminal]

    async def credit_sessions(
        self, professional_id: str, start: float, end: float
    ) -> list[CreditSession]:
        return await self._credits.credit_sessions(professional_id, start, end)
