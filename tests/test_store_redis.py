"""What only the Redis backend has: its key layout (every multi-key operation in one Cluster
slot), optimistic retries, the version fence of the deadline index, and several OS processes
racing on one Redis."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import pytest
import redis
import redis.asyncio
from msgspec.structs import replace
from redis.crc import key_slot

from sessionsvc.rooms import lifecycle
from sessionsvc.rooms.credits import Grant
from sessionsvc.rooms.model import InvoiceTo, Ledger, Presence, Room
from sessionsvc.rooms.store import Change, Mutator
from sessionsvc.stores.redis import Contention, RedisStore
from testkit.tcp_proxy import TcpProxy
from tests.support.backends import HUB, T0, make_domain, make_ledger, make_room
from tests.test_completion import held_room

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.redis


async def test_redis_keeps_each_room_with_its_ledger(
    redis_backend: RedisStore, redis_url: str
) -> None:
    room, _ = await redis_backend.rooms.create_room(make_room(), "fp", T0)
    await redis_backend.ledgers.update_ledger(HUB.id, "cl-1", lambda _old: make_ledger())

    def connect(r: Room, _l: Ledger | None) -> Change[None]:
        p = replace(r.client, presence=Presence.PRESENT, conn="s", node="node-a")
        return Change(r.with_participant(p), None, None, T0 + 60)

    await redis_backend.rooms.mutate(room.room_id, connect)
    await redis_backend.nodes.heartbeat("node-a", T0 + 15)
    async with redis.asyncio.Redis.from_url(redis_url) as client:
        keys = [k.decode() async for k in client.scan_iter(count=1000)]

    def slots(*kinds: str) -> set[int]:
        found = [k for k in keys if any(kind in k for kind in kinds)]
        assert found, (kinds, keys)
        return {key_slot(k.encode()) for k in found}

    # a room, the ledger it consumes from and the ledger's live rooms: one slot
    assert len(slots(":room:", ":ledger:", ":live:")) == 1
    # the sweeper's keys, written together by one script: one slot
    assert len(slots(":due", ":versions", ":alive", ":node:")) == 1


async def test_redis_mutate_retries_when_the_room_moves(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    patient = RedisStore.from_url(redis_url, prefix)
    hasty = RedisStore.from_url(redis_url, prefix, max_tries=1)
    room, _ = await patient.rooms.create_room(make_room(), "fp", None)
    calls = 0

    def interfering(r: Room, _l: Ledger | None) -> Change[int]:
        nonlocal calls
        calls += 1
        if calls == 1:  # another node writes the room between our read and our commit
            with redis.Redis.from_url(redis_url) as other:
                key = next(k for k in other.scan_iter(f"{prefix}:*:room:*"))
                other.set(key, other.get(key) or b"")
        return Change(replace(r, note=f"try {calls}"), None, calls, None)

    try:
        applied = await patient.rooms.mutate(room.room_id, interfering)
        assert applied.result == 2 and applied.room.version == 1
        calls = 0
        with pytest.raises(Contention):
            await hasty.rooms.mutate(room.room_id, interfering)
        stored = await patient.rooms.get_room(room.room_id)
        assert stored is not None and stored.note == "try 2"
    finally:
        await hasty.close()
        await patient.close()


async def test_redis_store_opens_a_connection_for_each_call_of_a_burst(redis_url: str) -> None:
    """More store calls at once than any fixed small pool holds each get a connection of their
    own, rather than queueing for one (a queue starved reports under load: see ``from_url``).
    Redis is paused meanwhile, so every call is still in flight when the next one starts."""
    burst = 100
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    store = RedisStore.from_url(redis_url, prefix)
    room, _ = await store.rooms.create_room(make_room(), "fp", None)
    try:
        async with redis.asyncio.Redis.from_url(redis_url) as admin:
            before = int((await admin.info("clients"))["connected_clients"])
            await admin.client_pause(500)
            rooms = await asyncio.gather(
                *(store.rooms.get_room(room.room_id) for _ in range(burst))
            )
            assert all(r is not None and r.room_id == room.room_id for r in rooms)
            after = int((await admin.info("clients"))["connected_clients"])
        assert after - before >= burst - 1  # the store's one connection from before, reused
    finally:
        await store.close()


async def test_connections_reset_while_idle_are_reopened_before_use(redis_url: str) -> None:
    """The link to Redis is cut (every pooled connection reset) and comes back: the next calls
    all succeed on fresh connections; none is sent on a connection that was reset."""
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    async with TcpProxy(port) as proxy:
        store = RedisStore.from_url(proxy.url(), f"test-{uuid.uuid4().hex[:8]}")
        room, _ = await store.rooms.create_room(make_room(), "fp", None)
        try:
            # several connections in the pool, all idle when the link is cut
            await asyncio.gather(*(store.rooms.get_room(room.room_id) for _ in range(8)))
            opened = proxy.connections
            proxy.cut()
            await asyncio.sleep(0.2)
            proxy.restore()
            for _ in range(5):
                rooms = await asyncio.gather(
                    *(store.rooms.get_room(room.room_id) for _ in range(8))
                )
                assert all(r is not None and r.room_id == room.room_id for r in rooms)
            assert proxy.connections > opened
        finally:
            await store.close()


async def test_two_processes_racing_end_consume_one_credit(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    store = RedisStore.from_url(redis_url, prefix)
    d = make_domain(store)
    try:
        await d.services.credits.put_ledger(HUB.id, "cl-1", Grant(3, 3, True, InvoiceTo.COMPANY))
        room = await held_room(d, "bk-procs")
        args = [redis_url, prefix, room.room_id, "50", str(d.clock.now()), "60"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tests.support.end_race",
                *args,
                cwd=ROOT,
                env=env,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(2)
        ]
        for proc in procs:
            assert proc.stdout is not None
            assert await asyncio.wait_for(proc.stdout.readline(), 30) == b"ready\n"
        outputs = await asyncio.gather(*(proc.communicate(b"go\n") for proc in procs))
        for proc, (_, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err.decode()
        counts = [json.loads(out) for out, _ in outputs]
        assert sum(c["ok"] for c in counts) == 1
        assert sum(c["closed"] for c in counts) == 99
        ledger = await store.ledgers.get_ledger(HUB.id, "cl-1")
        assert ledger is not None
        assert ledger.credits_remaining == 2 and ledger.consumed_by == (room.room_id,)
    finally:
        await store.close()


async def test_redis_deadlines_follow_the_newest_room_version(redis_backend: RedisStore) -> None:
    rooms, deadlines = redis_backend.rooms, redis_backend.deadlines
    room, _ = await rooms.create_room(make_room(), "fp", T0 + 100)
    rid = room.room_id

    def noted(note: str, deadline: float) -> Mutator[None]:
        return lambda r, _l: Change(replace(r, note=note), None, None, deadline)

    await rooms.mutate(rid, noted("v1", T0 + 500))
    await rooms.mutate(rid, noted("v2", T0 + 10))
    index = rooms._index
    # The node that committed version 1 writes its deadline only now, after version 2's.
    await index.write(rid, 1, T0 + 500)
    assert await deadlines.due_rooms(T0 + 10, 10) == [rid]

    def cancel(r: Room, _l: Ledger | None) -> Change[None]:
        return Change(lifecycle.cancel(r, T0), None, None, None)

    await rooms.mutate(rid, cancel)
    assert await deadlines.due_rooms(T0 + 10_000, 10) == []
    # An even later write from version 2 leaves an early entry: the sweeper's tick clears it.
    await index.write(rid, 2, T0 + 10)
    assert await deadlines.due_rooms(T0 + 10, 10) == [rid]
    await rooms.mutate(rid, lambda r, _l: Change(r, None, None, None))
    assert await deadlines.due_rooms(T0 + 10_000, 10) == []
