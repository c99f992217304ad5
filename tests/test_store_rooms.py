"""The store contract, rooms: create (idempotent per booking), read, and the atomic mutation,
on the memory and the Redis backend alike."""

from __future__ import annotations

import asyncio

import pytest
from msgspec.structs import replace

from sessionsvc.rooms.errors import BookingConflict, RoomClosed, RoomNotFound
from sessionsvc.rooms.ids import new_room_id
from sessionsvc.rooms.model import Ledger, Room
from sessionsvc.rooms.store import Backend, Change, Mutator
from tests.support.backends import HUB, T0, make_ledger, make_room


def noted(note: str, deadline: float | None = None) -> Mutator[int]:
    """A mutator that sets the waiting-room note and returns the version it saw."""

    def fn(room: Room, ledger: Ledger | None) -> Change[int]:
        return Change(replace(room, note=note), None, room.version, deadline)

    return fn


async def test_create_and_get(backend: Backend) -> None:
    room = make_room()
    stored, created = await backend.rooms.create_room(room, "fp", None)
    assert created and stored == room
    assert await backend.rooms.get_room(room.room_id) == room
    assert await backend.rooms.get_room(new_room_id("cl-1")) is None


async def test_create_is_idempotent_per_booking(backend: Backend) -> None:
    rooms = backend.rooms
    first, created = await rooms.create_room(make_room(), "fp", T0 + 5000)
    assert created
    again, created = await rooms.create_room(make_room(), "fp", T0 + 5000)
    assert not created and again == first
    with pytest.raises(BookingConflict):
        await rooms.create_room(make_room(), "other-fp", T0 + 5000)
    assert [r.room_id for r in await rooms.recent_rooms(10)] == [first.room_id]
    assert [r.room_id for r in await backend.statements.professional_rooms("pro-1")] == [
        first.room_id
    ]
    assert await backend.ledgers.live_rooms_for(HUB.id, "cl-1") == [first.room_id]
    assert await backend.deadlines.due_rooms(T0 + 9999, 10) == [first.room_id]


async def test_racing_creates_of_one_booking_make_one_room(backend: Backend) -> None:
    results = await asyncio.gather(
        *(backend.rooms.create_room(make_room(), "fp", T0 + 5000) for _ in range(20))
    )
    assert sum(created for _, created in results) == 1
    assert len({room.room_id for room, _ in results}) == 1
    winner = results[0][0].room_id
    assert [r.room_id for r in await backend.rooms.recent_rooms(50)] == [winner]
    assert [r.room_id for r in await backend.statements.professional_rooms("pro-1")] == [winner]
    assert await backend.ledgers.live_rooms_for(HUB.id, "cl-1") == [winner]
    assert await backend.deadlines.due_rooms(T0 + 9999, 50) == [winner]


async def test_mutate_bumps_the_version_only_on_change(backend: Backend) -> None:
    rooms = backend.rooms
    room, _ = await rooms.create_room(make_room(), "fp", None)

    def same(r: Room, _l: Ledger | None) -> Change[str]:
        return Change(r, None, "kept", None)

    kept = await rooms.mutate(room.room_id, same)
    assert kept.result == "kept" and kept.room.version == 0
    applied = await rooms.mutate(room.room_id, noted("hello"))
    assert applied.result == 0 and applied.room.version == 1 and applied.room.note == "hello"
    assert await rooms.get_room(room.room_id) == applied.room
    applied = await rooms.mutate(room.room_id, noted("again"))
    assert applied.result == 1 and applied.room.version == 2


async def test_mutate_missing_room(backend: Backend) -> None:
    with pytest.raises(RoomNotFound):
        await backend.rooms.mutate(new_room_id("cl-1"), noted("x"))


async def test_a_raising_mutator_writes_nothing(backend: Backend) -> None:
    room, _ = await backend.rooms.create_room(make_room(), "fp", T0 + 5000)
    await backend.ledgers.update_ledger(HUB.id, "cl-1", lambda _old: make_ledger())

    def boom(r: Room, ledger: Ledger | None) -> Change[None]:
        assert ledger is not None
        replace(ledger, credits_remaining=0)
        raise RoomClosed("no")

    with pytest.raises(RoomClosed):
        await backend.rooms.mutate(room.room_id, boom)
    assert await backend.rooms.get_room(room.room_id) == room
    assert await backend.ledgers.get_ledger(HUB.id, "cl-1") == make_ledger()
    assert await backend.deadlines.due_rooms(T0 + 9999, 10) == [room.room_id]


async def test_mutate_reads_and_writes_the_ledger(backend: Backend) -> None:
    rooms = backend.rooms
    room, _ = await rooms.create_room(make_room(), "fp", None)
    own, _ = await rooms.create_room(make_room("bk-2", client="cl-2", hub=None), "fp", None)
    seen: list[Ledger | None] = []

    def peek(r: Room, ledger: Ledger | None) -> Change[None]:
        seen.append(ledger)
        return Change(r, None, None, None)

    assert (await rooms.mutate(room.room_id, peek)).ledger is None
    await backend.ledgers.update_ledger(HUB.id, "cl-1", lambda _old: make_ledger(remaining=2))

    def consume(r: Room, ledger: Ledger | None) -> Change[None]:
        assert ledger is not None
        new = replace(ledger, credits_remaining=ledger.credits_remaining - 1)
        return Change(replace(r, note="consumed"), new, None, None)

    applied = await rooms.mutate(room.room_id, consume)
    assert applied.ledger == make_ledger(remaining=1)  # the ledger as written
    applied = await rooms.mutate(room.room_id, peek)
    assert applied.ledger == make_ledger(remaining=1)  # the ledger as read
    assert (await rooms.mutate(own.room_id, peek)).ledger is None
    assert seen == [None, make_ledger(remaining=1), None]
    assert await backend.ledgers.get_ledger(HUB.id, "cl-1") == make_ledger(remaining=1)


async def test_concurrent_mutations_lose_no_update(backend: Backend) -> None:
    room, _ = await backend.rooms.create_room(make_room(), "fp", None)

    def append(r: Room, _l: Ledger | None) -> Change[None]:
        return Change(replace(r, denied=(*r.denied, f"x{len(r.denied)}")), None, None, None)

    await asyncio.gather(*(backend.rooms.mutate(room.room_id, append) for _ in range(40)))
    stored = await backend.rooms.get_room(room.room_id)
    assert stored is not None
    assert stored.version == 40 and len(set(stored.denied)) == 40


async def test_recent_and_professional_rooms(backend: Backend) -> None:
    rooms = []
    for i in range(5):
        pro = "pro-1" if i % 2 == 0 else "pro-2"
        room, _ = await backend.rooms.create_room(
            make_room(f"bk-{i}", professional=pro), "fp", None
        )
        rooms.append(room)
    ids = [r.room_id for r in rooms]
    recent = backend.rooms.recent_rooms
    of = backend.statements.professional_rooms
    assert [r.room_id for r in await recent(3)] == ids[:1:-1]
    assert [r.room_id for r in await recent(50)] == ids[::-1]
    assert [r.room_id for r in await of("pro-1")] == ids[0::2]
    assert [r.room_id for r in await of("pro-2")] == ids[1::2]
    assert await of("nobody") == []
    await backend.rooms.mutate(ids[4], noted("current"))
    newest = (await recent(1))[0]
    assert newest.note == "current" and newest.version == 1


async def test_ping_and_close_twice(backend: Backend) -> None:
    await backend.ping()
    await backend.close()
    await backend.close()
