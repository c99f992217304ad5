"""How long each kind of state outlives the room it belongs to, and what a statement keeps of a
room once the room itself is gone.

A live room is kept for as long as it lives. Once it ends, its detail (for support and the
booking service's summary) is kept ``rooms`` seconds and then forgotten, booking id included;
its media stats follow their own, shorter retention (``MediaStats``). What a monthly statement
needs of a Credit session (``outbox.CreditSession``: the room, when it was held, who is invoiced)
is kept apart, ``statements`` seconds, in a compact index per professional that its completion
event writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Room

DAY = 86400.0


@dataclass(frozen=True)
class RoomRetention:
    """Seconds a finished room is kept, and seconds a Credit session's statement line is."""

    rooms: float = 14 * DAY
    statements: float = 400 * DAY


def purge_after(room: Room, retention: RoomRetention) -> float | None:
    """When a room may be forgotten: ``retention.rooms`` after it ended (None: it is live)."""
    if room.outcome is None or not room.phase.is_terminal:
        return None
    return room.outcome.ended_at + retention.rooms
