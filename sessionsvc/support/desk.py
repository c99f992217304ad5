"""The support desk: the rooms support staff may look through (live and past, filtered), a room's
media diagnostics and its export, and connection-test reports by id. Every read names who made
it and is written to the audit log before anything is returned."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from ..rooms.clock import Clock
from ..rooms.errors import NotFound, RoomNotFound
from ..rooms.mediastats import MediaStats
from ..rooms.model import NotHeldReason, Phase, Role, Room
from ..rooms.samples import MediaSample
from ..rooms.store import RoomStore
from ..wireformat import iso
from .audit import Audit
from .pseudonyms import Pseudonyms
from .views import ROLES, is_live, participant_diagnostics, room_row

SCAN = 2000  # the newest rooms a search looks through
OUTCOMES = frozenset(
    {Phase.COMPLETED, Phase.NOT_HELD, Phase.CANCELLED, Phase.EXPIRED} | set(NotHeldReason)
)


class TestReportNotFound(NotFound):
    code = "test_report_not_found"


class TestReports(Protocol):
    """Where connection-test reports are kept (``GET /v1/diagnostics/tests/{id}`` serves them
    to their holder; support looks them up here)."""

    async def test_report(self, report_id: str) -> Mapping[str, Any] | None: ...


class NoTestReports:
    """The seam until a store of connection-test reports is wired in: none are found."""

    async def test_report(self, report_id: str) -> Mapping[str, Any] | None:
        return None


@dataclass(frozen=True)
class RoomFilter:
    """Which rooms a search returns (None: any)."""

    phase: Phase | None = None
    live: bool | None = None
    hub: str | None = None  # a hub id, or "" for rooms without one (self-pay)
    day: date | None = None  # the UTC day of the scheduled start
    outcome: str | None = None  # an ended phase, or a not-held reason
    limit: int = 100

    def matches(self, room: Room) -> bool:
        if self.phase is not None and room.phase is not self.phase:
            return False
        if self.live is not None and is_live(room) != self.live:
            return False
        if self.hub is not None and (room.hub.id if room.hub else "") != self.hub:
            return False
        day = datetime.fromtimestamp(room.scheduled_start, UTC).date()
        if self.day is not None and day != self.day:
            return False
        if self.outcome is not None:
            o = room.outcome
            if o is None or self.outcome not in (o.phase.value, o.reason):
                return False
        return True

    def described(self) -> dict[str, object]:
        """The filter as the audit log records it."""
        out: dict[str, object] = {}
        for name in ("phase", "live", "hub", "day", "outcome"):
            value = getattr(self, name)
            if value is not None:
                out[name] = str(value)
        return out


class SupportDesk:
    """What support staff read, and the audit of it."""

    def __init__(
        self,
        rooms: RoomStore,
        media: MediaStats,
        pseudonyms: Pseudonyms,
        audit: Audit,
        clock: Clock,
        test_reports: TestReports | None = None,
    ) -> None:
        self._rooms = rooms
        self._media = media
        self.pseudonyms = pseudonyms
        self._audit = audit
        self._clock = clock
        self._tests = test_reports or NoTestReports()

    async def _latest(self, rooms: list[Room]) -> list[dict[Role, MediaSample | None]]:
        keys = [(r.room_id, role) for r in rooms for role in ROLES]
        samples = await self._media.latest(keys)
        return [
            {role: samples[2 * i + j] for j, role in enumerate(ROLES)} for i in range(len(rooms))
        ]

    async def rows(self, rooms: list[Room]) -> list[dict[str, Any]]:
        """The list rows of ``rooms`` with each side's grade (for pushes to a dashboard whose
        reads were audited)."""
        now = self._clock.now()
        latest = await self._latest(rooms)
        return [room_row(r, g, self.pseudonyms, now) for r, g in zip(rooms, latest, strict=True)]

    def change(self, room: Room) -> dict[str, Any]:
        """The row of a room that changed, without grades (nothing read for it)."""
        return room_row(room, None, self.pseudonyms, self._clock.now())

    async def find_rooms(self, who: str, flt: RoomFilter) -> list[dict[str, Any]]:
        """The newest rooms that match ``flt``, newest first."""
        found = [r for r in await self._rooms.recent_rooms(SCAN) if flt.matches(r)][: flt.limit]
        self._audit.read(who, "rooms", None, count=len(found), **flt.described())
        return await self.rows(found)

    async def live_rooms(self, who: str) -> list[dict[str, Any]]:
        """The rooms someone is in now, for the dashboard's live list."""
        return await self.find_rooms(who, RoomFilter(live=True, limit=SCAN))

    async def _room(self, room_id: str) -> Room:
        room = await self._rooms.get_room(room_id)
        if room is None:
            raise RoomNotFound(f"no room {room_id!r}")
        return room

    async def diagnostics(
        self, who: str, room_id: str, what: str = "diagnostics"
    ) -> dict[str, Any]:
        """A room's media diagnostics, both sides."""
        room = await self._room(room_id)
        self._audit.read(who, what, room_id)
        now = self._clock.now()
        sides = []
        latest: dict[Role, MediaSample | None] = {}
        for role in ROLES:
            samples = await self._media.samples(room_id, role)
            entries = await self._media.entries(room_id, role)
            latest[role] = samples[-1] if samples else None
            sides.append(
                participant_diagnostics(room.participant(role), samples, entries, self.pseudonyms)
            )
        return {
            "room": room_row(room, latest, self.pseudonyms, now),
            "participants": sides,
            "generated_at": iso(now),
        }

    async def export(self, who: str, room_id: str) -> dict[str, Any]:
        """Everything of a room support may see, as one document to keep or pass on."""
        doc = await self.diagnostics(who, room_id, what="export")
        return {"format": "sessionsvc.room-export/1", **doc}

    async def watch(self, who: str, room_id: str) -> dict[str, Any]:
        """Start following a room live: its row now."""
        room = await self._room(room_id)
        self._audit.read(who, "live", room_id)
        return (await self.rows([room]))[0]

    async def test_report(self, who: str, report_id: str) -> Mapping[str, Any]:
        """A connection-test report by its id."""
        self._audit.read(who, "test_report", None, report=report_id)
        report = await self._tests.test_report(report_id)
        if report is None:
            raise TestReportNotFound(f"no connection-test report {report_id!r}")
        return report
