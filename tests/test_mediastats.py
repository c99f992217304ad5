"""Media stats through the services, on the memory and the Redis backend alike: reports kept,
graded and fed to the held-rule (across peer connections), what cannot be true refused with
nothing changed, and each participant's timeline."""

from __future__ import annotations

import msgspec
import pytest

from sessionsvc.rooms.bookings import Booking
from sessionsvc.rooms.errors import RoomClosed
from sessionsvc.rooms.mediastats import DeviceReport, QualityUpdate
from sessionsvc.rooms.model import Person, Role, Room
from sessionsvc.rooms.samples import ImplausibleStats, MediaReport
from sessionsvc.rooms.store import Backend
from testkit.stats_reports import loopback_report
from tests.support.backends import Domain, make_domain

PRO, CLIENT = Role.PROFESSIONAL, Role.CLIENT


async def in_session(d: Domain, booking_id: str = "bk-m") -> Room:
    s = d.services
    state, _ = await s.bookings.open_room(
        Booking(
            booking_id=booking_id,
            professional=Person(id="pro-1", name="Dr Pro"),
            client=Person(id="cl-1", name="Cli Ent"),
            scheduled_start=d.clock.now(),
            scheduled_end=d.clock.now() + 3600,
        )
    )
    rid = state.room.room_id
    await s.live.join(rid, PRO, "pro-1", "c-p")
    await s.live.join(rid, CLIENT, "cl-1", "c-c")
    return await s.live.admit(rid, PRO, "cl-1", override=False)


async def call(d: Domain, rid: str, seconds: int, start: float = 0.0, peer: str = "pc1") -> None:
    for i in range(1, seconds // 2 + 1):
        d.clock.advance(2.0)
        t = start + 2.0 * i
        await d.services.media.record(rid, PRO, loopback_report(t, peer))
        await d.services.media.record(rid, CLIENT, loopback_report(t, peer))


async def test_a_loopback_call_is_graded_good_on_both_sides(backend: Backend) -> None:
    d = make_domain(backend)
    room = await in_session(d)
    updates: list[QualityUpdate] = []

    async def listen(u: QualityUpdate) -> None:
        updates.append(u)

    d.services.media.subscribe(listen)
    await call(d, room.room_id, 20)
    for role in (PRO, CLIENT):
        series = await d.services.media.samples(room.room_id, role)
        assert len(series) == 10
        assert {s.grade for s in series[1:]} == {"good"}, series
        assert series[-1].bitrate_in_kbps == 360.0 and series[-1].loss_pct == 0.0
    last = updates[-1]
    assert last.role is CLIENT and last.other is not None and last.other.grade == "good"


async def test_a_new_peer_connection_keeps_the_held_time_counting(backend: Backend) -> None:
    """A reload starts the browser's counters again from zero: the held-rule must still see
    media flowing."""
    d = make_domain(backend)
    room = await in_session(d)
    await call(d, room.room_id, 10)
    held = (await d.services.live.get_room(room.room_id)).held_seconds
    await call(d, room.room_id, 6, peer="pc2")  # counters far below the first connection's
    after = await d.services.live.get_room(room.room_id)
    assert after.held_seconds >= held + 5.9, (held, after.held_seconds)
    series = await d.services.media.samples(room.room_id, CLIENT)
    assert series[-1].total_in == 45_000 * 16


async def test_what_cannot_be_true_is_refused_and_changes_nothing(backend: Backend) -> None:
    d = make_domain(backend)
    room = await in_session(d)
    await call(d, room.room_id, 4)
    before_room = await d.services.live.get_room(room.room_id)
    before = await d.services.media.samples(room.room_id, CLIENT)
    d.clock.advance(2.0)
    backwards = MediaReport(bytes_received=10, peer="pc1", clock_ms=6000.0)
    with pytest.raises(ImplausibleStats):
        await d.services.media.record(room.room_id, CLIENT, backwards)
    assert await d.services.media.samples(room.room_id, CLIENT) == before
    assert await d.services.live.get_room(room.room_id) == before_room


async def test_after_the_end_a_report_is_refused_and_not_kept(backend: Backend) -> None:
    d = make_domain(backend)
    room = await in_session(d)
    await call(d, room.room_id, 4)
    await d.services.live.end(room.room_id, PRO)
    kept = len(await d.services.media.samples(room.room_id, PRO))
    d.clock.advance(2.0)
    with pytest.raises(RoomClosed):
        await d.services.media.record(room.room_id, PRO, loopback_report(6.0))
    assert len(await d.services.media.samples(room.room_id, PRO)) == kept


async def test_the_timeline_of_a_participant(backend: Backend) -> None:
    d = make_domain(backend)
    room = await in_session(d)
    rid, s = room.room_id, d.services
    chrome = DeviceReport("Chrome", "131", "granted", "granted")
    await s.media.device(rid, CLIENT, chrome)
    await s.media.device(rid, CLIENT, chrome)  # the same again: kept once
    await call(d, rid, 4)
    await s.live.drop(rid, CLIENT, "c-c")
    await s.live.join(rid, CLIENT, "cl-1", "c-c2")
    await call(d, rid, 4, peer="pc2")
    await s.media.device(rid, CLIENT, DeviceReport("Chrome", "131", "granted", "denied"))
    # a first arrival is on the room (joined_at), not the timeline: a join stays one operation
    events = [(e.event, e.value) for e in await s.media.entries(rid, CLIENT)]
    assert events == [
        ("device", "Chrome 131"),
        ("peer", "pc1"),
        ("ice_state", "connected"),
        ("connection_state", "connected"),
        ("candidates", "host/host"),
        ("grade", "good"),
        ("reconnecting", ""),
        ("resumed", ""),
        ("peer", "pc2"),
        ("grade", "good"),  # a new peer connection is graded afresh
        ("device", "Chrome 131"),
    ]
    await s.live.end(rid, PRO)
    with pytest.raises(RoomClosed):
        await s.media.device(rid, PRO, chrome)


async def test_a_connection_being_set_up_is_not_judged(backend: Backend) -> None:
    """The first consent checks of a new connection read hundreds of milliseconds on a busy
    machine: that is set-up, not the network. And a new peer connection starts afresh."""
    d = make_domain(backend)
    room = await in_session(d)
    rid, media = room.room_id, d.services.media
    for t, state, rtt in ((2.0, "connecting", 500.0), (4.0, "connected", 540.0)):
        d.clock.advance(2.0)
        report = msgspec.structs.replace(loopback_report(t), connection_state=state, rtt_ms=rtt)
        update = await media.record(rid, CLIENT, report)
        assert update.sample.grade is None, update.sample
    d.clock.advance(2.0)
    update = await media.record(
        rid, CLIENT, msgspec.structs.replace(loopback_report(6.0), rtt_ms=600.0)
    )
    assert update.sample.grade == "poor"  # steady, and slow: that is judged
    d.clock.advance(2.0)
    fresh = await media.record(rid, CLIENT, loopback_report(1.0, peer="pc2"))
    assert fresh.sample.grade is None  # not the old connection's "poor"
    d.clock.advance(2.0)
    fresh = await media.record(rid, CLIENT, loopback_report(3.0, peer="pc2"))
    assert fresh.sample.grade == "good"
