"""The HTTP request bodies, as typed structs, and reading them with clear errors: unknown
fields, missing fields and wrong types are refused, and so is JSON that does not parse."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, TypeVar

import msgspec
from aiohttp import web

from ..rooms.bookings import Booking, RoomChanges
from ..rooms.credits import Grant, GrantChanges
from ..rooms.errors import InvalidInput
from ..rooms.limits import Id, Name, Url
from ..rooms.model import Hub, InvoiceTo, Person, Role

T = TypeVar("T")


class BodyError(Exception):
    """A request body that cannot be read as the endpoint's struct."""

    code = "bad_body"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class MalformedJson(BodyError):
    code = "malformed_json"


class InvalidBody(BodyError):
    code = "invalid_body"


class OpenRoom(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The booking service's request to open a room."""

    booking_id: Id
    professional: Person
    client: Person
    scheduled_start: datetime
    scheduled_end: datetime
    hub: Hub | None = None
    payment_url: Url | None = None

    def booking(self) -> Booking:
        return Booking(
            booking_id=self.booking_id,
            professional=self.professional,
            client=self.client,
            scheduled_start=epoch(self.scheduled_start),
            scheduled_end=epoch(self.scheduled_end),
            hub=self.hub,
            payment_url=self.payment_url,
        )


class RoomPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Changes to a room's times or names."""

    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None
    professional_name: Name | None = None
    client_name: Name | None = None
    payment_url: Url | None = None

    def changes(self) -> RoomChanges:
        return RoomChanges(
            scheduled_start=epoch(self.scheduled_start) if self.scheduled_start else None,
            scheduled_end=epoch(self.scheduled_end) if self.scheduled_end else None,
            professional_name=self.professional_name,
            client_name=self.client_name,
            payment_url=self.payment_url,
        )


Credits = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]


class LedgerPut(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A client's whole credit grant at a hub."""

    credits_total: Credits
    credits_remaining: Credits
    card_on_file: bool
    invoice_to: InvoiceTo

    def grant(self) -> Grant:
        return Grant(self.credits_total, self.credits_remaining, self.card_on_file, self.invoice_to)


class LedgerPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Part of a client's credit grant to change (e.g. a card was added)."""

    credits_total: Credits | None = None
    credits_remaining: Credits | None = None
    card_on_file: bool | None = None
    invoice_to: InvoiceTo | None = None

    def changes(self) -> GrantChanges:
        return GrantChanges(
            self.credits_total, self.credits_remaining, self.card_on_file, self.invoice_to
        )


class TokenRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A fresh join token for one side of a room."""

    role: Role
    ttl_s: int | None = None


BODIES: tuple[type[msgspec.Struct], ...] = (
    OpenRoom,
    RoomPatch,
    LedgerPut,
    LedgerPatch,
    TokenRequest,
)


def epoch(value: datetime) -> float:
    """Seconds since the epoch of a time that carries its time zone."""
    if value.tzinfo is None:
        raise InvalidInput("times must carry a time zone, e.g. 2026-11-24T10:00:00Z")
    return value.timestamp()


async def read_json(request: web.Request, kind: type[T]) -> T:
    """Decode the body as ``kind`` (whose ids and names are bounded by ``rooms.limits``)."""
    raw = await request.read()
    if not raw.strip():
        raise MalformedJson("the request body is empty; send a JSON object")
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as e:
        raise InvalidBody(str(e)) from None
    except msgspec.DecodeError as e:  # lone surrogates (``\ud800``) too: no UTF-8 can hold them
        raise MalformedJson(f"the request body is not valid JSON: {e}") from None


def json_response(value: object, status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(value), status=status, content_type="application/json"
    )
