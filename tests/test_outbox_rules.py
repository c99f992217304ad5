"""The outbox rules as pure functions: which events a change of a room or a ledger produces."""

from __future__ import annotations

from msgspec.structs import replace

from sessionsvc.rooms import lifecycle
from sessionsvc.rooms.completion import conclude
from sessionsvc.rooms.ids import client_tag
from sessionsvc.rooms.model import Outcome, Phase
from sessionsvc.rooms.outbox import (
    EventType,
    credit_session,
    ledger_changed,
    room_changed,
    room_opened,
    stamp,
)
from sessionsvc.rooms.policy import Policy
from tests.support.backends import T0, make_ledger, make_room


def types(notices: list) -> list[str]:  # type: ignore[type-arg]
    return [n.type.value for n in notices]


def test_opening_a_room_with_one_credit_left_warns_of_the_last_subsidised_session() -> None:
    room = make_room()
    assert types(room_opened(room, make_ledger(remaining=3))) == ["room.opened"]
    notices = room_opened(room, make_ledger(remaining=1))
    assert types(notices) == ["room.opened", "credits.last_subsidised"]
    warned = notices[1].data
    assert warned["room_id"] == room.room_id and warned["professional_id"] == "pro-1"
    assert all(n.stream == client_tag("cl-1") for n in notices)
    assert "Cli Ent" not in str(notices) and "Dr Pro" not in str(notices)


def test_a_whole_session_reports_each_step_once() -> None:
    policy = Policy(min_held_seconds=2)
    ledger = make_ledger(remaining=2)
    r0 = make_room()
    r1 = lifecycle.join(r0, r0.client.role, "cl-1", "c1", T0).room
    assert types(room_changed(r0, ledger, r1, None)) == ["participant.waiting"]
    r2 = lifecycle.join(r1, r1.professional.role, "pro-1", "p1", T0 + 1).room
    assert types(room_changed(r1, ledger, r2, None)) == ["participant.waiting"]
    taken_over = lifecycle.join(r2, r2.client.role, "cl-1", "c2", T0 + 2).room
    assert room_changed(r2, ledger, taken_over, None) == []  # a tab take-over is no arrival
    r3 = lifecycle.admit(r2, ledger, r2.professional.role, "cl-1", False, T0 + 3)
    admitted = room_changed(r2, ledger, r3, None)
    assert types(admitted) == ["participant.admitted"]
    assert admitted[0].data["override"] is False
    r4 = replace(r3, held_seconds=0.5, held_tick=T0 + 4)
    assert types(room_changed(r3, ledger, r4, None)) == ["session.started"]
    r5 = replace(r4, held_seconds=3.0)
    assert room_changed(r4, ledger, r5, None) == []
    done = conclude(r5, ledger, T0 + 10, policy)
    notices = room_changed(r5, ledger, done.room, done.ledger)
    assert types(notices) == ["session.completed", "credits.last_subsidised"]
    completed = notices[0].data
    assert completed["payment"] == {
        "payment_type": "Credit",
        "invoice_to": "Acme Ltd",
        "credits_remaining": 1,
    }
    assert completed["outcome"] == "completed" and completed["room_id"] == r0.room_id
    assert done.ledger is not None
    last = conclude(
        replace(r5, phase=Phase.IN_SESSION), done.ledger, T0 + 20, policy
    )  # the next session uses the last credit
    assert types(room_changed(r5, done.ledger, last.room, last.ledger)) == [
        "session.completed",
        "credits.depleted",
    ]


def test_endings_name_their_kind() -> None:
    room = make_room()
    cancelled = lifecycle.cancel(room, T0)
    assert types(room_changed(room, None, cancelled, None)) == ["room.cancelled"]
    expired = replace(room, phase=Phase.EXPIRED, outcome=Outcome(Phase.EXPIRED, T0, 0.0))
    assert types(room_changed(room, None, expired, None)) == ["room.expired"]
    not_held = conclude(room, None, T0, Policy())
    notices = room_changed(room, None, not_held.room, None)
    assert types(notices) == ["session.not_held"]
    assert notices[0].data["reason"] == "professional_no_show"
    assert room_changed(cancelled, None, cancelled, None) == []


def test_ledger_changes_warn_once_per_crossing() -> None:
    three, one, zero = (make_ledger(remaining=n) for n in (3, 1, 0))
    assert types(ledger_changed(None, one)) == ["credits.last_subsidised"]
    assert types(ledger_changed(three, one)) == ["credits.last_subsidised"]
    assert ledger_changed(one, replace(one, card_on_file=True)) == []  # still one left
    assert types(ledger_changed(one, zero)) == ["credits.depleted"]
    assert ledger_changed(zero, zero) == [] and ledger_changed(None, zero) == []
    assert ledger_changed(one, three) == []


def test_a_credit_completion_makes_a_statement_entry() -> None:
    policy = Policy(min_held_seconds=1)
    room = make_room()
    room = lifecycle.join(room, room.client.role, "cl-1", "c", T0).room
    room = lifecycle.join(room, room.professional.role, "pro-1", "p", T0).room
    room = lifecycle.admit(room, make_ledger(), room.professional.role, "cl-1", False, T0 + 5)
    room = replace(room, held_seconds=5.0)
    done = conclude(room, make_ledger(), T0 + 60, policy)
    [event] = stamp(room_changed(room, make_ledger(), done.room, done.ledger), T0 + 60)
    assert event.type is EventType.SESSION_COMPLETED and event.id.startswith("evt_")
    entry = credit_session(event)
    assert entry is not None
    assert (entry.room_id, entry.professional_id, entry.invoice_to) == (
        room.room_id,
        "pro-1",
        "Acme Ltd",
    )
    assert entry.held_at == T0 + 5  # the session's start: admitted
    card = conclude(room, make_ledger(remaining=0, card=True), T0 + 60, policy)
    [paid] = stamp(room_changed(room, None, card.room, None), T0)
    assert credit_session(paid) is None
