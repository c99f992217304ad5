"""Completion (DESIGN §2): a session ends exactly once, is held or not by the held-rule, and a
held credit session consumes one credit. Pure functions; the store runs ``conclude`` inside one
atomic operation, so however many nodes or retries race, exactly one of them ends the room.
"""

from __future__ import annotations

from dataclasses import dataclass

from msgspec.structs import replace

from .funding import funding_of, invoice_target
from .held import is_held
from .model import (
    FundingKind,
    Ledger,
    NotHeldReason,
    Outcome,
    Participant,
    Payment,
    PaymentType,
    Phase,
    Presence,
    Room,
)
from .policy import Policy
from .roles import ensure_open

CONSUMED_KEEP = 200  # how many consuming room ids a ledger remembers, for audit


@dataclass(frozen=True)
class Concluded:
    room: Room
    ledger: Ledger | None  # the changed ledger, or None when the ledger is unchanged
    outcome: Outcome


def conclude(room: Room, ledger: Ledger | None, now: float, policy: Policy) -> Concluded:
    """End a session once: decide held or not, consume a credit if held on credit."""
    ensure_open(room)
    if not is_held(room, policy):
        outcome = Outcome(
            phase=Phase.NOT_HELD,
            ended_at=now,
            held_seconds=room.held_seconds,
            reason=not_held_reason(room),
        )
        return Concluded(room=finish(room, outcome), ledger=None, outcome=outcome)
    payment, new_ledger = _pay(room, ledger, now)
    outcome = Outcome(
        phase=Phase.COMPLETED, ended_at=now, held_seconds=room.held_seconds, payment=payment
    )
    return Concluded(room=finish(room, outcome), ledger=new_ledger, outcome=outcome)


def _pay(room: Room, ledger: Ledger | None, now: float) -> tuple[Payment, Ledger | None]:
    """The payment of a held session, and the ledger after it (None: no ledger)."""
    funding = funding_of(room.hub, ledger)
    if funding.kind is FundingKind.CREDIT and ledger is not None:
        consumed = replace(
            ledger,
            credits_remaining=ledger.credits_remaining - 1,
            sessions_held=ledger.sessions_held + 1,
            updated_at=now,
            consumed_by=(*ledger.consumed_by, room.room_id)[-CONSUMED_KEEP:],
        )
        payment = Payment(
            payment_type=PaymentType.CREDIT,
            invoice_to=invoice_target(funding),
            credits_remaining=consumed.credits_remaining,
        )
        return payment, consumed
    kind = PaymentType.CARD if funding.kind is FundingKind.CARD else PaymentType.SELF_PAY
    counted = (
        replace(ledger, sessions_held=ledger.sessions_held + 1, updated_at=now) if ledger else None
    )
    return Payment(payment_type=kind), counted


def not_held_reason(room: Room) -> NotHeldReason:
    """Why a session that ends now would not count."""
    if room.professional.joined_at is None:
        return NotHeldReason.PROFESSIONAL_NO_SHOW
    if room.client.joined_at is None:
        return NotHeldReason.CLIENT_NO_SHOW
    if room.admitted_at is None:
        return NotHeldReason.NOT_ADMITTED
    if room.held_seconds <= 0:
        return NotHeldReason.MEDIA_NEVER_CONNECTED
    return NotHeldReason.TOO_SHORT


def finish(room: Room, outcome: Outcome) -> Room:
    """The room in its terminal phase: whoever was still there has left."""

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
