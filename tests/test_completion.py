"""Completion through the services, on the memory and the Redis backend alike: exactly one
credit per held session however many callers race, and nothing for a session not held."""

from __future__ import annotations

import asyncio

import pytest

from sessionsvc.rooms.bookings import Booking
from sessionsvc.rooms.credits import Grant
from sessionsvc.rooms.errors import RoomClosed
from sessionsvc.rooms.funding import funding_state
from sessionsvc.rooms.model import (
    FundingKind,
    Hub,
    InvoiceTo,
    Outcome,
    PaymentType,
    Person,
    Phase,
    Role,
    Room,
)
from sessionsvc.rooms.store import Applied, Backend
from sessionsvc.signaling.texts import funding_view
from tests.support.backends import HUB, T0, Domain, make_domain


async def warm_up(backend: Backend) -> None:
    """Open the pool's connections first, so racing callers really overlap instead of queueing
    behind connection set-up."""
    await asyncio.gather(*(backend.ping() for _ in range(64)))


def booking(d: Domain, booking_id: str, hub: Hub | None = HUB) -> Booking:
    return Booking(
        booking_id=booking_id,
        professional=Person(id="pro-1", name="Dr Pro"),
        client=Person(id="cl-1", name="Cli Ent"),
        scheduled_start=d.clock.now(),
        scheduled_end=d.clock.now() + 3600,
        hub=hub,
    )


async def held_room(d: Domain, booking_id: str, hub: Hub | None = HUB) -> Room:
    """Open a hub room, bring both sides in, admit, and let media flow past the held minimum."""
    s = d.services
    state, _ = await s.bookings.open_room(booking(d, booking_id, hub))
    room = state.room
    await s.live.join(room.room_id, Role.PROFESSIONAL, "pro-1", f"{booking_id}-p")
    await s.live.join(room.room_id, Role.CLIENT, "cl-1", f"{booking_id}-c")
    await s.live.admit(room.room_id, Role.PROFESSIONAL, "cl-1", override=False)
    sent = 0
    while room.held_seconds < d.policy.min_held_seconds:
        d.clock.advance(5)
        sent += 40_000
        await s.live.record_stats(room.room_id, Role.PROFESSIONAL, sent, sent)
        room = await s.live.record_stats(room.room_id, Role.CLIENT, sent, sent)
    assert room.phase is Phase.IN_SESSION
    return room


def outcomes(results: list[Applied[Outcome] | BaseException]) -> list[Outcome]:
    return [r.result for r in results if not isinstance(r, BaseException)]


async def test_racing_ends_consume_exactly_one_credit(backend: Backend) -> None:
    d = make_domain(backend)
    s = d.services
    await s.credits.put_ledger(HUB.id, "cl-1", Grant(3, 3, False, InvoiceTo.COMPANY))
    room = await held_room(d, "bk-race")
    await warm_up(backend)

    results = await asyncio.gather(
        *(s.live.end(room.room_id, Role.PROFESSIONAL) for _ in range(500)),
        return_exceptions=True,
    )

    wins = outcomes(results)
    assert len(wins) == 1
    assert all(isinstance(r, RoomClosed) for r in results if isinstance(r, BaseException))
    payment = wins[0].payment
    assert payment is not None and payment.payment_type is PaymentType.CREDIT
    assert payment.invoice_to == HUB.name and payment.credits_remaining == 2
    ledger = await backend.ledgers.get_ledger(HUB.id, "cl-1")
    assert ledger is not None
    assert ledger.credits_remaining == 2 and ledger.sessions_held == 1
    assert ledger.consumed_by == (room.room_id,)
    ended = await backend.rooms.get_room(room.room_id)
    assert ended is not None and ended.phase is Phase.COMPLETED
    assert await backend.ledgers.live_rooms_for(HUB.id, "cl-1") == []


async def test_racing_ends_of_a_self_pay_room_complete_once(backend: Backend) -> None:
    d = make_domain(backend)
    room = await held_room(d, "bk-own", hub=None)
    await warm_up(backend)

    results = await asyncio.gather(
        *(d.services.live.end(room.room_id, Role.PROFESSIONAL) for _ in range(100)),
        return_exceptions=True,
    )

    wins = outcomes(results)
    assert len(wins) == 1 and wins[0].payment is not None
    assert wins[0].payment.payment_type is PaymentType.SELF_PAY
    assert sum(isinstance(r, RoomClosed) for r in results) == 99


async def test_two_rooms_racing_for_the_last_credit(backend: Backend) -> None:
    d = make_domain(backend)
    s = d.services
    await s.credits.put_ledger(HUB.id, "cl-1", Grant(3, 1, True, InvoiceTo.COMPANY))
    a = await held_room(d, "bk-a")
    b = await held_room(d, "bk-b")
    await warm_up(backend)

    results = await asyncio.gather(
        *(s.live.end(r.room_id, Role.PROFESSIONAL) for r in [a, b] * 20),
        return_exceptions=True,
    )

    paid = [o.payment.payment_type for o in outcomes(results) if o.payment]
    assert sorted(paid) == [PaymentType.CARD, PaymentType.CREDIT]
    ledger = await s.credits.get_ledger(HUB.id, "cl-1")
    assert ledger.credits_remaining == 0 and ledger.sessions_held == 2
    assert len(ledger.consumed_by) == 1


@pytest.mark.parametrize("card_on_file", [True, False])
async def test_last_credit_then_card(backend: Backend, card_on_file: bool) -> None:
    d = make_domain(backend)
    s = d.services
    await s.credits.put_ledger(HUB.id, "cl-1", Grant(4, 2, card_on_file, InvoiceTo.PLATFORM))

    first = await held_room(d, "bk-1")
    funding = (await s.bookings.room_state(first.room_id)).funding
    assert funding.kind is FundingKind.CREDIT and not funding.last_subsidised
    outcome = (await s.live.end(first.room_id, Role.PROFESSIONAL)).result
    assert outcome.payment is not None and outcome.payment.credits_remaining == 1

    last = await held_room(d, "bk-2")
    funding = (await s.bookings.room_state(last.room_id)).funding
    assert funding.kind is FundingKind.CREDIT and funding.last_subsidised
    outcome = (await s.live.end(last.room_id, Role.PROFESSIONAL)).result
    assert outcome.payment is not None
    assert outcome.payment.payment_type is PaymentType.CREDIT
    assert outcome.payment.invoice_to == "platform" and outcome.payment.credits_remaining == 0
    ledger = await s.credits.get_ledger(HUB.id, "cl-1")
    assert ledger.credits_remaining == 0 and ledger.sessions_held == 2

    state, _ = await s.bookings.open_room(booking(d, "bk-3"))
    expected = FundingKind.CARD if card_on_file else FundingKind.CARD_REQUIRED
    assert state.funding.kind is expected
    assert funding_state(state.room, ledger).funding == state.funding
    view = funding_view(Role.CLIENT, state)
    assert view.funding is expected and view.credits_remaining == 0


async def test_an_unheld_end_consumes_nothing(backend: Backend) -> None:
    d = make_domain(backend, start=T0)
    s = d.services
    await s.credits.put_ledger(HUB.id, "cl-1", Grant(3, 3, False, InvoiceTo.COMPANY))
    state, _ = await s.bookings.open_room(booking(d, "bk-short"))
    await s.live.join(state.room.room_id, Role.PROFESSIONAL, "pro-1", "c-p")
    outcome = (await s.live.end(state.room.room_id, Role.PROFESSIONAL)).result
    assert outcome.phase is Phase.NOT_HELD and outcome.reason == "client_no_show"
    assert (await s.credits.get_ledger(HUB.id, "cl-1")).credits_remaining == 3
