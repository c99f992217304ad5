"""Two synthetic participants (real aiortc peers) negotiate through the real signaling of
``sessionsvc serve`` processes and exchange real video frames: on one node, across two nodes
sharing one Redis, and across the SIGKILL of the node one of them is on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest

from sessionsvc.synthetic.negotiation import parse_candidate
from sessionsvc.synthetic.participant import ParticipantError, SyntheticParticipant
from testkit.booking import Booking
from testkit.service import ServiceProcess
from tests.support.servers import ServiceFactory

FRAMES = 30  # two seconds of video at 15 fps
STATS_INTERVAL = 0.5  # faster than a browser's 2 s, so the held-rule's 2 s fill quickly
MIN_HELD = 2.0  # SESSIONSVC_MIN_HELD_SECONDS of the test nodes


@asynccontextmanager
async def pair(
    room: dict[str, Any], pro_urls: Sequence[str], client_urls: Sequence[str]
) -> AsyncIterator[tuple[SyntheticParticipant, SyntheticParticipant]]:
    """The room's professional and client, connected; the client waits to be let in."""
    pro = SyntheticParticipant(
        pro_urls, room["join"]["professional"]["token"], label="pro", stats_interval=STATS_INTERVAL
    )
    client = SyntheticParticipant(
        client_urls, room["join"]["client"]["token"], label="client", stats_interval=STATS_INTERVAL
    )
    try:
        await pro.connect()
        await client.connect()
        await pro.wait_for("room", lambda r: r["client"]["presence"] == "present")
        yield pro, client
    finally:
        await client.close()
        await pro.close()


async def admit_and_see_video(pro: SyntheticParticipant, client: SyntheticParticipant) -> None:
    ack = await pro.admit()
    assert ack == {"ok": True}
    await pro.wait_frames(FRAMES)
    await client.wait_frames(FRAMES)


async def wait_held(booking: Booking, room_id: str, within: float = 20.0) -> None:
    """Wait until the server counts the session as held (a bound, not a timing assertion)."""
    deadline = time.monotonic() + within
    while True:
        status, body = await booking.call("GET", f"/v1/rooms/{room_id}")
        assert status == 200, body
        if body["held_seconds"] >= MIN_HELD:
            return
        assert time.monotonic() < deadline, f"not held after {within}s: {body}"
        await asyncio.sleep(0.2)


async def end_held(
    pro: SyntheticParticipant, client: SyntheticParticipant, booking: Booking, room_id: str
) -> dict[str, Any]:
    """End the session as the professional; check both sides' summaries; return the HTTP one."""
    await wait_held(booking, room_id)
    ack = await pro.end()
    assert ack["ok"], ack
    assert ack["summary"]["phase"] == "completed"
    pro_summary = await pro.wait_for("summary")
    client_summary = await client.wait_for("summary")
    assert pro_summary["phase"] == client_summary["phase"] == "completed"
    assert pro_summary["payment"]["payment_type"] == client_summary["payment_type"]
    status, body = await booking.call("GET", f"/v1/rooms/{room_id}/summary")
    assert status == 200, body
    assert body["ended"] and body["phase"] == "completed"
    return dict(body)


async def credits_remaining(booking: Booking, room: dict[str, Any]) -> int:
    status, body = await booking.call("GET", f"/v1/rooms/{room['room_id']}")
    assert status == 200, body
    hub, client = body["hub"]["id"], body["client"]["id"]
    status, ledger = await booking.call("GET", f"/v1/hubs/{hub}/members/{client}/credits")
    assert status == 200, ledger
    return int(ledger["credits_remaining"])


def count(p: SyntheticParticipant, name: str) -> int:
    return sum(1 for e in p.events if e.name == name)


def test_browser_candidates_parse() -> None:
    candidate = parse_candidate(
        {
            "candidate": "candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx "
            "raddr 10.0.0.2 rport 46154 generation 0 ufrag sXcN network-cost 999",
            "sdpMid": "0",
            "sdpMLineIndex": 0,
        }
    )
    assert candidate is not None
    assert (candidate.ip, candidate.port, candidate.type) == ("203.0.113.7", 46154, "srflx")
    assert (candidate.sdpMid, candidate.sdpMLineIndex) == ("0", 0)
    assert parse_candidate({"candidate": "", "sdpMid": "0"}) is None


async def test_a_forged_token_is_refused_at_connect(service: ServiceProcess) -> None:
    p = SyntheticParticipant(service.url, "not.a.token")
    try:
        with pytest.raises(ParticipantError) as refused:
            await p.connect()
        assert refused.value.code == "invalid_token" and refused.value.fatal
    finally:
        await p.close()


async def test_call_on_one_node_consumes_one_credit(
    service: ServiceProcess, booking: Booking
) -> None:
    room = await booking.hub_room(remaining=3, invoice_to="company")
    async with pair(room, [service.url], [service.url]) as (pro, client):
        await admit_and_see_video(pro, client)
        assert pro.last_frame_number and client.last_frame_number  # our pattern, decoded
        summary = await end_held(pro, client, booking, room["room_id"])
        assert summary["outcome"]["payment"] == {
            "payment_type": "Credit",
            "invoice_to": "Acme Corp",
            "credits_remaining": 2,
        }
        again = await pro.end()  # a second end changes nothing
        assert not again["ok"] or again["summary"]["payment"]["credits_remaining"] == 2
        assert pro.stats_sent > 0 and client.stats_sent > 0
        assert pro.last_stats and pro.last_stats["bytes_received"] > 0
    assert await credits_remaining(booking, room) == 2


async def test_self_pay_call_on_one_node_with_a_restart(
    service: ServiceProcess, booking: Booking
) -> None:
    room = await booking.open_room(hub=None)
    async with pair(room, [service.url], [service.url]) as (pro, client):
        await admit_and_see_video(pro, client)
        since = client.mark()
        assert (await client.restart())["ok"]
        await client.wait_for("signal", lambda s: s["kind"] == "offer", since=since)
        await client.wait_frames(client.frames_received + FRAMES)
        await pro.wait_frames(pro.frames_received + FRAMES)
        assert client.peer_connections == 2 and pro.negotiations == 2
        summary = await end_held(pro, client, booking, room["room_id"])
        assert summary["outcome"]["payment"] == {"payment_type": "Self-pay"}
        assert (await client.wait_for("summary"))["payment_type"] == "Self-pay"


async def two_nodes(factory: ServiceFactory, redis_url: str) -> tuple[ServiceProcess, ...]:
    env = {"SESSIONSVC_REDIS_URL": redis_url}
    return await factory(**env), await factory(**env)


@pytest.mark.redis
async def test_call_across_two_nodes(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    node_a, node_b = await two_nodes(service_factory, redis_url)
    booking = Booking(node_a.url, http)
    room = await booking.hub_room(remaining=1, invoice_to="platform")
    async with pair(room, [node_a.url], [node_b.url]) as (pro, client):
        await admit_and_see_video(pro, client)
        summary = await end_held(pro, client, booking, room["room_id"])
        assert summary["outcome"]["payment"] == {
            "payment_type": "Credit",
            "invoice_to": "platform",
            "credits_remaining": 0,
        }
        assert pro.url == node_a.url and client.url == node_b.url
    assert await credits_remaining(Booking(node_b.url, http), room) == 0


@pytest.mark.redis
@pytest.mark.parametrize("victim", ["client", "professional"])
async def test_call_survives_sigkill_of_a_node(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession, victim: str
) -> None:
    node_a, node_b = await two_nodes(service_factory, redis_url)
    booking = Booking(node_a.url, http)
    room = await booking.hub_room(remaining=2)
    # each side prefers its own node and falls back on the other one
    async with pair(room, [node_a.url, node_b.url], [node_b.url, node_a.url]) as (pro, client):
        await admit_and_see_video(pro, client)
        moved, stayed = (client, pro) if victim == "client" else (pro, client)
        dead, alive = (node_b, node_a) if victim == "client" else (node_a, node_b)
        since, stayed_since, client_since = moved.mark(), stayed.mark(), client.mark()

        dead.kill()
        await moved.wait_for("reconnected", since=since, timeout=15)
        assert moved.url == alive.url and moved.connections == 2
        await moved.wait_for("room", lambda r: r["phase"] == "in_session", since=since)
        await stayed.wait_for("peer_joined", lambda p: p["resumed"] is True, since=stayed_since)
        # media still flows both ways after the move
        await pro.wait_frames(pro.frames_received + FRAMES)
        await client.wait_frames(client.frames_received + FRAMES)
        if victim == "professional":
            # it re-offered after its own reconnect; the client answered on a new connection
            await client.wait_for("signal", lambda s: s["kind"] == "offer", since=client_since)
            assert client.peer_connections >= 2

        summary = await end_held(pro, client, Booking(alive.url, http), room["room_id"])
        assert summary["outcome"]["payment"]["payment_type"] == "Credit"
        assert summary["outcome"]["payment"]["credits_remaining"] == 1
        # resumed, not admitted again
        assert count(pro, "admitted") == count(client, "admitted") == 1
    assert await credits_remaining(Booking(alive.url, http), room) == 1
