"""Typed domain errors. Each carries a stable machine-readable ``code``; the edges decide what it
becomes on the wire (an HTTP status in ``api/errors.py``, an ``{ok: false}`` ack in
``signaling/errors.py``)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"


class RoomNotFound(NotFound):
    code = "room_not_found"


class LedgerNotFound(NotFound):
    code = "credits_not_found"


class BookingConflict(DomainError):
    """The same ``booking_id`` was opened before with a different body."""

    code = "booking_conflict"


class RoomClosed(DomainError):
    """The room has ended (completed, not held, cancelled or expired): nothing more can happen."""

    code = "room_closed"


class InvalidTransition(DomainError):
    """The event does not fit the room's current phase (e.g. admitting before anyone waits)."""

    code = "invalid_state"


class Forbidden(DomainError):
    """The caller's role may not do this (e.g. a client sending ``admit``)."""

    code = "forbidden"


class NotYourRoom(Forbidden):
    """The identity is not the one booked for this room."""

    code = "not_your_room"


class Removed(Forbidden):
    """The identity was removed from the room and may not come back."""

    code = "removed"


class CardRequired(DomainError):
    """The client has no company credits and no card on file; admitting needs an override."""

    code = "card_required"


class InvalidInput(DomainError):
    """A value is out of range or inconsistent (e.g. end before start, negative credits)."""

    code = "invalid_input"


class EventNotFound(NotFound):
    """No webhook event with that id is in the catch-up log (never was, or trimmed since)."""

    code = "event_not_found"


class StoreUnavailable(DomainError):
    """The store cannot be reached for now (e.g. Redis restarts): nothing was decided, and the
    same request can be retried shortly."""

    code = "store_unavailable"
