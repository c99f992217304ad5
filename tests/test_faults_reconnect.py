"""A client drops and comes back, across two nodes sharing Redis: back within the reconnect
grace (through the other node) it resumes its place in the call; gone past the grace, the
session ends with one outcome, whichever node's sweep and however many ends come in, and its
credit is consumed once."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from sessionsvc.bootstrap import TIMEOUTS
from testkit.booking import Booking
from testkit.session_client import SessionClient
from testkit.stats_reports import loopback_stats as loopback
from tests.support.servers import AppServer, AppServerFactory

pytestmark = pytest.mark.redis


async def _both(nodes: list[AppServer], seconds: float) -> None:
    """Time moves on by ``seconds`` on every node, and every node sweeps."""
    for node in nodes:
        node.clock.advance(seconds)
    await asyncio.gather(*(node.app[TIMEOUTS].sweep() for node in nodes))


async def test_drop_and_return_within_and_after_the_grace(
    app_server_factory: AppServerFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    env = {
        "SESSIONSVC_REDIS_URL": redis_url,
        "SESSIONSVC_MIN_HELD_SECONDS": "4",
        "SESSIONSVC_DEPARTURE_TIMEOUT": "30",
    }
    a, b = await app_server_factory(**env), await app_server_factory(**env)
    b.clock.set(a.clock.now())
    nodes = [a, b]
    booking = Booking(a.url, http)
    room = await booking.hub_room(remaining=2)
    credits = f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits"
    pro = await SessionClient(a.url, room["join"]["professional"]["token"]).connect()
    client = await SessionClient(a.url, room["join"]["client"]["token"]).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    await client.wait("admitted")
    for second in range(1, 6):
        await _both(nodes, 1.0)
        assert (await pro.call("stats", loopback(second)))["ok"]
        assert (await client.call("stats", loopback(second)))["ok"]

    # within the grace, back through the other node: the same place in the call
    await client.drop()
    assert (await pro.wait("peer_reconnecting"))["role"] == "client"
    await _both(nodes, 10.0)
    back = await SessionClient(b.url, room["join"]["client"]["token"]).connect()
    assert back.last("room")["phase"] == "in_session" and back.last("room")["admitted"]
    await pro.wait("peer_joined", lambda e: e == {"role": "client", "resumed": True})

    # past the grace: the client has left, the professional too, and the session ends itself
    await back.drop()
    await pro.wait(
        "peer_reconnecting",
        lambda e: e["role"] == "client" and len(pro.events["peer_reconnecting"]) == 2,
    )
    await _both(nodes, 21.0)
    assert (await pro.wait("peer_left"))["role"] == "client"
    await pro.close()
    _, seen = await booking.call("GET", f"/v1/rooms/{room['room_id']}")
    for _ in range(50):  # until the node has recorded the professional's goodbye
        if seen["professional"]["presence"] != "present":
            break
        await asyncio.sleep(0.05)
        _, seen = await booking.call("GET", f"/v1/rooms/{room['room_id']}")
    for _ in range(3):
        await _both(nodes, 31.0)
    status, summary = await booking.call("GET", f"/v1/rooms/{room['room_id']}/summary")
    assert status == 200 and summary["outcome"]["phase"] == "completed", summary
    assert summary["outcome"]["payment"]["payment_type"] == "Credit"
    assert (await booking.call("GET", credits))[1]["credits_remaining"] == 1

    # the client comes back late: the room has ended, nothing more is charged
    late = SessionClient(b.url, room["join"]["client"]["token"])
    assert (await late.try_connect())["code"] in ("room_closed", "invalid_token")
    await _both(nodes, 60.0)
    assert (await booking.call("GET", credits))[1]["credits_remaining"] == 1
