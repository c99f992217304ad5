"""Presence and admission as pure functions: a participant arrives, drops, leaves, is admitted
or declined, and the booking is cancelled. Each takes a room (and the ledger where funding
matters) and the time, returns the new values, and raises typed errors; none touches I/O, so
the memory and Redis stores run the very same logic inside their own atomic operations.

The held-rule lives in ``held``, completion in ``completion``, timeouts in ``timeouts``.
"""

from __future__ import annotations

from dataclasses import dataclass

from msgspec.structs import replace

from .completion import finish
from .errors import CardRequired, InvalidTransition, NotYourRoom
from .funding import funding_of
from .model import FundingKind, Ledger, Outcome, Override, Phase, Presence, Role, Room
from .roles import Action, authorize, check_identity, ensure_open


@dataclass(frozen=True)
class Joined:
    """A participant's arrival, as decided."""

    room: Room
    replaced_conn: str | None  # an older connection of the same identity, to disconnect
    resumed: bool  # came back to a session under way: the call must be negotiated again


def join(
    room: Room,
    role: Role,
    participant_id: str,
    conn: str,
    now: float,
    node: str | None = None,
    ready: bool = True,
) -> Joined:
    """A participant's connection arrives. A second connection takes over from the first.
    ``ready`` is False for a connection that opens on the device check (the join page says
    so); it becomes ready with ``set_ready``."""
    check_identity(room, role, participant_id)
    p = room.participant(role)
    replaced = p.conn if p.conn and p.conn != conn else None
    p = replace(
        p,
        ready=ready,
        presence=Presence.PRESENT,
        conn=conn,
        node=node,
        joined_at=p.joined_at if p.joined_at is not None else now,
        dropped_at=None,
        left_at=None,
    )
    resumed = room.phase is Phase.IN_SESSION
    room = room.with_participant(p)
    if room.phase is Phase.SCHEDULED:
        room = replace(room, phase=Phase.WAITING)
    return Joined(room=room, replaced_conn=replaced, resumed=resumed)


def drop(room: Room, role: Role, conn: str, now: float) -> Room:
    """A connection dropped. Ignored if another connection took over the identity meanwhile."""
    p = room.participant(role)
    if room.phase.is_terminal or p.conn != conn or p.presence is not Presence.PRESENT:
        return room
    return room.with_participant(replace(p, presence=Presence.RECONNECTING, dropped_at=now))


def node_lost(room: Room, node: str, now: float) -> tuple[Room, tuple[Role, ...]]:
    """A service node died: whoever was connected through it starts its reconnect grace."""
    lost: list[Role] = []
    if room.phase.is_terminal:
        return room, ()
    for role in (Role.PROFESSIONAL, Role.CLIENT):
        p = room.participant(role)
        if p.node == node and p.presence is Presence.PRESENT:
            dropped = replace(p, presence=Presence.RECONNECTING, dropped_at=now)
            room = room.with_participant(dropped)
            lost.append(role)
    return room, tuple(lost)


def leave(room: Room, role: Role, conn: str | None, now: float) -> Room:
    """A participant leaves on purpose (or did not reconnect in time)."""
    authorize(role, Action.LEAVE)
    p = room.participant(role)
    if room.phase.is_terminal or (conn is not None and p.conn != conn):
        return room
    if p.presence not in (Presence.PRESENT, Presence.RECONNECTING):
        return room
    gone = replace(p, presence=Presence.LEFT, conn=None, left_at=now, dropped_at=None, ready=False)
    room = room.with_participant(gone)
    if role is Role.CLIENT and room.admit_requested_at is not None:
        room = replace(room, admit_requested_at=None)  # gone before the check was done
    return room


def set_ready(room: Room, role: Role, conn: str, ready: bool, now: float) -> Room:
    """A participant finished its device check (``ready``) or went back to it. A client the
    professional has already admitted goes into the call the moment it is ready."""
    authorize(role, Action.JOIN)
    ensure_open(room)
    p = room.participant(role)
    if p.conn != conn or p.presence is not Presence.PRESENT:
        raise InvalidTransition("only a connected participant can be ready")
    room = room.with_participant(replace(p, ready=ready))
    let_in = ready and role is Role.CLIENT and room.admit_requested_at is not None
    if let_in and room.phase is Phase.WAITING and room.professional.presence in _KEPT:
        room = replace(room, phase=Phase.IN_SESSION, admitted_at=now, admit_requested_at=None)
    return room


_KEPT = (Presence.PRESENT, Presence.RECONNECTING)


def admit(
    room: Room, ledger: Ledger | None, by: Role, client_id: str, override: bool, now: float
) -> Room:
    """The professional lets the waiting client into the call. A client still checking camera
    and microphone is let in the moment it finishes (``set_ready``): the admission is recorded
    now, with its funding decision, and the room stays waiting until then."""
    authorize(by, Action.ADMIT)
    ensure_open(room)
    if room.phase is Phase.IN_SESSION:
        raise InvalidTransition("the session has already started")
    if room.client.id != client_id:
        raise NotYourRoom("that participant is not the client of this room")
    if room.professional.presence is not Presence.PRESENT:
        raise InvalidTransition("the professional must be in the room to admit")
    if room.client.presence is not Presence.PRESENT:
        raise InvalidTransition("the client is not waiting")
    funding = funding_of(room.hub, ledger)
    recorded = room.override
    if funding.kind is FundingKind.CARD_REQUIRED:
        if not override:
            raise CardRequired(
                "the client has no company credits and no card on file; "
                "admit with override to go ahead"
            )
        recorded = Override(by=room.professional.id, at=now, funding=funding.kind)
    if not room.client.ready:
        return replace(room, admit_requested_at=now, override=recorded)
    return replace(
        room, phase=Phase.IN_SESSION, admitted_at=now, admit_requested_at=None, override=recorded
    )


def deny(room: Room, by: Role, client_id: str) -> tuple[Room, str | None]:
    """The professional declines the client; its token is refused from then on. Returns the
    new room and the client's connection to close."""
    authorize(by, Action.DENY)
    ensure_open(room)
    if room.client.id != client_id:
        raise NotYourRoom("that participant is not the client of this room")
    conn = room.client.conn
    client = replace(room.client, presence=Presence.REMOVED, conn=None, ready=False)
    denied = (*room.denied, client_id)
    return replace(room, client=client, denied=denied, admit_requested_at=None), conn


def set_note(room: Room, by: Role, note: str | None) -> Room:
    """The professional's note to the waiting room (None or empty: no note)."""
    authorize(by, Action.NOTE)
    ensure_open(room)
    return replace(room, note=note or None)


def cancel(room: Room, now: float) -> Room:
    """The booking service cancelled the booking."""
    ensure_open(room)
    outcome = Outcome(phase=Phase.CANCELLED, ended_at=now, held_seconds=room.held_seconds)
    return finish(room, outcome)
