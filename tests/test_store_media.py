"""The store contract, media stats: bounded series and timelines per participant, newest last,
with their own expiry, on the memory and the Redis backend alike."""

from __future__ import annotations

from sessionsvc.rooms.model import Role
from sessionsvc.rooms.samples import KindCounters, MediaSample, TimelineEntry
from sessionsvc.rooms.store import Backend
from sessionsvc.stores.redis import RedisStore
from tests.support.backends import T0

PRO, CLIENT = Role.PROFESSIONAL, Role.CLIENT
DAY = 86400.0


def sample(i: int, **kw: object) -> MediaSample:
    return MediaSample(at=T0 + 2 * i, peer="p1", bytes_in=1000 * i, total_in=1000 * i, **kw)  # type: ignore[arg-type]


async def test_samples_are_kept_in_order_and_bounded(backend: Backend) -> None:
    media = backend.media_stats
    assert await media.samples("r1", PRO) == []
    assert await media.recent_samples("r1", PRO, 3) == []
    for i in range(7):
        await media.add_sample("r1", PRO, sample(i), keep=5, ttl=DAY, now=T0 + 2 * i)
    kept = await media.samples("r1", PRO)
    assert [s.bytes_in for s in kept] == [2000, 3000, 4000, 5000, 6000]
    assert [s.bytes_in for s in await media.recent_samples("r1", PRO, 2)] == [5000, 6000]
    assert await media.recent_samples("r1", PRO, 0) == []
    assert await media.samples("r1", CLIENT) == []  # each side its own series
    assert await media.samples("r2", PRO) == []


async def test_a_sample_round_trips_whole(backend: Backend) -> None:
    full = sample(
        3,
        clock_ms=6000.5,
        bytes_out=2999,
        frames=60,
        audio=KindCounters(150, 1),
        video=KindCounters(300, 2),
        rtt_ms=12.5,
        jitter_ms=3.25,
        loss_pct=0.9,
        bitrate_in_kbps=351.2,
        bitrate_out_kbps=349.0,
        fps_in=20.0,
        ice_state="connected",
        connection_state="connected",
        local_candidate="host",
        remote_candidate="srflx",
        score=97.5,
        grade="good",
    )
    await backend.media_stats.add_sample("r1", CLIENT, full, keep=10, ttl=DAY, now=T0)
    assert await backend.media_stats.samples("r1", CLIENT) == [full]


async def test_latest_samples_of_many_participants(backend: Backend) -> None:
    media = backend.media_stats
    await media.add_sample("r1", PRO, sample(1), keep=10, ttl=DAY, now=T0)
    await media.add_sample("r1", PRO, sample(2), keep=10, ttl=DAY, now=T0)
    await media.add_sample("r2", CLIENT, sample(5), keep=10, ttl=DAY, now=T0)
    latest = await media.latest_samples([("r1", PRO), ("r1", CLIENT), ("r2", CLIENT)])
    assert latest == [sample(2), None, sample(5)]
    assert await media.latest_samples([]) == []


async def test_timeline_entries_are_kept_in_order_and_bounded(backend: Backend) -> None:
    media = backend.media_stats
    device = TimelineEntry(T0, "device", "Chrome 131", {"camera": "granted"})
    await media.add_entry("r1", CLIENT, device, keep=3, ttl=DAY, now=T0)
    for i, event in enumerate(("joined", "reconnecting", "resumed")):
        entry = TimelineEntry(T0 + i + 1, event)
        await media.add_entry("r1", CLIENT, entry, keep=3, ttl=DAY, now=T0 + i + 1)
    assert [e.event for e in await media.entries("r1", CLIENT)] == [
        "joined",
        "reconnecting",
        "resumed",
    ]
    await media.add_entry("r1", PRO, device, keep=3, ttl=DAY, now=T0)
    assert await media.entries("r1", PRO) == [device]


async def test_memory_forgets_a_series_once_its_retention_has_passed() -> None:
    from sessionsvc.stores.memory import MemoryStore

    media = MemoryStore().media_stats
    await media.add_sample("old", PRO, sample(1), keep=10, ttl=60.0, now=T0)
    await media.add_entry("old", PRO, TimelineEntry(T0, "joined"), keep=10, ttl=60.0, now=T0)
    await media.add_sample("new", PRO, sample(2), keep=10, ttl=60.0, now=T0 + 50)
    assert len(await media.samples("old", PRO)) == 1  # not yet
    await media.add_sample("new", PRO, sample(3), keep=10, ttl=60.0, now=T0 + 61)
    assert await media.samples("old", PRO) == []
    assert await media.entries("old", PRO) == []
    assert await media.latest_samples([("old", PRO)]) == [None]
    assert len(await media.samples("new", PRO)) == 2
    await media.add_sample("new", PRO, sample(4), keep=10, ttl=60.0, now=T0 + 3600)
    assert media._samples.lists.keys() == {("new", PRO)}  # swept, not only hidden


async def test_redis_gives_each_list_its_expiry_in_the_rooms_slot(
    redis_backend: RedisStore,
) -> None:
    media = redis_backend.media_stats
    await media.add_sample("abcd1234-x", PRO, sample(1), keep=10, ttl=120.0, now=T0)
    await media.add_entry(
        "abcd1234-x", PRO, TimelineEntry(T0, "joined"), keep=10, ttl=120.0, now=T0
    )
    redis = redis_backend._redis
    keys = redis_backend.rooms._keys
    for key in (
        keys.samples("abcd1234-x", "professional"),
        keys.timeline("abcd1234-x", "professional"),
    ):
        assert "{abcd1234}" in key  # the room's hash tag
        ttl = await redis.pttl(key)
        assert 0 < ttl <= 120_000


async def test_the_context_of_a_report_in_one_read(backend: Backend) -> None:
    media = backend.media_stats
    assert await media.report_context("r1", PRO, 4) == ([], None)
    for i in range(6):
        await media.add_sample("r1", PRO, sample(i), keep=10, ttl=DAY, now=T0)
    await media.add_sample("r1", CLIENT, sample(9), keep=10, ttl=DAY, now=T0)
    mine, theirs = await media.report_context("r1", PRO, 4)
    assert [s.bytes_in for s in mine] == [2000, 3000, 4000, 5000] and theirs == sample(9)
    mine, theirs = await media.report_context("r1", CLIENT, 4)
    assert mine == [sample(9)] and theirs == sample(5)
    assert (await media.report_context("r1", CLIENT, 0))[0] == []
