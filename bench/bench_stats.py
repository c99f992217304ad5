"""What a ``stats`` report costs in the domain, next to the held-rule alone in the same run.

    python -m bench.bench_stats [--rooms 200] [--rounds 30]

Both sides of ``--rooms`` rooms in session report ``--rounds`` times, 2 s of a manual clock
apart, on the memory store and on a private redis-server. The baseline is what a report did
before the media series: the held-rule's room mutation alone (``LiveSession.record_stats``). The
full path is ``MediaStats.record``: read the recent samples and the other side's latest, refuse
what cannot be true, grade, the same held-rule mutation, append the sample, note changes.
Printed: CPU (this process) and wall time per report, store calls per report, and the ratios
(lines starting with ``RATIO``). The Redis figures include the round trips to a local
redis-server but not its own CPU. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sessionsvc.bootstrap import create_services  # noqa: E402
from sessionsvc.rooms.bookings import Booking  # noqa: E402
from sessionsvc.rooms.clock import ManualClock  # noqa: E402
from sessionsvc.rooms.events import Events  # noqa: E402
from sessionsvc.rooms.model import Person, Role  # noqa: E402
from sessionsvc.rooms.policy import Policy  # noqa: E402
from sessionsvc.rooms.store import Backend  # noqa: E402
from sessionsvc.stores.memory import MemoryStore  # noqa: E402
from sessionsvc.stores.redis import RedisStore  # noqa: E402
from testkit.counting_store import CountingBackend  # noqa: E402
from testkit.redis_server import RedisServer  # noqa: E402
from testkit.stats_reports import loopback_report  # noqa: E402

SIDES = (Role.PROFESSIONAL, Role.CLIENT)


def say(text: str = "") -> None:
    print(text, flush=True)


async def run(backend: Backend, rooms: int, rounds: int, full: bool) -> dict[str, float]:
    counting = CountingBackend(backend)
    clock = ManualClock(time.time())
    services = create_services(counting, clock, Policy(), Events())  # type: ignore[arg-type]
    tag = uuid.uuid4().hex[:6]
    ids = []
    for i in range(rooms):
        state, _ = await services.bookings.open_room(
            Booking(
                booking_id=f"bk-{tag}-{i}",
                professional=Person(id=f"p-{tag}-{i}", name="P"),
                client=Person(id=f"c-{tag}-{i}", name="C"),
                scheduled_start=clock.now(),
                scheduled_end=clock.now() + 3600,
            )
        )
        rid = state.room.room_id
        await services.live.join(rid, Role.PROFESSIONAL, f"p-{tag}-{i}", f"cp{i}")
        await services.live.join(rid, Role.CLIENT, f"c-{tag}-{i}", f"cc{i}")
        await services.live.admit(rid, Role.PROFESSIONAL, f"c-{tag}-{i}", override=False)
        ids.append(rid)

    async def full_report(rid: str, role: Role, t: float) -> None:
        await services.media.record(rid, role, loopback_report(t))

    async def held_rule_only(rid: str, role: Role, t: float) -> None:
        sent = loopback_report(t)
        await services.live.record_stats(rid, role, sent.bytes_received, sent.bytes_sent or 0)

    one: Callable[[str, Role, float], Awaitable[None]] = full_report if full else held_rule_only
    counting.counts.clear()
    cpu, wall, count = time.process_time(), time.perf_counter(), 0
    for r in range(1, rounds + 1):
        clock.advance(2.0)
        for rid in ids:
            for role in SIDES:
                await one(rid, role, 2.0 * r)
                count += 1
    return {
        "cpu_us": (time.process_time() - cpu) / count * 1e6,
        "wall_us": (time.perf_counter() - wall) / count * 1e6,
        "calls": sum(counting.counts.values()) / count,
    }


async def measure(name: str, make: Callable[[], Backend], a: argparse.Namespace) -> None:
    results = {}
    for full in (False, True, False, True):  # ABAB: the second pair is the one reported
        backend = make()
        try:
            results[full] = await run(backend, a.rooms, a.rounds, full)
        finally:
            await backend.close()
    base, ours = results[False], results[True]
    say(f"-- {name}: {a.rooms} rooms, {a.rounds} reports from each side")
    for label, r in (("held-rule only", base), ("full stats path", ours)):
        say(
            f"   {label:<16} {r['cpu_us']:8.0f} µs CPU  {r['wall_us']:8.0f} µs wall"
            f"  {r['calls']:.2f} store calls per report"
        )
    say(f"RATIO {name}.stats_cpu full/held-rule = {ours['cpu_us'] / base['cpu_us']:.2f}x")
    say(f"RATIO {name}.stats_wall full/held-rule = {ours['wall_us'] / base['wall_us']:.2f}x")


async def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rooms", type=int, default=200)
    p.add_argument("--rounds", type=int, default=30)
    a = p.parse_args()
    say("bench_stats: one stats report through the domain, memory and Redis")
    await measure("memory", MemoryStore, a)
    with RedisServer() as redis:
        await measure("redis", lambda: RedisStore.from_url(redis.url, prefix=uuid.uuid4().hex), a)


if __name__ == "__main__":
    asyncio.run(main())
