"""The outbox in Redis: one Stream per client tag (``{tag}:outbox``), in the slot of that
client's rooms and ledgers, so the room and ledger transactions XADD their events inside their
own MULTI. A consumer group reads each stream; a lease per stream (SET NX PX) lets one node at a
time deliver it, in order, and the next holder claims what a dead one left (XAUTOCLAIM).

After EXEC the writer, best effort, adds the events to the catch-up log (``{webhooks}:log``,
trimmed, deduplicated by id), marks their stream due in a global index (``{webhooks}:streams``)
and puts a Credit completion in its professional's statement index. What a node dying right
after EXEC misses, the deliverer's read of the stream and ``recover`` (a SCAN now and then)
make up for, idempotently.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from ...rooms.clock import Clock, SystemClock
from ...rooms.errors import EventNotFound
from ...rooms.outbox import (
    CreditSession,
    Notice,
    OutboxEvent,
    credit_session,
    decode_event,
    encode_event,
    stamp,
)
from ...rooms.retention import RoomRetention
from ...rooms.store import Pending, Tries
from ..wakeup import wait_or_timeout
from .keys import Keys, text

log = logging.getLogger(__name__)

GROUP = "webhooks"
LOG_KEEP = 100_000  # events the catch-up log keeps
RECOVER_GRACE = 30.0  # seconds a recovered stream waits: a room withdrawn at once drops its event

# Adds events to the catch-up log unless their id is in it, trims the oldest beyond ARGV[1],
# and marks the events' streams due unless they are (a deliverer may have put a later time).
# A deliverer reading a stream it holds also moves it, if due, to ARGV[3] (ARGV[2]: the stream,
# or ''), when its lease would run out, so other nodes look again only then.
# KEYS: the log stream, its id -> entry hash, the due index (one slot). ARGV[4..]: triples of
# id, event, stream.
_LOG = """
local log, ids, due, keep = KEYS[1], KEYS[2], KEYS[3], tonumber(ARGV[1])
if ARGV[2] ~= '' then
  redis.call('ZADD', due, 'XX', ARGV[3], ARGV[2])
end
local added = 0
for i = 4, #ARGV, 3 do
  if redis.call('HSETNX', ids, ARGV[i], '-') == 1 then
    local entry = redis.call('XADD', log, '*', 'id', ARGV[i], 'e', ARGV[i + 1])
    redis.call('HSET', ids, ARGV[i], entry)
    added = added + 1
  end
  if ARGV[i + 2] ~= '' then
    redis.call('ZADD', due, 'NX', 0, ARGV[i + 2])
  end
end
local over = redis.call('XLEN', log) - keep
if over > 0 then
  for _, old in ipairs(redis.call('XRANGE', log, '-', '+', 'COUNT', over)) do
    redis.call('HDEL', ids, old[2][2])
    redis.call('XDEL', log, old[1])
  end
end
return added
"""

# Takes (or extends) the lease on a stream and, if it got it, reads for its holder the oldest
# ARGV[3] entries: first whatever another consumer left unacknowledged (XAUTOCLAIM), then new
# ones (XREADGROUP); returns them and the stream's retry records (nil: another holder has it).
# KEYS: the stream, its retry records, its lease (one slot). ARGV: holder, lease ms, count.
_TAKE = """
local stream, tries, lease = KEYS[1], KEYS[2], KEYS[3]
local holder, ms, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
if not redis.call('SET', lease, holder, 'NX', 'PX', ms) then
  if redis.call('GET', lease) ~= holder then
    return false
  end
  redis.call('PEXPIRE', lease, ms)
end
if redis.call('EXISTS', stream) == 0 then
  return {{}, {}}
end
pcall(redis.call, 'XGROUP', 'CREATE', stream, 'webhooks', '0')
local out = {}
local claimed = redis.call('XAUTOCLAIM', stream, 'webhooks', holder, 0, '0-0', 'COUNT', limit)
for _, e in ipairs(claimed[2]) do
  if e[2] then
    out[#out + 1] = e
  end
end
if #out < limit then
  local new = redis.call(
    'XREADGROUP', 'GROUP', 'webhooks', holder, 'COUNT', limit - #out, 'STREAMS', stream, '>')
  if new then
    for _, e in ipairs(new[1][2]) do
      out[#out + 1] = e
    end
  end
end
local retries = {}
if #out > 0 then
  retries = redis.call('HGETALL', tries)
end
return {out, retries}
"""

# Removes delivered entries (ARGV[2 .. n+1], their event ids after them; n = ARGV[1]), then
# deletes the stream (and its group and retry records) if it is empty, atomically with the
# look, so an event written meanwhile is never lost (a later XADD makes the stream anew); and
# releases the lease if the holder (the last ARGV) still has it. Returns 1 if empty.
# KEYS: the stream, its retry records, its lease (one slot).
_FINISH = """
local stream, tries, lease = KEYS[1], KEYS[2], KEYS[3]
local n = tonumber(ARGV[1])
if n > 0 then
  local entries, ids = {}, {}
  for i = 1, n do
    entries[i] = ARGV[1 + i]
    ids[i] = ARGV[1 + n + i]
  end
  redis.call('XACK', stream, 'webhooks', unpack(entries))
  redis.call('XDEL', stream, unpack(entries))
  redis.call('HDEL', tries, unpack(ids))
end
if redis.call('GET', lease) == ARGV[#ARGV] then
  redis.call('DEL', lease)
end
if redis.call('XLEN', stream) == 0 then
  redis.call('DEL', stream, tries)
  return 1
end
return 0
"""

# Deletes a lease only if its holder still has it.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class _TriesValue(msgspec.Struct, frozen=True):
    count: int
    first_at: float | None


def _event_of(fields: Any) -> OutboxEvent:
    return decode_event(fields[b"e"])


def _stream_of(key: str) -> str:
    return key[key.index("{") + 1 : key.index("}")]


class RedisOutbox:
    def __init__(
        self,
        redis: Redis,
        keys: Keys,
        clock: Clock | None = None,
        log_keep: int = LOG_KEEP,
        statement_retention: float = RoomRetention().statements,
    ) -> None:
        self._redis = redis
        self._keys = keys
        self._clock = clock or SystemClock()
        self._log_keep = log_keep
        self._statement_retention = statement_retention
        self._log_script = redis.register_script(_LOG)
        self._release = redis.register_script(_RELEASE)
        self._take = redis.register_script(_TAKE)
        self._finish = redis.register_script(_FINISH)
        self._written = asyncio.Event()

    # -- the writers' side: the room and ledger stores call these ------------------------------

    def queue(self, tx: Pipeline, notices: list[Notice]) -> list[OutboxEvent]:
        """Add the events of a change to a MULTI that writes it (its keys in the same slot)."""
        events = stamp(notices, self._clock.now())
        for event in events:
            tx.xadd(self._keys.outbox(event.stream), {"e": encode_event(event)})
        return events

    async def committed(self, events: list[OutboxEvent]) -> None:
        """After EXEC: mark the streams due and index Credit completions. Best effort: what a
        failure here misses, ``recover`` and the deliverer's read make up for."""
        if not events:
            return
        try:
            await self._ingest(events, mark_due=True)
        except Exception:
            log.warning("could not mark outbox streams due; recovery will", exc_info=True)
        self._written.set()

    async def _index_credits(self, events: list[OutboxEvent]) -> None:
        for event in events:
            entry = credit_session(event)
            if entry is not None:
                index = self._keys.credit_sessions(entry.professional_id)
                oldest = entry.held_at - self._statement_retention
                async with self._redis.pipeline(transaction=True) as tx:  # the professional's slot
                    tx.zadd(index, {msgspec.json.encode(entry): entry.held_at})
                    tx.zremrangebyscore(index, "-inf", f"({oldest}")
                    tx.pexpire(index, max(1, int(self._statement_retention * 1000)))
                    await tx.execute()

    async def _ingest(
        self,
        events: list[OutboxEvent],
        *,
        mark_due: bool = False,
        held: tuple[str, float] | None = None,
    ) -> None:
        """Put events in the catch-up log and the statement index (both idempotent), with
        ``mark_due`` their streams in the due index, and with ``held`` (stream, until) move
        that stream's due time to ``until``: one script call and, for a Credit completion,
        one more."""
        if not events:
            return
        args: list[Any] = [self._log_keep, *(held or ("", 0))]
        for event in events:
            args.extend((event.id, encode_event(event), event.stream if mark_due else ""))
        k = self._keys
        await self._log_script(keys=[k.webhooks_log, k.webhooks_log_ids, k.webhooks_due], args=args)
        await self._index_credits(events)

    # -- the deliverers' side ------------------------------------------------------------------

    async def due_streams(self, now: float, limit: int) -> list[str]:
        ids = await self._redis.zrangebyscore(
            self._keys.webhooks_due, "-inf", now, start=0, num=limit
        )
        return [text(i) for i in ids]

    async def lease(self, stream: str, holder: str, now: float, ttl: float) -> bool:
        key, ms = self._keys.outbox_lease(stream), max(int(ttl * 1000), 1)
        if not await self._redis.set(key, holder, nx=True, px=ms):
            current = await self._redis.get(key)
            if current is None or text(current) != holder:
                return False
            await self._redis.pexpire(key, ms)
        # other nodes look again when the lease would have run out (the holder died)
        await self._redis.zadd(self._keys.webhooks_due, {stream: now + ttl}, xx=True)
        return True

    async def release(self, stream: str, holder: str) -> None:
        await self._release(keys=[self._keys.outbox_lease(stream)], args=[holder])

    def _stream_keys(self, stream: str) -> list[str]:
        k = self._keys
        return [k.outbox(stream), k.outbox_tries(stream), k.outbox_lease(stream)]

    async def take(
        self, stream: str, holder: str, now: float, ttl: float, limit: int
    ) -> list[Pending] | None:
        # One call to the stream's slot (lease, claim, read, retry records), one to the
        # {webhooks} slot (catch-up log, and the due time moved to the lease's end).
        ms = max(int(ttl * 1000), 1)
        reply: Any = await self._take(keys=self._stream_keys(stream), args=[holder, ms, limit])
        if reply is None:
            return None
        entries, flat = reply
        retries = {text(flat[i]): flat[i + 1] for i in range(0, len(flat), 2)}
        found = []
        for entry, fields in entries:
            event = decode_event(dict(zip(fields[::2], fields[1::2], strict=True))[b"e"])
            raw = retries.get(event.id)
            tries = Tries()
            if raw is not None:
                value = msgspec.json.decode(raw, type=_TriesValue)
                tries = Tries(value.count, value.first_at)
            found.append(Pending(text(entry), event, tries))
        await self._ingest([p.event for p in found], held=(stream, now + ttl))
        return found

    async def retry_later(self, stream: str, event_id: str, tries: Tries, at: float) -> None:
        value = msgspec.json.encode(_TriesValue(tries.count, tries.first_at))
        await self._redis.hset(self._keys.outbox_tries(stream), event_id, value)
        await self._redis.zadd(self._keys.webhooks_due, {stream: at})

    async def done(self, stream: str, delivered: list[Pending]) -> None:
        if not delivered:
            return
        key, entries = self._keys.outbox(stream), [p.entry for p in delivered]
        async with self._redis.pipeline(transaction=True) as tx:
            tx.xack(key, GROUP, *entries)
            tx.xdel(key, *entries)
            tx.hdel(self._keys.outbox_tries(stream), *(p.event.id for p in delivered))
            await tx.execute()

    async def settle(self, stream: str, holder: str, delivered: list[Pending]) -> bool:
        # Taken off the index first, then looked at: an event written after the look marks
        # the stream due again itself.
        await self._redis.zrem(self._keys.webhooks_due, stream)
        args: list[Any] = [len(delivered), *(p.entry for p in delivered)]
        args.extend(p.event.id for p in delivered)
        args.append(holder)
        if await self._finish(keys=self._stream_keys(stream), args=args):
            return True
        await self._redis.zadd(self._keys.webhooks_due, {stream: 0})
        return False

    async def recover(self, now: float) -> int:
        found = 0
        page: list[str] = []
        async for raw in self._redis.scan_iter(
            match=self._keys.outbox_pattern(), count=1000, _type="STREAM"
        ):
            page.append(text(raw))
            if len(page) >= 100:
                found += await self._recover_page(page, now)
                page = []
        return found + await self._recover_page(page, now)

    async def _recover_page(self, keys: list[str], now: float) -> int:
        if not keys:
            return 0
        streams = [_stream_of(key) for key in keys]
        scores = await self._redis.zmscore(self._keys.webhooks_due, streams)
        found = 0
        for key, stream, score in zip(keys, streams, scores, strict=True):
            if score is not None:
                continue
            entries = await self._redis.xrange(key, "-", "+", count=1000)
            if not entries:
                continue
            await self._ingest([_event_of(fields) for _entry, fields in entries])
            if await self._redis.zadd(
                self._keys.webhooks_due, {stream: now + RECOVER_GRACE}, nx=True
            ):
                found += 1
        return found

    async def backlog(self) -> tuple[int, float | None]:
        streams = await self._redis.zrange(self._keys.webhooks_due, 0, 999)
        if not streams:
            return 0, None
        async with self._redis.pipeline(transaction=False) as pipe:
            for raw in streams:
                key = self._keys.outbox(text(raw))
                pipe.xlen(key)
                pipe.xrange(key, "-", "+", count=1)
            replies = await pipe.execute()
        count, oldest = 0, None
        for length, head in zip(replies[::2], replies[1::2], strict=True):
            count += length
            if head:
                ts = _event_of(head[0][1]).timestamp
                oldest = ts if oldest is None else min(oldest, ts)
        return count, oldest

    async def log_after(self, after: str | None, limit: int) -> list[OutboxEvent]:
        start = "-"
        if after is not None:
            entry = await self._redis.hget(self._keys.webhooks_log_ids, after)
            if entry is None or text(entry) == "-":
                raise EventNotFound(f"no event {after!r} in the log (unknown, or too old)")
            start = "(" + text(entry)
        entries: Any = await self._redis.xrange(self._keys.webhooks_log, start, "+", count=limit)
        return [_event_of(fields) for _entry, fields in entries]

    async def logged(self, event_id: str) -> OutboxEvent | None:
        entry = await self._redis.hget(self._keys.webhooks_log_ids, event_id)
        if entry is None or text(entry) == "-":
            return None
        found = await self._redis.xrange(self._keys.webhooks_log, text(entry), text(entry))
        return _event_of(found[0][1]) if found else None

    async def endpoint_stopped(self, endpoint: str) -> str | None:
        raw = await self._redis.hget(self._keys.webhooks_stopped, endpoint)
        return None if raw is None else text(raw)

    async def stop_endpoint(self, endpoint: str, reason: str | None) -> None:
        if reason is None:
            await self._redis.hdel(self._keys.webhooks_stopped, endpoint)
        else:
            await self._redis.hset(self._keys.webhooks_stopped, endpoint, reason)

    async def wait_for_events(self, within: float) -> None:
        await wait_or_timeout(self._written, within)


class RedisCreditSessions:
    """The statement index: each professional's Credit sessions, scored by end time."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def credit_sessions(
        self, professional_id: str, start: float, end: float
    ) -> list[CreditSession]:
        raws: Any = await self._redis.zrangebyscore(
            self._keys.credit_sessions(professional_id), start, f"({end}"
        )
        return [msgspec.json.decode(r, type=CreditSession) for r in raws]
