"""What the booking service is told (DESIGN §7): the outbox events a change produces, decided
by pure functions of the values before and after it. Each store backend writes them in the same
atomic step as the change, so an event exists if and only if its change happened.

Events carry ids and facts, never a person's name. Every event of a room, and of its client's
ledger, goes to one stream named by the client's tag (``ids.client_tag``), which is delivered
in order.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import msgspec

from .funding import funding_of
from .ids import client_tag
from .model import Ledger, Participant, PaymentType, Phase, Presence, Room


class EventType(enum.StrEnum):
    ROOM_OPENED = "room.opened"
    PARTICIPANT_WAITING = "participant.waiting"
    PARTICIPANT_ADMITTED = "participant.admitted"
    SESSION_STARTED = "session.started"
    SESSION_COMPLETED = "session.completed"
    SESSION_NOT_HELD = "session.not_held"
    CREDITS_LAST_SUBSIDISED = "credits.last_subsidised"
    CREDITS_DEPLETED = "credits.depleted"
    ROOM_CANCELLED = "room.cancelled"
    ROOM_EXPIRED = "room.expired"


class Notice(msgspec.Struct, frozen=True, gc=False):
    """An event as the domain decides it: its type, its data, and the stream it belongs to."""

    type: EventType
    stream: str
    data: dict[str, Any]


class OutboxEvent(msgspec.Struct, frozen=True, gc=False):
    """An event as stored: a stable id, when it happened, its stream, type and data."""

    id: str
    type: EventType
    timestamp: float
    stream: str
    data: dict[str, Any]

    def body(self) -> bytes:
        """The webhook body: ``{type, timestamp, data}``."""
        return msgspec.json.encode(
            {"type": self.type, "timestamp": _iso(self.timestamp), "data": self.data}
        )

    def public(self) -> dict[str, Any]:
        """The event as the catch-up API lists it."""
        return {
            "id": self.id,
            "type": self.type.value,
            "timestamp": _iso(self.timestamp),
            "data": self.data,
        }


class CreditSession(msgspec.Struct, frozen=True, gc=False):
    """A held Credit session in a professional's statement index."""

    room_id: str
    professional_id: str
    held_at: float  # when the session started (the client was admitted)
    invoice_to: str  # the hub company's name, or "platform"


def new_event_id() -> str:
    return f"evt_{secrets.token_hex(12)}"


def stamp(
    notices: list[Notice], now: float, new_id: Callable[[], str] = new_event_id
) -> list[OutboxEvent]:
    """The stored form of ``notices``: each with a fresh id and the time of the change."""
    return [OutboxEvent(new_id(), n.type, now, n.stream, n.data) for n in notices]


def encode_event(event: OutboxEvent) -> bytes:
    return msgspec.json.encode(event)


def decode_event(raw: bytes | str) -> OutboxEvent:
    return msgspec.json.decode(raw, type=OutboxEvent)


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def _room_facts(room: Room) -> dict[str, Any]:
    return {
        "room_id": room.room_id,
        "booking_id": room.booking_id,
        "hub_id": room.hub.id if room.hub else None,
        "professional_id": room.professional.id,
        "client_id": room.client.id,
    }


def room_opened(room: Room, ledger: Ledger | None) -> list[Notice]:
    """A room was opened: ``room.opened``, and ``credits.last_subsidised`` when the session
    it books would use the client's last subsidised credit."""
    funding = funding_of(room.hub, ledger)
    stream = client_tag(room.client.id)
    data = {
        **_room_facts(room),
        "scheduled_start": _iso(room.scheduled_start),
        "scheduled_end": _iso(room.scheduled_end),
        "funding": funding.kind.value,
    }
    notices = [Notice(EventType.ROOM_OPENED, stream, data)]
    if funding.last_subsidised and ledger is not None:
        notices.append(_last_subsidised(ledger, room))
    return notices


def room_changed(
    old: Room, old_ledger: Ledger | None, new: Room, new_ledger: Ledger | None
) -> list[Notice]:
    """The events of one change of a room (and of its client's ledger, if it changed)."""
    stream = client_tag(new.client.id)
    facts = _room_facts(new)
    notices: list[Notice] = []
    if not new.phase.is_terminal:
        for before, after in ((old.professional, new.professional), (old.client, new.client)):
            if _arrived(before, after) and new.phase is Phase.WAITING:
                data = {**facts, "role": after.role.value, "participant_id": after.id}
                notices.append(Notice(EventType.PARTICIPANT_WAITING, stream, data))
    if old.phase is not Phase.IN_SESSION and new.phase is Phase.IN_SESSION:
        data = {**facts, "participant_id": new.client.id, "override": new.override is not None}
        notices.append(Notice(EventType.PARTICIPANT_ADMITTED, stream, data))
    if old.held_seconds <= 0 < new.held_seconds:
        notices.append(Notice(EventType.SESSION_STARTED, stream, facts))
    if not old.phase.is_terminal and new.phase.is_terminal:
        notices.append(_ended(new, stream, facts))
    if new_ledger is not None and new_ledger != old_ledger:
        notices.extend(ledger_changed(old_ledger, new_ledger, consumed_by=new))
    return notices


def _arrived(before: Participant, after: Participant) -> bool:
    """Came into the room now (not back from a dropped connection, nor a tab take-over)."""
    return after.presence is Presence.PRESENT and before.presence in (
        Presence.ABSENT,
        Presence.LEFT,
    )


def _ended(room: Room, stream: str, facts: dict[str, Any]) -> Notice:
    outcome = room.outcome
    ended_at = _iso(outcome.ended_at) if outcome else None
    if room.phase is Phase.COMPLETED and outcome is not None:
        payment = msgspec.to_builtins(outcome.payment) if outcome.payment else None
        data = {
            **facts,
            "outcome": "completed",
            "started_at": _iso(room.admitted_at),
            "ended_at": ended_at,
            "held_seconds": round(outcome.held_seconds, 1),
            "payment": payment,
        }
        return Notice(EventType.SESSION_COMPLETED, stream, data)
    if room.phase is Phase.NOT_HELD and outcome is not None:
        data = {
            **facts,
            "outcome": "not_held",
            "ended_at": ended_at,
            "held_seconds": round(outcome.held_seconds, 1),
            "reason": outcome.reason,
        }
        return Notice(EventType.SESSION_NOT_HELD, stream, data)
    kind = EventType.ROOM_CANCELLED if room.phase is Phase.CANCELLED else EventType.ROOM_EXPIRED
    return Notice(kind, stream, {**facts, "ended_at": ended_at})


def ledger_changed(
    old: Ledger | None, new: Ledger, consumed_by: Room | None = None
) -> list[Notice]:
    """The events of a ledger change: ``credits.last_subsidised`` when exactly one credit is
    left now and was not before, ``credits.depleted`` when the last one is gone.
    ``consumed_by`` is the room whose session used the credit, if one did."""
    before = old.credits_remaining if old else None
    now = new.credits_remaining
    if now == before:
        return []
    if now == 1:
        return [_last_subsidised(new, None)]
    if now == 0 and before is not None and before > 0:
        data = {
            "hub_id": new.hub_id,
            "client_id": new.client_id,
            "credits_total": new.credits_total,
            "credits_remaining": 0,
            "room_id": consumed_by.room_id if consumed_by else None,
        }
        return [Notice(EventType.CREDITS_DEPLETED, client_tag(new.client_id), data)]
    return []


def _last_subsidised(ledger: Ledger, room: Room | None) -> Notice:
    data = {
        "hub_id": ledger.hub_id,
        "client_id": ledger.client_id,
        "credits_total": ledger.credits_total,
        "credits_remaining": ledger.credits_remaining,
        "room_id": room.room_id if room else None,
        "professional_id": room.professional.id if room else None,
    }
    return Notice(EventType.CREDITS_LAST_SUBSIDISED, client_tag(ledger.client_id), data)


def credit_session(event: OutboxEvent | Notice) -> CreditSession | None:
    """The statement entry a ``session.completed`` event of a Credit session makes."""
    if event.type is not EventType.SESSION_COMPLETED:
        return None
    payment = event.data.get("payment") or {}
    if payment.get("payment_type") != PaymentType.CREDIT.value:
        return None
    at = event.data.get("started_at") or event.data["ended_at"]
    held_at = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    return CreditSession(
        room_id=str(event.data["room_id"]),
        professional_id=str(event.data["professional_id"]),
        held_at=held_at.timestamp(),
        invoice_to=str(payment.get("invoice_to") or "platform"),
    )
