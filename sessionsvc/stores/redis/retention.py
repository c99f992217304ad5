"""Retiring a room that ended, in Redis: it leaves its professional's list of rooms and its
booking id expires with it. The room's own key gets its expiry in the transaction that ends it
(``rooms``); its statement line was written from its completion event (``outbox``)."""

from __future__ import annotations

from redis.asyncio import Redis

from ...rooms.model import Room
from ...rooms.retention import RoomRetention
from .keys import Keys


def ms(seconds: float) -> int:
    """Seconds as the milliseconds PEXPIRE takes (at least 1)."""
    return max(1, int(seconds * 1000))


async def retire(redis: Redis, keys: Keys, retention: RoomRetention, room: Room) -> None:
    """After a room ended: take it off its professional's list and let its booking id expire
    with it. Idempotent, so a later read repeats it for a room whose node died before."""
    await redis.lrem(keys.professional(room.professional.id), 0, room.room_id)
    await redis.pexpire(keys.booking(room.booking_id), ms(retention.rooms))
