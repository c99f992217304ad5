"""Dropped connections and second tabs: a reconnect within the grace resumes the call, one
after it finds the client gone, and a second tab takes over from the first."""

from __future__ import annotations

from testkit.booking import Booking
from testkit.session_client import SessionClient
from tests.signaling.steps import OFFER, admitted, join
from tests.support.servers import AppServer


async def test_reconnect_within_grace_resumes_the_call(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await admitted(app_server, room)
    await client.drop()  # the network drops, no goodbye
    reconnecting = await pro.wait("peer_reconnecting")
    assert reconnecting == {"role": "client", "grace_s": 20.0}
    await app_server.advance(10)
    back = await SessionClient(app_server.url, room["join"]["client"]["token"]).connect()
    snap = back.last("room")
    assert snap["phase"] == "in_session" and snap["admitted"] is True and snap["ice_servers"] == []
    await pro.wait("peer_joined", lambda e: e == {"role": "client", "resumed": True})
    assert (await pro.call("signal", {"to": "client", "kind": "offer", "payload": OFFER}))["ok"]
    await back.wait("signal")
    await pro.close()
    await back.close()


async def test_reconnect_after_grace_is_left(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    pro, client = await join(app_server, room)
    await client.drop()
    await pro.wait("peer_reconnecting")
    await app_server.advance(21)
    assert (await pro.wait("peer_left"))["role"] == "client"
    await pro.wait_room(lambda r: r["client"]["presence"] == "left")
    again = await SessionClient(app_server.url, room["join"]["client"]["token"]).connect()
    assert again.last("room")["phase"] == "waiting"
    await pro.close()
    await again.close()


async def test_second_tab_takes_over(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    pro, client = await join(app_server, room)
    second = await SessionClient(app_server.url, room["join"]["client"]["token"]).connect()
    assert (await client.wait("replaced"))["message"]
    await client.wait_disconnected()
    assert pro.last("room")["client"]["presence"] == "present"
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    await second.wait("admitted")
    await pro.close()
    await second.close()
