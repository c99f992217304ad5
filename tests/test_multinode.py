"""The same protocol across two real nodes sharing one real Redis: the professional on one
node, the client on the other, behave exactly as on one node."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from testkit.booking import Booking
from testkit.service import ServiceProcess
from testkit.session_client import SessionClient
from tests.signaling.steps import OFFER
from tests.support.servers import ServiceFactory


async def _two_nodes(
    service_factory: ServiceFactory, redis_url: str
) -> tuple[ServiceProcess, ServiceProcess]:
    a, b = await asyncio.gather(
        service_factory(SESSIONSVC_REDIS_URL=redis_url, SESSIONSVC_MIN_HELD_SECONDS="1"),
        service_factory(SESSIONSVC_REDIS_URL=redis_url, SESSIONSVC_MIN_HELD_SECONDS="1"),
    )
    return a, b


async def test_session_across_two_nodes(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    a, b = await _two_nodes(service_factory, redis_url)
    on_a, on_b = Booking(a.url, http), Booking(b.url, http)
    room: dict[str, Any] = await on_a.hub_room(remaining=0, card=False)
    pro = await SessionClient(a.url, room["join"]["professional"]["token"]).connect()
    client = await SessionClient(b.url, room["join"]["client"]["token"]).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    assert client.last("room")["funding"]["funding"] == "card_required"

    # a card added through node B's API reaches the professional on node A, live
    await on_b.call(
        "PATCH", f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits", {"card_on_file": True}
    )
    await pro.wait("funding", lambda f: f["funding"] == "card")
    await client.wait("funding", lambda f: f["funding"] == "card")

    assert (await pro.call("note", {"text": "One moment"}))["ok"]
    await client.wait_room(lambda r: r["note"] == "One moment")
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    await client.wait("admitted")
    assert (await pro.call("signal", {"to": "client", "kind": "offer", "payload": OFFER}))["ok"]
    assert (await client.wait("signal"))["from"] == "professional"

    for i in range(1, 5):
        await pro.call("stats", {"bytes_received": 1000 * i, "bytes_sent": 1000 * i})
        await client.call("stats", {"bytes_received": 1000 * i, "bytes_sent": 1000 * i})
        await asyncio.sleep(0.5)
    ack = await pro.call("end")
    assert ack["summary"]["payment"] == {"payment_type": "Card"}
    assert (await client.wait("summary"))["payment_type"] == "Card"
    await pro.close()
    await client.close()


async def test_take_over_and_deny_across_nodes(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    a, b = await _two_nodes(service_factory, redis_url)
    room = await Booking(a.url, http).open_room()
    pro = await SessionClient(a.url, room["join"]["professional"]["token"]).connect()
    first = await SessionClient(a.url, room["join"]["client"]["token"]).connect()
    # another tab, on node B
    second = await SessionClient(b.url, room["join"]["client"]["token"]).connect()
    await first.wait("replaced")
    await first.wait_disconnected()
    assert (await pro.call("deny", {"participant_id": room["client"]["id"]}))["ok"]
    await second.wait("denied")
    refused = await SessionClient(b.url, room["join"]["client"]["token"]).try_connect()
    assert refused["code"] == "removed"
    await pro.close()


async def test_concurrent_end_on_two_nodes_consumes_once(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    a, b = await _two_nodes(service_factory, redis_url)
    booking = Booking(a.url, http)
    room = await booking.hub_room(remaining=3)
    pro = await SessionClient(a.url, room["join"]["professional"]["token"]).connect()
    # the professional again, on node B: takes over
    pro_again = await SessionClient(b.url, room["join"]["professional"]["token"]).connect()
    client = await SessionClient(b.url, room["join"]["client"]["token"]).connect()
    await pro_again.wait_room(lambda r: r["client"]["presence"] == "present")
    assert (await pro_again.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    for i in range(1, 5):
        await pro_again.call("stats", {"bytes_received": 1000 * i, "bytes_sent": 1000 * i})
        await client.call("stats", {"bytes_received": 1000 * i, "bytes_sent": 1000 * i})
        await asyncio.sleep(0.5)
    # the booking service cancels while the professional ends: exactly one of them wins
    results = await asyncio.gather(
        pro_again.call("end"), booking.call("DELETE", f"/v1/rooms/{room['room_id']}")
    )
    end_ok = results[0]["ok"]
    cancel_ok = results[1][0] == 200
    assert end_ok != cancel_ok
    _, credits = await booking.call(
        "GET", f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits"
    )
    assert credits["credits_remaining"] == (2 if end_ok else 3)
    await pro.close()
    await pro_again.close()
    await client.close()


async def test_a_killed_node_s_participant_who_never_returns(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    """SIGKILL the client's node: the professional is told the client is reconnecting, then
    that they left; once the professional leaves too, the held session completes by itself and
    the credit is consumed once."""
    env = {
        "SESSIONSVC_REDIS_URL": redis_url,
        "SESSIONSVC_MIN_HELD_SECONDS": "1",
        "SESSIONSVC_NODE_TTL": "2",
        "SESSIONSVC_RECONNECT_GRACE": "2",
        "SESSIONSVC_DEPARTURE_TIMEOUT": "1",
    }
    a, b = await asyncio.gather(service_factory(**env), service_factory(**env))
    booking = Booking(a.url, http)
    room = await booking.hub_room(remaining=3)
    pro = await SessionClient(a.url, room["join"]["professional"]["token"]).connect()
    client = await SessionClient(b.url, room["join"]["client"]["token"]).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    for i in range(1, 5):
        await pro.call("stats", {"bytes_received": 1000 * i, "bytes_sent": 1000 * i})
        await client.call("stats", {"bytes_received": 1000 * i, "bytes_sent": 1000 * i})
        await asyncio.sleep(0.5)
    b.kill()
    assert (await pro.wait("peer_reconnecting", timeout=15))["role"] == "client"
    assert (await pro.wait("peer_left", timeout=15))["role"] == "client"
    assert (await pro.call("leave"))["ok"]
    for _ in range(100):
        _, summary = await booking.call("GET", f"/v1/rooms/{room['room_id']}/summary")
        if summary["ended"]:
            break
        await asyncio.sleep(0.1)
    assert summary["phase"] == "completed"
    assert summary["outcome"]["payment"] == {
        "payment_type": "Credit",
        "invoice_to": "Acme Corp",
        "credits_remaining": 2,
    }
    await client.drop()
