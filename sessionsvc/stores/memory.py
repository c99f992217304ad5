"""The in-memory store: the embedded default, and the test double of the domain.

Every method does its work without awaiting in between, so on one event loop each call is atomic;
that is this backend's concurrency control. State does not survive a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from msgspec.structs import replace

from ..rooms.clock import Clock
from ..rooms.errors import BookingConflict, RoomNotFound
from ..rooms.model import Ledger, Room
from ..rooms.outbox import (
    CreditSession,
    Notice,
    credit_session,
    ledger_changed,
    room_changed,
    room_opened,
)
from ..rooms.retention import RoomRetention, purge_after
from ..rooms.store import Applied, Mutator, T
from .memory_media import MemoryMediaStats
from .memory_outbox import MemoryOutbox
from .reports import MemoryReports

PURGE_EVERY = 60.0  # seconds of the service's clock between two purges of finished rooms


@dataclass
class _Tables:
    """Everything the memory backend holds, shared by its per-concern stores."""

    rooms: dict[str, Room] = field(default_factory=dict)
    bookings: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (room, fingerprint)
    ledgers: dict[tuple[str, str], Ledger] = field(default_factory=dict)
    live: dict[tuple[str, str], set[str]] = field(default_factory=dict)  # ledger -> live rooms
    deadlines: dict[str, float] = field(default_factory=dict)
    by_professional: dict[str, list[str]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # room ids, oldest first
    nodes: dict[str, float] = field(default_factory=dict)  # node -> alive until
    node_rooms: dict[str, set[str]] = field(default_factory=dict)
    outbox: MemoryOutbox = field(default_factory=MemoryOutbox)
    credits: dict[str, list[CreditSession]] = field(default_factory=dict)  # by professional
    retention: RoomRetention = field(default_factory=RoomRetention)
    next_purge: float = float("-inf")

    def report(self, notices: list[Notice]) -> None:
        """Write a change's events to the outbox, and a Credit completion to its professional's
        statement index, in the change's own step."""
        for event in self.outbox.write(notices):
            entry = credit_session(event)
            if entry is not None:
                self.credits.setdefault(entry.professional_id, []).append(entry)

    def set_deadline(self, room_id: str, when: float | None) -> None:
        if when is None:
            self.deadlines.pop(room_id, None)
        else:
            self.deadlines[room_id] = when

    def index(self, room: Room, deadline: float | None) -> None:
        """Bring the indexes a room is in up to date with it."""
        self.set_deadline(room.room_id, deadline)
        if room.phase.is_terminal and room.ledger_key:
            self.live.get(room.ledger_key, set()).discard(room.room_id)
        for p in (room.professional, room.client):
            if p.node is not None and p.conn is not None:
                self.node_rooms.setdefault(p.node, set()).add(room.room_id)
        if room.phase.is_terminal:
            self.retire(room)

    def retire(self, room: Room) -> None:
        """A room that ended leaves its professional's list of rooms (its statement line was
        written with its completion event, ``report``)."""
        ids = self.by_professional.get(room.professional.id, [])
        if room.room_id in ids:
            ids.remove(room.room_id)
            if not ids:
                del self.by_professional[room.professional.id]

    def purge(self, now: float) -> int:
        """Forget the rooms whose retention ran out, and statement lines past theirs."""
        gone = {
            rid
            for rid, room in self.rooms.items()
            if (until := purge_after(room, self.retention)) is not None and until <= now
        }
        for rid in gone:
            room = self.rooms.pop(rid)
            if self.bookings.get(room.booking_id, ("",))[0] == rid:
                del self.bookings[room.booking_id]
            self.deadlines.pop(rid, None)
            if room.ledger_key in self.live:
                self.live[room.ledger_key].discard(rid)
                if not self.live[room.ledger_key]:
                    del self.live[room.ledger_key]
        if gone:
            self.order = [rid for rid in self.order if rid not in gone]
            for rooms in self.node_rooms.values():
                rooms -= gone
        oldest = now - self.retention.statements
        for pro in list(self.credits):
            kept = [c for c in self.credits[pro] if c.held_at > oldest]
            if kept:
                self.credits[pro] = kept
            else:
                del self.credits[pro]
        return len(gone)


class MemoryRooms:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    async def create_room(
        self, room: Room, fingerprint: str, deadline: float | None
    ) -> tuple[Room, bool]:
        t = self._t
        existing = t.bookings.get(room.booking_id)
        if existing is not None:
            room_id, stored = existing
            if stored != fingerprint:
                raise BookingConflict(
                    f"booking {room.booking_id!r} was opened before with a different body"
                )
            return t.rooms[room_id], False
        t.bookings[room.booking_id] = (room.room_id, fingerprint)
        t.rooms[room.room_id] = room
        t.order.append(room.room_id)
        t.by_professional.setdefault(room.professional.id, []).append(room.room_id)
        if room.ledger_key:
            t.live.setdefault(room.ledger_key, set()).add(room.room_id)
        t.index(room, deadline)
        t.report(room_opened(room, t.ledgers.get(room.ledger_key) if room.ledger_key else None))
        return room, True

    async def get_room(self, room_id: str) -> Room | None:
        return self._t.rooms.get(room_id)

    async def mutate(self, room_id: str, fn: Mutator[T]) -> Applied[T]:
        t = self._t
        room = t.rooms.get(room_id)
        if room is None:
            raise RoomNotFound(f"no room {room_id!r}")
        ledger = t.ledgers.get(room.ledger_key) if room.ledger_key else None
        change = fn(room, ledger)
        stored, old_ledger = room, ledger
        if change.room != room:
            stored = replace(change.room, version=room.version + 1)
            t.rooms[room_id] = stored
        if change.ledger is not None:
            ledger = change.ledger
            t.ledgers[(ledger.hub_id, ledger.client_id)] = ledger
        t.index(stored, change.deadline)
        t.report(room_changed(room, old_ledger, stored, change.ledger))
        return Applied(stored, ledger, change.result)

    async def recent_rooms(self, limit: int) -> list[Room]:
        if limit <= 0:
            return []
        return [self._t.rooms[rid] for rid in reversed(self._t.order[-limit:])]

    async def purge(self, now: float) -> int:
        """At most once every ``PURGE_EVERY`` seconds of ``now``: forget what ran out."""
        if now < self._t.next_purge:
            return 0
        self._t.next_purge = now + PURGE_EVERY
        return self._t.purge(now)


class MemoryLedgers:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    async def get_ledger(self, hub_id: str, client_id: str) -> Ledger | None:
        return self._t.ledgers.get((hub_id, client_id))

    async def update_ledger(
        self, hub_id: str, client_id: str, fn: Callable[[Ledger | None], Ledger]
    ) -> Ledger:
        old = self._t.ledgers.get((hub_id, client_id))
        ledger = fn(old)
        self._t.ledgers[(hub_id, client_id)] = ledger
        self._t.report(ledger_changed(old, ledger))
        return ledger

    async def live_rooms_for(self, hub_id: str, client_id: str) -> list[str]:
        return sorted(self._t.live.get((hub_id, client_id), set()))


class MemoryDeadlines:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    async def due_rooms(self, now: float, limit: int) -> list[str]:
        due = sorted((when, rid) for rid, when in self._t.deadlines.items() if when <= now)
        return [rid for _, rid in due[:limit]]

    async def set_deadline(self, room_id: str, when: float | None) -> None:
        self._t.set_deadline(room_id, when)


class MemoryNodes:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    async def heartbeat(self, node: str, alive_until: float) -> None:
        self._t.nodes[node] = alive_until

    async def dead_nodes(self, now: float) -> list[str]:
        return sorted(n for n, until in self._t.nodes.items() if until < now)

    async def node_rooms(self, node: str) -> list[str]:
        return sorted(self._t.node_rooms.get(node, set()))

    async def forget_node(self, node: str) -> None:
        self._t.nodes.pop(node, None)
        self._t.node_rooms.pop(node, None)


class MemoryStatements:
    def __init__(self, t: _Tables) -> None:
        self._t = t

    async def professional_rooms(self, professional_id: str) -> list[Room]:
        t = self._t
        return [t.rooms[rid] for rid in t.by_professional.get(professional_id, [])]

    async def credit_sessions(
        self, professional_id: str, start: float, end: float
    ) -> list[CreditSession]:
        entries = self._t.credits.get(professional_id, [])
        return sorted((e for e in entries if start <= e.held_at < end), key=lambda e: e.held_at)


class MemoryStore:
    """Rooms, ledgers, deadlines and nodes in dictionaries of one process; finished rooms are
    forgotten after their retention by ``rooms.purge``, which the sweeper calls."""

    def __init__(self, clock: Clock | None = None, retention: RoomRetention | None = None) -> None:
        tables = _Tables(outbox=MemoryOutbox(clock), retention=retention or RoomRetention())
        self.rooms = MemoryRooms(tables)
        self.ledgers = MemoryLedgers(tables)
        self.deadlines = MemoryDeadlines(tables)
        self.nodes = MemoryNodes(tables)
        self.statements = MemoryStatements(tables)
        self.reports = MemoryReports()
        self.media_stats = MemoryMediaStats()
        self.outbox = tables.outbox

    async def ping(self) -> None:
        return None

    async def time(self) -> float | None:
        return None

    async def close(self) -> None:
        return None
