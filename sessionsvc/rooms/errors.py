"""Typed domain errors. The edges turn each into an HTTP status or an ``{ok: false}`` ack."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose.

    ``code`` is the stable machine-readable error code sent to clients; ``status`` is the HTTP
    status the API uses for it.
    """

    code = "domain_error"
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DomainError):
    code = "not_found"
    status = 404


class RoomNotFound(NotFound):
    code = "room_not_found"


class LedgerNotFound(NotFound):
    code = "credits_not_found"


class BookingConflict(DomainError):
    """The same ``booking_id`` was opened before with a different body."""

    code = "booking_conflict"
    status = 409


class RoomClosed(DomainError):
    """The room has ended (completed, not held, cancelled or expired): nothing more can happen."""

    code = "room_closed"
    status = 409


class InvalidTransition(DomainError):
    """The event does not fit the room's current phase (e.g. admitting before anyone waits)."""

    code = "invalid_state"
    status = 409


class Forbidden(DomainError):
    """The caller's role may not do this (e.g. a client sending ``admit``)."""

    code = "forbidden"
    status = 403


class NotYourRoom(Forbidden):
    """The identity is not the one booked for this room."""

    code = "not_your_room"


class Removed(Forbidden):
    """The identity was removed from the room and may not come back."""

    code = "removed"


class CardRequired(DomainError):
    """The client has no company credits and no card on file; admitting needs an override."""

    code = "card_required"
    status = 409


class InvalidInput(DomainError):
    """A value is out of range or inconsistent (e.g. end before start, negative credits)."""

    code = "invalid_input"
    status = 422
