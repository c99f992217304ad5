"""Media stats of the live session: each side's ``stats`` report becomes a sample in its bounded
series, graded by the one scorer, its received bytes fed to the held-rule, and the listeners
told (both screens, the support dashboard); device reports and presence changes go on each
participant's timeline. A refused report changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from msgspec.structs import replace

from . import scorer
from .clock import Clock
from .events import EventKind, RoomEvent
from .live import LiveSession
from .model import Role, Room
from .roles import Action, authorize, ensure_open
from .samples import Measured, MediaReport, MediaSample, TimelineEntry, changes, measure
from .store import MediaStatsStore

log = logging.getLogger(__name__)

RECENT = 4  # samples read back to find a report's window (2 s apart: 8 s)
UP_STATES = frozenset({"connected", "completed"})
DOWN_STATES = frozenset({"disconnected", "failed", "closed"})


@dataclass(frozen=True)
class Retention:
    """How much of each participant's media is kept, and for how long after its last write."""

    samples: int = 1800  # one hour of reports every 2 s
    entries: int = 200
    seconds: float = 2 * 24 * 3600.0


@dataclass(frozen=True)
class DeviceReport:
    """A side's browser and its camera and microphone permission states."""

    browser: str
    version: str
    camera: str
    microphone: str


@dataclass(frozen=True)
class QualityUpdate:
    """A report was kept: the room as the held-rule left it, the side's new sample, and the
    other side's latest sample when it is recent (None otherwise)."""

    room: Room
    role: Role
    sample: MediaSample
    other: MediaSample | None
    previous_grade: str | None


QualityListener = Callable[[QualityUpdate], Awaitable[None]]


def connected(sample: MediaSample) -> bool | None:
    """Whether the side's peer connection is up (None: not yet, or not said)."""
    state = sample.connection_state or sample.ice_state
    if state in UP_STATES:
        return True
    if state in DOWN_STATES:
        return False
    return None


def window(measured: Measured, other: MediaSample | None) -> scorer.Window:
    """The scorer's view of a sample: its figures, and what the other side says it sends.

    Only a steady window is judged: one whose peer connection was up at both its ends. Figures
    taken while a connection is being set up (its first consent checks, DTLS) say nothing of
    the network; a connection that went down only on what still arrives (see the scorer).
    """
    sample, kinds = measured.sample, measured.kinds
    up = connected(sample)
    if up and (measured.base is None or not connected(measured.base)):
        return scorer.Window()  # nothing to judge yet
    return scorer.Window(
        rtt_ms=sample.rtt_ms,
        jitter_ms=sample.jitter_ms,
        kinds=kinds,
        loss_pct=None if kinds else sample.loss_pct,
        bitrate_in_kbps=sample.bitrate_in_kbps,
        expected_kbps=other.bitrate_out_kbps if other is not None else None,
        connected=up,
    )


class MediaStats:
    """Keeps and grades the media reports of every room."""

    def __init__(
        self,
        store: MediaStatsStore,
        live: LiveSession,
        clock: Clock,
        retention: Retention | None = None,
    ) -> None:
        self._store = store
        self._live = live
        self._clock = clock
        self.retention = retention or Retention()
        self._listeners: list[QualityListener] = []

    def subscribe(self, listener: QualityListener) -> None:
        self._listeners.append(listener)

    async def record(self, room_id: str, role: Role, report: MediaReport) -> QualityUpdate:
        """Keep and grade one report; raises ``ImplausibleStats``, ``RoomClosed``, …"""
        authorize(role, Action.REPORT)
        now = self._clock.now()
        recent, other = await self._store.report_context(room_id, role, RECENT)
        measured = measure(recent, report, now)
        if other is not None and now - other.at > self._live.policy.stats_stale:
            other = None  # too old to say what the other side sends now
        last = recent[-1] if recent else None
        # a new peer connection is judged afresh: the old one's troubles are not its own
        previous = last.score if last is not None and last.peer == report.peer else None
        verdict = scorer.update(previous, window(measured, other))
        sample = measured.sample
        if verdict is not None:
            sample = _graded(sample, verdict)
        room = await self._live.record_stats(room_id, role, sample.total_in, sample.total_out)
        r = self.retention
        await self._store.add_sample(room_id, role, sample, keep=r.samples, ttl=r.seconds, now=now)
        for entry in changes(last, sample):
            await self._note(room_id, role, entry)
        update = QualityUpdate(room, role, sample, other, last.grade if last else None)
        for listener in self._listeners:
            try:
                await listener(update)
            except Exception:
                log.exception("quality listener failed")
        return update

    async def device(self, room_id: str, role: Role, device: DeviceReport) -> None:
        """A side's device report, kept on its timeline when it differs from the last one."""
        authorize(role, Action.REPORT)
        ensure_open(await self._live.get_room(room_id))
        detail = {
            "browser": device.browser,
            "version": device.version,
            "camera": device.camera,
            "microphone": device.microphone,
        }
        for entry in reversed(await self._store.entries(room_id, role)):
            if entry.event == "device":
                if entry.detail == detail:
                    return
                break
        value = f"{device.browser} {device.version}".strip()
        await self._note(room_id, role, TimelineEntry(self._clock.now(), "device", value, detail))

    async def on_room_event(self, event: RoomEvent) -> None:
        """Drops, returns and departures on the timeline (an ``Events`` listener). A first
        arrival is not written: the room keeps its time, and a join stays one store
        operation."""
        if event.role is None or event.role is Role.SUPPORT:
            return
        if event.kind is EventKind.JOINED and event.resumed:
            name = "resumed"
        elif event.kind is EventKind.RECONNECTING:
            name = "reconnecting"
        elif event.kind is EventKind.LEFT:
            name = "left"
        else:
            return
        await self._note(event.room.room_id, event.role, TimelineEntry(self._clock.now(), name))

    async def _note(self, room_id: str, role: Role, entry: TimelineEntry) -> None:
        r = self.retention
        await self._store.add_entry(
            room_id, role, entry, keep=r.entries, ttl=r.seconds, now=self._clock.now()
        )

    async def samples(self, room_id: str, role: Role) -> list[MediaSample]:
        return await self._store.samples(room_id, role)

    async def entries(self, room_id: str, role: Role) -> list[TimelineEntry]:
        return await self._store.entries(room_id, role)

    async def latest(self, keys: list[tuple[str, Role]]) -> list[MediaSample | None]:
        """The newest sample of each (room, role)."""
        return await self._store.latest_samples(keys)


def _graded(sample: MediaSample, verdict: scorer.Verdict) -> MediaSample:
    return replace(sample, score=verdict.score, grade=verdict.grade, reason=verdict.reason)
