"""Applies the timeouts that fell due (reconnect grace, departure, no-shows, expiry). Every
node runs it; the store's atomic mutations make each timeout take effect once."""

from __future__ import annotations

from .clock import Clock
from .credits import Credits
from .errors import RoomNotFound
from .events import EventKind, Events, RoomEvent
from .live import announce_end, state_of
from .model import Ledger, Room
from .policy import Policy
from .store import DeadlineStore, RoomStore
from .timeouts import Ticked, tick
from .transitions import apply


class Timeouts:
    """Ticks the rooms whose deadline has come."""

    def __init__(
        self,
        rooms: RoomStore,
        deadlines: DeadlineStore,
        credits: Credits,
        clock: Clock,
        policy: Policy,
        events: Events,
    ) -> None:
        self._rooms = rooms
        self._deadlines = deadlines
        self._credits = credits
        self._clock = clock
        self._policy = policy
        self._events = events

    async def tick(self, room_id: str) -> Room:
        """Apply the timeouts due for one room."""
        now = self._clock.now()

        def fn(room: Room, ledger: Ledger | None) -> tuple[Room, Ledger | None, Ticked]:
            t = tick(room, ledger, now, self._policy)
            return t.room, t.ledger, t

        applied = await apply(self._rooms, self._policy, room_id, fn)
        for role in applied.result.left:
            await self._events.emit(RoomEvent(EventKind.LEFT, state_of(applied), role))
        if applied.result.outcome is not None:
            await announce_end(self._events, self._credits, applied)
        return applied.room

    async def sweep(self, limit: int = 200) -> int:
        """Tick every room whose deadline has come, and forget the rooms whose retention ran
        out; returns how many were ticked."""
        await self._rooms.purge(self._clock.now())
        due = await self._deadlines.due_rooms(self._clock.now(), limit)
        for room_id in due:
            try:
                await self.tick(room_id)
            except RoomNotFound:
                await self._deadlines.set_deadline(room_id, None)
        return len(due)
