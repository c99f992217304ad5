"""The booking service's side of a room: open it (idempotent on the booking id), read it,
change its times or names, cancel it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TypeVar

import msgspec
from msgspec.structs import replace

from .clock import Clock
from .errors import InvalidInput, RoomNotFound
from .events import EventKind, Events, RoomEvent
from .funding import FundingState, funding_state
from .ids import new_room_id
from .lifecycle import cancel
from .model import Hub, Ledger, Participant, Person, Role, Room
from .policy import Policy
from .roles import ensure_open
from .store import LedgerStore, RoomStore
from .timeouts import next_deadline
from .transitions import apply

V = TypeVar("V")


class Booking(msgspec.Struct, frozen=True):
    """A booked session as the booking service describes it (times in epoch seconds)."""

    booking_id: str
    professional: Person
    client: Person
    scheduled_start: float
    scheduled_end: float
    hub: Hub | None = None
    payment_url: str | None = None


@dataclass(frozen=True)
class RoomChanges:
    """What the booking service may change in a room; None leaves a value as it is."""

    scheduled_start: float | None = None
    scheduled_end: float | None = None
    professional_name: str | None = None
    client_name: str | None = None
    payment_url: str | None = None


def _check_times(start: float, end: float) -> None:
    if end <= start:
        raise InvalidInput("scheduled_end must be after scheduled_start")


class Bookings:
    """Rooms as the booking service opens, reads, changes and cancels them."""

    def __init__(
        self, rooms: RoomStore, ledgers: LedgerStore, clock: Clock, policy: Policy, events: Events
    ) -> None:
        self._rooms = rooms
        self._ledgers = ledgers
        self._clock = clock
        self._policy = policy
        self._events = events

    async def open_room(self, booking: Booking) -> tuple[FundingState, bool]:
        """Open the room of ``booking``, or return the one it opened before. Returns the room
        with its funding, and whether it was created now."""
        _check_times(booking.scheduled_start, booking.scheduled_end)
        if booking.professional.id == booking.client.id:
            raise InvalidInput("the professional and the client must be different people")
        pro, client = booking.professional, booking.client
        room = Room(
            room_id=new_room_id(client.id),
            booking_id=booking.booking_id,
            hub=booking.hub,
            professional=Participant(pro.id, pro.name, Role.PROFESSIONAL),
            client=Participant(client.id, client.name, Role.CLIENT),
            scheduled_start=booking.scheduled_start,
            scheduled_end=booking.scheduled_end,
            created_at=self._clock.now(),
            payment_url=booking.payment_url,
        )
        fingerprint = hashlib.sha256(msgspec.json.encode(booking, order="sorted")).hexdigest()
        room, created = await self._rooms.create_room(
            room, fingerprint, next_deadline(room, self._policy)
        )
        state = funding_state(room, await self._ledger_of(room))
        if created:
            await self._events.emit(RoomEvent(EventKind.OPENED, state))
        return state, created

    async def get_room(self, room_id: str) -> Room:
        room = await self._rooms.get_room(room_id)
        if room is None:
            raise RoomNotFound(f"no room {room_id!r}")
        return room

    async def room_state(self, room_id: str) -> FundingState:
        """The room with its funding now."""
        room = await self.get_room(room_id)
        return funding_state(room, await self._ledger_of(room))

    async def patch_room(self, room_id: str, changes: RoomChanges) -> FundingState:
        def fn(room: Room, ledger: Ledger | None) -> tuple[Room, None, None]:
            ensure_open(room)
            start = _pick(changes.scheduled_start, room.scheduled_start)
            end = _pick(changes.scheduled_end, room.scheduled_end)
            _check_times(start, end)
            pro, client = room.professional, room.client
            pro = replace(pro, name=_pick(changes.professional_name, pro.name))
            client = replace(client, name=_pick(changes.client_name, client.name))
            new = replace(
                room,
                scheduled_start=start,
                scheduled_end=end,
                professional=pro,
                client=client,
                payment_url=_pick(changes.payment_url, room.payment_url),
            )
            return new, None, None

        applied = await apply(self._rooms, self._policy, room_id, fn)
        state = funding_state(applied.room, applied.ledger)
        await self._events.emit(RoomEvent(EventKind.UPDATED, state))
        return state

    async def cancel_room(self, room_id: str) -> FundingState:
        now = self._clock.now()
        applied = await apply(
            self._rooms, self._policy, room_id, lambda r, _l: (cancel(r, now), None, None)
        )
        state = funding_state(applied.room, applied.ledger)
        await self._events.emit(RoomEvent(EventKind.ENDED, state))
        return state

    async def _ledger_of(self, room: Room) -> Ledger | None:
        return await self._ledgers.get_ledger(*room.ledger_key) if room.ledger_key else None


def _pick(new: V | None, old: V) -> V:
    return old if new is None else new
