"""How a room is funded: derived from its hub and the client's ledger at that hub (DESIGN §2).

What each side of the waiting room reads about it is worded at the edge
(``signaling/texts.py``); this module only decides the facts.
"""

from __future__ import annotations

from dataclasses import dataclass

import msgspec

from .model import FundingKind, Hub, InvoiceTo, Ledger, Room


class Funding(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """The funding of a room as derived from its hub and the client's ledger."""

    kind: FundingKind
    last_subsidised: bool = False
    credits_remaining: int | None = None
    invoice_to: InvoiceTo | None = None
    hub_name: str | None = None


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


@dataclass(frozen=True)
class FundingState:
    """A room with its funding, and whether the client's first held hub session is still to
    come: everything a snapshot of the room needs, from one read of the ledger."""

    room: Room
    funding: Funding
    first_hub_session: bool


def funding_state(room: Room, ledger: Ledger | None) -> FundingState:
    """The funding state of ``room`` given the client's ledger (None: none exists)."""
    first = room.ledger_key is not None and (ledger is None or ledger.sessions_held == 0)
    return FundingState(room, funding_of(room.hub, ledger), first)
