"""Who may do what in a room: every role rule of the service, decided here and nowhere else.

The edges ask before they act (``authorize``), and the transitions in ``lifecycle`` ask again
for the rules that depend on the room's state (``check_identity``, ``check_signal``). Each rule
is a pure function of its arguments.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from .errors import Forbidden, InvalidTransition, NotYourRoom, Removed, RoomClosed
from .model import Phase, Presence, Role, Room


class Action(enum.StrEnum):
    """Something a participant asks to do."""

    JOIN = "join"  # enter the room (waiting room, then the call)
    REPORT = "report"  # send device and media stats reports
    SIGNAL = "signal"  # relay WebRTC offers, answers and candidates to the other side
    LEAVE = "leave"
    NOTE = "note"  # write the waiting-room note the client reads
    ADMIT = "admit"
    DENY = "deny"
    END = "end"


_PARTICIPANTS = frozenset({Role.PROFESSIONAL, Role.CLIENT})
_PROFESSIONAL = frozenset({Role.PROFESSIONAL})

ALLOWED: Mapping[Action, frozenset[Role]] = {
    Action.JOIN: _PARTICIPANTS,
    Action.REPORT: _PARTICIPANTS,
    Action.SIGNAL: _PARTICIPANTS,
    Action.LEAVE: _PARTICIPANTS,
    Action.NOTE: _PROFESSIONAL,
    Action.ADMIT: _PROFESSIONAL,
    Action.DENY: _PROFESSIONAL,
    Action.END: _PROFESSIONAL,
}
"""The roles allowed each action. Support staff take part in no room: they only read
diagnostics."""

_REFUSALS: Mapping[Action, str] = {
    Action.JOIN: "only the professional and the client join a room",
    Action.REPORT: "only the professional and the client report stats",
    Action.SIGNAL: "only the professional and the client signal",
    Action.LEAVE: "only the professional and the client leave a room",
    Action.NOTE: "only the professional can send a note to the waiting room",
    Action.ADMIT: "only the professional can admit",
    Action.DENY: "only the professional can decline a client",
    Action.END: "only the professional can end the session",
}


def may(role: Role, action: Action) -> bool:
    """Whether ``role`` may ever do ``action``."""
    return role in ALLOWED[action]


def authorize(role: Role, action: Action) -> None:
    """Raise ``Forbidden`` unless ``role`` may do ``action``."""
    if not may(role, action):
        raise Forbidden(_REFUSALS[action])


def ensure_open(room: Room) -> None:
    """Raise ``RoomClosed`` once the room has ended."""
    if room.phase.is_terminal:
        raise RoomClosed(f"the room has ended ({room.phase})")


def check_identity(room: Room, role: Role, participant_id: str) -> None:
    """Only the booked professional and the booked client may enter, and never after removal."""
    authorize(role, Action.JOIN)
    if room.participant(role).id != participant_id:
        raise NotYourRoom("this link is for someone else's session")
    if participant_id in room.denied:
        raise Removed("you were removed from this session")
    ensure_open(room)


def check_signal(room: Room, role: Role, conn: str) -> None:
    """Signaling is open only between the two admitted participants of a session under way,
    each on the connection that holds its identity now (and always to the other side)."""
    authorize(role, Action.SIGNAL)
    me = room.participant(role)
    if room.phase is not Phase.IN_SESSION or me.conn != conn or me.presence is not Presence.PRESENT:
        raise InvalidTransition("signaling is only open between the two admitted participants")
