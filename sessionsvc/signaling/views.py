"""What each role is sent: the room snapshot and the end-of-session summary (docs/events.md)."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from ..quality import thresholds_for_browser
from ..rooms.funding import FundingState
from ..rooms.held import is_held
from ..rooms.model import Participant, Role, Room
from ..rooms.policy import Policy
from ..rooms.statements import InvoiceCalendar
from ..rooms.workdays import WorkingDays
from ..wireformat import held_display, iso
from .ice import IceServers
from .outcomes import declined, summary_texts
from .texts import FundingView, funding_view, reason_text


def _person(p: Participant) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "presence": p.presence.value, "ready": p.ready}


def held_figures(room: Room, policy: Policy) -> dict[str, Any]:
    """The held-rule as the server counts it: media-both-ways time so far, and whether the
    session would count if it ended now."""
    return {"held_seconds": held_display(room.held_seconds), "held": is_held(room, policy)}


def view_of(state: FundingState, role: Role) -> FundingView:
    """The funding view ``role`` reads for this room."""
    return funding_view(role, state)


class Views:
    """Builds the ``room`` snapshot of each role; it hands out ICE servers once admitted."""

    def __init__(
        self,
        ice: IceServers,
        reconnect_grace: float,
        policy: Policy | None = None,
        invoices: InvoiceCalendar | None = None,
    ) -> None:
        self.ice = ice
        self.reconnect_grace = reconnect_grace
        self.policy = policy or Policy(reconnect_grace=reconnect_grace)
        self.invoices = invoices or InvoiceCalendar(WorkingDays(), ZoneInfo("UTC"))

    def summary(self, room: Room, role: Role) -> dict[str, Any]:
        """The end-of-session summary for one role (see :func:`summary`), with the due date of
        the platform invoice that lists a Credit session."""
        o = room.outcome
        due = None
        if o is not None and o.payment is not None and room.admitted_at is not None:
            due = self.invoices.dates(room.admitted_at)[0]
        return summary(room, role, due)

    def snapshot(self, state: FundingState, role: Role) -> dict[str, Any]:
        """The full ``room`` event for one role."""
        room = state.room
        me = room.participant(role)
        pro = role is Role.PROFESSIONAL
        admitted = room.admitted_at is not None and not room.phase.is_terminal
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
            "funding": msgspec.to_builtins(view_of(state, role)),
            "hub": {"name": room.hub.name} if pro and room.hub else None,
            "first_hub_session": pro and state.first_hub_session,
            "admitted": admitted,
            "admitted_at": iso(room.admitted_at),
            "admit_requested": room.admit_requested_at is not None,
            "min_held_seconds": self.policy.min_held_seconds,
            **held_figures(room, self.policy),
            "booking_id": room.booking_id if pro else None,
            "decline_preview": declined(room) if pro else None,
            "ice_servers": self.ice.for_participant(me.id) if admitted else None,
            "summary": self.summary(room, role) if room.phase.is_terminal else None,
            "reconnect_grace_s": self.reconnect_grace,
            "quality_thresholds": thresholds_for_browser(),
        }


def summary(room: Room, role: Role, due: date | None = None) -> dict[str, Any]:
    """The end-of-session summary for one role: payment type and who to invoice for the
    professional; what was used and what is left for the client. Never the other's name.
    ``due``: when the platform invoice listing a Credit session is due."""
    o = room.outcome
    if o is None:
        return {"phase": room.phase.value, "reason": None, "held_seconds": 0.0, "message": ""}
    base: dict[str, Any] = {
        "phase": o.phase.value,
        "reason": o.reason,
        "reason_text": reason_text(o.reason) if o.reason else None,
        "held_seconds": held_display(o.held_seconds),
        **summary_texts(room, o, role, due),
    }
    p = o.payment
    if role is Role.PROFESSIONAL:
        base["payment"] = msgspec.to_builtins(p) if p else None
    else:
        base["payment_type"] = p.payment_type.value if p else None
        base["credits_remaining"] = p.credits_remaining if p else None
    return base
