"""Room transitions as pure functions: each takes a room (and the ledger where funding matters),
the time, and returns the new values. They raise typed errors and never touch I/O, so the memory
and Redis stores can run the very same logic inside their own atomic operations.
"""

from __future__ import annotations

from dataclasses import dataclass

from msgspec.structs import replace

from .errors import (
    CardRequired,
    Forbidden,
    InvalidTransition,
    NotYourRoom,
    Removed,
    RoomClosed,
)
from .funding import funding_of, invoice_target
from .model import (
    FundingKind,
    Ledger,
    NotHeldReason,
    Outcome,
    Override,
    Participant,
    Payment,
    PaymentType,
    Phase,
    Presence,
    Role,
    Room,
)

CONSUMED_KEEP = 200  # how many consuming room ids a ledger remembers, for audit


@dataclass(frozen=True)
class Policy:
    """The timing rules of a session (all in seconds)."""

    min_held_seconds: float = 60.0
    reconnect_grace: float = 20.0
    departure_timeout: float = 60.0
    expiry_grace: float = 900.0
    stats_stale: float = 6.0  # a stats report older than this no longer proves media flows


def _set(room: Room, role: Role, p: Participant) -> Room:
    if role is Role.PROFESSIONAL:
        return replace(room, professional=p)
    return replace(room, client=p)


def ensure_open(room: Room) -> None:
    if room.phase.is_terminal:
        raise RoomClosed(f"the room has ended ({room.phase})")


def check_identity(room: Room, role: Role, participant_id: str) -> None:
    """Only the booked professional and the booked client may enter, and never after removal."""
    if role not in (Role.PROFESSIONAL, Role.CLIENT):
        raise Forbidden("only the professional and the client join a room")
    if room.participant(role).id != participant_id:
        raise NotYourRoom("this link is for someone else's session")
    if participant_id in room.denied:
        raise Removed("you were removed from this session")
    ensure_open(room)


@dataclass(frozen=True)
class Joined:
    room: Room
    replaced_conn: str | None  # an older connection of the same identity, to disconnect
    resumed: bool  # came back to a session it was in


def join(
    room: Room, role: Role, participant_id: str, conn: str, now: float, node: str | None = None
) -> Joined:
    """A participant's connection arrives. A second connection takes over from the first."""
    check_identity(room, role, participant_id)
    p = room.participant(role)
    replaced = p.conn if p.conn and p.conn != conn else None
    resumed = room.phase is Phase.IN_SESSION and p.presence in (
        Presence.RECONNECTING,
        Presence.PRESENT,
        Presence.LEFT,
    )
    p = replace(
        p,
        presence=Presence.PRESENT,
        conn=conn,
        node=node,
        joined_at=p.joined_at if p.joined_at is not None else now,
        dropped_at=None,
        left_at=None,
    )
    room = _set(room, role, p)
    if room.phase is Phase.SCHEDULED:
        room = replace(room, phase=Phase.WAITING)
    return Joined(room=room, replaced_conn=replaced, resumed=resumed)


def drop(room: Room, role: Role, conn: str, now: float) -> Room:
    """A connection dropped. Ignored if another connection took over the identity meanwhile."""
    p = room.participant(role)
    if room.phase.is_terminal or p.conn != conn or p.presence is not Presence.PRESENT:
        return room
    return _set(room, role, replace(p, presence=Presence.RECONNECTING, dropped_at=now))


def node_lost(room: Room, node: str, now: float) -> tuple[Room, tuple[Role, ...]]:
    """A service node died: whoever was connected through it starts its reconnect grace."""
    lost: list[Role] = []
    if room.phase.is_terminal:
        return room, ()
    for role in (Role.PROFESSIONAL, Role.CLIENT):
        p = room.participant(role)
        if p.node == node and p.presence is Presence.PRESENT:
            room = _set(room, role, replace(p, presence=Presence.RECONNECTING, dropped_at=now))
            lost.append(role)
    return room, tuple(lost)


def leave(room: Room, role: Role, conn: str | None, now: float) -> Room:
    """A participant leaves on purpose (or did not reconnect in time)."""
    p = room.participant(role)
    if room.phase.is_terminal or (conn is not None and p.conn != conn):
        return room
    if p.presence not in (Presence.PRESENT, Presence.RECONNECTING):
        return room
    return _set(
        room, role, replace(p, presence=Presence.LEFT, conn=None, left_at=now, dropped_at=None)
    )


def admit(
    room: Room, ledger: Ledger | None, by: Role, client_id: str, override: bool, now: float
) -> Room:
    """The professional lets the waiting client into the call."""
    if by is not Role.PROFESSIONAL:
        raise Forbidden("only the professional can admit")
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
    return replace(room, phase=Phase.IN_SESSION, admitted_at=now, override=recorded)


def deny(room: Room, by: Role, client_id: str) -> tuple[Room, str | None]:
    """The professional removes the client; its token is refused from then on."""
    if by is not Role.PROFESSIONAL:
        raise Forbidden("only the professional can deny")
    ensure_open(room)
    if room.client.id != client_id:
        raise NotYourRoom("that participant is not the client of this room")
    conn = room.client.conn
    client = replace(room.client, presence=Presence.REMOVED, conn=None)
    return replace(room, client=client, denied=(*room.denied, client_id)), conn


def set_note(room: Room, by: Role, note: str | None) -> Room:
    if by is not Role.PROFESSIONAL:
        raise Forbidden("only the professional can send a note to the waiting room")
    ensure_open(room)
    return replace(room, note=note or None)


def record_media(room: Room, role: Role, bytes_in: int, now: float, policy: Policy) -> Room:
    """A stats report from one side. Media counts as flowing to that side when its inbound
    byte count grew since its last report; the held time grows only while both sides say so.
    """
    p = room.participant(role)
    if room.phase.is_terminal:
        return room
    flowing = bytes_in > p.bytes_in
    p = replace(p, bytes_in=bytes_in, media_at=now if flowing else None)
    room = _set(room, role, p)
    if room.phase is not Phase.IN_SESSION:
        return room
    if _media_both_ways(room, now, policy):
        if room.held_tick is not None:
            gained = min(max(now - room.held_tick, 0.0), policy.stats_stale)
            room = replace(room, held_seconds=room.held_seconds + gained)
        return replace(room, held_tick=now)
    return replace(room, held_tick=None)


def _media_both_ways(room: Room, now: float, policy: Policy) -> bool:
    for p in (room.professional, room.client):
        if p.presence is not Presence.PRESENT or p.media_at is None:
            return False
        if now - p.media_at > policy.stats_stale:
            return False
    return True


@dataclass(frozen=True)
class Concluded:
    room: Room
    ledger: Ledger | None  # the changed ledger, or None when no credit moved
    outcome: Outcome


def conclude(room: Room, ledger: Ledger | None, now: float, policy: Policy) -> Concluded:
    """End a session once: decide held or not, consume a credit if held on credit.

    Callers run this inside the store's atomic operation, so that however many nodes or retries
    race, exactly one of them moves the room to its terminal phase and consumes the credit.
    """
    ensure_open(room)
    held = room.admitted_at is not None and room.held_seconds >= policy.min_held_seconds
    if not held:
        outcome = Outcome(
            phase=Phase.NOT_HELD,
            ended_at=now,
            held_seconds=room.held_seconds,
            reason=_not_held_reason(room),
        )
        return Concluded(room=_finish(room, outcome), ledger=None, outcome=outcome)
    funding = funding_of(room.hub, ledger)
    new_ledger: Ledger | None = None
    if funding.kind is FundingKind.CREDIT and ledger is not None:
        new_ledger = replace(
            ledger,
            credits_remaining=ledger.credits_remaining - 1,
            sessions_held=ledger.sessions_held + 1,
            updated_at=now,
            consumed_by=(*ledger.consumed_by, room.room_id)[-CONSUMED_KEEP:],
        )
        payment = Payment(
            payment_type=PaymentType.CREDIT,
            invoice_to=invoice_target(funding),
            credits_remaining=new_ledger.credits_remaining,
        )
    elif funding.kind is FundingKind.CARD:
        payment = Payment(payment_type=PaymentType.CARD)
    else:
        payment = Payment(payment_type=PaymentType.SELF_PAY)
    if ledger is not None and new_ledger is None:
        new_ledger = replace(ledger, sessions_held=ledger.sessions_held + 1, updated_at=now)
    outcome = Outcome(
        phase=Phase.COMPLETED, ended_at=now, held_seconds=room.held_seconds, payment=payment
    )
    return Concluded(room=_finish(room, outcome), ledger=new_ledger, outcome=outcome)


def _not_held_reason(room: Room) -> NotHeldReason:
    if room.professional.joined_at is None:
        return NotHeldReason.PROFESSIONAL_NO_SHOW
    if room.client.joined_at is None:
        return NotHeldReason.CLIENT_NO_SHOW
    if room.admitted_at is None:
        return NotHeldReason.NOT_ADMITTED
    if room.held_seconds <= 0:
        return NotHeldReason.MEDIA_NEVER_CONNECTED
    return NotHeldReason.TOO_SHORT


def _finish(room: Room, outcome: Outcome) -> Room:
    def off(p: Participant) -> Participant:
        gone = p.presence in (Presence.PRESENT, Presence.RECONNECTING)
        return replace(p, presence=Presence.LEFT, conn=None) if gone else p

    return replace(
        room,
        phase=outcome.phase,
        outcome=outcome,
        professional=off(room.professional),
        client=off(room.client),
        held_tick=None,
    )


def cancel(room: Room, now: float) -> Room:
    ensure_open(room)
    outcome = Outcome(phase=Phase.CANCELLED, ended_at=now, held_seconds=room.held_seconds)
    return _finish(room, outcome)


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
    ledger: Ledger | None
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
            return Ticked(_finish(room, outcome), None, outcome, tuple(left))
        if room.phase is Phase.WAITING:
            done = conclude(room, ledger, now, policy)
            return Ticked(done.room, done.ledger, done.outcome, tuple(left))
    return Ticked(room, None, None, tuple(left))
