"""Timeouts as pure functions: reconnect grace, departure, no-shows and expiry. The store keeps
each live room's next deadline; the sweeper ``tick``s the rooms whose deadline has come.
"""

from __future__ import annotations

from dataclasses import dataclass

from .completion import conclude, finish
from .lifecycle import leave
from .model import Ledger, Outcome, Phase, Presence, Role, Room
from .policy import Policy


def next_deadline(room: Room, policy: Policy) -> float | None:
    """When ``tick`` next has something to do for this room, or None when it never will."""
    if room.phase.is_terminal:
        return None
    times = []
    if room.phase is not Phase.IN_SESSION:  # a session under way may overrun its slot
        times.append(room.scheduled_end + policy.expiry_grace)
    for p in (room.professional, room.client):
        if p.presence is Presence.RECONNECTING and p.dropped_at is not None:
            times.append(p.dropped_at + policy.reconnect_grace)
    if room.phase is Phase.IN_SESSION and not _anyone_present(room):
        times.append(_last_departure(room) + policy.departure_timeout)
    return min(times, default=None)


def _anyone_present(room: Room) -> bool:
    return any(
        p.presence in (Presence.PRESENT, Presence.RECONNECTING)
        for p in (room.professional, room.client)
    )


def _last_departure(room: Room) -> float:
    return max((p.left_at or 0.0) for p in (room.professional, room.client))


@dataclass(frozen=True)
class Ticked:
    room: Room
    ledger: Ledger | None  # the changed ledger, or None when the ledger is unchanged
    outcome: Outcome | None  # set when the tick ended the room
    left: tuple[Role, ...]  # who ran out of reconnect grace on this tick


def tick(room: Room, ledger: Ledger | None, now: float, policy: Policy) -> Ticked:
    """Apply every timeout that is due: reconnect grace, departure, no-shows and expiry."""
    if room.phase.is_terminal:
        return Ticked(room, None, None, ())
    left: list[Role] = []
    for role in (Role.PROFESSIONAL, Role.CLIENT):
        p = room.participant(role)
        if (
            p.presence is Presence.RECONNECTING
            and p.dropped_at is not None
            and now >= p.dropped_at + policy.reconnect_grace
        ):
            room = leave(room, role, None, p.dropped_at + policy.reconnect_grace)
            left.append(role)
    departed = room.phase is Phase.IN_SESSION and not _anyone_present(room)
    if departed and now >= _last_departure(room) + policy.departure_timeout:
        done = conclude(room, ledger, now, policy)
        return Ticked(done.room, done.ledger, done.outcome, tuple(left))
    if now >= room.scheduled_end + policy.expiry_grace:
        if room.phase is Phase.SCHEDULED or (
            room.professional.joined_at is None and room.client.joined_at is None
        ):
            outcome = Outcome(phase=Phase.EXPIRED, ended_at=now, held_seconds=0.0)
            return Ticked(finish(room, outcome), None, outcome, tuple(left))
        if room.phase is Phase.WAITING:
            done = conclude(room, ledger, now, policy)
            return Ticked(done.room, done.ledger, done.outcome, tuple(left))
    return Ticked(room, None, None, tuple(left))
