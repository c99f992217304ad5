"""Rooms in Redis: JSON documents, created once per booking and changed by optimistic
transactions that read the room and its client's ledger as one consistent snapshot."""

from __future__ import annotations

import msgspec
from msgspec.structs import replace
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.exceptions import WatchError

from ...rooms.errors import BookingConflict, RoomNotFound
from ...rooms.ids import room_tag
from ...rooms.model import Ledger, Room, decode_ledger, decode_room, encode
from ...rooms.outbox import OutboxEvent, room_changed, room_opened
from ...rooms.retention import RoomRetention
from ...rooms.store import Applied, Change, Mutator, T
from .keys import Keys, text
from .optimistic import Contention, back_off
from .outbox import RedisOutbox
from .retention import ms, retire
from .timeouts import Index

RECENT_KEEP = 10_000  # how many room ids the recent-rooms list keeps


class _Booking(msgspec.Struct, frozen=True):
    room_id: str
    fingerprint: str


async def get_rooms(redis: Redis, keys: Keys, room_ids: list[str]) -> list[Room]:
    """The rooms that exist of ``room_ids``, in that order."""
    # One GET per room in a plain pipeline: the rooms live in different slots, so no MGET.
    async with redis.pipeline(transaction=False) as pipe:
        for room_id in room_ids:
            pipe.get(keys.room(room_id))
        raws: list[bytes | None] = await pipe.execute()
    return [decode_room(raw) for raw in raws if raw is not None]


class RedisRooms:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        index: Index,
        outbox: RedisOutbox,
        *,
        max_tries: int,
        recent_keep: int,
        retention: RoomRetention | None = None,
    ) -> None:
        self._retention = retention or RoomRetention()
        self._redis = redis
        self._outbox = outbox
        self._keys = keys
        self._index = index
        self._max_tries = max_tries
        self._recent_keep = recent_keep

    async def create_room(
        self, room: Room, fingerprint: str, deadline: float | None
    ) -> tuple[Room, bool]:
        """Insert a room unless its booking exists (see ``RoomStore.create_room``).

        The room and its indexes are written before the booking is claimed, so a claimed booking
        always points at a stored room, even if this node dies halfway (which leaves at most an
        orphan room that no booking points at). A node that loses the race removes its room again.
        """
        booking_key = self._keys.booking(room.booking_id)
        raw = await self._redis.get(booking_key)
        if raw is not None:
            return await self._booked_room(room.booking_id, raw, fingerprint), False
        events, entries = await self._insert(room, deadline)
        claim = msgspec.json.encode(_Booking(room.room_id, fingerprint))
        if await self._redis.set(booking_key, claim, nx=True):
            await self._outbox.committed(events)
            return room, True
        await self._withdraw(room, entries)
        raw = await self._redis.get(booking_key)
        if raw is None:  # the index is never deleted; only a flushed database gets here
            raise RuntimeError(f"booking {room.booking_id!r} vanished while opening its room")
        return await self._booked_room(room.booking_id, raw, fingerprint), False

    async def _insert(
        self, room: Room, deadline: float | None
    ) -> tuple[list[OutboxEvent], list[bytes]]:
        """Write the room and its opening's events; returns them and their stream entries."""
        ledger = None
        if room.ledger_key:
            raw = await self._redis.get(self._keys.ledger(*room.ledger_key))
            ledger = None if raw is None else decode_ledger(raw)
        async with self._redis.pipeline(transaction=True) as tx:
            tx.set(self._keys.room(room.room_id), encode(room), nx=True)
            if room.ledger_key:
                tx.sadd(self._keys.live(*room.ledger_key), room.room_id)
            events = self._outbox.queue(tx, room_opened(room, ledger))
            replies = await tx.execute()
        entries: list[bytes] = replies[len(replies) - len(events) :]
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.rpush(self._keys.professional(room.professional.id), room.room_id)
            pipe.lpush(self._keys.recent, room.room_id)
            pipe.ltrim(self._keys.recent, 0, self._recent_keep - 1)
            await pipe.execute()
        await self._index.write(room.room_id, room.version, deadline)
        return events, entries

    async def _withdraw(self, room: Room, entries: list[bytes]) -> None:
        """Undo ``_insert`` for a room whose booking another node claimed first."""
        async with self._redis.pipeline(transaction=True) as tx:
            tx.delete(self._keys.room(room.room_id))
            if room.ledger_key:
                tx.srem(self._keys.live(*room.ledger_key), room.room_id)
            if entries:
                tx.xdel(self._keys.outbox(room_tag(room.room_id)), *entries)
            await tx.execute()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.lrem(self._keys.professional(room.professional.id), 1, room.room_id)
            pipe.lrem(self._keys.recent, 1, room.room_id)
            await pipe.execute()
        await self._index.write(room.room_id, None, None)

    async def _booked_room(self, booking_id: str, raw: bytes | str, fingerprint: str) -> Room:
        booking = msgspec.json.decode(raw, type=_Booking)
        if booking.fingerprint != fingerprint:
            raise BookingConflict(f"booking {booking_id!r} was opened before with a different body")
        room = await self.get_room(booking.room_id)
        if room is None:  # ended, and forgotten after its retention
            raise BookingConflict(
                f"booking {booking_id!r} ended and is no longer kept; open it as a new booking"
            )
        return room

    async def get_room(self, room_id: str) -> Room | None:
        raw = await self._redis.get(self._keys.room(room_id))
        return None if raw is None else decode_room(raw)

    async def mutate(self, room_id: str, fn: Mutator[T]) -> Applied[T]:
        """Apply ``fn`` to the room and its ledger in one optimistic transaction (see
        ``RoomStore.mutate``); raises ``RoomNotFound``, or ``Contention`` after ``max_tries``."""
        room_key = self._keys.room(room_id)
        for conflicts in range(self._max_tries):
            async with self._redis.pipeline(transaction=True) as tx:
                try:
                    room, ledger = await self._watch(tx, room_id)
                except WatchError:  # the connection broke while watching: a fresh try
                    await back_off(conflicts + 1)
                    continue
                change: Change[T] = fn(room, ledger)
                stored, old_ledger = room, ledger
                tx.multi()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                if change.room != room:
                    stored = replace(change.room, version=room.version + 1)
                    tx.set(room_key, encode(stored))
                    if stored.phase.is_terminal:  # kept for its retention from now on
                        tx.pexpire(room_key, ms(self._retention.rooms))
                    if stored.phase.is_terminal and stored.ledger_key:
                        tx.srem(self._keys.live(*stored.ledger_key), room_id)
                if change.ledger is not None:
                    ledger = change.ledger
                    tx.set(self._keys.ledger(ledger.hub_id, ledger.client_id), encode(ledger))
                events = self._outbox.queue(
                    tx, room_changed(room, old_ledger, stored, change.ledger)
                )
                try:
                    # Runs even with nothing to write: EXEC proves that the room and the ledger
                    # were read as one consistent snapshot.
                    await tx.execute()
                    committed = True
                except WatchError:
                    committed = False
            if not committed:
                await back_off(conflicts + 1)  # with the connection back in the pool
                continue
            await self._outbox.committed(events)
            await self._index.follow(stored, change.deadline)
            if stored.phase.is_terminal and not room.phase.is_terminal:
                await retire(self._redis, self._keys, self._retention, stored)
            return Applied(stored, ledger, change.result)
        raise Contention(f"room {room_id!r} kept changing; gave up after {self._max_tries} tries")

    async def _watch(self, tx: Pipeline, room_id: str) -> tuple[Room, Ledger | None]:
        """WATCH and read the room and its client's ledger."""
        room_key = self._keys.room(room_id)
        await tx.watch(room_key)
        raw = await tx.get(room_key)
        if raw is None:
            raise RoomNotFound(f"no room {room_id!r}")
        room = decode_room(raw)
        if not room.ledger_key:
            return room, None
        ledger_key = self._keys.ledger(*room.ledger_key)
        await tx.watch(ledger_key)
        raw_ledger = await tx.get(ledger_key)
        return room, None if raw_ledger is None else decode_ledger(raw_ledger)

    async def purge(self, now: float) -> int:
        """Nothing to do: a finished room's keys expire by themselves."""
        return 0

    async def recent_rooms(self, limit: int) -> list[Room]:
        """The newest rooms (of the last ``recent_keep``), newest first."""
        if limit <= 0:
            return []
        ids = await self._redis.lrange(self._keys.recent, 0, limit - 1)
        return await get_rooms(self._redis, self._keys, [text(i) for i in ids])
