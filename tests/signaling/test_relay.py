"""Relaying WebRTC signals between the two people of a room, and only them; signals that are
malformed, too large or misaddressed are refused and relay nothing."""

from __future__ import annotations

from typing import Any

import pytest

from testkit.booking import Booking
from testkit.session_client import SessionClient
from tests.signaling.steps import ANSWER, OFFER, admitted, join
from tests.support.servers import AppServer


async def test_signal_relay_between_the_pair_only(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await join(app_server, room)
    early = await client.call("signal", {"to": "professional", "kind": "offer", "payload": OFFER})
    assert early["ok"] is False and early["error"]["code"] == "invalid_state"
    await pro.call("admit", {"participant_id": room["client"]["id"]})
    await client.wait("admitted")
    ack = await pro.call(
        "signal", {"to": "client", "kind": "offer", "payload": {**OFFER, "from": "x"}}
    )
    assert ack["ok"] is False  # unknown keys in the payload are refused
    assert (await pro.call("signal", {"to": "client", "kind": "offer", "payload": OFFER}))["ok"]
    got = await client.wait("signal")
    assert got == {"from": "professional", "kind": "offer", "payload": OFFER}
    assert (
        await client.call("signal", {"to": "professional", "kind": "answer", "payload": ANSWER})
    )["ok"]
    cand = {
        "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    assert (
        await client.call("signal", {"to": "professional", "kind": "candidate", "payload": cand})
    )["ok"]
    assert (await pro.wait("signal", lambda s: s["kind"] == "candidate"))["from"] == "client"
    assert (await client.call("signal", {"to": "professional", "kind": "restart", "payload": {}}))[
        "ok"
    ]
    assert (await pro.wait("signal", lambda s: s["kind"] == "restart"))["payload"] == {}
    # an outsider with a valid token for another room hears nothing of this one
    other = await app_booking.open_room()
    outsider = await SessionClient(app_server.url, other["join"]["client"]["token"]).connect()
    assert (await pro.call("signal", {"to": "client", "kind": "offer", "payload": OFFER}))["ok"]
    await client.wait("signal", lambda s: len(client.events["signal"]) >= 2)
    assert outsider.events["signal"] == []
    bad = await outsider.call("signal", {"to": "professional", "kind": "offer", "payload": OFFER})
    assert bad["ok"] is False
    for p in (pro, client, outsider):
        await p.close()


async def test_an_answer_names_the_offer_it_answers(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await admitted(app_server, room)
    named = {**OFFER, "offer_id": "k3x9-2"}
    assert (await pro.call("signal", {"to": "client", "kind": "offer", "payload": named}))["ok"]
    assert (await client.wait("signal"))["payload"] == named
    answer = {**ANSWER, "offer_id": "k3x9-2"}
    ack = await client.call("signal", {"to": "professional", "kind": "answer", "payload": answer})
    assert ack["ok"]
    got = await pro.wait("signal", lambda s: s["kind"] == "answer")
    assert got["payload"] == answer
    for bad_id in ("", "x" * 65, "a b", "<b>", 7):
        payload = {**OFFER, "offer_id": bad_id}
        ack = await pro.call("signal", {"to": "client", "kind": "offer", "payload": payload})
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", bad_id
    assert len(client.events["signal"]) == 1
    await pro.close()
    await client.close()


@pytest.mark.parametrize(
    "message",
    [
        {
            "to": "client",
            "kind": "offer",
            "payload": {"type": "offer", "sdp": "v=0\r\n" + "a" * 70_000},
        },
        {
            "to": "client",
            "kind": "offer",
            "payload": {"type": "offer", "sdp": "<script>alert(1)</script>"},
        },
        {"to": "client", "kind": "offer", "payload": {"type": "answer", "sdp": "v=0\r\n"}},
        {"to": "client", "kind": "candidate", "payload": {"candidate": "x" * 2000}},
        {"to": "client", "kind": "dance", "payload": {}},
        {"to": "professional", "kind": "offer", "payload": OFFER},
        {"to": "everyone", "kind": "offer", "payload": OFFER},
        {"kind": "offer"},
        "not an object",
        [1, 2, 3],
    ],
)
async def test_bad_signals_are_refused(
    app_server: AppServer, app_booking: Booking, message: Any
) -> None:
    room = await app_booking.open_room()
    pro, client = await admitted(app_server, room)
    ack = await pro.call("signal", message)
    assert ack["ok"] is False and ack["error"]["code"] in ("invalid_payload", "payload_too_large")
    assert client.events["signal"] == []
    assert (await pro.call("signal", {"to": "client", "kind": "offer", "payload": OFFER}))["ok"]
    await pro.close()
    await client.close()
