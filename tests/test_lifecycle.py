"""Pure domain rules: funding and its views, the held-rule, completion, and deadlines."""

from __future__ import annotations

from sessionsvc.rooms import lifecycle
from sessionsvc.rooms.completion import conclude
from sessionsvc.rooms.funding import Funding, FundingState, funding_of
from sessionsvc.rooms.held import record_media
from sessionsvc.rooms.model import (
    FundingKind,
    Hub,
    InvoiceTo,
    Ledger,
    Participant,
    Phase,
    Role,
    Room,
)
from sessionsvc.rooms.policy import Policy
from sessionsvc.rooms.timeouts import next_deadline, tick
from sessionsvc.signaling.texts import FundingView, funding_view

HUB = Hub(id="h", name="Acme Corp")
POLICY = Policy(min_held_seconds=60)


def _room(hub: Hub | None = HUB) -> Room:
    return Room(
        room_id="t-1",
        booking_id="b",
        hub=hub,
        professional=Participant("p", "Dr. P", Role.PROFESSIONAL),
        client=Participant("c", "Client C", Role.CLIENT),
        scheduled_start=1000.0,
        scheduled_end=4000.0,
        created_at=0.0,
        payment_url="https://pay.example",
    )


def view_for(role: Role, funding: Funding, room: Room, first: bool = True) -> FundingView:
    return funding_view(role, FundingState(room, funding, first_hub_session=first))


def _ledger(remaining: int, card: bool = False) -> Ledger:
    return Ledger("h", "c", 5, remaining, card, InvoiceTo.COMPANY)


def test_funding_table() -> None:
    assert funding_of(None, None).kind is FundingKind.SELF_PAY
    assert funding_of(HUB, _ledger(2)).kind is FundingKind.CREDIT
    last = funding_of(HUB, _ledger(1))
    assert last.kind is FundingKind.CREDIT and last.last_subsidised
    assert funding_of(HUB, _ledger(0, card=True)).kind is FundingKind.CARD
    assert funding_of(HUB, _ledger(0)).kind is FundingKind.CARD_REQUIRED
    assert funding_of(HUB, None).kind is FundingKind.CARD_REQUIRED  # no ledger: the safe reading


def test_views_never_show_client_names_or_invoicing_to_the_client() -> None:
    room = _room()
    for ledger in (_ledger(3), _ledger(1), _ledger(0, True), _ledger(0)):
        client_view = view_for(Role.CLIENT, funding_of(HUB, ledger), room)
        assert client_view.invoice_to is None and client_view.invoice_label is None
        pro_view = view_for(Role.PROFESSIONAL, funding_of(HUB, ledger), room)
        assert "Client C" not in repr(pro_view)
    pro = view_for(Role.PROFESSIONAL, funding_of(HUB, _ledger(2)), room)
    assert pro.reminder and "Acme Corp" in pro.reminder  # the first session through the hub
    credits = ("Credits", "This session uses 1 of the client’s 2 employer-paid sessions remaining.")
    assert credits in pro.facts
    assert (
        view_for(Role.PROFESSIONAL, funding_of(HUB, _ledger(2)), room, first=False).reminder is None
    )
    assert view_for(Role.CLIENT, funding_of(HUB, _ledger(2)), room).reminder is None
    assert pro.invoice_to == "Acme Corp" and pro.invoice_label and "Acme Corp" in pro.invoice_label
    platform = Ledger("h", "c", 5, 2, False, InvoiceTo.PLATFORM)
    assert view_for(Role.PROFESSIONAL, funding_of(HUB, platform), room).invoice_to == "platform"


def _in_call(room: Room, now: float) -> Room:
    room = lifecycle.join(room, Role.PROFESSIONAL, "p", "s1", now).room
    room = lifecycle.join(room, Role.CLIENT, "c", "s2", now).room
    return lifecycle.admit(room, _ledger(3), Role.PROFESSIONAL, "c", False, now)


def test_held_time_grows_only_while_both_sides_receive() -> None:
    room = _in_call(_room(), 1000.0)
    t = 1000.0
    for i in range(1, 40):
        t += 2
        room = record_media(room, Role.PROFESSIONAL, 100 * i, 0, t, POLICY)
        room = record_media(room, Role.CLIENT, 0, 100 * i, t, POLICY)  # client sees nothing
    assert room.held_seconds == 0
    for i in range(1, 40):
        t += 2
        room = record_media(room, Role.PROFESSIONAL, 10_000 + 100 * i, 100 * i, t, POLICY)
        room = record_media(room, Role.CLIENT, 100 * i, 10_000 + 100 * i, t + 1, POLICY)
    assert 70 <= room.held_seconds <= 80
    done = conclude(room, _ledger(3), t + 2, POLICY)
    assert done.outcome.phase is Phase.COMPLETED
    assert done.ledger is not None and done.ledger.credits_remaining == 2


def test_a_gap_in_reports_does_not_count_as_held() -> None:
    room = _in_call(_room(), 1000.0)
    room = record_media(room, Role.PROFESSIONAL, 100, 100, 1001.0, POLICY)
    room = record_media(room, Role.CLIENT, 100, 100, 1001.0, POLICY)
    room = record_media(room, Role.PROFESSIONAL, 200, 200, 1301.0, POLICY)  # 5 min silence
    room = record_media(room, Role.CLIENT, 200, 200, 1301.0, POLICY)
    assert room.held_seconds <= POLICY.stats_stale


def test_deadlines() -> None:
    room = _room()
    assert next_deadline(room, POLICY) == 4000.0 + POLICY.expiry_grace
    room = _in_call(room, 1000.0)
    assert next_deadline(room, POLICY) is None  # a session under way may overrun
    room = lifecycle.drop(room, Role.CLIENT, "s2", 1500.0)
    assert next_deadline(room, POLICY) == 1500.0 + POLICY.reconnect_grace
    late = tick(room, _ledger(3), 10_000.0, POLICY)
    assert late.left == (Role.CLIENT,) and late.outcome is None
    assert next_deadline(late.room, POLICY) is None  # the professional is still there
