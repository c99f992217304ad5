"""The store contract, ledgers: atomic updates and the live rooms each ledger funds, on the
memory and the Redis backend alike."""

from __future__ import annotations

import asyncio

import pytest
from msgspec.structs import replace

from sessionsvc.rooms import lifecycle
from sessionsvc.rooms.model import Ledger, Room
from sessionsvc.rooms.store import Backend, Change
from tests.support.backends import HUB, T0, make_ledger, make_room


async def test_update_ledger(backend: Backend) -> None:
    ledgers = backend.ledgers
    assert await ledgers.get_ledger(HUB.id, "cl-1") is None
    seen: list[Ledger | None] = []

    def put(old: Ledger | None) -> Ledger:
        seen.append(old)
        return make_ledger(remaining=3)

    assert await ledgers.update_ledger(HUB.id, "cl-1", put) == make_ledger(remaining=3)
    await ledgers.update_ledger(HUB.id, "cl-1", put)
    assert seen == [None, make_ledger(remaining=3)]

    def fail(old: Ledger | None) -> Ledger:
        raise ValueError("rejected")

    with pytest.raises(ValueError):
        await ledgers.update_ledger(HUB.id, "cl-1", fail)
    with pytest.raises(ValueError):
        await ledgers.update_ledger(HUB.id, "cl-9", fail)
    assert await ledgers.get_ledger(HUB.id, "cl-1") == make_ledger(remaining=3)
    assert await ledgers.get_ledger(HUB.id, "cl-9") is None


async def test_concurrent_ledger_updates_lose_no_update(backend: Backend) -> None:
    ledgers = backend.ledgers
    await ledgers.update_ledger(HUB.id, "cl-1", lambda _old: make_ledger(remaining=50))

    def take(old: Ledger | None) -> Ledger:
        assert old is not None
        return replace(old, credits_remaining=old.credits_remaining - 1)

    await asyncio.gather(*(ledgers.update_ledger(HUB.id, "cl-1", take) for _ in range(50)))
    ledger = await ledgers.get_ledger(HUB.id, "cl-1")
    assert ledger is not None and ledger.credits_remaining == 0


async def test_live_rooms_of_a_ledger(backend: Backend) -> None:
    rooms, live = backend.rooms, backend.ledgers.live_rooms_for
    a, _ = await rooms.create_room(make_room("bk-a"), "fp", None)
    b, _ = await rooms.create_room(make_room("bk-b"), "fp", None)
    await rooms.create_room(make_room("bk-c", hub=None), "fp", None)
    await rooms.create_room(make_room("bk-d", client="cl-2"), "fp", None)
    assert await live(HUB.id, "cl-1") == sorted([a.room_id, b.room_id])

    def note(r: Room, _l: Ledger | None) -> Change[None]:
        return Change(replace(r, note="still live"), None, None, None)

    await rooms.mutate(a.room_id, note)
    assert await live(HUB.id, "cl-1") == sorted([a.room_id, b.room_id])

    def cancel(r: Room, _l: Ledger | None) -> Change[None]:
        return Change(lifecycle.cancel(r, T0), None, None, None)

    await rooms.mutate(a.room_id, cancel)
    assert await live(HUB.id, "cl-1") == [b.room_id]
    assert await live(HUB.id, "nobody") == []
