"""Letting the client in: admitting (with an override when there is no way to pay), the TURN
credentials handed out on admission, denying for good, and what only the professional may do."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from testkit.booking import Booking
from testkit.session_client import SessionClient
from tests.signaling.steps import admitted, join
from tests.support.servers import AppServer, AppServerFactory


async def test_card_required_override_is_recorded(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=0, card=False)
    pro, client = await join(app_server, room)
    ack = await pro.call("admit", {"participant_id": room["client"]["id"], "override": True})
    assert ack == {"ok": True}
    await client.wait("admitted")
    _, got = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}")
    assert got["phase"] == "in_session"
    assert got["override"]["by"] == room["professional"]["id"]
    assert got["override"]["funding"] == "card_required"
    await pro.close()
    await client.close()


async def test_admit_hands_out_turn_credentials(
    app_server_factory: AppServerFactory, http: Any
) -> None:
    server = await app_server_factory(
        SESSIONSVC_TURN_SECRET="turn-shared-secret",
        SESSIONSVC_TURN_URLS="turn:turn.example:3478?transport=udp",
        SESSIONSVC_STUN_URLS="stun:stun.example:3478",
    )
    booking = Booking(server.url, http)
    room = await booking.open_room()
    pro, client = await admitted(server, room)
    ice = client.last("admitted")["ice_servers"]
    assert ice[0] == {"urls": ["stun:stun.example:3478"]}
    turn = ice[1]
    expiry, _, who = turn["username"].partition(":")
    assert who == room["client"]["id"] and int(expiry) > time.time()
    expected = base64.b64encode(
        hmac.new(b"turn-shared-secret", turn["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert turn["credential"] == expected
    assert pro.last("admitted")["ice_servers"][1]["username"].endswith(
        ":" + room["professional"]["id"]
    )
    await pro.close()
    await client.close()


async def test_denied_client_is_removed_for_good(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await join(app_server, room)
    assert (await pro.call("deny", {"participant_id": room["client"]["id"]}))["ok"]
    assert (await client.wait("denied"))["message"]
    refused = await SessionClient(app_server.url, room["join"]["client"]["token"]).try_connect()
    assert refused["code"] == "removed"
    await pro.close()


async def test_client_cannot_admit_end_or_note(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    pro, client = await join(app_server, room)
    for event, data in (
        ("admit", {"participant_id": room["client"]["id"]}),
        ("deny", {"participant_id": room["client"]["id"]}),
        ("end", {}),
        ("note", {"text": "hi"}),
    ):
        ack = await client.call(event, data)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", event
    assert (await client.call("nonsense", {}))["error"]["code"] == "unknown_event"
    assert (await pro.call("admit", {"participant_id": "someone-else"}))["error"][
        "code"
    ] == "not_your_room"
    assert (await pro.call("admit", {"participant_id": 12}))["error"]["code"] == "invalid_payload"
    assert (await pro.call("note", {"text": "x" * 281}))["error"]["code"] == "invalid_payload"
    _, got = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}")
    assert got["phase"] == "waiting" and got["note"] is None
    await pro.close()
    await client.close()
