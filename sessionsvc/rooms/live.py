"""The live session: participants join, drop and leave, the professional admits or declines the
client, both report media, and the professional ends it. Each operation is one atomic store
operation that returns everything its caller needs (the room and its funding), so a join costs
one round of store work and no reads after it."""

from __future__ import annotations

from dataclasses import dataclass

from . import lifecycle
from .clock import Clock
from .completion import conclude
from .credits import Credits
from .errors import RoomNotFound
from .events import EventKind, Events, RoomEvent
from .funding import FundingState, funding_state
from .held import is_held, record_media
from .model import Ledger, Outcome, PaymentType, Role, Room
from .policy import Policy
from .roles import Action, authorize, ensure_open
from .store import Applied, RoomStore, T
from .transitions import Transition, apply


@dataclass(frozen=True)
class Arrival:
    """A participant's connection, accepted: the room and its funding for the first snapshot,
    and the older connection of the same identity that was taken over (to close)."""

    state: FundingState
    replaced_conn: str | None
    resumed: bool


def state_of(applied: Applied[T]) -> FundingState:
    """The room a mutation committed, with its funding after it."""
    return funding_state(applied.room, applied.ledger)


class LiveSession:
    """What the participants do in a room, through the signaling edge."""

    def __init__(
        self, rooms: RoomStore, credits: Credits, clock: Clock, policy: Policy, events: Events
    ) -> None:
        self._rooms = rooms
        self._credits = credits
        self._clock = clock
        self.policy = policy
        self._events = events

    async def get_room(self, room_id: str) -> Room:
        room = await self._rooms.get_room(room_id)
        if room is None:
            raise RoomNotFound(f"no room {room_id!r}")
        return room

    async def _apply(self, room_id: str, fn: Transition[T]) -> Applied[T]:
        return await apply(self._rooms, self.policy, room_id, fn)

    async def join(
        self,
        room_id: str,
        role: Role,
        participant_id: str,
        conn: str,
        node: str | None = None,
        ready: bool = True,
    ) -> Arrival:
        """A participant's connection arrives (a second one takes over from the first);
        ``ready=False``: it opens on the device check."""
        now = self._clock.now()

        def fn(room: Room, ledger: Ledger | None) -> tuple[Room, None, lifecycle.Joined]:
            joined = lifecycle.join(room, role, participant_id, conn, now, node, ready)
            return joined.room, None, joined

        applied = await self._apply(room_id, fn)
        joined, state = applied.result, state_of(applied)
        await self._events.emit(
            RoomEvent(EventKind.JOINED, state, role, joined.replaced_conn, joined.resumed)
        )
        return Arrival(state, joined.replaced_conn, joined.resumed)

    async def drop(self, room_id: str, role: Role, conn: str) -> Room:
        """A connection dropped: its participant keeps its place for the reconnect grace."""
        now = self._clock.now()
        applied = await self._apply(
            room_id, lambda r, _l: (lifecycle.drop(r, role, conn, now), None, None)
        )
        if applied.room.participant(role).dropped_at == now:
            await self._events.emit(RoomEvent(EventKind.RECONNECTING, state_of(applied), role))
        return applied.room

    async def leave(self, room_id: str, role: Role, conn: str) -> Room:
        """A participant leaves on purpose."""
        now = self._clock.now()
        applied = await self._apply(
            room_id, lambda r, _l: (lifecycle.leave(r, role, conn, now), None, None)
        )
        if applied.room.participant(role).left_at == now:
            await self._events.emit(RoomEvent(EventKind.LEFT, state_of(applied), role))
        return applied.room

    async def admit(self, room_id: str, by: Role, client_id: str, override: bool) -> Room:
        """The professional lets the waiting client in; a client with no credits and no card
        needs ``override``, which is recorded. A client still on its device check is let in
        when it is ready (the room stays waiting, with ``admit_requested_at`` set)."""
        now = self._clock.now()
        applied = await self._apply(
            room_id,
            lambda r, led: (lifecycle.admit(r, led, by, client_id, override, now), None, None),
        )
        started = applied.room.admitted_at is not None
        kind = EventKind.ADMITTED if started else EventKind.ADMIT_PENDING
        await self._events.emit(RoomEvent(kind, state_of(applied)))
        return applied.room

    async def set_ready(self, room_id: str, role: Role, conn: str, ready: bool = True) -> Room:
        """A participant finished its device check (or went back to it); a client already
        admitted goes into the call now."""
        now = self._clock.now()
        applied = await self._apply(
            room_id, lambda r, _l: (lifecycle.set_ready(r, role, conn, ready, now), None, None)
        )
        state = state_of(applied)
        await self._events.emit(RoomEvent(EventKind.READY, state, role))
        if applied.room.admitted_at == now:
            await self._events.emit(RoomEvent(EventKind.ADMITTED, state))
        return applied.room

    async def deny(self, room_id: str, by: Role, client_id: str) -> Room:
        """The professional declines the client, for good."""

        def fn(room: Room, ledger: Ledger | None) -> tuple[Room, None, str | None]:
            new, conn = lifecycle.deny(room, by, client_id)
            return new, None, conn

        applied = await self._apply(room_id, fn)
        await self._events.emit(
            RoomEvent(EventKind.DENIED, state_of(applied), Role.CLIENT, applied.result)
        )
        return applied.room

    async def set_note(self, room_id: str, by: Role, note: str | None) -> Room:
        """The professional's note to the waiting room."""
        applied = await self._apply(
            room_id, lambda r, _l: (lifecycle.set_note(r, by, note), None, None)
        )
        await self._events.emit(RoomEvent(EventKind.UPDATED, state_of(applied)))
        return applied.room

    async def record_stats(self, room_id: str, role: Role, bytes_in: int, bytes_out: int) -> Room:
        """One side's stats report: the bytes it has received and sent so far (the held-rule's
        input)."""
        authorize(role, Action.REPORT)
        now = self._clock.now()

        def fn(room: Room, ledger: Ledger | None) -> tuple[Room, None, bool]:
            ensure_open(room)
            new = record_media(room, role, bytes_in, bytes_out, now, self.policy)
            return new, None, is_held(new, self.policy) and not is_held(room, self.policy)

        applied = await self._apply(room_id, fn)
        if applied.result:
            await self._events.emit(RoomEvent(EventKind.HELD, state_of(applied)))
        return applied.room

    async def end(self, room_id: str, by: Role) -> Applied[Outcome]:
        """The professional ends the session: it completes once, held or not."""
        authorize(by, Action.END)
        now = self._clock.now()

        def fn(room: Room, ledger: Ledger | None) -> tuple[Room, Ledger | None, Outcome]:
            done = conclude(room, ledger, now, self.policy)
            return done.room, done.ledger, done.outcome

        applied = await self._apply(room_id, fn)
        await announce_end(self._events, self._credits, applied)
        return applied


async def announce_end(events: Events, credits: Credits, applied: Applied[T]) -> None:
    """A room ended: tell its listeners, and if it consumed a credit, the other live rooms of
    that ledger."""
    await events.emit(RoomEvent(EventKind.ENDED, state_of(applied)))
    outcome = applied.room.outcome
    payment = outcome.payment if outcome else None
    if payment and payment.payment_type is PaymentType.CREDIT and applied.ledger is not None:
        await credits.announce(applied.ledger)
