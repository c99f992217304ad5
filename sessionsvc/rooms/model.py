"""Values of the rooms domain: rooms, participants, the credit ledger and session outcomes.

Every value is an immutable ``msgspec.Struct``; a change makes a new value with
``msgspec.structs.replace``. Rooms and ledgers are stored as JSON documents by the store adapters.
The structs hold only scalars, strings, tuples and other such structs, so they can never form a
reference cycle: ``gc=False`` keeps them out of the garbage collector's work, which matters with
thousands of live rooms (a full collection is what stalls the event loop).
"""

from __future__ import annotations

import enum

import msgspec

from .limits import Id, Name


class Phase(enum.StrEnum):
    """Where a room is in its life. The last four are terminal."""

    SCHEDULED = "scheduled"
    WAITING = "waiting"
    IN_SESSION = "in_session"
    COMPLETED = "completed"
    NOT_HELD = "not_held"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_PHASES


TERMINAL_PHASES = frozenset({Phase.COMPLETED, Phase.NOT_HELD, Phase.CANCELLED, Phase.EXPIRED})


class Role(enum.StrEnum):
    PROFESSIONAL = "professional"
    CLIENT = "client"
    SUPPORT = "support"


class Presence(enum.StrEnum):
    """A participant's presence in the room."""

    ABSENT = "absent"  # has not come yet
    PRESENT = "present"  # connected: the client waits or is in the call; the professional is in
    RECONNECTING = "reconnecting"  # connection dropped; its place is kept for reconnect_grace
    LEFT = "left"  # left, or did not come back in time; may join again while the room is live
    REMOVED = "removed"  # denied by the professional; its token is refused from then on


class InvoiceTo(enum.StrEnum):
    COMPANY = "company"  # the professional invoices the hub's company directly
    PLATFORM = "platform"  # the professional invoices the platform at month end


class FundingKind(enum.StrEnum):
    CREDIT = "credit"
    CARD = "card"
    CARD_REQUIRED = "card_required"
    SELF_PAY = "self_pay"


class NotHeldReason(enum.StrEnum):
    CLIENT_NO_SHOW = "client_no_show"
    PROFESSIONAL_NO_SHOW = "professional_no_show"
    NOT_ADMITTED = "not_admitted"
    MEDIA_NEVER_CONNECTED = "media_never_connected"
    TOO_SHORT = "too_short"


class PaymentType(enum.StrEnum):
    CREDIT = "Credit"
    CARD = "Card"
    SELF_PAY = "Self-pay"


class Person(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """A professional or client as the booking service names them."""

    id: Id
    name: Name


class Hub(msgspec.Struct, frozen=True, gc=False, forbid_unknown_fields=True):
    """The employer whose Wellbeing Hub funds the client's credits."""

    id: Id
    name: Name


class Participant(msgspec.Struct, frozen=True, gc=False):
    """One of the two people booked into a room, and what the room knows of them now."""

    id: str
    name: str
    role: Role
    presence: Presence = Presence.ABSENT
    conn: str | None = None  # the connection that holds this identity now
    node: str | None = None  # the service node that connection is on
    joined_at: float | None = None  # first arrival
    dropped_at: float | None = None  # when the connection dropped (presence RECONNECTING)
    left_at: float | None = None
    media_at: float | None = None  # last stats report that showed inbound media flowing
    bytes_in: int = 0  # inbound bytes in the last stats report
    bytes_out: int = 0  # outbound bytes in the last stats report
    verified_in: int = 0  # the inbound bytes the other side's outbound count has confirmed
    reported_at: float | None = None  # the last stats report
    ready: bool = False  # finished the device check: waiting, not still checking devices


class Override(msgspec.Struct, frozen=True, gc=False):
    """The professional admitted a client who had no credits and no card on file."""

    by: str
    at: float
    funding: FundingKind


class Payment(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """The payment summary of a held session."""

    payment_type: PaymentType
    invoice_to: str | None = None  # the hub company's name, or "platform"
    credits_remaining: int | None = None


class Outcome(msgspec.Struct, frozen=True, gc=False):
    """How a room ended."""

    phase: Phase
    ended_at: float
    held_seconds: float
    reason: str | None = None
    payment: Payment | None = None


class Room(msgspec.Struct, frozen=True, gc=False):
    """A booked video session: who, when, how it is funded, and where it is in its life."""

    room_id: str
    booking_id: str
    hub: Hub | None
    professional: Participant
    client: Participant
    scheduled_start: float
    scheduled_end: float
    created_at: float
    payment_url: str | None = None
    phase: Phase = Phase.SCHEDULED
    version: int = 0
    note: str | None = None
    admitted_at: float | None = None
    admit_requested_at: float | None = None  # admitted while the client was still checking
    override: Override | None = None
    denied: tuple[str, ...] = ()
    held_seconds: float = 0.0
    held_tick: float | None = None
    held_conns: tuple[str | None, str | None] | None = None  # both connections at held_tick
    outcome: Outcome | None = None

    def participant(self, role: Role) -> Participant:
        if role is Role.PROFESSIONAL:
            return self.professional
        if role is Role.CLIENT:
            return self.client
        raise ValueError(f"a room has no {role} participant")

    def with_participant(self, p: Participant) -> Room:
        """This room with ``p`` in its role's place."""
        if p.role is Role.PROFESSIONAL:
            return msgspec.structs.replace(self, professional=p)
        return msgspec.structs.replace(self, client=p)

    def other(self, role: Role) -> Participant:
        return self.client if role is Role.PROFESSIONAL else self.professional

    @property
    def ledger_key(self) -> tuple[str, str] | None:
        """The (hub, client) ledger that funds this room, or None for a self-pay room."""
        return (self.hub.id, self.client.id) if self.hub else None


class Ledger(msgspec.Struct, frozen=True, gc=False):
    """A client's credits at one hub, granted and changed by the booking service."""

    hub_id: str
    client_id: str
    credits_total: int
    credits_remaining: int
    card_on_file: bool
    invoice_to: InvoiceTo
    sessions_held: int = 0  # hub sessions held so far; 0 means the next one is the first
    updated_at: float = 0.0
    consumed_by: tuple[str, ...] = ()  # rooms that consumed a credit, newest last (bounded)


def encode(value: Room | Ledger) -> bytes:
    return msgspec.json.encode(value)


def decode_room(data: bytes | str) -> Room:
    return msgspec.json.decode(data, type=Room)


def decode_ledger(data: bytes | str) -> Ledger:
    return msgspec.json.decode(data, type=Ledger)
