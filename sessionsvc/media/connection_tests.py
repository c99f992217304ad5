"""Every connection test of this node: the concurrency limit, the time limit, the peer
connections they own, and their reports in the store.

A test begins with the browser's offer and answers it at once; the measuring runs in a task of
its own while the browser polls the report. At the concurrency limit a new test is refused
with the time until a slot should free up, so the tests that run keep their fidelity. Every
test ends within its time limit, and its peer connection is closed before its task ends (a
test counts them: :attr:`ConnectionTests.open_peer_connections`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiortc import RTCConfiguration
from msgspec.structs import replace

from ..rooms.clock import Clock
from ..rooms.store import ReportStore
from .clip import Clip, encode_clip
from .measure import Sample, figures
from .offers import OfferRejected, check_offer
from .peer import TestPeer
from .reports import Origin, RelayCheck, TestRecord, new_report_id, parse_report_id, view

log = logging.getLogger(__name__)

TEST_PART = "test"
RELAY_PART = "relay"


class AtCapacity(Exception):
    """This node runs as many tests as it may; try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"at capacity, retry after {retry_after} s")
        self.retry_after = retry_after


class TestNotFound(Exception):
    """No report has that id (never, or no longer: past its retention)."""

    __test__ = False


@dataclass(frozen=True)
class TestLimits:
    """How tests run on this node: at most ``max_tests`` at once (relay checks included),
    ``connect_timeout`` to come up, ``duration`` seconds of measuring, ``time_limit`` in all,
    reports kept ``retention`` seconds; the browser starts its upload at ``start_kbps``."""

    __test__ = False

    max_tests: int = 60
    connect_timeout: float = 15.0
    duration: float = 8.0
    time_limit: float = 30.0
    retention: float = 30 * 86400.0
    start_kbps: int = 1600
    sample_interval: float = 1.0


@dataclass
class _Running:
    peer: TestPeer
    deadline: float  # monotonic
    task: asyncio.Task[None] | None = None
    relay_for: str | None = None


@dataclass
class Counters:
    """What this node's tests have done since it started."""

    started: int = 0
    refused_at_capacity: int = 0
    rejected_offers: int = 0
    timed_out: int = 0
    peer_connections_opened: int = 0
    peer_connections_closed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class ConnectionTests:
    """Runs connection tests against this node's aiortc peer and keeps their reports."""

    def __init__(
        self,
        store: ReportStore,
        clock: Clock,
        clip: Clip | None,
        limits: TestLimits,
        *,
        configuration: RTCConfiguration | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._clip = clip
        self._encoding: asyncio.Future[Clip] | None = None
        self.limits = limits
        # the service's own candidates: host, and server-reflexive with STUN configured; it
        # never needs a relay itself
        self._configuration = configuration or RTCConfiguration(iceServers=[])
        self._running: dict[int, _Running] = {}
        self._relay_checks: set[str] = set()
        self._closed = False
        self.counters = Counters()

    # -- counts -----------------------------------------------------------------------------

    @property
    def running(self) -> int:
        """Tests and relay checks running on this node now."""
        return len(self._running)

    @property
    def open_peer_connections(self) -> int:
        """Peer connections created and not yet closed."""
        c = self.counters
        return c.peer_connections_opened - c.peer_connections_closed

    def _opened(self) -> None:
        self.counters.peer_connections_opened += 1

    def _closed_one(self) -> None:
        self.counters.peer_connections_closed += 1

    # -- the clip ---------------------------------------------------------------------------

    def encode_clip_soon(self) -> None:
        """Start encoding the test clip in a thread, once; the tests that come before it is
        ready wait for it."""
        if self._clip is None and self._encoding is None:
            self._encoding = asyncio.ensure_future(asyncio.to_thread(encode_clip))

    async def clip(self) -> Clip:
        """The test clip, encoded once per node."""
        if self._clip is None:
            self.encode_clip_soon()
            assert self._encoding is not None
            self._clip = await asyncio.shield(self._encoding)
        return self._clip

    # -- starting ---------------------------------------------------------------------------

    def _admit(self) -> TestPeer:
        if self._closed:
            raise AtCapacity(5)
        if len(self._running) >= self.limits.max_tests:
            self.counters.refused_at_capacity += 1
            now = time.monotonic()
            soonest = min(r.deadline for r in self._running.values())
            raise AtCapacity(max(1, math.ceil(soonest - now)))
        return TestPeer(self._configuration, opened=self._opened, closed=self._closed_one)

    async def start(
        self,
        offer: str,
        *,
        origin: Origin,
        relay_expected: bool,
        room_id: str | None = None,
        role: str | None = None,
    ) -> tuple[str, str]:
        """Answer the offer of a new test; returns (report id, answer). Raises
        :class:`OfferRejected` (nothing is left behind) or :class:`AtCapacity`."""
        check_offer(offer)
        clip = await self.clip()
        peer = self._admit()
        entry = self._reserve(peer, self.limits.time_limit)
        try:
            answer = await peer.answer(offer, clip=clip, start_kbps=self.limits.start_kbps)
            now = self._clock.now()
            record = TestRecord(
                id="",
                state="running",
                origin=origin,
                started_at=now,
                duration_s=self.limits.duration,
                relay_expected=relay_expected,
                room_id=room_id,
                role=role,
            )
            record = await self._claim_id(record)
        except BaseException as e:
            self._release(entry)
            await peer.close()
            if isinstance(e, OfferRejected):
                self.counters.rejected_offers += 1
            raise
        self.counters.started += 1
        entry.task = asyncio.get_running_loop().create_task(
            self._run(entry, record), name=f"connection-test-{record.id}"
        )
        return record.id, answer

    async def start_relay_check(self, report_id: str, offer: str) -> str:
        """Answer the relay-only offer that goes with test ``report_id``; returns the answer.
        Raises :class:`TestNotFound`, :class:`OfferRejected` or :class:`AtCapacity`."""
        check_offer(offer)
        record = await self.get(report_id)  # raises TestNotFound
        if record[0].state != "running" or record[1] is not None:
            raise OfferRejected("relay_check_closed", "this test's relay check is over")
        if record[0].id in self._relay_checks:
            raise OfferRejected("relay_check_running", "this test's relay check already runs")
        peer = self._admit()
        entry = self._reserve(peer, self.limits.connect_timeout + 1.0)
        entry.relay_for = record[0].id
        self._relay_checks.add(record[0].id)
        try:
            answer = await peer.answer(offer, clip=None)
        except BaseException:
            self._relay_checks.discard(record[0].id)
            self._release(entry)
            await peer.close()
            raise
        entry.task = asyncio.get_running_loop().create_task(
            self._run_relay(entry, record[0]), name=f"relay-check-{record[0].id}"
        )
        return answer

    def _reserve(self, peer: TestPeer, limit: float) -> _Running:
        entry = _Running(peer, time.monotonic() + limit)
        self._running[id(entry)] = entry
        return entry

    def _release(self, entry: _Running) -> None:
        self._running.pop(id(entry), None)
        if entry.relay_for is not None:
            self._relay_checks.discard(entry.relay_for)

    async def _claim_id(self, record: TestRecord) -> TestRecord:
        for _ in range(5):
            record = replace(record, id=new_report_id())
            if await self._store.add_report_part(
                record.id, TEST_PART, msgspec.json.encode(record), **self._expiry(record)
            ):
                return record
        raise RuntimeError("no free report id after five tries")

    def _expiry(self, record: TestRecord) -> dict[str, float]:
        return {"now": self._clock.now(), "expires_at": record.started_at + self.limits.retention}

    # -- running ----------------------------------------------------------------------------

    async def _run(self, entry: _Running, record: TestRecord) -> None:
        peer, limits = entry.peer, self.limits
        outcome = "failed"
        try:
            async with asyncio.timeout(limits.time_limit):
                record = await self._measure(peer, record)
                outcome = record.failure or "done"
        except TimeoutError:
            self.counters.timed_out += 1
            outcome = "time_limit"
            record = replace(record, state="failed", failure="time_limit")
        except asyncio.CancelledError:
            outcome = "shutdown"
            record = replace(record, state="failed", failure="shutdown")
            raise
        except Exception:
            log.exception("connection test %s failed", record.id)
            record = replace(record, state="failed", failure="dropped")
        finally:
            await peer.close()
            self._release(entry)
            self.counters.outcomes[outcome] = self.counters.outcomes.get(outcome, 0) + 1
            record = replace(record, finished_at=self._clock.now())
            with contextlib.suppress(Exception):
                await asyncio.shield(self._save(record))

    async def _save(self, record: TestRecord) -> None:
        try:
            await self._store.put_report_part(
                record.id, TEST_PART, msgspec.json.encode(record), **self._expiry(record)
            )
        except Exception:
            log.exception("could not store the report of connection test %s", record.id)
            raise

    async def _measure(self, peer: TestPeer, record: TestRecord) -> TestRecord:
        limits = self.limits
        if not await peer.wait_connected(limits.connect_timeout):
            return replace(record, state="failed", failure="connect_failed")
        path = peer.path()
        samples: list[Sample] = []
        steps = max(2, round(limits.duration / limits.sample_interval))
        started = time.monotonic()
        for n in range(steps + 1):
            if n:
                # sample on a fixed schedule, so that a slow sample does not stretch the test
                wait = started + n * limits.sample_interval - time.monotonic()
                if not await peer.sleep_unless_ended(max(0.0, wait)):
                    return replace(record, state="failed", failure="dropped", path=path)
            samples.append(await peer.sample())
        path = peer.path() or path
        return replace(record, state="done", figures=figures(samples, peer.connect_ms), path=path)

    async def _run_relay(self, entry: _Running, record: TestRecord) -> None:
        peer = entry.peer
        result = RelayCheck(ok=False)
        try:
            if await peer.wait_connected(self.limits.connect_timeout):
                path = peer.path()
                result = RelayCheck(ok=True, connect_ms=peer.connect_ms, path=path and path)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("relay check of %s failed", record.id)
        finally:
            await peer.close()
            self._release(entry)
            with contextlib.suppress(Exception):
                await asyncio.shield(
                    self._store.put_report_part(
                        record.id, RELAY_PART, msgspec.json.encode(result), **self._expiry(record)
                    )
                )

    # -- reading ----------------------------------------------------------------------------

    async def get(self, report_id: str) -> tuple[TestRecord, RelayCheck | None]:
        """A report and its relay check (None when none ran or it has not finished). Raises
        :class:`TestNotFound`."""
        canonical = parse_report_id(report_id)
        if canonical is None:
            raise TestNotFound(report_id)
        parts = await self._store.get_report(canonical, self._clock.now())
        body = parts.get(TEST_PART)
        if body is None:
            raise TestNotFound(report_id)
        record = msgspec.json.decode(body, type=TestRecord)
        relay = parts.get(RELAY_PART)
        return record, None if relay is None else msgspec.json.decode(relay, type=RelayCheck)

    async def test_report(self, report_id: str) -> Mapping[str, Any] | None:
        """The report's view, as its holder reads it, or None: what support looks up by id."""
        try:
            record, relay = await self.get(report_id)
        except TestNotFound:
            return None
        return view(record, relay)

    # -- closing ----------------------------------------------------------------------------

    async def close(self) -> None:
        """Stop every test (their reports say so) and close every peer connection."""
        self._closed = True
        entries = list(self._running.values())
        for e in entries:
            if e.task is not None:
                e.task.cancel()
        await asyncio.gather(
            *(e.task for e in entries if e.task is not None), return_exceptions=True
        )
        await asyncio.gather(*(e.peer.close() for e in entries), return_exceptions=True)
        if self._encoding is not None and not self._encoding.done():
            await asyncio.gather(self._encoding, return_exceptions=True)
