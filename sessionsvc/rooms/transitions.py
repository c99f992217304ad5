"""Running a pure transition on one stored room: the store applies it atomically, with the
room's next deadline computed from the result."""

from __future__ import annotations

from collections.abc import Callable

from .model import Ledger, Room
from .policy import Policy
from .store import Applied, Change, RoomStore, T
from .timeouts import next_deadline

Transition = Callable[[Room, Ledger | None], tuple[Room, Ledger | None, T]]
"""A pure function of (room, ledger) returning (new room, new ledger or None, result)."""


async def apply(rooms: RoomStore, policy: Policy, room_id: str, fn: Transition[T]) -> Applied[T]:
    """Apply ``fn`` to the room atomically; it may run more than once, and must be pure."""

    def run(room: Room, ledger: Ledger | None) -> Change[T]:
        new_room, new_ledger, result = fn(room, ledger)
        return Change(new_room, new_ledger, result, next_deadline(new_room, policy))

    return await rooms.mutate(room_id, run)
