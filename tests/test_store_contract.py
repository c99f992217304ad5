"""The store contract: one suite, run against the memory store and the Redis store.

The first half drives the ``Store`` methods directly; the second half holds the completion rules
that matter most (exactly one credit per held session, however many callers race) through the
service layer, on both backends, and across two OS processes sharing one Redis.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import redis.asyncio
from msgspec.structs import replace
from redis.crc import key_slot

from sessionsvc.rooms import lifecycle
from sessionsvc.rooms.clock import ManualClock
from sessionsvc.rooms.errors import BookingConflict, RoomClosed, RoomNotFound
from sessionsvc.rooms.ids import new_room_id
from sessionsvc.rooms.lifecycle import Policy
from sessionsvc.rooms.model import (
    FundingKind,
    Hub,
    InvoiceTo,
    Ledger,
    Participant,
    PaymentType,
    Person,
    Phase,
    Presence,
    Role,
    Room,
)
from sessionsvc.rooms.service import OpenRoom, Sessions
from sessionsvc.rooms.store import Change, Mutator, Store
from sessionsvc.stores.memory import MemoryStore
from sessionsvc.stores.redis import Contention, RedisStore

ROOT = Path(__file__).resolve().parents[1]
T0 = 1_800_000_000.0
HUB = Hub(id="hub-1", name="Acme Ltd")


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """Each backend, empty."""
    if request.param == "memory":
        yield MemoryStore()
        return
    url = request.getfixturevalue("redis_url")
    backend = RedisStore.from_url(url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    try:
        yield backend
    finally:
        await backend.close()


@pytest.fixture
async def redis_store(redis_url: str) -> AsyncIterator[RedisStore]:
    """The Redis backend alone, for what only it has (keys, slots, TTLs, processes)."""
    backend = RedisStore.from_url(redis_url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    try:
        yield backend
    finally:
        await backend.close()


def make_room(
    booking: str = "bk-1",
    client: str = "cl-1",
    professional: str = "pro-1",
    hub: Hub | None = HUB,
    start: float = T0 + 600,
) -> Room:
    return Room(
        room_id=new_room_id(client),
        booking_id=booking,
        hub=hub,
        professional=Participant(professional, "Dr Pro", Role.PROFESSIONAL),
        client=Participant(client, "Cli Ent", Role.CLIENT),
        scheduled_start=start,
        scheduled_end=start + 3000,
        created_at=T0,
    )


def make_ledger(client: str = "cl-1", remaining: int = 3, card: bool = False) -> Ledger:
    return Ledger(
        hub_id=HUB.id,
        client_id=client,
        credits_total=max(remaining, 3),
        credits_remaining=remaining,
        card_on_file=card,
        invoice_to=InvoiceTo.COMPANY,
    )


def noted(note: str, deadline: float | None = None) -> Mutator[int]:
    """A mutator that sets the waiting-room note and returns the version it saw."""

    def fn(room: Room, ledger: Ledger | None) -> Change[int]:
        return Change(replace(room, note=note), None, room.version, deadline)

    return fn


# -- rooms -------------------------------------------------------------------------------


async def test_create_and_get(store: Store) -> None:
    room = make_room()
    stored, created = await store.create_room(room, "fp", None)
    assert created and stored == room
    assert await store.get_room(room.room_id) == room
    assert await store.get_room(new_room_id("cl-1")) is None


async def test_create_is_idempotent_per_booking(store: Store) -> None:
    first, created = await store.create_room(make_room(), "fp", T0 + 5000)
    assert created
    again, created = await store.create_room(make_room(), "fp", T0 + 5000)
    assert not created and again == first
    with pytest.raises(BookingConflict):
        await store.create_room(make_room(), "other-fp", T0 + 5000)
    assert [r.room_id for r in await store.recent_rooms(10)] == [first.room_id]
    assert [r.room_id for r in await store.professional_rooms("pro-1")] == [first.room_id]
    assert await store.live_rooms_for(HUB.id, "cl-1") == [first.room_id]
    assert await store.due_rooms(T0 + 9999, 10) == [first.room_id]


async def test_racing_creates_of_one_booking_make_one_room(store: Store) -> None:
    results = await asyncio.gather(
        *(store.create_room(make_room(), "fp", T0 + 5000) for _ in range(20))
    )
    assert sum(created for _, created in results) == 1
    assert len({room.room_id for room, _ in results}) == 1
    winner = results[0][0].room_id
    assert [r.room_id for r in await store.recent_rooms(50)] == [winner]
    assert [r.room_id for r in await store.professional_rooms("pro-1")] == [winner]
    assert await store.live_rooms_for(HUB.id, "cl-1") == [winner]
    assert await store.due_rooms(T0 + 9999, 50) == [winner]


async def test_mutate_bumps_the_version_only_on_change(store: Store) -> None:
    room, _ = await store.create_room(make_room(), "fp", None)

    def same(r: Room, _l: Ledger | None) -> Change[str]:
        return Change(r, None, "kept", None)

    kept = await store.mutate(room.room_id, same)
    assert kept.result == "kept" and kept.room.version == 0
    change = await store.mutate(room.room_id, noted("hello"))
    assert change.result == 0 and change.room.version == 1 and change.room.note == "hello"
    assert await store.get_room(room.room_id) == change.room
    change = await store.mutate(room.room_id, noted("again"))
    assert change.result == 1 and change.room.version == 2


async def test_mutate_missing_room(store: Store) -> None:
    with pytest.raises(RoomNotFound):
        await store.mutate(new_room_id("cl-1"), noted("x"))


async def test_a_raising_mutator_writes_nothing(store: Store) -> None:
    room, _ = await store.create_room(make_room(), "fp", T0 + 5000)
    await store.update_ledger(HUB.id, "cl-1", lambda _old: make_ledger())

    def boom(r: Room, ledger: Ledger | None) -> Change[None]:
        assert ledger is not None
        replace(ledger, credits_remaining=0)
        raise RoomClosed("no")

    with pytest.raises(RoomClosed):
        await store.mutate(room.room_id, boom)
    assert await store.get_room(room.room_id) == room
    assert await store.get_ledger(HUB.id, "cl-1") == make_ledger()
    assert await store.due_rooms(T0 + 9999, 10) == [room.room_id]


async def test_mutate_reads_and_writes_the_ledger(store: Store) -> None:
    room, _ = await store.create_room(make_room(), "fp", None)
    own, _ = await store.create_room(make_room("bk-2", client="cl-2", hub=None), "fp", None)
    seen: list[Ledger | None] = []

    def peek(r: Room, ledger: Ledger | None) -> Change[None]:
        seen.append(ledger)
        return Change(r, None, None, None)

    await store.mutate(room.room_id, peek)
    await store.update_ledger(HUB.id, "cl-1", lambda _old: make_ledger(remaining=2))

    def consume(r: Room, ledger: Ledger | None) -> Change[None]:
        assert ledger is not None
        new = replace(ledger, credits_remaining=ledger.credits_remaining - 1)
        return Change(replace(r, note="consumed"), new, None, None)

    await store.mutate(room.room_id, consume)
    await store.mutate(room.room_id, peek)
    await store.mutate(own.room_id, peek)
    assert seen == [None, make_ledger(remaining=1), None]
    assert await store.get_ledger(HUB.id, "cl-1") == make_ledger(remaining=1)


async def test_concurrent_mutations_lose_no_update(store: Store) -> None:
    room, _ = await store.create_room(make_room(), "fp", None)

    def append(r: Room, _l: Ledger | None) -> Change[None]:
        return Change(replace(r, denied=(*r.denied, f"x{len(r.denied)}")), None, None, None)

    await asyncio.gather(*(store.mutate(room.room_id, append) for _ in range(40)))
    stored = await store.get_room(room.room_id)
    assert stored is not None
    assert stored.version == 40 and len(set(stored.denied)) == 40


# -- ledgers -----------------------------------------------------------------------------


async def test_update_ledger(store: Store) -> None:
    assert await store.get_ledger(HUB.id, "cl-1") is None
    seen: list[Ledger | None] = []

    def put(old: Ledger | None) -> Ledger:
        seen.append(old)
        return make_ledger(remaining=3)

    assert await store.update_ledger(HUB.id, "cl-1", put) == make_ledger(remaining=3)
    await store.update_ledger(HUB.id, "cl-1", put)
    assert seen == [None, make_ledger(remaining=3)]

    def fail(old: Ledger | None) -> Ledger:
        raise ValueError("rejected")

    with pytest.raises(ValueError):
        await store.update_ledger(HUB.id, "cl-1", fail)
    with pytest.raises(ValueError):
        await store.update_ledger(HUB.id, "cl-9", fail)
    assert await store.get_ledger(HUB.id, "cl-1") == make_ledger(remaining=3)
    assert await store.get_ledger(HUB.id, "cl-9") is None


async def test_concurrent_ledger_updates_lose_no_update(store: Store) -> None:
    await store.update_ledger(HUB.id, "cl-1", lambda _old: make_ledger(remaining=50))

    def take(old: Ledger | None) -> Ledger:
        assert old is not None
        return replace(old, credits_remaining=old.credits_remaining - 1)

    await asyncio.gather(*(store.update_ledger(HUB.id, "cl-1", take) for _ in range(50)))
    ledger = await store.get_ledger(HUB.id, "cl-1")
    assert ledger is not None and ledger.credits_remaining == 0


async def test_live_rooms_of_a_ledger(store: Store) -> None:
    a, _ = await store.create_room(make_room("bk-a"), "fp", None)
    b, _ = await store.create_room(make_room("bk-b"), "fp", None)
    await store.create_room(make_room("bk-c", hub=None), "fp", None)
    await store.create_room(make_room("bk-d", client="cl-2"), "fp", None)
    assert await store.live_rooms_for(HUB.id, "cl-1") == sorted([a.room_id, b.room_id])
    await store.mutate(a.room_id, noted("still live"))
    assert await store.live_rooms_for(HUB.id, "cl-1") == sorted([a.room_id, b.room_id])

    def cancel(r: Room, _l: Ledger | None) -> Change[None]:
        return Change(lifecycle.cancel(r, T0), None, None, None)

    await store.mutate(a.room_id, cancel)
    assert await store.live_rooms_for(HUB.id, "cl-1") == [b.room_id]
    assert await store.live_rooms_for(HUB.id, "nobody") == []


# -- deadlines ---------------------------------------------------------------------------


async def test_deadlines(store: Store) -> None:
    a, _ = await store.create_room(make_room("bk-a"), "fp", T0 + 100)
    b, _ = await store.create_room(make_room("bk-b"), "fp", T0 + 50)
    c, _ = await store.create_room(make_room("bk-c"), "fp", None)
    assert await store.due_rooms(T0 + 49, 10) == []
    assert await store.due_rooms(T0 + 50, 10) == [b.room_id]
    assert await store.due_rooms(T0 + 100, 10) == [b.room_id, a.room_id]
    assert await store.due_rooms(T0 + 100, 1) == [b.room_id]
    await store.mutate(a.room_id, noted("x", deadline=T0 + 10))
    await store.mutate(b.room_id, noted("x", deadline=None))
    await store.set_deadline(c.room_id, T0 + 20.5)
    assert await store.due_rooms(T0 + 1000, 10) == [a.room_id, c.room_id]
    await store.set_deadline(c.room_id, None)
    await store.set_deadline(c.room_id, None)
    assert await store.due_rooms(T0 + 1000, 10) == [a.room_id]


# -- stats and listings ------------------------------------------------------------------


async def test_stats_are_bounded_per_role(store: Store) -> None:
    room, _ = await store.create_room(make_room(), "fp", None)
    assert await store.get_stats(room.room_id) == {}
    for i in range(10):
        sample = {"i": i, "rtt": 0.02, "ice": "connected", "nested": {"fps": 30}}
        await store.add_stats(room.room_id, Role.PROFESSIONAL, sample, keep=4)
    await store.add_stats(room.room_id, Role.CLIENT, {"i": 0}, keep=4)
    stats = await store.get_stats(room.room_id)
    assert set(stats) == {"professional", "client"}
    assert [s["i"] for s in stats["professional"]] == [6, 7, 8, 9]
    assert stats["professional"][0]["nested"] == {"fps": 30}
    assert stats["client"] == [{"i": 0}]


async def test_recent_and_professional_rooms(store: Store) -> None:
    rooms = []
    for i in range(5):
        pro = "pro-1" if i % 2 == 0 else "pro-2"
        room, _ = await store.create_room(make_room(f"bk-{i}", professional=pro), "fp", None)
        rooms.append(room)
    ids = [r.room_id for r in rooms]
    assert [r.room_id for r in await store.recent_rooms(3)] == ids[:1:-1]
    assert [r.room_id for r in await store.recent_rooms(50)] == ids[::-1]
    assert [r.room_id for r in await store.professional_rooms("pro-1")] == ids[0::2]
    assert [r.room_id for r in await store.professional_rooms("pro-2")] == ids[1::2]
    assert await store.professional_rooms("nobody") == []
    await store.mutate(ids[4], noted("current"))
    newest = (await store.recent_rooms(1))[0]
    assert newest.note == "current" and newest.version == 1


async def test_ping_and_close_twice(store: Store) -> None:
    await store.ping()
    await store.close()
    await store.close()


# -- completion through the service layer ------------------------------------------------


def _at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


async def warm_up(store: Store) -> None:
    """Open the pool's connections first, so racing callers really overlap instead of queueing
    behind connection set-up."""
    await asyncio.gather(*(store.ping() for _ in range(64)))


async def held_room(
    sessions: Sessions, clock: ManualClock, booking: str, hub: Hub | None = HUB
) -> Room:
    """Open a hub room, bring both sides in, admit, and let media flow past the held minimum."""
    room, _ = await sessions.open_room(
        OpenRoom(
            booking_id=booking,
            professional=Person(id="pro-1", name="Dr Pro"),
            client=Person(id="cl-1", name="Cli Ent"),
            scheduled_start=_at(clock.now()),
            scheduled_end=_at(clock.now() + 3600),
            hub=hub,
        )
    )
    await sessions.join(room.room_id, Role.PROFESSIONAL, "pro-1", f"{booking}-p")
    await sessions.join(room.room_id, Role.CLIENT, "cl-1", f"{booking}-c")
    await sessions.admit(room.room_id, Role.PROFESSIONAL, "cl-1", override=False)
    sent = 0
    while room.held_seconds < sessions.policy.min_held_seconds:
        clock.advance(5)
        sent += 40_000
        await sessions.record_stats(room.room_id, Role.PROFESSIONAL, sent, {"rtt": 0.03})
        room = await sessions.record_stats(room.room_id, Role.CLIENT, sent, {"rtt": 0.03})
    assert room.phase is Phase.IN_SESSION
    return room


async def test_racing_ends_consume_exactly_one_credit(store: Store) -> None:
    clock = ManualClock(T0)
    sessions = Sessions(store, clock, Policy())
    await sessions.put_ledger(HUB.id, "cl-1", 3, 3, False, InvoiceTo.COMPANY)
    room = await held_room(sessions, clock, "bk-race")
    await warm_up(store)

    results = await asyncio.gather(
        *(sessions.end(room.room_id, Role.PROFESSIONAL) for _ in range(500)),
        return_exceptions=True,
    )

    wins = [r for r in results if not isinstance(r, BaseException)]
    assert len(wins) == 1
    assert all(isinstance(r, RoomClosed) for r in results if isinstance(r, BaseException))
    payment = wins[0].payment
    assert payment is not None and payment.payment_type is PaymentType.CREDIT
    assert payment.invoice_to == HUB.name and payment.credits_remaining == 2
    ledger = await store.get_ledger(HUB.id, "cl-1")
    assert ledger is not None
    assert ledger.credits_remaining == 2 and ledger.sessions_held == 1
    assert ledger.consumed_by == (room.room_id,)
    ended = await store.get_room(room.room_id)
    assert ended is not None and ended.phase is Phase.COMPLETED
    assert await store.live_rooms_for(HUB.id, "cl-1") == []


async def test_racing_ends_of_a_self_pay_room_complete_once(store: Store) -> None:
    clock = ManualClock(T0)
    sessions = Sessions(store, clock, Policy())
    room = await held_room(sessions, clock, "bk-own", hub=None)
    await warm_up(store)

    results = await asyncio.gather(
        *(sessions.end(room.room_id, Role.PROFESSIONAL) for _ in range(100)),
        return_exceptions=True,
    )

    wins = [r for r in results if not isinstance(r, BaseException)]
    assert len(wins) == 1 and wins[0].payment is not None
    assert wins[0].payment.payment_type is PaymentType.SELF_PAY
    assert sum(isinstance(r, RoomClosed) for r in results) == 99


async def test_two_rooms_racing_for_the_last_credit(store: Store) -> None:
    clock = ManualClock(T0)
    sessions = Sessions(store, clock, Policy())
    await sessions.put_ledger(HUB.id, "cl-1", 3, 1, True, InvoiceTo.COMPANY)
    a = await held_room(sessions, clock, "bk-a")
    b = await held_room(sessions, clock, "bk-b")
    await warm_up(store)

    outcomes = await asyncio.gather(
        *(sessions.end(r.room_id, Role.PROFESSIONAL) for r in [a, b] * 20),
        return_exceptions=True,
    )

    paid = [
        o.payment.payment_type for o in outcomes if not isinstance(o, BaseException) if o.payment
    ]
    assert sorted(paid) == [PaymentType.CARD, PaymentType.CREDIT]
    ledger = await sessions.get_ledger(HUB.id, "cl-1")
    assert ledger.credits_remaining == 0 and ledger.sessions_held == 2
    assert len(ledger.consumed_by) == 1


@pytest.mark.parametrize("card_on_file", [True, False])
async def test_last_credit_then_card(store: Store, card_on_file: bool) -> None:
    clock = ManualClock(T0)
    sessions = Sessions(store, clock, Policy())
    await sessions.put_ledger(HUB.id, "cl-1", 4, 2, card_on_file, InvoiceTo.PLATFORM)

    first = await held_room(sessions, clock, "bk-1")
    funding = await sessions.funding(first)
    assert funding.kind is FundingKind.CREDIT and not funding.last_subsidised
    outcome = await sessions.end(first.room_id, Role.PROFESSIONAL)
    assert outcome.payment is not None and outcome.payment.credits_remaining == 1

    last = await held_room(sessions, clock, "bk-2")
    funding = await sessions.funding(last)
    assert funding.kind is FundingKind.CREDIT and funding.last_subsidised
    outcome = await sessions.end(last.room_id, Role.PROFESSIONAL)
    assert outcome.payment is not None
    assert outcome.payment.payment_type is PaymentType.CREDIT
    assert outcome.payment.invoice_to == "platform" and outcome.payment.credits_remaining == 0
    ledger = await sessions.get_ledger(HUB.id, "cl-1")
    assert ledger.credits_remaining == 0 and ledger.sessions_held == 2

    room, _ = await sessions.open_room(
        OpenRoom(
            booking_id="bk-3",
            professional=Person(id="pro-1", name="Dr Pro"),
            client=Person(id="cl-1", name="Cli Ent"),
            scheduled_start=_at(clock.now()),
            scheduled_end=_at(clock.now() + 3600),
            hub=HUB,
        )
    )
    expected = FundingKind.CARD if card_on_file else FundingKind.CARD_REQUIRED
    assert (await sessions.funding(room)).kind is expected
    view = (await sessions.funding_state(room)).view(Role.CLIENT)
    assert view.funding is expected and view.credits_remaining == 0


async def test_an_unheld_end_consumes_nothing(store: Store) -> None:
    clock = ManualClock(T0)
    sessions = Sessions(store, clock, Policy())
    await sessions.put_ledger(HUB.id, "cl-1", 3, 3, False, InvoiceTo.COMPANY)
    room, _ = await sessions.open_room(
        OpenRoom(
            booking_id="bk-short",
            professional=Person(id="pro-1", name="Dr Pro"),
            client=Person(id="cl-1", name="Cli Ent"),
            scheduled_start=_at(T0),
            scheduled_end=_at(T0 + 3600),
            hub=HUB,
        )
    )
    await sessions.join(room.room_id, Role.PROFESSIONAL, "pro-1", "c-p")
    outcome = await sessions.end(room.room_id, Role.PROFESSIONAL)
    assert outcome.phase is Phase.NOT_HELD and outcome.reason == "client_no_show"
    assert (await sessions.get_ledger(HUB.id, "cl-1")).credits_remaining == 3


# -- Redis only: key layout, retries, and several processes ------------------------------


async def test_redis_keeps_each_room_with_its_ledger(
    redis_store: RedisStore, redis_url: str
) -> None:
    room, _ = await redis_store.create_room(make_room(), "fp", T0)
    await redis_store.update_ledger(HUB.id, "cl-1", lambda _old: make_ledger())
    await redis_store.add_stats(room.room_id, Role.CLIENT, {"rtt": 1}, keep=5)
    async with redis.asyncio.Redis.from_url(redis_url) as client:
        keys = [k.decode() async for k in client.scan_iter(count=1000)]
        by_kind = {
            kind: [k for k in keys if f":{kind}:" in k] for kind in ("room", "ledger", "live")
        }
        assert all(len(found) == 1 for found in by_kind.values()), keys
        assert len({key_slot(found[0].encode()) for found in by_kind.values()}) == 1
        stats = [k for k in keys if ":stats:" in k]
        assert len(stats) == 1 and 0 < await client.ttl(stats[0]) <= 7 * 24 * 3600


async def test_redis_mutate_retries_when_the_room_moves(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    patient = RedisStore.from_url(redis_url, prefix)
    hasty = RedisStore.from_url(redis_url, prefix, max_tries=1)
    room, _ = await patient.create_room(make_room(), "fp", None)
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
        change = await patient.mutate(room.room_id, interfering)
        assert change.result == 2 and change.room.version == 1
        calls = 0
        with pytest.raises(Contention):
            await hasty.mutate(room.room_id, interfering)
        stored = await patient.get_room(room.room_id)
        assert stored is not None and stored.note == "try 2"
    finally:
        await hasty.close()
        await patient.close()


async def test_two_processes_racing_end_consume_one_credit(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    store = RedisStore.from_url(redis_url, prefix)
    clock = ManualClock(T0)
    sessions = Sessions(store, clock, Policy())
    try:
        await sessions.put_ledger(HUB.id, "cl-1", 3, 3, True, InvoiceTo.COMPANY)
        room = await held_room(sessions, clock, "bk-procs")
        args = [redis_url, prefix, room.room_id, "50", str(clock.now()), "60"]
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
        ledger = await store.get_ledger(HUB.id, "cl-1")
        assert ledger is not None
        assert ledger.credits_remaining == 2 and ledger.consumed_by == (room.room_id,)
    finally:
        await store.close()


async def test_redis_deadlines_follow_the_newest_room_version(redis_store: RedisStore) -> None:
    room, _ = await redis_store.create_room(make_room(), "fp", T0 + 100)
    rid = room.room_id
    await redis_store.mutate(rid, noted("v1", deadline=T0 + 500))
    await redis_store.mutate(rid, noted("v2", deadline=T0 + 10))
    # The node that committed version 1 writes its deadline only now, after version 2's.
    await redis_store._write_deadline(rid, 1, T0 + 500)
    assert await redis_store.due_rooms(T0 + 10, 10) == [rid]

    def cancel(r: Room, _l: Ledger | None) -> Change[None]:
        return Change(lifecycle.cancel(r, T0), None, None, None)

    await redis_store.mutate(rid, cancel)
    assert await redis_store.due_rooms(T0 + 10_000, 10) == []
    # An even later write from version 2 leaves an early entry: the sweeper's tick clears it.
    await redis_store._write_deadline(rid, 2, T0 + 10)
    assert await redis_store.due_rooms(T0 + 10, 10) == [rid]
    await redis_store.mutate(rid, lambda r, _l: Change(r, None, None, None))
    assert await redis_store.due_rooms(T0 + 10_000, 10) == []


async def test_node_liveness_records(store: Store) -> None:
    await store.heartbeat("node-a", 100.0)
    await store.heartbeat("node-b", 200.0)
    await store.track("node-a", "room-1")
    await store.track("node-a", "room-2")
    await store.track("node-a", "room-1")
    assert await store.dead_nodes(50.0) == []
    assert await store.dead_nodes(150.0) == ["node-a"]
    assert await store.node_rooms("node-a") == ["room-1", "room-2"]
    await store.heartbeat("node-a", 300.0)  # it came back
    assert await store.dead_nodes(150.0) == []
    await store.forget_node("node-a")
    assert await store.node_rooms("node-a") == []
    assert await store.dead_nodes(250.0) == ["node-b"]


async def test_dead_node_participants_get_their_reconnect_grace(store: Store) -> None:
    clock = ManualClock(1000.0)
    sessions = Sessions(store, clock, Policy(reconnect_grace=20.0))
    room, _ = await sessions.open_room(
        OpenRoom(
            booking_id="bk-node",
            professional=Person("p", "P"),
            client=Person("c", "C"),
            scheduled_start=datetime.fromtimestamp(1000.0, UTC),
            scheduled_end=datetime.fromtimestamp(4000.0, UTC),
        )
    )
    await sessions.heartbeat("node-a", 10.0)
    await sessions.heartbeat("node-b", 10.0)
    await sessions.join(room.room_id, Role.PROFESSIONAL, "p", "sid-1", "node-a")
    await sessions.join(room.room_id, Role.CLIENT, "c", "sid-2", "node-b")
    clock.advance(5)
    await sessions.heartbeat("node-a", 10.0)  # node-b stops beating
    clock.advance(6)
    assert await sessions.reap_dead_nodes() == 1
    got = await sessions.get_room(room.room_id)
    assert got.client.presence is Presence.RECONNECTING
    assert got.professional.presence is Presence.PRESENT
    assert await sessions.reap_dead_nodes() == 0  # handled once
    clock.advance(21)
    await sessions.sweep()
    assert (await sessions.get_room(room.room_id)).client.presence is Presence.LEFT
