"""One contender in a cross-process race to end the same room, for the store contract tests.

Usage: ``python -m tests.support.end_race URL PREFIX ROOM_ID CONCURRENCY NOW MIN_HELD``.
Prints ``ready``, waits for a line on stdin, then calls ``Sessions.end`` CONCURRENCY times at once
and prints ``{"ok": n, "closed": m}``; anything but success or ``RoomClosed`` fails the process.
"""

from __future__ import annotations

import asyncio
import json
import sys

from sessionsvc.rooms.clock import ManualClock
from sessionsvc.rooms.errors import RoomClosed
from sessionsvc.rooms.lifecycle import Policy
from sessionsvc.rooms.model import Role
from sessionsvc.rooms.service import Sessions
from sessionsvc.stores.redis import RedisStore


async def race(
    url: str, prefix: str, room_id: str, concurrency: int, now: float, held: float
) -> int:
    store = RedisStore.from_url(url, prefix)
    try:
        sessions = Sessions(store, ManualClock(now), Policy(min_held_seconds=held))
        # Open the pool's connections now, so that the race is not decided by connection set-up.
        await asyncio.gather(*(store.ping() for _ in range(concurrency)))
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
        results = await asyncio.gather(
            *(sessions.end(room_id, Role.PROFESSIONAL) for _ in range(concurrency)),
            return_exceptions=True,
        )
    finally:
        await store.close()
    unexpected = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, RoomClosed)
    ]
    for error in unexpected:
        print(f"unexpected: {error!r}", file=sys.stderr)
    ok = sum(not isinstance(r, BaseException) for r in results)
    closed = sum(isinstance(r, RoomClosed) for r in results)
    print(json.dumps({"ok": ok, "closed": closed}), flush=True)
    return 1 if unexpected else 0


def main(argv: list[str]) -> int:
    url, prefix, room_id, concurrency, now, held = argv
    return asyncio.run(race(url, prefix, room_id, int(concurrency), float(now), float(held)))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
