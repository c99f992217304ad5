"""The store interface of the rooms domain: one small protocol per concern, which each backend
(``sessionsvc.stores``: memory and Redis) implements; both pass one contract test suite.

Concurrency lives in the store: ``RoomStore.mutate`` runs a pure function of (room, ledger) and
commits its result atomically, retrying on conflict, so that admit, completion and credit
consumption are single atomic operations on every backend. The indexes a room is in (its
deadline, its ledger's live rooms, the rooms of each node) follow the room as stored, in the
same operation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from .model import Ledger, Role, Room
from .outbox import CreditSession, OutboxEvent
from .samples import MediaSample, TimelineEntry

T = TypeVar("T")


@dataclass(frozen=True)
class Change(Generic[T]):
    """What a mutator decided: the new room, the new ledger (None: unchanged), a result for the
    caller, and when the room next needs a ``tick`` (None: never)."""

    room: Room
    ledger: Ledger | None
    result: T
    deadline: float | None


@dataclass(frozen=True)
class Applied(Generic[T]):
    """What a mutation committed: the room as stored, the client's ledger as it stands after
    the change (None when the room has none), and the mutator's result."""

    room: Room
    ledger: Ledger | None
    result: T


Mutator = Callable[[Room, "Ledger | None"], Change[T]]


class RoomStore(Protocol):
    """Rooms, and the indexes that follow them."""

    async def create_room(
        self, room: Room, fingerprint: str, deadline: float | None
    ) -> tuple[Room, bool]:
        """Insert a room unless its ``booking_id`` exists. Returns (room, created).

        For an existing booking with the same ``fingerprint`` returns the stored room; with a
        different one raises ``BookingConflict``.
        """
        ...

    async def get_room(self, room_id: str) -> Room | None: ...

    async def mutate(self, room_id: str, fn: Mutator[T]) -> Applied[T]:
        """Apply ``fn`` to the room and its client's ledger atomically; raises
        ``RoomNotFound``.

        ``fn`` may run more than once (on conflict) and must be pure. If it raises, nothing is
        written. The new room is stored with ``version + 1`` only if it differs; the ledger is
        written only if the change carries one. The room's deadline becomes ``deadline``, and
        each node a participant is connected through remembers the room.
        """
        ...

    async def recent_rooms(self, limit: int) -> list[Room]:
        """The newest rooms, newest first (for support)."""
        ...

    async def purge(self, now: float) -> int:
        """Forget the rooms that ended longer ago than their retention, and everything kept
        for them; how many were forgotten. (A store whose keys expire by themselves, like
        Redis, has nothing to do here.)"""
        ...


class LedgerStore(Protocol):
    """Each client's credits at a hub."""

    async def get_ledger(self, hub_id: str, client_id: str) -> Ledger | None: ...

    async def update_ledger(
        self, hub_id: str, client_id: str, fn: Callable[[Ledger | None], Ledger]
    ) -> Ledger:
        """Apply ``fn`` to the ledger atomically (``None`` if it does not exist yet)."""
        ...

    async def live_rooms_for(self, hub_id: str, client_id: str) -> list[str]:
        """Ids of the rooms funded by this ledger that have not ended."""
        ...


class DeadlineStore(Protocol):
    """When each live room next needs a ``tick``."""

    async def due_rooms(self, now: float, limit: int) -> list[str]:
        """Ids of rooms whose deadline is at or before ``now``, earliest first."""
        ...

    async def set_deadline(self, room_id: str, when: float | None) -> None:
        """Set (or with None clear) a room's deadline."""
        ...


class NodeStore(Protocol):
    """Which service nodes are alive, and the rooms their connections are in."""

    async def heartbeat(self, node: str, alive_until: float) -> None:
        """Record that service node ``node`` is alive until ``alive_until``."""
        ...

    async def dead_nodes(self, now: float) -> list[str]:
        """Nodes whose last heartbeat ran out before ``now``."""
        ...

    async def node_rooms(self, node: str) -> list[str]:
        """The rooms in which a participant was connected through ``node``."""
        ...

    async def forget_node(self, node: str) -> None:
        """Drop a dead node's records, once its rooms were taken care of."""
        ...


class StatementStore(Protocol):
    """What monthly statements are made from."""

    async def professional_rooms(self, professional_id: str) -> list[Room]:
        """The rooms booked with this professional that have not ended (a room leaves this
        list once it ended and its statement line, if any, is written)."""
        ...

    async def credit_sessions(
        self, professional_id: str, start: float, end: float
    ) -> list[CreditSession]:
        """The professional's held Credit sessions held in ``[start, end)``, oldest
        first: an index written with each completion, never a scan of rooms, kept for the
        statement retention after the rooms themselves are forgotten."""
        ...


@dataclass(frozen=True)
class Tries:
    """The delivery attempts of one event so far: how many, and when the first was made."""

    count: int = 0
    first_at: float | None = None


@dataclass(frozen=True)
class Pending:
    """An undelivered outbox event, its place in its stream and its attempts so far."""

    entry: str
    event: OutboxEvent
    tries: Tries = Tries()


class OutboxStore(Protocol):
    """The outbox: events written in the same atomic step as the changes they report (by the
    room and ledger stores), one stream per client tag, kept until delivered; and the catch-up
    log of recent events.

    A stream is delivered by one holder at a time (a lease), in order. A stream is *due* when it
    has events and no retry is scheduled later than now.
    """

    async def due_streams(self, now: float, limit: int) -> list[str]:
        """Streams with events to deliver now, earliest first."""
        ...

    async def lease(self, stream: str, holder: str, now: float, ttl: float) -> bool:
        """Take (or extend) the lease on ``stream`` for ``ttl`` seconds; False if another
        holder has it."""
        ...

    async def release(self, stream: str, holder: str) -> None:
        """Give the lease up, if ``holder`` has it."""
        ...

    async def take(
        self, stream: str, holder: str, now: float, ttl: float, limit: int
    ) -> list[Pending] | None:
        """Take (or extend) the lease as ``lease`` does (None: another holder has it) and
        return the oldest ``limit`` undelivered events of the stream, in order, with their
        attempts so far, now held by ``holder`` (a dead holder's are claimed). Each is in the
        catch-up log (and a Credit completion in its professional's statement index) from then
        on."""
        ...

    async def retry_later(self, stream: str, event_id: str, tries: Tries, at: float) -> None:
        """Record a failed attempt; the stream is due again at ``at``."""
        ...

    async def done(self, stream: str, delivered: list[Pending]) -> None:
        """These events were delivered (or given up): remove them from the stream."""
        ...

    async def settle(self, stream: str, holder: str, delivered: list[Pending]) -> bool:
        """The stream was worked through, the last events ``delivered``: remove those as
        ``done`` does, stop the stream being due unless events are left or came meanwhile, and
        release ``holder``'s lease. True if the stream is empty."""
        ...

    async def recover(self, now: float) -> int:
        """Find streams with events that are not due (their writer died before saying so) and
        make them due; returns how many."""
        ...

    async def backlog(self) -> tuple[int, float | None]:
        """How many events are undelivered, and the time of the oldest (None: none)."""
        ...

    async def log_after(self, after: str | None, limit: int) -> list[OutboxEvent]:
        """Logged events after the one with id ``after`` (None: from the oldest kept), in the
        order they were logged; raises ``EventNotFound`` for an id that is not in the log."""
        ...

    async def logged(self, event_id: str) -> OutboxEvent | None:
        """One event of the catch-up log."""
        ...

    async def endpoint_stopped(self, endpoint: str) -> str | None:
        """Why delivery to ``endpoint`` was stopped (None: it was not)."""
        ...

    async def stop_endpoint(self, endpoint: str, reason: str | None) -> None:
        """Stop delivery to ``endpoint`` on every node (None: resume it)."""
        ...

    async def wait_for_events(self, within: float) -> None:
        """Return when this process wrote events, or after ``within`` seconds."""
        ...


class ReportStore(Protocol):
    """Connection-test reports: each an opaque document of named parts (the test, its relay
    check), kept until it expires. A part is written by the node that ran it."""

    async def add_report_part(
        self, report_id: str, part: str, body: bytes, *, now: float, expires_at: float
    ) -> bool:
        """Store a part unless the report already has it; True if stored. The whole report
        expires at ``expires_at``."""
        ...

    async def put_report_part(
        self, report_id: str, part: str, body: bytes, *, now: float, expires_at: float
    ) -> None:
        """Store (or replace) a part; the whole report expires at ``expires_at``."""
        ...

    async def get_report(self, report_id: str, now: float) -> dict[str, bytes]:
        """Every part of a report that has not expired; empty if there is none."""
        ...


class MediaStatsStore(Protocol):
    """Each participant's media samples and timeline in a room: bounded lists, newest last,
    kept ``ttl`` seconds after their last write (their own retention)."""

    async def add_sample(
        self, room_id: str, role: Role, sample: MediaSample, *, keep: int, ttl: float, now: float
    ) -> None:
        """Append a sample, keeping the newest ``keep``."""
        ...

    async def recent_samples(self, room_id: str, role: Role, count: int) -> list[MediaSample]:
        """The newest ``count`` samples, oldest first."""
        ...

    async def samples(self, room_id: str, role: Role) -> list[MediaSample]:
        """Every sample kept, oldest first."""
        ...

    async def report_context(
        self, room_id: str, role: Role, count: int
    ) -> tuple[list[MediaSample], MediaSample | None]:
        """In one read, what grading a side's new report needs: its newest ``count`` samples
        (oldest first) and the other side's newest sample."""
        ...

    async def latest_samples(self, keys: list[tuple[str, Role]]) -> list[MediaSample | None]:
        """The newest sample of each (room, role), in the order asked."""
        ...

    async def add_entry(
        self,
        room_id: str,
        role: Role,
        entry: TimelineEntry,
        *,
        keep: int,
        ttl: float,
        now: float,
    ) -> None:
        """Append a timeline entry, keeping the newest ``keep``."""
        ...

    async def entries(self, room_id: str, role: Role) -> list[TimelineEntry]:
        """The timeline kept, oldest first."""
        ...


class Backend(Protocol):
    """A whole store backend: one object per concern, sharing one connection."""

    @property
    def rooms(self) -> RoomStore: ...

    @property
    def ledgers(self) -> LedgerStore: ...

    @property
    def deadlines(self) -> DeadlineStore: ...

    @property
    def nodes(self) -> NodeStore: ...

    @property
    def statements(self) -> StatementStore: ...

    @property
    def reports(self) -> ReportStore: ...

    @property
    def outbox(self) -> OutboxStore: ...

    @property
    def media_stats(self) -> MediaStatsStore: ...

    async def ping(self) -> None:
        """Raise if the store cannot be reached."""
        ...

    async def time(self) -> float | None:
        """The store's own clock (seconds since the epoch), shared by every node; None for a
        store of one process, whose own clock is the only one."""
        ...

    async def close(self) -> None:
        """Release the connection; safe to call more than once."""
        ...
