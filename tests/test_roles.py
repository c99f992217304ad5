"""Who may do what in a room: the role rules, tested directly as the pure functions they are."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from sessionsvc.rooms import lifecycle
from sessionsvc.rooms.errors import Forbidden, InvalidTransition, NotYourRoom, Removed, RoomClosed
from sessionsvc.rooms.model import Hub, InvoiceTo, Ledger, Participant, Phase, Role, Room
from sessionsvc.rooms.roles import (
    ALLOWED,
    Action,
    authorize,
    check_identity,
    check_signal,
    may,
)

T0 = 1000.0


def _room() -> Room:
    return Room(
        room_id="t-1",
        booking_id="b",
        hub=Hub(id="h", name="Acme Corp"),
        professional=Participant("p", "Dr. P", Role.PROFESSIONAL),
        client=Participant("c", "Client C", Role.CLIENT),
        scheduled_start=T0,
        scheduled_end=T0 + 3000,
        created_at=0.0,
    )


def _waiting() -> Room:
    room = lifecycle.join(_room(), Role.PROFESSIONAL, "p", "s-p", T0).room
    return lifecycle.join(room, Role.CLIENT, "c", "s-c", T0).room


def _in_call() -> Room:
    ledger = Ledger("h", "c", 5, 3, False, InvoiceTo.COMPANY)
    return lifecycle.admit(_waiting(), ledger, Role.PROFESSIONAL, "c", False, T0 + 1)


def test_the_table_of_who_may_do_what() -> None:
    professional_only = {Action.ADMIT, Action.DENY, Action.END, Action.NOTE}
    both = {Action.JOIN, Action.REPORT, Action.SIGNAL, Action.LEAVE}
    assert set(ALLOWED) == professional_only | both  # every action has a rule
    for action in professional_only:
        assert may(Role.PROFESSIONAL, action) and not may(Role.CLIENT, action), action
    for action in both:
        assert may(Role.PROFESSIONAL, action) and may(Role.CLIENT, action), action
    for action in Action:  # support staff only read diagnostics: they take part in nothing
        assert not may(Role.SUPPORT, action), action
        with pytest.raises(Forbidden) as refused:
            authorize(Role.SUPPORT, action)
        assert refused.value.code == "forbidden" and refused.value.message


@pytest.mark.parametrize(
    ("do", "code"),
    [
        (lambda r: lifecycle.admit(r, None, Role.CLIENT, "c", False, T0), "forbidden"),
        (lambda r: lifecycle.deny(r, Role.CLIENT, "c"), "forbidden"),
        (lambda r: lifecycle.set_note(r, Role.CLIENT, "hi"), "forbidden"),
        (lambda r: lifecycle.admit(r, None, Role.SUPPORT, "c", False, T0), "forbidden"),
        (lambda r: lifecycle.leave(r, Role.SUPPORT, None, T0), "forbidden"),
        (lambda r: lifecycle.admit(r, None, Role.PROFESSIONAL, "x", False, T0), "not_your_room"),
        (lambda r: lifecycle.deny(r, Role.PROFESSIONAL, "x"), "not_your_room"),
    ],
)
def test_transitions_ask_the_role_rules(do: object, code: str) -> None:
    with pytest.raises(Forbidden) as refused:
        do(_waiting())  # type: ignore[operator]
    assert refused.value.code == code


def test_identity_only_the_booked_people_and_never_after_removal() -> None:
    room = _room()
    check_identity(room, Role.PROFESSIONAL, "p")
    check_identity(room, Role.CLIENT, "c")
    with pytest.raises(NotYourRoom):
        check_identity(room, Role.CLIENT, "someone-else")  # nobody joins for another person
    with pytest.raises(NotYourRoom):
        check_identity(room, Role.CLIENT, "p")  # the professional's id in the client's place
    with pytest.raises(Forbidden):
        check_identity(room, Role.SUPPORT, "p")
    declined, _ = lifecycle.deny(_waiting(), Role.PROFESSIONAL, "c")
    with pytest.raises(Removed):
        check_identity(declined, Role.CLIENT, "c")
    ended = replace(room, phase=Phase.CANCELLED)
    with pytest.raises(RoomClosed):
        check_identity(ended, Role.PROFESSIONAL, "p")


def test_signaling_is_open_only_between_the_admitted_pair_on_their_connections() -> None:
    with pytest.raises(InvalidTransition):
        check_signal(_waiting(), Role.PROFESSIONAL, "s-p")  # not admitted yet
    room = _in_call()
    check_signal(room, Role.PROFESSIONAL, "s-p")
    check_signal(room, Role.CLIENT, "s-c")
    with pytest.raises(InvalidTransition):
        check_signal(room, Role.CLIENT, "s-old")  # a connection that was taken over
    dropped = lifecycle.drop(room, Role.CLIENT, "s-c", T0 + 5)
    with pytest.raises(InvalidTransition):
        check_signal(dropped, Role.CLIENT, "s-c")
    with pytest.raises(Forbidden):
        check_signal(room, Role.SUPPORT, "s-p")
