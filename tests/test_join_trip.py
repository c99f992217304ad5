"""A join costs one atomic store operation and no read after it, on memory and on Redis: the
operation returns everything the first snapshot and the other side's update need.

The backend is wrapped in a counting store (``testkit.counting_store``): a fake that forwards
every call to the real store and counts it by name."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import aiohttp
import pytest

from sessionsvc.rooms.store import Backend
from testkit.booking import Booking
from testkit.counting_store import CountingBackend
from testkit.session_client import SessionClient
from tests.support.servers import counted_node

READS = {"get_room", "get_ledger", "live_rooms_for", "recent_rooms", "due_rooms", "node_rooms"}


@pytest.fixture
async def counted(backend: Backend) -> AsyncIterator[tuple[str, CountingBackend]]:
    async with counted_node(backend) as node:
        yield node


def reads(counts: Counter[str]) -> int:
    return sum(n for key, n in counts.items() if key.split(".")[1] in READS)


async def test_a_join_is_one_atomic_operation_and_no_read(
    counted: tuple[str, CountingBackend],
) -> None:
    url, backend = counted
    async with aiohttp.ClientSession() as http:
        booking = Booking(url, http)
        room = await booking.hub_room(remaining=1)
        pro = SessionClient(url, room["join"]["professional"]["token"])
        client = SessionClient(url, room["join"]["client"]["token"])

        backend.counts.clear()
        await pro.connect()
        snapshot = await pro.wait("room")
        assert dict(backend.counts) == {"rooms.mutate": 1}
        assert snapshot["funding"]["funding"] == "credit" and snapshot["funding"]["alert"]

        backend.counts.clear()
        await client.connect()
        await client.wait("room")
        # the professional hears of the arrival with a fresh snapshot, funding included
        told = await pro.wait("room", lambda r: r["client"]["presence"] == "present")
        assert told["funding"]["last_subsidised"] is True
        assert backend.counts["rooms.mutate"] == 1
        assert sum(backend.counts.values()) == 1, backend.counts
        assert reads(backend.counts) == 0

        backend.counts.clear()
        ack = await pro.call("admit", {"participant_id": room["client"]["id"]})
        assert ack["ok"], ack
        await client.wait("admitted")
        assert dict(backend.counts) == {"rooms.mutate": 1}
        await pro.close()
        await client.close()
