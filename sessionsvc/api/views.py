"""How rooms, ledgers and outcomes look on the wire."""

from __future__ import annotations

from typing import Any

import msgspec

from ..rooms.funding import Funding, invoice_target
from ..rooms.model import Ledger, Outcome, Room
from ..wireformat import held_display, iso


def funding_json(f: Funding) -> dict[str, Any]:
    return {
        "kind": f.kind.value,
        "last_subsidised": f.last_subsidised,
        "credits_remaining": f.credits_remaining,
        "invoice_to": invoice_target(f),
    }


def outcome_json(o: Outcome | None) -> dict[str, Any] | None:
    if o is None:
        return None
    return {
        "phase": o.phase.value,
        "ended_at": iso(o.ended_at),
        "held_seconds": held_display(o.held_seconds),
        "reason": o.reason,
        "payment": msgspec.to_builtins(o.payment) if o.payment else None,
    }


def room_json(room: Room, funding: Funding) -> dict[str, Any]:
    return {
        "room_id": room.room_id,
        "booking_id": room.booking_id,
        "phase": room.phase.value,
        "hub": msgspec.to_builtins(room.hub) if room.hub else None,
        "professional": {
            "id": room.professional.id,
            "name": room.professional.name,
            "presence": room.professional.presence.value,
        },
        "client": {
            "id": room.client.id,
            "name": room.client.name,
            "presence": room.client.presence.value,
        },
        "scheduled_start": iso(room.scheduled_start),
        "scheduled_end": iso(room.scheduled_end),
        "payment_url": room.payment_url,
        "funding": funding_json(funding),
        "note": room.note,
        "admitted_at": iso(room.admitted_at),
        "override": (
            {"by": room.override.by, "at": iso(room.override.at), "funding": room.override.funding}
            if room.override
            else None
        ),
        "held_seconds": held_display(room.held_seconds),
        "outcome": outcome_json(room.outcome),
        "version": room.version,
    }


def ledger_json(ledger: Ledger) -> dict[str, Any]:
    return {
        "hub_id": ledger.hub_id,
        "client_id": ledger.client_id,
        "credits_total": ledger.credits_total,
        "credits_remaining": ledger.credits_remaining,
        "card_on_file": ledger.card_on_file,
        "invoice_to": ledger.invoice_to.value,
        "sessions_held": ledger.sessions_held,
        "updated_at": iso(ledger.updated_at),
    }
