"""The session log: one INFO line per thing that happened to a room (opened, joined, ready,
admitted, held, ended with its payment type or its reason), so an operator can follow a session
in the logs. Lines carry the room id, roles and facts, never a name."""

from __future__ import annotations

import logging

from .rooms.events import EventKind, RoomEvent
from .rooms.model import Role, Room

log = logging.getLogger("sessionsvc.sessions")


def describe(event: RoomEvent) -> str | None:
    """The log line of one room event (after ``room=<id>``), or None for events not logged."""
    room, kind, role = event.room, event.kind, event.role
    who = f" role={role.value}" if role is not None else ""
    if kind is EventKind.OPENED:
        return f"opened funding={event.state.funding.kind.value}"
    if kind is EventKind.JOINED and role is not None:
        state = "ready" if room.participant(role).ready else "checking"
        return f"joined{who} state={state}" + (" resumed=true" if event.resumed else "")
    if kind is EventKind.READY and role is not None:
        ready = room.participant(role).ready
        return f"{'ready' if ready else 'checking'}{who}"
    if kind in (EventKind.RECONNECTING, EventKind.LEFT):
        return f"{kind.value}{who}"
    if kind is EventKind.ADMIT_PENDING:
        return f"admitted role={Role.CLIENT.value} pending=checking"
    if kind is EventKind.ADMITTED:
        override = " override=true" if room.override is not None else ""
        return f"admitted role={Role.CLIENT.value}{override}"
    if kind is EventKind.DENIED:
        return f"declined role={Role.CLIENT.value}"
    if kind is EventKind.HELD:
        return f"held seconds={room.held_seconds:.0f}"
    if kind is EventKind.ENDED:
        return _ended(room)
    return None


def _ended(room: Room) -> str:
    o = room.outcome
    if o is None:
        return f"ended phase={room.phase.value}"
    line = f"ended phase={o.phase.value} held_seconds={o.held_seconds:.0f}"
    if o.payment is not None:
        line += f" payment_type={o.payment.payment_type.value}"
    if o.reason:
        line += f" reason={o.reason}"
    return line


class SessionLog:
    """The room-event listener that writes the session log."""

    async def on_room_event(self, event: RoomEvent) -> None:
        line = describe(event)
        if line is not None:
            log.info("room=%s %s", event.room.room_id, line)
