"""One contender in a cross-process race to end the same room, for the store contract tests.

Usage: ``python -m tests.support.end_race URL PREFIX ROOM_IDS CONCURRENCY NOW MIN_HELD``, with
ROOM_IDS one room id or several, comma-separated. Prints ``ready``, waits for a line on stdin,
then calls ``LiveSession.end`` CONCURRENCY times at once for each room (at most ``IN_FLIGHT``
rooms at a time, in the order given) and prints ``{"ok": n, "closed": m, "won": [room ids it
ended]}``; anything but success or ``RoomClosed`` fails it.
"""

from __future__ import annotations

import asyncio
import json
import sys

from sessionsvc.bootstrap import create_services
from sessionsvc.rooms.clock import ManualClock
from sessionsvc.rooms.errors import RoomClosed
from sessionsvc.rooms.events import Events
from sessionsvc.rooms.model import Role
from sessionsvc.rooms.policy import Policy
from sessionsvc.stores.redis import RedisStore

IN_FLIGHT = 64  # rooms ended at once by one contender


async def race(
    url: str, prefix: str, room_ids: str, concurrency: int, now: float, held: float
) -> int:
    store = RedisStore.from_url(url, prefix)
    try:
        policy = Policy(min_held_seconds=held)
        live = create_services(store, ManualClock(now), policy, Events()).live
        # Open the pool's connections now, so that the race is not decided by connection set-up.
        await asyncio.gather(*(store.ping() for _ in range(max(concurrency, IN_FLIGHT))))
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        slots = asyncio.Semaphore(IN_FLIGHT)

        async def end(room_id: str) -> tuple[str, object]:
            async with slots:
                try:
                    return room_id, await live.end(room_id, Role.PROFESSIONAL)
                except Exception as e:
                    return room_id, e

        ended = await asyncio.gather(
            *(end(room_id) for room_id in room_ids.split(",") for _ in range(concurrency))
        )
        results = [r for _, r in ended]
    finally:
        await store.close()
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, RoomClosed)
    ]
    for error in unexpected:
        print(f"unexpected: {error!r}", file=sys.stderr)
    ok = sum(not isinstance(r, BaseException) for r in results)
    closed = sum(isinstance(r, RoomClosed) for r in results)
    won = [room_id for room_id, r in ended if not isinstance(r, BaseException)]
    print(json.dumps({"ok": ok, "closed": closed, "won": won}), flush=True)
    return 1 if unexpected else 0


def main(argv: list[str]) -> int:
    url, prefix, room_ids, concurrency, now, held = argv
    return asyncio.run(race(url, prefix, room_ids, int(concurrency), float(now), float(held)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
