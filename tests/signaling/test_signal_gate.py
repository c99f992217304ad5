"""Relaying a signal on a Redis deployment reads the room once, then trusts that check until the
room changes: every change announced to the room's channels is heard by each node hosting one of
its people, and the next signal there is judged on the room as it is now."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from sessionsvc.signaling.gate import SignalGate
from sessionsvc.stores.redis import RedisStore
from testkit.booking import Booking
from testkit.counting_store import CountingBackend
from testkit.session_client import SessionClient
from tests.support.servers import ServiceFactory, counted_node

CANDIDATE = {
    "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
    "sdpMid": "0",
    "sdpMLineIndex": 0,
}


def signal(to: str) -> dict[str, Any]:
    return {"to": to, "kind": "candidate", "payload": CANDIDATE}


def test_a_passed_check_lasts_until_its_room_changes() -> None:
    now = [0.0]
    gate = SignalGate(ttl=5.0, clock=lambda: now[0])
    for room, sid in (("r1", "s1"), ("r1", "s2"), ("r2", "s3")):
        gate.connected(room, sid)

    def passed_now() -> None:
        gate.remember("r1", "s1", gate.changes("r1"))
        assert gate.passed("r1", "s1")

    assert not gate.passed("r1", "s1")
    passed_now()
    assert not gate.passed("r1", "s2")  # per connection
    for event in ("signal", "quality", "ice_servers"):  # sent to the room, changing nothing
        gate.delivered(event, "r:r1:client")
    gate.delivered("room", "r:r2")  # another room changed
    assert gate.passed("r1", "s1")
    for event, to in (
        ("peer_left", "r:r1:professional"),
        ("room", ["r:r2", "r:r1:client"]),
        ("replaced", "s2"),  # to one connection of the room
        ("ended", None),  # to everyone
    ):
        passed_now()
        gate.delivered(event, to)
        assert not gate.passed("r1", "s1"), (event, to)

    # a check read while the room changed is not kept
    changes = gate.changes("r1")
    gate.delivered("room", "r:r1")
    gate.remember("r1", "s1", changes)
    assert not gate.passed("r1", "s1")
    # nor for long
    passed_now()
    now[0] += 5.0
    assert not gate.passed("r1", "s1")
    # nor for a connection that went away, and nothing stays once every connection left
    gate.disconnected("s1")
    gate.remember("r1", "s1", gate.changes("r1"))
    assert not gate.passed("r1", "s1")
    assert gate.rooms == 2  # r1 still has s2 here
    gate.disconnected("s2")
    gate.disconnected("s3")
    assert gate.rooms == 0


def test_without_a_manager_that_tells_of_changes_no_check_is_kept() -> None:
    gate = SignalGate(ttl=0.0)  # what a node on the memory store, or broadcast, signals with
    gate.connected("r1", "s1")
    gate.remember("r1", "s1", gate.changes("r1"))
    assert not gate.passed("r1", "s1")


@pytest.fixture
async def node_on_redis(redis_url: str) -> AsyncIterator[tuple[str, CountingBackend]]:
    """One node on Redis, with the sharded manager, its store's calls counted."""
    store = RedisStore.from_url(redis_url)
    try:
        async with counted_node(store, SESSIONSVC_REDIS_URL=redis_url) as node:
            yield node
    finally:
        await store.close()


@pytest.mark.redis
async def test_signals_read_the_room_once_until_it_changes(
    node_on_redis: tuple[str, CountingBackend],
) -> None:
    url, backend = node_on_redis
    async with aiohttp.ClientSession() as http:
        room = await Booking(url, http).hub_room(remaining=2)
    pro = await SessionClient(url, room["join"]["professional"]["token"]).connect()
    client = await SessionClient(url, room["join"]["client"]["token"]).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    await client.wait("admitted")

    backend.counts.clear()
    for _ in range(10):
        assert (await pro.call("signal", signal("client")))["ok"]
        assert (await client.call("signal", signal("professional")))["ok"]
    await client.wait("signal", lambda _: len(client.events["signal"]) == 10)
    assert backend.counts["rooms.get_room"] == 2  # once for each connection

    # a change of the room (the professional's note) is heard: the next signal reads it again
    assert (await pro.call("note", {"text": "One moment"}))["ok"]
    await client.wait_room(lambda r: r["note"] == "One moment")
    backend.counts.clear()
    for _ in range(3):
        assert (await pro.call("signal", signal("client")))["ok"]
    assert backend.counts["rooms.get_room"] == 1

    # the session ends: a signal right after is judged on the ended room
    assert (await pro.call("end"))["ok"]
    refused = await pro.call("signal", signal("client"))
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_state", refused
    await client.close()
    await pro.close()


@pytest.mark.redis
async def test_a_change_made_on_another_node_closes_the_gate_there(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    a, b = await asyncio.gather(
        service_factory(SESSIONSVC_REDIS_URL=redis_url),
        service_factory(SESSIONSVC_REDIS_URL=redis_url),
    )
    room = await Booking(a.url, http).hub_room(remaining=2)
    pro = await SessionClient(a.url, room["join"]["professional"]["token"]).connect()
    client = await SessionClient(b.url, room["join"]["client"]["token"]).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    await client.wait("admitted")
    for _ in range(5):
        assert (await client.call("signal", signal("professional")))["ok"]
    await pro.wait("signal", lambda _: len(pro.events["signal"]) == 5)

    # ended on node A; once node B has told the client, node B refuses the client's signals
    assert (await pro.call("end"))["ok"]
    await client.wait("ended")
    refused = await client.call("signal", signal("professional"))
    assert refused["ok"] is False and refused["error"]["code"] == "invalid_state", refused

    # a second room: the client's connection on node B is taken over by a new one on node A
    second = await Booking(a.url, http).hub_room(remaining=2, client_id="cl-gate")
    pro2 = await SessionClient(a.url, second["join"]["professional"]["token"]).connect()
    old = await SessionClient(b.url, second["join"]["client"]["token"]).connect()
    await pro2.wait_room(lambda r: r["client"]["presence"] == "present")
    assert (await pro2.call("admit", {"participant_id": second["client"]["id"]}))["ok"]
    await old.wait("admitted")
    assert (await old.call("signal", signal("professional")))["ok"]
    new = await SessionClient(a.url, second["join"]["client"]["token"]).connect()
    await old.wait("replaced")
    assert (await new.call("signal", signal("professional")))["ok"]
    before = len(pro2.events["signal"])
    await pro2.wait("signal", lambda _: len(pro2.events["signal"]) >= before)
    for side in (pro, client, pro2, old, new):
        await side.close()
