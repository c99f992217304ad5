"""Every sentence a participant reads about how a session ended: the summary screen (headline,
lede, facts, what to do next), the screens of a room that ended without a session, and what a
declined client reads. Counting words come from ``texts``, so both sides read the same count.

Typography: curly apostrophes and quotes (’ “ ”), never straight ones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ..rooms.model import Outcome, Payment, PaymentType, Phase, Role, Room
from ..wireformat import iso
from .texts import credits_left, duration_text, reason_text

ENDINGS: dict[tuple[Phase, Role], tuple[str, tuple[str, ...]]] = {
    (Phase.CANCELLED, Role.PROFESSIONAL): (
        "This session was cancelled",
        (
            "The booking was cancelled, so there is nothing to invoice for it.",
            "Your calendar has the details.",
        ),
    ),
    (Phase.CANCELLED, Role.CLIENT): (
        "This session was cancelled",
        (
            "No credit was used and nothing will be charged.",
            "To find a new time, contact your professional or book again from your Wellbeing Hub.",
        ),
    ),
    (Phase.EXPIRED, Role.PROFESSIONAL): (
        "This session has expired",
        (
            "Its time slot has passed without the session taking place.",
            "It was not counted and there is nothing to invoice.",
        ),
    ),
    (Phase.EXPIRED, Role.CLIENT): (
        "This session has expired",
        (
            "Its time slot has passed without the session taking place.",
            "No credit was used. To find a new time, contact your professional or book again.",
        ),
    ),
}
"""The screens of a room that ended without a session: headline and lines, per role."""

DECLINED = (
    "This session won’t go ahead",
    (
        "{professional} wasn’t able to see you in this session.",
        "No credit was used and nothing will be charged. If you’d like another time, contact "
        "your professional or book again from your Wellbeing Hub.",
    ),
)
"""What a declined client reads (the professional sees it before deciding)."""


def declined(room: Room) -> dict[str, Any]:
    """The ``denied`` event's texts for the client."""
    title, lines = DECLINED
    who = room.professional.name
    return {"title": title, "lines": [line.format(professional=who) for line in lines]}


_WITHOUT_SESSION = {
    Phase.CANCELLED: "This session was cancelled.",
    Phase.EXPIRED: "This session expired: nobody joined before the end of its time slot.",
}


def _fact(key: str, label: str, value: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "value": value, **extra}


def _when(room: Room, o: Outcome) -> list[dict[str, Any]]:
    """Date and time of a session that took place: from admission to its end. The values are
    UTC; ``at``/``from``/``to`` let the page write them in the reader's own time zone."""
    start = room.admitted_at if room.admitted_at is not None else room.scheduled_start
    day = datetime.fromtimestamp(start, UTC)
    end = datetime.fromtimestamp(o.ended_at, UTC)
    return [
        _fact("date", "Date", day.date().isoformat(), at=iso(start), format="date"),
        _fact(
            "time",
            "Time",
            f"{day:%H:%M}–{end:%H:%M} UTC",
            start=iso(start),
            end=iso(o.ended_at),
            format="time-range",
        ),
    ]


_PAID_WITH = {
    PaymentType.CREDIT: "Your employer’s credit",
    PaymentType.CARD: "Your card on file",
    PaymentType.SELF_PAY: "Arranged with your professional",
}


def _invoice_fact(p: Payment, due: date | None) -> str | None:
    if p.payment_type is not PaymentType.CREDIT:
        return None
    if p.invoice_to == "platform":
        if due is not None:
            return f"The platform, in your month-end invoice, due by {_day(due)}"
        return "The platform, in your month-end invoice"
    return f"{p.invoice_to}, directly" if p.invoice_to else None


def _day(day: date) -> str:
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


def summary_texts(
    room: Room, outcome: Outcome, role: Role, due: date | None = None
) -> dict[str, Any]:
    """The summary screen: ``headline``, ``message`` (the lede), ``facts`` (key, label,
    value), ``next`` (what to do now) and, for a room that ended without a session, ``lines``.
    ``due`` is when the platform's month-end invoice that lists this session is due."""
    ending = ENDINGS.get((outcome.phase, role))
    if ending is not None:
        message = _WITHOUT_SESSION[outcome.phase]
        return {"headline": ending[0], "message": message, "facts": [], "lines": list(ending[1])}
    p = outcome.payment
    pro = role is Role.PROFESSIONAL
    facts: list[dict[str, Any]] = []
    if p is None:
        facts.append(_fact("reason", "Why", reason_text(outcome.reason)))
        if outcome.held_seconds > 0:
            facts.append(_fact("length", "Talked for", duration_text(outcome.held_seconds)))
        if pro:
            facts.append(_fact("booking", "Booking reference", room.booking_id))
            facts.append(_fact("payment", "Payment", "None: nothing to invoice."))
        else:
            facts.append(_fact("credits", "Credits", "No credit was used."))
        return {
            "headline": "This session was not counted",
            "message": (
                "Nothing was charged for it."
                if not pro
                else "No credit was used, so there is nothing to invoice."
            ),
            "facts": facts,
            "next": _next_not_held(role),
            "lines": [],
        }
    facts.extend(_when(room, outcome))
    facts.append(_fact("length", "Held for", duration_text(outcome.held_seconds)))
    if pro:
        facts.append(_fact("booking", "Booking reference", room.booking_id))
        facts.append(_fact("payment-type", "Payment type", p.payment_type.value))
        invoice = _invoice_fact(p, due)
        if invoice:
            facts.append(_fact("invoice-to", "Invoice", invoice))
        if p.payment_type is PaymentType.CREDIT and p.credits_remaining is not None:
            left = credits_left(p.credits_remaining, Role.PROFESSIONAL)
            facts.append(_fact("client-credits", "Client’s credits", left))
        message = "The session was held and counts."
    else:
        facts.append(_fact("payment-type", "Paid with", _PAID_WITH[p.payment_type]))
        if p.payment_type is PaymentType.CREDIT:
            left = credits_left(p.credits_remaining or 0, Role.CLIENT)
            facts.append(_fact("credits-left", "Credits", left))
        message = _client_message(p)
    return {
        "headline": "Session complete" if pro else "Thank you for your session",
        "message": message,
        "facts": facts,
        "next": _next_professional(p, room.booking_id, due) if pro else _NEXT_CLIENT,
        "lines": [],
    }


def _client_message(p: Payment) -> str:
    if p.payment_type is PaymentType.CREDIT:
        if not p.credits_remaining:
            return (
                "This session used your last credit from your employer. Further sessions are "
                "paid by you, or you can ask your HR team about more support."
            )
        return "This session used one of your employer’s credits."
    if p.payment_type is PaymentType.CARD:
        return "Your company credits are used up: your card on file will be charged."
    return "Payment is arranged directly with your professional."


def _next_professional(p: Payment, booking_id: str, due: date | None) -> list[str]:
    if p.payment_type is PaymentType.CREDIT and p.invoice_to == "platform":
        by = f" by {_day(due)}" if due is not None else ""
        return [
            "Nothing to send now: this session is on your monthly statement. Invoice the "
            f"platform at month end for all the sessions it lists{by}, without clients’ names.",
        ]
    if p.payment_type is PaymentType.CREDIT:
        return [
            f"Send {p.invoice_to} an invoice for this session, quoting booking reference "
            f"{booking_id}. Copy the details above to paste them into it.",
        ]
    if p.payment_type is PaymentType.CARD:
        return ["The client pays by the card on file: arrange payment as you usually do."]
    return ["Arrange payment for this session with your client, as you usually do."]


_NEXT_CLIENT = ["To book another session, visit your Wellbeing Hub or contact your professional."]


def _next_not_held(role: Role) -> list[str]:
    if role is Role.PROFESSIONAL:
        return [
            "If the session did take place and should count, contact support with the booking "
            "reference.",
        ]
    return ["To find a new time, contact your professional or book again from your Wellbeing Hub."]
