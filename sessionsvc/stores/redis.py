"""The Redis store: rooms, ledgers and stats shared by any number of service nodes.

Rooms and ledgers are JSON documents. Every key carries a hash tag, so that each multi-key
operation stays in one Redis Cluster slot: a room, the ledger it consumes from and that ledger's set
of live rooms share their client's tag (``rooms.ids``); the booking index, the deadline index, the
recent-rooms list, the per-professional lists and the stats lists are each touched by single-key
commands or by their own script.

Concurrency control is optimistic: ``mutate`` and ``update_ledger`` WATCH what they read, run the
pure function, and commit with MULTI/EXEC; a concurrent write aborts the EXEC and the function runs
again on fresh values. That makes completion and credit consumption exactly-once across nodes.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import msgspec
from msgspec.structs import replace
from redis.asyncio import BlockingConnectionPool, Redis
from redis.exceptions import WatchError

from ..rooms.errors import BookingConflict, RoomNotFound
from ..rooms.ids import client_tag, room_tag
from ..rooms.model import Ledger, Role, Room, decode_ledger, decode_room, encode
from ..rooms.store import Change, Mutator, T

MAX_TRIES = 200  # optimistic attempts before a mutation gives up
CALM_TRIES = 3  # conflicts retried at once, before backing off
BACKOFF_BASE = 0.001  # seconds; doubles per further conflict, with full jitter
BACKOFF_CAP = 0.05
STATS_TTL = 7 * 24 * 3600  # seconds a room's stats outlive its last sample
RECENT_KEEP = 10_000  # how many room ids the recent-rooms list keeps
NODE_ROOMS_TTL = 2 * 24 * 3600  # seconds a node's room set outlives its last new connection

# Moves a room's entry in the deadline index, fenced by the room version it was computed from.
# Deadlines are written after the room's transaction (they live in another slot), so two nodes
# can write them out of order; the fence lets the newest room version win regardless. A write
# without a version (ARGV[2] == "") is unconditional.
_SET_DEADLINE = """
local due, versions, room, version, when = KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3]
if version ~= '' then
  local seen = redis.call('HGET', versions, room)
  if seen and tonumber(seen) > tonumber(version) then
    return 0
  end
end
if when == '' then
  redis.call('ZREM', due, room)
  redis.call('HDEL', versions, room)
else
  redis.call('ZADD', due, when, room)
  if version ~= '' then
    redis.call('HSET', versions, room, version)
  end
end
return 1
"""


class Contention(RuntimeError):
    """A room or ledger kept changing under an optimistic transaction; it gave up."""


class _Booking(msgspec.Struct, frozen=True):
    room_id: str
    fingerprint: str


def _part(value: str) -> str:
    """A key component: ids may hold ``:`` or braces, which would blur keys or hash tags."""
    return quote(value, safe="")


class _Keys:
    """The key layout, under one prefix."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.due = f"{prefix}:{{deadlines}}:due"
        self.due_versions = f"{prefix}:{{deadlines}}:versions"
        self.recent = f"{prefix}:{{recent}}:rooms"
        self.nodes = f"{prefix}:{{nodes}}:alive"

    def node_rooms(self, node: str) -> str:
        return f"{self.prefix}:{{n:{_part(node)}}}:rooms"

    def room(self, room_id: str) -> str:
        return f"{self.prefix}:{{{_part(room_tag(room_id))}}}:room:{_part(room_id)}"

    def ledger(self, hub_id: str, client_id: str) -> str:
        tag = _part(client_tag(client_id))
        return f"{self.prefix}:{{{tag}}}:ledger:{_part(hub_id)}:{_part(client_id)}"

    def live(self, hub_id: str, client_id: str) -> str:
        tag = _part(client_tag(client_id))
        return f"{self.prefix}:{{{tag}}}:live:{_part(hub_id)}:{_part(client_id)}"

    def booking(self, booking_id: str) -> str:
        return f"{self.prefix}:{{b:{_part(booking_id)}}}"

    def professional(self, professional_id: str) -> str:
        return f"{self.prefix}:{{p:{_part(professional_id)}}}:rooms"

    def stats(self, room_id: str, role: str) -> str:
        tag = _part(room_tag(room_id))
        return f"{self.prefix}:{{{tag}}}:stats:{_part(room_id)}:{role}"


def _text(value: object) -> str:
    """A member or key as text (the client returns bytes; typed as any reply)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    raise TypeError(f"unexpected reply {value!r}")


async def _back_off(conflicts: int) -> None:
    if conflicts > CALM_TRIES:
        ceiling = min(BACKOFF_BASE * 2 ** (conflicts - CALM_TRIES), BACKOFF_CAP)
        await asyncio.sleep(random.uniform(0, ceiling))


class RedisStore:
    """Rooms, ledgers and stats in Redis (standalone, or Cluster-ready key layout).

    ``redis`` must return bytes (the default, ``decode_responses=False``). The store closes the
    client in ``close`` only when it made it (``from_url``) or was told to own it.
    """

    def __init__(
        self,
        redis: Redis,
        prefix: str = "sessionsvc",
        *,
        owns_client: bool = False,
        stats_ttl: int = STATS_TTL,
        recent_keep: int = RECENT_KEEP,
        max_tries: int = MAX_TRIES,
    ) -> None:
        self._redis = redis
        self._keys = _Keys(prefix)
        self._owns_client = owns_client
        self._stats_ttl = stats_ttl
        self._recent_keep = recent_keep
        self._max_tries = max_tries
        self._set_deadline_script = redis.register_script(_SET_DEADLINE)
        self._closed = False

    @classmethod
    def from_url(
        cls,
        url: str,
        prefix: str = "sessionsvc",
        *,
        max_connections: int = 64,
        pool_timeout: float = 20.0,
        **options: Any,
    ) -> RedisStore:
        """A store with its own client. Its pool makes callers wait for a free connection rather
        than fail when every connection is busy (bursts of joins, stats and completions)."""
        pool = BlockingConnectionPool.from_url(
            url, max_connections=max_connections, timeout=pool_timeout
        )
        return cls(Redis.from_pool(pool), prefix, owns_client=True, **options)

    # -- rooms ---------------------------------------------------------------------------

    async def create_room(
        self, room: Room, fingerprint: str, deadline: float | None
    ) -> tuple[Room, bool]:
        """Insert a room unless its booking exists (see ``Store.create_room``).

        The room and its indexes are written before the booking is claimed, so a claimed booking
        always points at a stored room, even if this node dies halfway (which leaves at most an
        orphan room that no booking points at). A node that loses the race removes its room again.
        """
        booking_key = self._keys.booking(room.booking_id)
        raw = await self._redis.get(booking_key)
        if raw is not None:
            return await self._booked_room(room.booking_id, raw, fingerprint), False
        await self._insert(room, deadline)
        claim = msgspec.json.encode(_Booking(room.room_id, fingerprint))
        if await self._redis.set(booking_key, claim, nx=True):
            return room, True
        await self._withdraw(room)
        raw = await self._redis.get(booking_key)
        if raw is None:  # the index is never deleted; only a flushed database gets here
            raise RuntimeError(f"booking {room.booking_id!r} vanished while opening its room")
        return await self._booked_room(room.booking_id, raw, fingerprint), False

    async def _insert(self, room: Room, deadline: float | None) -> None:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.set(self._keys.room(room.room_id), encode(room), nx=True)
            if room.ledger_key:
                tx.sadd(self._keys.live(*room.ledger_key), room.room_id)
            await tx.execute()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.rpush(self._keys.professional(room.professional.id), room.room_id)
            pipe.lpush(self._keys.recent, room.room_id)
            pipe.ltrim(self._keys.recent, 0, self._recent_keep - 1)
            await pipe.execute()
        await self._write_deadline(room.room_id, room.version, deadline)

    async def _withdraw(self, room: Room) -> None:
        """Undo ``_insert`` for a room whose booking another node claimed first."""
        async with self._redis.pipeline(transaction=True) as tx:
            tx.delete(self._keys.room(room.room_id))
            if room.ledger_key:
                tx.srem(self._keys.live(*room.ledger_key), room.room_id)
            await tx.execute()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.lrem(self._keys.professional(room.professional.id), 1, room.room_id)
            pipe.lrem(self._keys.recent, 1, room.room_id)
            await pipe.execute()
        await self._write_deadline(room.room_id, None, None)

    async def _booked_room(self, booking_id: str, raw: bytes | str, fingerprint: str) -> Room:
        booking = msgspec.json.decode(raw, type=_Booking)
        if booking.fingerprint != fingerprint:
            raise BookingConflict(f"booking {booking_id!r} was opened before with a different body")
        room = await self.get_room(booking.room_id)
        if room is None:
            raise RuntimeError(f"booking {booking_id!r} points at a missing room")
        return room

    async def get_room(self, room_id: str) -> Room | None:
        """The room, or None."""
        raw = await self._redis.get(self._keys.room(room_id))
        return None if raw is None else decode_room(raw)

    async def mutate(self, room_id: str, fn: Mutator[T]) -> Change[T]:
        """Apply ``fn`` to the room and its ledger in one optimistic transaction (see
        ``Store.mutate``); raises ``RoomNotFound``, or ``Contention`` after ``max_tries``."""
        room_key = self._keys.room(room_id)
        for conflicts in range(self._max_tries):
            async with self._redis.pipeline(transaction=True) as tx:
                await tx.watch(room_key)
                raw = await tx.get(room_key)
                if raw is None:
                    raise RoomNotFound(f"no room {room_id!r}")
                room = decode_room(raw)
                ledger: Ledger | None = None
                if room.ledger_key:
                    ledger_key = self._keys.ledger(*room.ledger_key)
                    await tx.watch(ledger_key)
                    raw_ledger = await tx.get(ledger_key)
                    ledger = None if raw_ledger is None else decode_ledger(raw_ledger)
                change = fn(room, ledger)
                stored = room
                tx.multi()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                if change.room != room:
                    stored = replace(change.room, version=room.version + 1)
                    change = Change(stored, change.ledger, change.result, change.deadline)
                    tx.set(room_key, encode(stored))
                    if stored.phase.is_terminal and stored.ledger_key:
                        tx.srem(self._keys.live(*stored.ledger_key), room_id)
                if change.ledger is not None:
                    new_ledger = change.ledger
                    tx.set(
                        self._keys.ledger(new_ledger.hub_id, new_ledger.client_id),
                        encode(new_ledger),
                    )
                try:
                    # Runs even with nothing to write: EXEC proves that the room and the ledger
                    # were read as one consistent snapshot.
                    await tx.execute()
                except WatchError:
                    await _back_off(conflicts + 1)
                    continue
            await self._write_deadline(room_id, stored.version, change.deadline)
            return change
        raise Contention(f"room {room_id!r} kept changing; gave up after {self._max_tries} tries")

    # -- ledgers -------------------------------------------------------------------------

    async def get_ledger(self, hub_id: str, client_id: str) -> Ledger | None:
        """The client's ledger at this hub, or None."""
        raw = await self._redis.get(self._keys.ledger(hub_id, client_id))
        return None if raw is None else decode_ledger(raw)

    async def update_ledger(
        self, hub_id: str, client_id: str, fn: Callable[[Ledger | None], Ledger]
    ) -> Ledger:
        """Apply ``fn`` to the ledger in one optimistic transaction; if it raises, nothing is
        written."""
        key = self._keys.ledger(hub_id, client_id)
        for conflicts in range(self._max_tries):
            async with self._redis.pipeline(transaction=True) as tx:
                await tx.watch(key)
                raw = await tx.get(key)
                ledger = fn(None if raw is None else decode_ledger(raw))
                tx.multi()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                tx.set(key, encode(ledger))
                try:
                    await tx.execute()
                except WatchError:
                    await _back_off(conflicts + 1)
                    continue
            return ledger
        raise Contention(
            f"ledger {hub_id!r}/{client_id!r} kept changing; gave up after {self._max_tries} tries"
        )

    async def live_rooms_for(self, hub_id: str, client_id: str) -> list[str]:
        """Ids of this ledger's rooms that have not ended, sorted."""
        members = await self._redis.smembers(self._keys.live(hub_id, client_id))
        return sorted(_text(m) for m in members)

    # -- deadlines -----------------------------------------------------------------------

    async def due_rooms(self, now: float, limit: int) -> list[str]:
        """Ids of rooms whose deadline is at or before ``now``, earliest first."""
        if limit <= 0:
            return []
        ids = await self._redis.zrangebyscore(self._keys.due, "-inf", now, start=0, num=limit)
        return [_text(i) for i in ids]

    async def set_deadline(self, room_id: str, when: float | None) -> None:
        """Set (or with None clear) a room's deadline, whatever version computed it."""
        await self._write_deadline(room_id, None, when)

    async def _write_deadline(self, room_id: str, version: int | None, when: float | None) -> None:
        # Outside the room's transaction: the deadline index lives in its own slot. The version
        # fence orders racing writers, and an entry that is early or stale is harmless anyway:
        # the sweeper's tick re-reads the room and writes the deadline it really has.
        await self._set_deadline_script(
            keys=[self._keys.due, self._keys.due_versions],
            args=[room_id, "" if version is None else version, "" if when is None else repr(when)],
        )

    # -- media stats ---------------------------------------------------------------------

    async def add_stats(self, room_id: str, role: Role, sample: dict[str, Any], keep: int) -> None:
        """Append one JSON sample; keep the newest ``keep``; the series expires ``stats_ttl``
        after its last sample."""
        key = self._keys.stats(room_id, role.value)
        async with self._redis.pipeline(transaction=True) as tx:
            tx.rpush(key, msgspec.json.encode(sample))
            tx.ltrim(key, -max(keep, 1), -1)
            tx.expire(key, self._stats_ttl)
            await tx.execute()

    async def get_stats(self, room_id: str) -> dict[str, list[dict[str, Any]]]:
        """The kept samples, by role, oldest first."""
        roles = [role.value for role in Role]
        async with self._redis.pipeline(transaction=False) as pipe:
            for role in roles:
                pipe.lrange(self._keys.stats(room_id, role), 0, -1)
            series: list[list[bytes]] = await pipe.execute()
        return {
            role: [msgspec.json.decode(s, type=dict[str, Any]) for s in samples]
            for role, samples in zip(roles, series, strict=True)
            if samples
        }

    # -- listings ------------------------------------------------------------------------

    async def recent_rooms(self, limit: int) -> list[Room]:
        """The newest rooms (of the last ``recent_keep``), newest first."""
        if limit <= 0:
            return []
        ids = await self._redis.lrange(self._keys.recent, 0, limit - 1)
        return await self._rooms([_text(i) for i in ids])

    async def professional_rooms(self, professional_id: str) -> list[Room]:
        """Every room booked with this professional, oldest first."""
        ids = await self._redis.lrange(self._keys.professional(professional_id), 0, -1)
        return await self._rooms([_text(i) for i in ids])

    async def _rooms(self, room_ids: list[str]) -> list[Room]:
        # One GET per room in a plain pipeline: the rooms live in different slots, so no MGET.
        async with self._redis.pipeline(transaction=False) as pipe:
            for room_id in room_ids:
                pipe.get(self._keys.room(room_id))
            raws: list[bytes | None] = await pipe.execute()
        return [decode_room(raw) for raw in raws if raw is not None]

    # -- lifetime ------------------------------------------------------------------------

    # -- nodes ---------------------------------------------------------------------------

    async def heartbeat(self, node: str, alive_until: float) -> None:
        """Record that ``node`` is alive until ``alive_until``."""
        await self._redis.zadd(self._keys.nodes, {node: alive_until})

    async def track(self, node: str, room_id: str) -> None:
        """Remember that a connection on ``node`` is in ``room_id``."""
        key = self._keys.node_rooms(node)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.sadd(key, room_id)
            pipe.expire(key, NODE_ROOMS_TTL)
            await pipe.execute()

    async def dead_nodes(self, now: float) -> list[str]:
        """Nodes whose heartbeat ran out before ``now``."""
        members = await self._redis.zrangebyscore(self._keys.nodes, "-inf", f"({now}")
        return [_text(m) for m in members]

    async def node_rooms(self, node: str) -> list[str]:
        """The rooms ``node`` had connections in."""
        return sorted(_text(m) for m in await self._redis.smembers(self._keys.node_rooms(node)))

    async def forget_node(self, node: str) -> None:
        """Drop a dead node's records."""
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zrem(self._keys.nodes, node)
            pipe.delete(self._keys.node_rooms(node))
            await pipe.execute()

    async def ping(self) -> None:
        """Raise if Redis cannot be reached."""
        await self._redis.ping()

    async def close(self) -> None:
        """Close the client if this store owns it; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            await self._redis.aclose()
