"""The in-memory store: the embedded default, and the test double of the domain.

Every method does its work without awaiting in between, so on one event loop each call is atomic;
that is this backend's concurrency control. State does not survive a restart.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

import msgspec
from msgspec.structs import replace

from ..rooms.errors import BookingConflict, RoomNotFound
from ..rooms.model import Ledger, Role, Room
from ..rooms.store import Change, Mutator, T


class MemoryStore:
    """Rooms, ledgers and stats in dictionaries of one process."""

    def __init__(self) -> None:
        self._rooms: dict[str, Room] = {}
        self._bookings: dict[str, tuple[str, str]] = {}  # booking_id -> (room_id, fingerprint)
        self._ledgers: dict[tuple[str, str], Ledger] = {}
        self._live: dict[tuple[str, str], set[str]] = {}
        self._deadlines: dict[str, float] = {}
        self._stats: dict[str, dict[str, deque[bytes]]] = {}  # msgpack: compact, not GC-tracked
        self._by_professional: dict[str, list[str]] = {}
        self._order: list[str] = []
        self._nodes: dict[str, float] = {}
        self._node_rooms: dict[str, set[str]] = {}

    async def create_room(
        self, room: Room, fingerprint: str, deadline: float | None
    ) -> tuple[Room, bool]:
        existing = self._bookings.get(room.booking_id)
        if existing is not None:
            room_id, stored = existing
            if stored != fingerprint:
                raise BookingConflict(
                    f"booking {room.booking_id!r} was opened before with a different body"
                )
            return self._rooms[room_id], False
        self._bookings[room.booking_id] = (room.room_id, fingerprint)
        self._rooms[room.room_id] = room
        self._order.append(room.room_id)
        self._by_professional.setdefault(room.professional.id, []).append(room.room_id)
        if room.ledger_key:
            self._live.setdefault(room.ledger_key, set()).add(room.room_id)
        self._set_deadline(room.room_id, deadline)
        return room, True

    async def get_room(self, room_id: str) -> Room | None:
        return self._rooms.get(room_id)

    async def mutate(self, room_id: str, fn: Mutator[T]) -> Change[T]:
        room = self._rooms.get(room_id)
        if room is None:
            raise RoomNotFound(f"no room {room_id!r}")
        ledger = self._ledgers.get(room.ledger_key) if room.ledger_key else None
        change = fn(room, ledger)
        if change.room != room:
            stored = replace(change.room, version=room.version + 1)
            self._rooms[room_id] = stored
            change = Change(stored, change.ledger, change.result, change.deadline)
            if stored.phase.is_terminal and stored.ledger_key:
                self._live.get(stored.ledger_key, set()).discard(room_id)
        if change.ledger is not None:
            self._ledgers[(change.ledger.hub_id, change.ledger.client_id)] = change.ledger
        self._set_deadline(room_id, change.deadline)
        return change

    async def get_ledger(self, hub_id: str, client_id: str) -> Ledger | None:
        return self._ledgers.get((hub_id, client_id))

    async def update_ledger(
        self, hub_id: str, client_id: str, fn: Callable[[Ledger | None], Ledger]
    ) -> Ledger:
        ledger = fn(self._ledgers.get((hub_id, client_id)))
        self._ledgers[(hub_id, client_id)] = ledger
        return ledger

    async def live_rooms_for(self, hub_id: str, client_id: str) -> list[str]:
        return sorted(self._live.get((hub_id, client_id), set()))

    async def due_rooms(self, now: float, limit: int) -> list[str]:
        due = sorted((when, rid) for rid, when in self._deadlines.items() if when <= now)
        return [rid for _, rid in due[:limit]]

    async def set_deadline(self, room_id: str, when: float | None) -> None:
        self._set_deadline(room_id, when)

    def _set_deadline(self, room_id: str, when: float | None) -> None:
        if when is None:
            self._deadlines.pop(room_id, None)
        else:
            self._deadlines[room_id] = when

    async def add_stats(self, room_id: str, role: Role, sample: dict[str, Any], keep: int) -> None:
        per_room = self._stats.setdefault(room_id, {})
        series = per_room.get(role.value)
        if series is None or series.maxlen != keep:
            series = deque(series or (), maxlen=keep)
            per_room[role.value] = series
        series.append(msgspec.msgpack.encode(sample))

    async def get_stats(self, room_id: str) -> dict[str, list[dict[str, Any]]]:
        decode = msgspec.msgpack.decode
        return {role: [decode(b) for b in s] for role, s in self._stats.get(room_id, {}).items()}

    async def recent_rooms(self, limit: int) -> list[Room]:
        if limit <= 0:
            return []
        return [self._rooms[rid] for rid in reversed(self._order[-limit:])]

    async def professional_rooms(self, professional_id: str) -> list[Room]:
        return [self._rooms[rid] for rid in self._by_professional.get(professional_id, [])]

    async def heartbeat(self, node: str, alive_until: float) -> None:
        self._nodes[node] = alive_until

    async def track(self, node: str, room_id: str) -> None:
        self._node_rooms.setdefault(node, set()).add(room_id)

    async def dead_nodes(self, now: float) -> list[str]:
        return sorted(n for n, until in self._nodes.items() if until < now)

    async def node_rooms(self, node: str) -> list[str]:
        return sorted(self._node_rooms.get(node, set()))

    async def forget_node(self, node: str) -> None:
        self._nodes.pop(node, None)
        self._node_rooms.pop(node, None)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None
