"""Every kind of state has a retention, on both stores: a finished room (and its booking id) is
kept ``RoomRetention.rooms`` after it ends and then forgotten, while what statements need of a
Credit session stays in its own compact index; a live room is never forgotten."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import redis.asyncio as aioredis

from sessionsvc.rooms.credits import Grant
from sessionsvc.rooms.ids import client_tag
from sessionsvc.rooms.model import InvoiceTo, Role
from sessionsvc.rooms.retention import RoomRetention
from sessionsvc.rooms.store import Backend
from sessionsvc.stores.memory import PURGE_EVERY, MemoryStore
from sessionsvc.stores.redis import RedisStore
from sessionsvc.stores.redis.keys import Keys
from tests.support.backends import HUB, Domain, make_domain
from tests.test_completion import booking, held_room

KEPT = 1.0  # seconds a finished room is kept in these tests


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def short_lived(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """Each store, keeping finished rooms ``KEPT`` seconds."""
    retention = RoomRetention(rooms=KEPT, statements=400 * 86400.0)
    if request.param == "memory":
        yield MemoryStore(retention=retention)
        return
    url = request.getfixturevalue("redis_url")
    store = RedisStore.from_url(url, f"test-{uuid.uuid4().hex[:8]}", retention=retention)
    try:
        yield store
    finally:
        await store.close()


async def _past_retention(d: Domain) -> None:
    """Let the retention run out: the clock for the memory store's sweep, real time for Redis
    key expiry."""
    d.clock.advance(KEPT + PURGE_EVERY)
    if isinstance(d.backend, RedisStore):
        await asyncio.sleep(KEPT + 0.5)
    await d.services.timeouts.sweep()


async def test_a_finished_room_is_forgotten_after_its_retention(short_lived: Backend) -> None:
    d = make_domain(short_lived)
    s = d.services
    await s.credits.put_ledger(HUB.id, "cl-1", Grant(3, 3, False, InvoiceTo.COMPANY))
    ended = await held_room(d, "bk-kept")
    live = (await s.bookings.open_room(booking(d, "bk-live")))[0].room
    applied = await s.live.end(ended.room_id, Role.PROFESSIONAL)
    month = datetime.fromtimestamp(applied.result.ended_at, UTC).strftime("%Y-%m")
    line = (await s.statements.statement("pro-1", month)).lines
    assert [(x.invoice_to, x.sessions) for x in line] == [("Acme Ltd", 1)]
    await s.timeouts.sweep()
    assert await short_lived.rooms.get_room(ended.room_id) is not None  # kept for now

    await _past_retention(d)
    assert await short_lived.rooms.get_room(ended.room_id) is None
    assert await short_lived.rooms.get_room(live.room_id) is not None  # live: kept
    assert (await s.statements.statement("pro-1", month)).lines == line  # the statement keeps it
    assert [r.room_id for r in await short_lived.statements.professional_rooms("pro-1")] == [
        live.room_id
    ]
    again, created = await s.bookings.open_room(booking(d, "bk-kept"))
    assert created and again.room.room_id != ended.room_id  # the booking id was forgotten too
    ledger = await short_lived.ledgers.get_ledger(HUB.id, "cl-1")
    assert ledger is not None and ledger.credits_remaining == 2  # ledgers are live state


@pytest.mark.redis
async def test_redis_gives_a_finished_room_s_keys_an_expiry(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    store = RedisStore.from_url(redis_url, prefix, retention=RoomRetention(rooms=3600.0))
    d = make_domain(store)
    try:
        await d.services.credits.put_ledger(HUB.id, "cl-1", Grant(3, 3, False, InvoiceTo.COMPANY))
        room = await held_room(d, "bk-ttl")
        await d.services.live.end(room.room_id, Role.PROFESSIONAL)
        async with aioredis.from_url(redis_url) as direct:
            ttls = {
                key.decode(): await direct.ttl(key)
                async for key in direct.scan_iter(match=f"{prefix}:*")
            }
        k = Keys(prefix)
        assert 3000 < ttls[k.room(room.room_id)] <= 3600, ttls
        assert 3000 < ttls[k.booking("bk-ttl")] <= 3600, ttls
        assert ttls[k.credit_sessions("pro-1")] > 300 * 86400, ttls
        # what has no expiry is live state (the ledger), bounded by what is live (the
        # sweeper's indexes), by a length (the recent rooms, the webhooks' catch-up log) or by
        # delivery (the client's outbox stream: no deliverer runs here)
        lasting = {key for key, ttl in ttls.items() if ttl < 0}
        stream = client_tag("cl-1")
        assert lasting <= {
            k.ledger(HUB.id, "cl-1"),
            k.recent,
            k.nodes,
            k.due,
            k.due_versions,
            k.outbox(stream),
            k.outbox_tries(stream),
            k.webhooks_due,
            k.webhooks_log,
            k.webhooks_log_ids,
        }, lasting
    finally:
        await store.close()
