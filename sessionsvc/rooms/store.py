"""The store interface of the rooms domain. Backends live beside the domain, in
``sessionsvc.stores`` (memory and Redis); both pass one contract test suite.

Concurrency lives in the store: ``mutate`` runs a pure function of (room, ledger) and commits its
result atomically, retrying on conflict, so that admit, completion and credit consumption are
single atomic operations on every backend.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from .model import Ledger, Role, Room

T = TypeVar("T")


@dataclass(frozen=True)
class Change(Generic[T]):
    """What a mutator decided: the new room, the new ledger (None: unchanged), a result for the
    caller, and when the room next needs a ``tick`` (None: never)."""

    room: Room
    ledger: Ledger | None
    result: T
    deadline: float | None


Mutator = Callable[[Room, "Ledger | None"], Change[T]]


class Store(Protocol):
    """Where rooms, ledgers and media diagnostics live."""

    async def create_room(
        self, room: Room, fingerprint: str, deadline: float | None
    ) -> tuple[Room, bool]:
        """Insert a room unless its ``booking_id`` exists. Returns (room, created).

        For an existing booking with the same ``fingerprint`` returns the stored room; with a
        different one raises ``BookingConflict``.
        """
        ...

    async def get_room(self, room_id: str) -> Room | None: ...

    async def mutate(self, room_id: str, fn: Mutator[T]) -> Change[T]:
        """Apply ``fn`` to the room and its ledger atomically; raises ``RoomNotFound``.

        ``fn`` may run more than once (on conflict) and must be pure. If it raises, nothing is
        written. The new room is stored with ``version + 1`` only if it differs; the ledger is
        written only if the change carries one.
        """
        ...

    async def get_ledger(self, hub_id: str, client_id: str) -> Ledger | None: ...

    async def update_ledger(
        self, hub_id: str, client_id: str, fn: Callable[[Ledger | None], Ledger]
    ) -> Ledger:
        """Apply ``fn`` to the ledger atomically (``None`` if it does not exist yet)."""
        ...

    async def live_rooms_for(self, hub_id: str, client_id: str) -> list[str]:
        """Ids of the rooms funded by this ledger that have not ended."""
        ...

    async def due_rooms(self, now: float, limit: int) -> list[str]:
        """Ids of rooms whose deadline is at or before ``now``."""
        ...

    async def set_deadline(self, room_id: str, when: float | None) -> None: ...

    async def add_stats(self, room_id: str, role: Role, sample: dict[str, Any], keep: int) -> None:
        """Append one media stats sample; keep only the newest ``keep`` per participant."""
        ...

    async def get_stats(self, room_id: str) -> dict[str, list[dict[str, Any]]]:
        """The kept samples, by role, oldest first."""
        ...

    async def recent_rooms(self, limit: int) -> list[Room]:
        """The newest rooms, newest first (for support)."""
        ...

    async def professional_rooms(self, professional_id: str) -> list[Room]:
        """Every room booked with this professional (for statements)."""
        ...

    async def heartbeat(self, node: str, alive_until: float) -> None:
        """Record that service node ``node`` is alive until ``alive_until``."""
        ...

    async def track(self, node: str, room_id: str) -> None:
        """Remember that a connection on ``node`` is in ``room_id``."""
        ...

    async def dead_nodes(self, now: float) -> list[str]:
        """Nodes whose last heartbeat ran out before ``now``."""
        ...

    async def node_rooms(self, node: str) -> list[str]:
        """The rooms ``node`` had connections in."""
        ...

    async def forget_node(self, node: str) -> None:
        """Drop a dead node's records, once its rooms were taken care of."""
        ...

    async def ping(self) -> None:
        """Raise if the store cannot be reached."""
        ...

    async def close(self) -> None: ...
