"""Every sentence a participant reads about how a session is funded: the one source of these
texts, sent in the ``room`` and ``funding`` events for the browser app to lay out (DESIGN §2).
How a session ended is worded in ``outcomes``; both use the counting words defined here, so the
client and the professional read the same count, before and after the session.

Typography: curly apostrophes and quotes (’ “ ”), never straight ones.
"""

from __future__ import annotations

import math
from urllib.parse import urlsplit

import msgspec

from ..rooms.funding import Funding, FundingState, invoice_target
from ..rooms.model import FundingKind, InvoiceTo, NotHeldReason, Role

REASONS = {
    NotHeldReason.CLIENT_NO_SHOW: "The client did not join.",
    NotHeldReason.PROFESSIONAL_NO_SHOW: "The professional did not join.",
    NotHeldReason.NOT_ADMITTED: "The client was not let in.",
    NotHeldReason.MEDIA_NEVER_CONNECTED: "Audio and video never connected both ways.",
    NotHeldReason.TOO_SHORT: "The call was too short to count.",
}
"""Why a session was not counted, in words, by reason code."""

UNKNOWN_REASON = "It did not meet the conditions of a held session."


class FundingView(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """What one role sees about funding: a machine-readable kind plus the texts to show."""

    funding: FundingKind
    last_subsidised: bool = False
    headline: str = ""
    detail: str = ""
    alert: str | None = None
    warning: str | None = None
    credits_remaining: int | None = None
    invoice_to: str | None = None  # professional only: the company's name, or "platform"
    invoice_label: str | None = None  # professional only: how this session is invoiced
    payment_url: str | None = None  # client only, when a card is needed
    facts: tuple[tuple[str, str], ...] = ()  # professional only: (label, value) to list
    reminder: str | None = None  # professional only: the first session through a hub
    pay_label: str | None = None  # client only, when a card is needed: the payment link
    pay_hint: str | None = None  # client only, when a card is needed: what happens next


def reason_text(reason: str | None) -> str:
    """A not-held reason code in words."""
    try:
        return REASONS[NotHeldReason(reason or "")]
    except ValueError:
        return UNKNOWN_REASON


def _sessions(n: int) -> str:
    return f"{n} employer-paid session{'' if n == 1 else 's'}"


def uses_credit(remaining: int, role: Role, hub_name: str | None = None) -> str:
    """What this session does to the count, in the same words for both sides: "This session
    uses 1 of your 2 remaining employer-paid sessions" (the client) or "… of the client’s 2
    …" (the professional). ``remaining`` counts this session."""
    whose = "your" if role is Role.CLIENT else "the client’s"
    source = f" from {hub_name}" if hub_name else ""
    if remaining <= 1:
        return f"This session uses {whose} last employer-paid session{source}."
    return f"This session uses 1 of {whose} {_sessions(remaining)} remaining{source}."


def credits_left(remaining: int, role: Role) -> str:
    """What is left after a session, in the same words: "You have 1 employer-paid session
    left" or "The client has …"."""
    who = "You have" if role is Role.CLIENT else "The client has"
    if remaining <= 0:
        return f"{who} no employer-paid sessions left."
    return f"{who} {_sessions(remaining)} left."


def funding_view(role: Role, state: FundingState) -> FundingView:
    """The funding texts one role sees, per the table in DESIGN §2."""
    if role is Role.PROFESSIONAL:
        view = _professional_view(state.funding)
        hub = state.room.hub
        reminder = (
            f"This is the client’s first session through {hub.name}’s Wellbeing Hub. When it "
            f"feels natural, you might check with them that they work for {hub.name}."
            if hub and state.first_hub_session
            else None
        )
        return msgspec.structs.replace(view, facts=_facts(view, state.funding), reminder=reminder)
    return _client_view(state.funding, state.room.payment_url)


def _facts(view: FundingView, f: Funding) -> tuple[tuple[str, str], ...]:
    facts: list[tuple[str, str]] = []
    if f.hub_name:
        facts.append(("Wellbeing Hub", f.hub_name))
    if f.kind is FundingKind.CREDIT:
        facts.append(
            ("Invoicing", view.invoice_label or "Ask the client which company they book through.")
        )
        if f.credits_remaining is not None:
            facts.append(("Credits", uses_credit(f.credits_remaining, Role.PROFESSIONAL)))
    elif f.kind is FundingKind.CARD:
        facts.append(("Payment", "Card on file: arranging payment is your responsibility"))
    elif f.kind is FundingKind.CARD_REQUIRED:
        facts.append(("Payment", "No card on file yet"))
    return tuple(facts)


def invoice_label(invoice_to: InvoiceTo | None, hub_name: str | None) -> str | None:
    """How the professional invoices a credit session."""
    if invoice_to is InvoiceTo.COMPANY:
        return f"Invoice {hub_name} directly for this session."
    if invoice_to is InvoiceTo.PLATFORM:
        return "Include this session in your month-end invoice to the platform."
    return None


def _professional_view(f: Funding) -> FundingView:
    if f.kind is FundingKind.SELF_PAY:
        return FundingView(
            funding=f.kind,
            headline="Own client — arrange payment yourself",
            detail="This session is not funded by a Wellbeing Hub.",
        )
    if f.kind is FundingKind.CREDIT:
        return FundingView(
            funding=f.kind,
            last_subsidised=f.last_subsidised,
            headline="Client has a company credit available",
            detail=f"Funded by {f.hub_name}’s Wellbeing Hub.",
            alert=(
                "This is the client’s last subsidised session. After it, sessions are paid by "
                "the client, unless their HR team offers more support."
                if f.last_subsidised
                else None
            ),
            credits_remaining=f.credits_remaining,
            invoice_to=invoice_target(f),
            invoice_label=invoice_label(f.invoice_to, f.hub_name),
        )
    if f.kind is FundingKind.CARD:
        return FundingView(
            funding=f.kind,
            headline="No company credits left — client pays by card on file",
            detail="Arranging payment for this session is your responsibility.",
            credits_remaining=0,
        )
    return FundingView(
        funding=f.kind,
        headline="No company credits and no card on file",
        detail="Arranging payment for this session is your responsibility.",
        warning="No company credits and no card on file — make sure the client adds a card.",
        credits_remaining=0,
    )


def _client_view(f: Funding, payment_url: str | None) -> FundingView:
    if f.kind is FundingKind.SELF_PAY:
        return FundingView(funding=f.kind)
    if f.kind is FundingKind.CREDIT:
        left = f.credits_remaining or 0
        return FundingView(
            funding=f.kind,
            last_subsidised=f.last_subsidised,
            headline="Covered by your employer’s credit",
            detail=uses_credit(left, Role.CLIENT, f.hub_name),
            alert=(
                "This is your last session covered by your employer. After it, sessions are "
                "paid by you, or you can ask your HR team about more support."
                if f.last_subsidised
                else None
            ),
            credits_remaining=left,
        )
    if f.kind is FundingKind.CARD:
        return FundingView(
            funding=f.kind,
            headline="Your company credits are used up; your card on file will be charged",
            credits_remaining=0,
        )
    link = (
        payment_url if payment_url and urlsplit(payment_url).scheme in ("https", "http") else None
    )
    return FundingView(
        funding=f.kind,
        headline="Add a payment card to continue",
        detail="Your company credits are used up and there is no card on file.",
        credits_remaining=0,
        payment_url=link,
        pay_label="Add a payment card" if link else None,
        pay_hint=(
            "It opens in a new tab. This page updates by itself once your card is added."
            if link
            else "Please add a card in your Wellbeing Hub account. This page updates by itself."
        ),
    )


def duration_text(seconds: float) -> str:
    """ "45 seconds", "1 minute", "31 minutes", "1 h 05 min"."""
    s = max(0, math.floor(seconds + 0.5))
    if s < 60:
        return f"{s} second{'' if s == 1 else 's'}"
    m = math.floor(s / 60 + 0.5)
    if m < 60:
        return f"{m} minute{'' if m == 1 else 's'}"
    return f"{m // 60} h {m % 60:02d} min"
