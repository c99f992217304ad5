"""What each role is sent: the room snapshot and the end-of-session summary (docs/events.md)."""

from __future__ import annotations

from typing import Any

import msgspec

from ..context import Context
from ..media.ice import ice_servers
from ..rooms.model import NotHeldReason, Participant, PaymentType, Role, Room
from ..rooms.service import FundingState
from ..wireformat import held_display, iso

_REASONS = {
    NotHeldReason.CLIENT_NO_SHOW: "the client did not join",
    NotHeldReason.PROFESSIONAL_NO_SHOW: "the professional did not join",
    NotHeldReason.NOT_ADMITTED: "the client was not admitted",
    NotHeldReason.MEDIA_NEVER_CONNECTED: "audio and video never connected both ways",
    NotHeldReason.TOO_SHORT: "the call was too short to count",
}


def ice_for(ctx: Context, participant_id: str) -> list[dict[str, Any]]:
    s = ctx.settings
    return ice_servers(
        stun_urls=s.stun_urls,
        turn_urls=s.turn_urls,
        turn_secret=s.turn_secret,
        turn_ttl=s.turn_ttl,
        participant_id=participant_id,
        now=ctx.clock.now(),
    )


def _person(p: Participant) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "presence": p.presence.value}


def snapshot(ctx: Context, state: FundingState, role: Role) -> dict[str, Any]:
    """The full ``room`` event for one role."""
    room = state.room
    me = room.participant(role)
    pro = role is Role.PROFESSIONAL
    admitted = room.admitted_at is not None and not room.phase.is_terminal
    view = state.view(role)
    return {
        "room_id": room.room_id,
        "phase": room.phase.value,
        "role": role.value,
        "me": {**_person(me), "role": role.value},
        "professional": _person(room.professional),
        "client": _person(room.client),
        "scheduled_start": iso(room.scheduled_start),
        "scheduled_end": iso(room.scheduled_end),
        "note": room.note,
        "funding": msgspec.to_builtins(view),
        "hub": {"name": room.hub.name} if pro and room.hub else None,
        "first_hub_session": pro and state.first_hub_session,
        "admitted": admitted,
        "ice_servers": ice_for(ctx, me.id) if admitted else None,
        "summary": summary(room, role) if room.phase.is_terminal else None,
        "reconnect_grace_s": ctx.settings.reconnect_grace,
    }


def summary(room: Room, role: Role) -> dict[str, Any]:
    """The end-of-session summary for one role: payment type and who to invoice for the
    professional; what was used and what is left for the client. Never the other's name."""
    o = room.outcome
    if o is None:
        return {"phase": room.phase.value, "reason": None, "held_seconds": 0.0, "message": ""}
    base: dict[str, Any] = {
        "phase": o.phase.value,
        "reason": o.reason,
        "held_seconds": held_display(o.held_seconds),
    }
    p = o.payment
    if role is Role.PROFESSIONAL:
        base["payment"] = msgspec.to_builtins(p) if p else None
        base["message"] = _professional_message(room)
    else:
        base["payment_type"] = p.payment_type.value if p else None
        base["credits_remaining"] = p.credits_remaining if p else None
        base["message"] = _client_message(room)
    return base


def _not_counted(room: Room, who: str) -> str:
    o = room.outcome
    assert o is not None
    if o.phase.value == "cancelled":
        return "This session was cancelled."
    if o.phase.value == "expired":
        return "This session expired: nobody joined before the end of its time slot."
    why = _REASONS.get(NotHeldReason(o.reason), "") if o.reason else ""
    return f"This session was not counted ({why}): {who}"


def _professional_message(room: Room) -> str:
    o = room.outcome
    assert o is not None
    p = o.payment
    if p is None:
        return _not_counted(room, "no credit was used and there is nothing to invoice.")
    if p.payment_type is PaymentType.CREDIT:
        if p.invoice_to == "platform":
            return (
                "Payment type: Credit. Include this session in your month-end invoice "
                "to the platform."
            )
        return f"Payment type: Credit. Invoice {p.invoice_to} directly for this session."
    if p.payment_type is PaymentType.CARD:
        return (
            "Payment type: Card. The client has no company credits left and pays by the card "
            "on file; arranging payment is your responsibility."
        )
    return "Payment type: Self-pay. Arrange payment for this session with your client."


def _client_message(room: Room) -> str:
    o = room.outcome
    assert o is not None
    p = o.payment
    if p is None:
        return _not_counted(room, "no credit was used.")
    if p.payment_type is PaymentType.CREDIT:
        left = p.credits_remaining or 0
        if left == 0:
            return (
                "This session used your last credit from your employer. Further sessions are "
                "paid by you, or you can ask your HR manager for more support."
            )
        plural = "credit" if left == 1 else "credits"
        return f"This session used one of your employer's credits. You have {left} {plural} left."
    if p.payment_type is PaymentType.CARD:
        return (
            "Your company credits are used up: your card on file will be charged for this session."
        )
    return "Thank you for your session. Payment is arranged directly with your professional."
