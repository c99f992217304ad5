"""How a room is funded, and what each side of the waiting room is told about it."""

from __future__ import annotations

import msgspec

from .model import FundingKind, Hub, InvoiceTo, Ledger, Role, Room


class Funding(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """The funding of a room as derived from its hub and the client's ledger."""

    kind: FundingKind
    last_subsidised: bool = False
    credits_remaining: int | None = None
    invoice_to: InvoiceTo | None = None
    hub_name: str | None = None


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


def funding_of(hub: Hub | None, ledger: Ledger | None) -> Funding:
    """Derive the funding of a room from its hub and the client's ledger at that hub.

    A hub room without a ledger is treated as having no credits and no card: the safe reading.
    """
    if hub is None:
        return Funding(kind=FundingKind.SELF_PAY)
    remaining = ledger.credits_remaining if ledger else 0
    card = ledger.card_on_file if ledger else False
    invoice_to = ledger.invoice_to if ledger else None
    if remaining >= 1:
        return Funding(
            kind=FundingKind.CREDIT,
            last_subsidised=remaining == 1,
            credits_remaining=remaining,
            invoice_to=invoice_to,
            hub_name=hub.name,
        )
    kind = FundingKind.CARD if card else FundingKind.CARD_REQUIRED
    return Funding(kind=kind, credits_remaining=0, invoice_to=invoice_to, hub_name=hub.name)


def invoice_target(funding: Funding) -> str | None:
    """Who the professional invoices for a credit session: the company's name or "platform"."""
    if funding.invoice_to is InvoiceTo.COMPANY:
        return funding.hub_name
    if funding.invoice_to is InvoiceTo.PLATFORM:
        return "platform"
    return None


def _invoice_label(funding: Funding) -> str | None:
    if funding.invoice_to is InvoiceTo.COMPANY:
        return f"Invoice {funding.hub_name} directly for this session."
    if funding.invoice_to is InvoiceTo.PLATFORM:
        return "Include this session in your month-end invoice to the platform."
    return None


def view_for(role: Role, funding: Funding, room: Room) -> FundingView:
    """The funding texts one role sees, per the table in DESIGN §2."""
    if role is Role.PROFESSIONAL:
        return _professional_view(funding)
    return _client_view(funding, room)


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
            detail=f"Funded by {f.hub_name}'s Wellbeing Hub.",
            alert=(
                "This is the client's last subsidised session. Further sessions are paid by the "
                "client, or the client can ask their HR manager for more support."
                if f.last_subsidised
                else None
            ),
            credits_remaining=f.credits_remaining,
            invoice_to=invoice_target(f),
            invoice_label=_invoice_label(f),
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


def _client_view(f: Funding, room: Room) -> FundingView:
    if f.kind is FundingKind.SELF_PAY:
        return FundingView(funding=f.kind)
    if f.kind is FundingKind.CREDIT:
        left = f.credits_remaining or 0
        return FundingView(
            funding=f.kind,
            last_subsidised=f.last_subsidised,
            headline=f"Covered by your employer's credit ({left} left)",
            detail=f"This session uses one of the credits from {f.hub_name}.",
            alert=(
                "This is your last session covered by your employer. Further sessions are paid "
                "by you, or you can ask your HR manager for more support."
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
    return FundingView(
        funding=f.kind,
        headline="Add a payment card to continue",
        detail="Your company credits are used up and there is no card on file.",
        credits_remaining=0,
        payment_url=room.payment_url,
    )
