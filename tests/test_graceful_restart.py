"""Graceful restarts with real processes: on SIGTERM a node stops listening, tells the
participants connected to it to reconnect, closes their connections and exits; they land on the
other node within the reconnect grace and keep their place. A rolling restart of both nodes
during a call loses nothing and charges the credit once."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from testkit.booking import Booking
from testkit.service import ServiceProcess
from testkit.session_client import SessionClient
from tests.support.servers import ServiceFactory
from tests.test_media_call import (
    FRAMES,
    admit_and_see_video,
    count,
    credits_remaining,
    end_held,
    pair,
)

pytestmark = pytest.mark.redis


async def terminate(node: ServiceProcess) -> int:
    """SIGTERM, and wait for the exit without blocking this event loop (the participants in it
    must go on receiving while the node stops)."""
    assert node.proc is not None
    node.proc.terminate()
    code = await asyncio.to_thread(node.proc.wait, 90)
    node.stop()  # tidies up; the process is gone
    return code


async def test_sigterm_asks_participants_to_reconnect(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    """What a stopping node sends before it closes a connection: ``restarting``, then the close
    (a Socket.IO server disconnect, after which a client does not reconnect by itself)."""
    node = await service_factory(SESSIONSVC_REDIS_URL=redis_url)
    room = await Booking(node.url, http).open_room()
    pro = await SessionClient(node.url, room["join"]["professional"]["token"]).connect()
    assert await terminate(node) == 0
    said = await pro.wait("restarting")
    assert "reconnecting" in said["message"]
    await pro.wait_disconnected()
    assert "Traceback" not in node.output()
    await pro.close()


@pytest.mark.timeout(600)
async def test_rolling_restart_of_two_nodes_during_a_call(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    env = {"SESSIONSVC_REDIS_URL": redis_url}
    node_a, node_b = await service_factory(**env), await service_factory(**env)
    booking = Booking(node_a.url, http)
    room = await booking.hub_room(remaining=2)
    async with pair(room, [node_a.url, node_b.url], [node_b.url, node_a.url]) as (pro, client):
        await admit_and_see_video(pro, client)

        # node A stops: the professional moves to B, where the client is
        pro_since, client_since = pro.mark(), client.mark()
        assert await terminate(node_a) == 0
        await pro.wait_for("restarting", since=pro_since)
        await pro.wait_for("reconnected", since=pro_since, timeout=15)
        assert pro.url == node_b.url
        await pro.wait_for("room", lambda r: r["phase"] == "in_session", since=pro_since)
        await client.wait_for("peer_joined", lambda p: p["resumed"] is True, since=client_since)
        await pro.wait_frames(pro.frames_received + FRAMES)
        await client.wait_frames(client.frames_received + FRAMES)

        # A comes back; then B stops: both move to A
        await node_a.start(ready_within=90)
        pro_since, client_since = pro.mark(), client.mark()
        assert await terminate(node_b) == 0
        for p, since in ((pro, pro_since), (client, client_since)):
            await p.wait_for("restarting", since=since)
            await p.wait_for("reconnected", since=since, timeout=15)
            assert p.url == node_a.url
        await pro.wait_for("room", lambda r: r["phase"] == "in_session", since=pro_since)
        await client.wait_for("room", lambda r: r["phase"] == "in_session", since=client_since)
        await pro.wait_frames(pro.frames_received + FRAMES)
        await client.wait_frames(client.frames_received + FRAMES)

        summary = await end_held(pro, client, Booking(node_a.url, http), room["room_id"])
        assert summary["outcome"]["payment"] == {
            "payment_type": "Credit",
            "invoice_to": "Acme Corp",
            "credits_remaining": 1,
        }
        # the place was kept: admitted once, nobody was ever told the other had left
        assert count(pro, "admitted") == count(client, "admitted") == 1
        assert count(pro, "peer_left") == count(client, "peer_left") == 0
    assert await credits_remaining(Booking(node_a.url, http), room) == 1
    assert "Traceback" not in node_a.output() + node_b.output()
