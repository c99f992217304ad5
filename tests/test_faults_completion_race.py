"""Three service processes race to complete the same rooms, 1,000 rooms in all, on one Redis:
each room ends exactly once, with one outcome and at most one credit."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import pytest
from msgspec.structs import replace

from sessionsvc.rooms.credits import Grant
from sessionsvc.rooms.model import InvoiceTo, Phase, Presence, Room
from sessionsvc.rooms.policy import Policy
from sessionsvc.stores.redis import RedisStore
from tests.support.backends import HUB, T0, make_domain, make_room

ROOT = Path(__file__).resolve().parents[1]
ROOMS = 1000
CLIENTS = 50  # rooms spread over this many clients' ledgers (each in its own slot)
CONTENDERS = 3
SPARE = 5  # credits each client keeps after every one of its rooms consumed one
HELD = 2.0

pytestmark = pytest.mark.redis


def _held(n: int) -> Room:
    """A room in session whose call was held past the minimum (written as such: the race, not
    the call, is under test)."""
    room = make_room(booking=f"bk-race-{n}", client=f"cl-{n % CLIENTS}", start=T0)
    return replace(
        room,
        phase=Phase.IN_SESSION,
        professional=replace(room.professional, presence=Presence.PRESENT, joined_at=T0),
        client=replace(room.client, presence=Presence.PRESENT, joined_at=T0),
        admitted_at=T0,
        held_seconds=HELD + 1,
    )


async def _contender(url: str, prefix: str, ids: str, now: float) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.end_race",
        url,
        prefix,
        ids,
        "1",
        str(now),
        str(HELD),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


@pytest.mark.timeout(300)
async def test_three_nodes_complete_each_of_1000_rooms_once(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    store = RedisStore.from_url(redis_url, prefix)
    d = make_domain(store, Policy(min_held_seconds=HELD), start=T0 + 600)
    try:
        per_client = ROOMS // CLIENTS
        for c in range(CLIENTS):
            grant = Grant(per_client + SPARE, per_client + SPARE, False, InvoiceTo.COMPANY)
            await d.services.credits.put_ledger(HUB.id, f"cl-{c}", grant)
        rooms = [_held(n) for n in range(ROOMS)]
        for first in range(0, ROOMS, 100):
            await asyncio.gather(
                *(
                    store.rooms.create_room(r, r.booking_id, None)
                    for r in rooms[first : first + 100]
                )
            )
        ids = ",".join(r.room_id for r in rooms)

        procs = [await _contender(redis_url, prefix, ids, d.clock.now()) for _ in range(3)]
        for proc in procs:
            assert proc.stdout is not None
            assert await asyncio.wait_for(proc.stdout.readline(), 60) == b"ready\n"
        outputs = await asyncio.gather(*(proc.communicate(b"go\n") for proc in procs))
        for proc, (_, err) in zip(procs, outputs, strict=True):
            assert proc.returncode == 0, err.decode()[-2000:]
        counts = [json.loads(out) for out, _ in outputs]
        won = [room_id for c in counts for room_id in c["won"]]
        assert sorted(won) == sorted(r.room_id for r in rooms)  # each room ended by one
        assert sum(c["closed"] for c in counts) == ROOMS * (CONTENDERS - 1)

        for c in range(CLIENTS):
            ledger = await store.ledgers.get_ledger(HUB.id, f"cl-{c}")
            assert ledger is not None
            assert (ledger.credits_remaining, ledger.sessions_held) == (SPARE, per_client)
        ended = [await store.rooms.get_room(r.room_id) for r in rooms]
        assert all(
            r is not None and r.outcome is not None and r.outcome.phase is Phase.COMPLETED
            for r in ended
        )
    finally:
        await store.close()
