"""How rooms, ledgers and outcomes look on the wire: typed structs, so that the OpenAPI document
describes responses from the same types the handlers encode."""

from __future__ import annotations

import msgspec

from ..rooms.funding import Funding, invoice_target
from ..rooms.model import (
    FundingKind,
    Hub,
    InvoiceTo,
    Ledger,
    Outcome,
    Participant,
    Payment,
    Phase,
    Presence,
    Role,
    Room,
)
from ..wireformat import held_display, iso


class FundingView(msgspec.Struct, frozen=True):
    """How a room is funded now."""

    kind: FundingKind
    last_subsidised: bool
    credits_remaining: int | None
    invoice_to: str | None


class OutcomeView(msgspec.Struct, frozen=True):
    """How a room ended, and the payment of a held session."""

    phase: Phase
    ended_at: str | None
    held_seconds: float
    reason: str | None
    payment: Payment | None


class ParticipantView(msgspec.Struct, frozen=True):
    """One side of a room, as the booking service sees it."""

    id: str
    name: str
    presence: Presence


class OverrideView(msgspec.Struct, frozen=True):
    """A professional admitted a client who had neither credits nor a card."""

    by: str
    at: str | None
    funding: FundingKind


class RoomView(msgspec.Struct, frozen=True):
    """A room as the booking service reads it."""

    room_id: str
    booking_id: str
    phase: Phase
    hub: Hub | None
    professional: ParticipantView
    client: ParticipantView
    scheduled_start: str | None
    scheduled_end: str | None
    payment_url: str | None
    funding: FundingView
    note: str | None
    admitted_at: str | None
    override: OverrideView | None
    held_seconds: float
    outcome: OutcomeView | None
    version: int


class JoinLink(msgspec.Struct, frozen=True):
    """A join token and the page URL that carries it."""

    token: str
    url: str


class JoinLinks(msgspec.Struct, frozen=True):
    """Both sides' join links."""

    professional: JoinLink
    client: JoinLink


class OpenedRoom(RoomView, frozen=True):
    """A room just opened (or found again by its booking id), with both join links."""

    join: JoinLinks


class SummaryView(msgspec.Struct, frozen=True):
    """A room's outcome and payment summary."""

    room_id: str
    booking_id: str
    phase: Phase
    ended: bool
    funding: FundingView
    outcome: OutcomeView | None


class LedgerView(msgspec.Struct, frozen=True):
    """A client's credits at a hub."""

    hub_id: str
    client_id: str
    credits_total: int
    credits_remaining: int
    card_on_file: bool
    invoice_to: InvoiceTo
    sessions_held: int
    updated_at: str | None


def funding_view(f: Funding) -> FundingView:
    return FundingView(f.kind, f.last_subsidised, f.credits_remaining, invoice_target(f))


def outcome_view(o: Outcome | None) -> OutcomeView | None:
    if o is None:
        return None
    return OutcomeView(o.phase, iso(o.ended_at), held_display(o.held_seconds), o.reason, o.payment)


def _participant(p: Participant) -> ParticipantView:
    return ParticipantView(p.id, p.name, p.presence)


def room_view(room: Room, funding: Funding) -> RoomView:
    o = room.override
    return RoomView(
        room_id=room.room_id,
        booking_id=room.booking_id,
        phase=room.phase,
        hub=room.hub,
        professional=_participant(room.professional),
        client=_participant(room.client),
        scheduled_start=iso(room.scheduled_start),
        scheduled_end=iso(room.scheduled_end),
        payment_url=room.payment_url,
        funding=funding_view(funding),
        note=room.note,
        admitted_at=iso(room.admitted_at),
        override=OverrideView(o.by, iso(o.at), o.funding) if o else None,
        held_seconds=held_display(room.held_seconds),
        outcome=outcome_view(room.outcome),
        version=room.version,
    )


def opened_room(room: Room, funding: Funding, join: dict[Role, JoinLink]) -> OpenedRoom:
    return OpenedRoom(
        **msgspec.structs.asdict(room_view(room, funding)),
        join=JoinLinks(professional=join[Role.PROFESSIONAL], client=join[Role.CLIENT]),
    )


def summary_view(room: Room, funding: Funding) -> SummaryView:
    return SummaryView(
        room_id=room.room_id,
        booking_id=room.booking_id,
        phase=room.phase,
        ended=room.phase.is_terminal,
        funding=funding_view(funding),
        outcome=outcome_view(room.outcome),
    )


def ledger_view(ledger: Ledger) -> LedgerView:
    return LedgerView(
        hub_id=ledger.hub_id,
        client_id=ledger.client_id,
        credits_total=ledger.credits_total,
        credits_remaining=ledger.credits_remaining,
        card_on_file=ledger.card_on_file,
        invoice_to=ledger.invoice_to,
        sessions_held=ledger.sessions_held,
        updated_at=iso(ledger.updated_at),
    )


class InvoiceLine(msgspec.Struct, frozen=True):
    """The Credit sessions of a month for one invoice target."""

    invoice_to: str
    sessions: int
    dates: list[str]


class StatementView(msgspec.Struct, frozen=True):
    """A professional's monthly statement of Credit sessions."""

    professional_id: str
    month: str
    timezone: str  # of the month and the session dates
    payment_type: str
    due_date: str  # the invoice is due by this date (3rd working day of the next month)
    payment_date: str  # invoices due by then are paid by this date (the 7th working day)
    invoices: list[InvoiceLine]


class Status(msgspec.Struct, frozen=True):
    """A health answer."""

    status: str
