"""The store contract, outbox: events are written with the change they report and only then,
each stream is delivered by one lease holder at a time, a dead holder's events are claimed,
the catch-up log lists them in order, and the statement index follows Credit completions; on
the memory store, Redis and Redis Cluster alike."""

from __future__ import annotations

import asyncio
import time

import pytest
from redis.asyncio import Redis, RedisCluster

from sessionsvc.rooms import lifecycle
from sessionsvc.rooms.credits import Grant
from sessionsvc.rooms.errors import EventNotFound
from sessionsvc.rooms.ids import client_tag
from sessionsvc.rooms.model import InvoiceTo, Ledger, Role, Room
from sessionsvc.rooms.store import Backend, Change, Tries
from sessionsvc.stores.redis import RedisStore, cluster_url
from sessionsvc.stores.redis.keys import Keys
from tests.support.backends import HUB, T0, make_domain, make_ledger, make_room

STREAM = client_tag("cl-1")


async def drain_types(backend: Backend, holder: str = "node-a") -> list[str]:
    """Take the stream's undelivered events as a deliverer would, and mark them delivered."""
    outbox = backend.outbox
    found = await outbox.take(STREAM, holder, time.time(), 30, 100)
    assert found is not None
    await outbox.done(STREAM, found[:1])
    await outbox.settle(STREAM, holder, found[1:])
    return [p.event.type.value for p in found]


async def test_each_change_writes_its_events(backend: Backend) -> None:
    await backend.ledgers.update_ledger(HUB.id, "cl-1", lambda _old: make_ledger(remaining=1))
    room, _ = await backend.rooms.create_room(make_room(), "fp", None)
    assert await backend.outbox.due_streams(time.time(), 10) == [STREAM]
    assert await drain_types(backend) == [
        "credits.last_subsidised",
        "room.opened",
        "credits.last_subsidised",
    ]
    assert await backend.outbox.due_streams(time.time(), 10) == []

    def arrive(r: Room, _l: Ledger | None) -> Change[None]:
        return Change(lifecycle.join(r, Role.CLIENT, "cl-1", "c1", T0).room, None, None, None)

    def refuse(r: Room, _l: Ledger | None) -> Change[None]:
        raise ValueError("no")

    await backend.rooms.mutate(room.room_id, arrive)
    await backend.rooms.mutate(room.room_id, arrive)  # nothing changes: no event
    with pytest.raises(ValueError):
        await backend.rooms.mutate(room.room_id, refuse)
    assert await drain_types(backend) == ["participant.waiting"]
    assert await backend.outbox.backlog() == (0, None)


async def test_racing_creates_of_one_booking_report_one_opening(backend: Backend) -> None:
    await asyncio.gather(*(backend.rooms.create_room(make_room(), "fp", None) for _ in range(10)))
    assert await drain_types(backend) == ["room.opened"]


async def test_one_holder_at_a_time_and_a_dead_ones_events_are_claimed(backend: Backend) -> None:
    outbox = backend.outbox
    await backend.rooms.create_room(make_room(), "fp", None)
    [held] = await outbox.take(STREAM, "node-a", time.time(), 0.3, 10) or []
    assert not await outbox.lease(STREAM, "node-b", time.time(), 0.3)
    assert await outbox.take(STREAM, "node-b", time.time(), 0.3, 10) is None
    assert (await outbox.backlog())[0] == 1
    # node-a dies holding the event; its lease runs out
    await asyncio.sleep(0.5)
    [claimed] = await outbox.take(STREAM, "node-b", time.time(), 30, 10) or []
    assert claimed.event == held.event
    assert await outbox.settle(STREAM, "node-b", [claimed])
    assert await outbox.lease(STREAM, "node-a", time.time(), 30)  # released
    assert await outbox.backlog() == (0, None)


async def test_a_failed_attempt_defers_the_stream(backend: Backend) -> None:
    outbox = backend.outbox
    await backend.rooms.create_room(make_room(), "fp", None)
    now = time.time()
    [p] = await outbox.take(STREAM, "node-a", now, 30, 10) or []
    assert p.tries == Tries()
    await outbox.retry_later(STREAM, p.event.id, Tries(1, now), now + 300)
    await outbox.release(STREAM, "node-a")
    assert await outbox.due_streams(now + 299, 10) == []
    assert await outbox.due_streams(now + 301, 10) == [STREAM]
    [again] = await outbox.take(STREAM, "node-b", now, 30, 10) or []
    assert again.entry == p.entry and again.tries == Tries(1, now)
    await outbox.done(STREAM, [again])
    await outbox.retry_later(STREAM, "evt_other", Tries(2, now), now)  # the record of another
    assert await outbox.take(STREAM, "node-b", now, 30, 10) == []
    assert await outbox.settle(STREAM, "node-b", [])


async def test_the_catch_up_log_lists_events_in_order(backend: Backend) -> None:
    outbox = backend.outbox
    for n in range(3):
        await backend.rooms.create_room(make_room(booking=f"bk-{n}"), "fp", None)
    listed = await outbox.log_after(None, 10)
    assert [e.type.value for e in listed] == ["room.opened"] * 3
    assert [e.data["booking_id"] for e in listed] == ["bk-0", "bk-1", "bk-2"]
    after = await outbox.log_after(listed[0].id, 10)
    assert [e.id for e in after] == [e.id for e in listed[1:]]
    assert await outbox.log_after(listed[2].id, 10) == []
    assert await outbox.logged(listed[1].id) == listed[1]
    with pytest.raises(EventNotFound):
        await outbox.log_after("evt_unknown", 10)
    assert len({e.id for e in listed}) == 3


async def test_a_credit_completion_enters_the_statement_index(backend: Backend) -> None:
    d = make_domain(backend)
    await d.services.credits.put_ledger(HUB.id, "cl-1", Grant(5, 3, False, InvoiceTo.COMPANY))
    room, _ = await backend.rooms.create_room(make_room(), "fp", None)
    live = d.services.live
    await live.join(room.room_id, Role.CLIENT, "cl-1", "c")
    await live.join(room.room_id, Role.PROFESSIONAL, "pro-1", "p")
    await live.admit(room.room_id, Role.PROFESSIONAL, "cl-1", False)
    for n in range(1, 40):
        await live.record_stats(room.room_id, Role.CLIENT, n * 1000, n * 1000)
        await live.record_stats(room.room_id, Role.PROFESSIONAL, n * 1000, n * 1000)
        d.clock.advance(2)
    await live.end(room.room_id, Role.PROFESSIONAL)
    [entry] = await backend.statements.credit_sessions("pro-1", T0 - 1, T0 + 10_000)
    assert entry.room_id == room.room_id and entry.invoice_to == HUB.name
    assert await backend.statements.credit_sessions("pro-1", T0 + 10_000, T0 + 20_000) == []
    assert await backend.statements.credit_sessions("pro-2", T0 - 1, T0 + 10_000) == []


@pytest.mark.redis
@pytest.mark.parametrize("server", ["redis_url", "redis_cluster_url"])
async def test_a_writer_dying_before_marking_its_stream_is_recovered(
    request: pytest.FixtureRequest, server: str
) -> None:
    url = request.getfixturevalue(server)
    store = RedisStore.from_url(url, prefix="recover")
    await store.ping()
    outbox = store.outbox
    try:
        await store.rooms.create_room(make_room(), "fp", None)
        # as if the node died between EXEC and marking the stream due
        plain, cluster = cluster_url(url)
        raw = RedisCluster.from_url(plain) if cluster else Redis.from_url(plain)
        await raw.delete(Keys("recover").webhooks_due)
        await raw.aclose()
        now = time.time()
        assert await outbox.due_streams(now + 3600, 10) == []
        assert await outbox.recover(now) == 1
        assert await outbox.recover(now) == 0
        assert await outbox.due_streams(now + 3600, 10) == [STREAM]
        assert [e.type.value for e in await outbox.log_after(None, 10)] == ["room.opened"]
    finally:
        await store.close()


def test_the_outbox_shares_the_slot_of_its_rooms_and_ledgers() -> None:
    keys = Keys("p")
    tag = keys.outbox(STREAM).split("}")[0]
    assert tag == keys.room(make_room().room_id).split("}")[0]
    assert tag == keys.ledger(HUB.id, "cl-1").split("}")[0]


async def test_a_take_brings_every_events_attempts_and_settling_keeps_later_ones(
    backend: Backend,
) -> None:
    outbox = backend.outbox
    for n in range(3):
        await backend.rooms.create_room(make_room(booking=f"bk-{n}"), "fp", None)
    now = time.time()
    first = await outbox.take(STREAM, "node-a", now, 30, 10) or []
    await outbox.retry_later(STREAM, first[1].event.id, Tries(2, now - 10), now)
    await outbox.retry_later(STREAM, first[2].event.id, Tries(1, now - 5), now)
    again = await outbox.take(STREAM, "node-a", now, 30, 10) or []
    assert [p.entry for p in again] == [p.entry for p in first]
    assert [p.tries for p in again] == [Tries(), Tries(2, now - 10), Tries(1, now - 5)]
    await outbox.done(STREAM, again[:1])
    await backend.rooms.create_room(make_room(booking="bk-late"), "fp", None)  # meanwhile
    assert not await outbox.settle(STREAM, "node-a", again[1:])
    assert await outbox.due_streams(time.time(), 10) == [STREAM]
    assert await drain_types(backend, "node-b") == ["room.opened"]  # the lease was released
    assert await outbox.backlog() == (0, None)
