"""The /session namespace over loopback with real Socket.IO clients: the waiting room,
admission, relaying, the held-rule, completion, reconnects, take-over and bad input."""

from __future__ import annotations

import asyncio
import time
import warnings
from typing import Any

import pytest

from sessionsvc.rooms.model import Role
from tests.support.peers import Peer
from tests.support.servers import AppServer, AppServerFactory, Booking

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}
ANSWER = {"type": "answer", "sdp": OFFER["sdp"]}


async def _join(app_server: AppServer, room: dict[str, Any]) -> tuple[Peer, Peer]:
    pro = await Peer(app_server.url, room["join"]["professional"]["token"]).connect()
    client = await Peer(app_server.url, room["join"]["client"]["token"]).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    return pro, client


async def _admitted(app_server: AppServer, room: dict[str, Any]) -> tuple[Peer, Peer]:
    pro, client = await _join(app_server, room)
    ack = await pro.call("admit", {"participant_id": room["client"]["id"]})
    assert ack == {"ok": True}
    await client.wait("admitted")
    return pro, client


async def _hold(app_server: AppServer, pro: Peer, client: Peer, seconds: int) -> None:
    """Both sides report inbound media growing once a second for ``seconds``."""
    for i in range(1, seconds + 2):
        assert (await pro.call("stats", {"bytes_received": 1000 * i}))["ok"]
        assert (await client.call("stats", {"bytes_received": 900 * i, "rtt_ms": 12.0}))["ok"]
        app_server.clock.advance(1.0)


async def test_snapshots_per_role(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.hub_room(remaining=1, invoice_to="company")
    pro, client = await _join(app_server, room)
    c = client.last("room")
    assert c["role"] == "client" and c["phase"] == "waiting"
    assert c["professional"]["name"] == "Dr. Alex Rivera"
    assert c["scheduled_start"] == room["scheduled_start"]
    assert c["funding"]["funding"] == "credit" and c["funding"]["last_subsidised"] is True
    assert c["funding"]["headline"] == "Covered by your employer's credit (1 left)"
    assert "invoice_to" not in c["funding"] and c["hub"] is None and c["first_hub_session"] is False
    p = pro.last("room")
    assert p["client"]["presence"] == "present" and p["client"]["name"] == "Sam Jordan"
    assert p["funding"]["headline"] == "Client has a company credit available"
    assert p["funding"]["invoice_to"] == "Acme Corp"
    assert "last subsidised session" in p["funding"]["alert"]
    assert p["hub"] == {"name": "Acme Corp"} and p["first_hub_session"] is True
    assert p["ice_servers"] is None and p["admitted"] is False

    assert (await pro.call("note", {"text": "Running 5 minutes late"}))["ok"]
    seen = await client.wait_room(lambda r: r["note"] == "Running 5 minutes late")
    assert seen["phase"] == "waiting"
    await pro.close()
    await client.close()


@pytest.mark.parametrize(
    ("remaining", "card", "pro_text", "client_text"),
    [
        (
            0,
            True,
            "No company credits left — client pays by card on file",
            "Your company credits are used up; your card on file will be charged",
        ),
        (0, False, "No company credits and no card on file", "Add a payment card to continue"),
    ],
)
async def test_funding_views_without_credits(
    app_server: AppServer,
    app_booking: Booking,
    remaining: int,
    card: bool,
    pro_text: str,
    client_text: str,
) -> None:
    room = await app_booking.hub_room(
        remaining=remaining, card=card, payment_url="https://pay.example/add"
    )
    pro, client = await _join(app_server, room)
    assert pro.last("room")["funding"]["headline"] == pro_text
    assert client.last("room")["funding"]["headline"] == client_text
    if not card:
        assert "make sure the client adds a card" in pro.last("room")["funding"]["warning"]
        assert client.last("room")["funding"]["payment_url"] == "https://pay.example/add"
    await pro.close()
    await client.close()


async def test_self_pay_snapshot(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    pro, client = await _join(app_server, room)
    assert pro.last("room")["funding"]["headline"] == "Own client — arrange payment yourself"
    assert client.last("room")["funding"] == {"funding": "self_pay"}
    await pro.close()
    await client.close()


async def test_card_added_while_waiting_reaches_both_live(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=0, card=False)
    pro, client = await _join(app_server, room)
    refused = await pro.call("admit", {"participant_id": room["client"]["id"]})
    assert refused["ok"] is False and refused["error"]["code"] == "card_required"
    status, _ = await app_booking.call(
        "PATCH", f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits", {"card_on_file": True}
    )
    assert status == 200
    assert (await client.wait("funding", lambda f: f["funding"] == "card"))["headline"].startswith(
        "Your company credits"
    )
    await pro.wait("funding", lambda f: f["funding"] == "card")
    await pro.wait_room(lambda r: r["funding"]["funding"] == "card")
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    await pro.close()
    await client.close()


async def test_card_required_override_is_recorded(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=0, card=False)
    pro, client = await _join(app_server, room)
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
    pro, client = await _admitted(server, room)
    ice = client.last("admitted")["ice_servers"]
    assert ice[0] == {"urls": ["stun:stun.example:3478"]}
    turn = ice[1]
    expiry, _, who = turn["username"].partition(":")
    assert who == room["client"]["id"] and int(expiry) > time.time()
    import base64
    import hashlib
    import hmac

    expected = base64.b64encode(
        hmac.new(b"turn-shared-secret", turn["username"].encode(), hashlib.sha1).digest()
    ).decode()
    assert turn["credential"] == expected
    assert pro.last("admitted")["ice_servers"][1]["username"].endswith(
        ":" + room["professional"]["id"]
    )
    await pro.close()
    await client.close()


async def test_signal_relay_between_the_pair_only(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await _join(app_server, room)
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
    outsider = await Peer(app_server.url, other["join"]["client"]["token"]).connect()
    assert (await pro.call("signal", {"to": "client", "kind": "offer", "payload": OFFER}))["ok"]
    await client.wait("signal", lambda s: len(client.events["signal"]) >= 2)
    assert outsider.events["signal"] == []
    bad = await outsider.call("signal", {"to": "professional", "kind": "offer", "payload": OFFER})
    assert bad["ok"] is False
    for p in (pro, client, outsider):
        await p.close()


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
    pro, client = await _admitted(app_server, room)
    ack = await pro.call("signal", message)
    assert ack["ok"] is False and ack["error"]["code"] in ("invalid_payload", "payload_too_large")
    assert client.events["signal"] == []
    assert (await pro.call("signal", {"to": "client", "kind": "offer", "payload": OFFER}))["ok"]
    await pro.close()
    await client.close()


async def test_client_cannot_admit_end_or_note(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    pro, client = await _join(app_server, room)
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


async def test_held_session_completes_once_with_credit_summary(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=2, invoice_to="company")
    pro, client = await _admitted(app_server, room)
    await _hold(app_server, pro, client, 3)
    ack, again = await asyncio.gather(pro.call("end"), pro.call("end"))
    oks = [a for a in (ack, again) if a["ok"]]
    assert (
        len(oks) == 1
        and next(a for a in (ack, again) if not a["ok"])["error"]["code"] == "room_closed"
    )
    summary = oks[0]["summary"]
    assert summary["payment"] == {
        "payment_type": "Credit",
        "invoice_to": "Acme Corp",
        "credits_remaining": 1,
    }
    assert "Invoice Acme Corp directly" in summary["message"]
    client_summary = await client.wait("summary")
    assert client_summary["payment_type"] == "Credit" and client_summary["credits_remaining"] == 1
    assert "invoice_to" not in client_summary and "Acme" not in client_summary["message"]
    await pro.wait("ended")
    _, credits = await app_booking.call(
        "GET", f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits"
    )
    assert credits["credits_remaining"] == 1 and credits["sessions_held"] == 1
    _, summary_http = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}/summary")
    assert summary_http["outcome"]["payment"]["payment_type"] == "Credit"
    # the tokens of a finished room are refused from then on
    late = await Peer(app_server.url, room["join"]["client"]["token"]).try_connect()
    assert late["code"] == "room_closed"
    await pro.close()
    await client.close()


async def test_media_one_way_is_not_held(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.hub_room(remaining=2)
    pro, client = await _admitted(app_server, room)
    for i in range(1, 6):  # only the professional receives media
        await pro.call("stats", {"bytes_received": 1000 * i})
        await client.call("stats", {"bytes_received": 0})
        app_server.clock.advance(1.0)
    ack = await pro.call("end")
    assert ack["summary"]["phase"] == "not_held"
    assert ack["summary"]["reason"] == "media_never_connected" and ack["summary"]["payment"] is None
    _, credits = await app_booking.call(
        "GET", f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits"
    )
    assert credits["credits_remaining"] == 2
    await pro.close()
    await client.close()


@pytest.mark.parametrize(("card", "payment_type"), [(True, "Card"), (None, "Self-pay")])
async def test_card_and_self_pay_summaries(
    app_server: AppServer, app_booking: Booking, card: bool | None, payment_type: str
) -> None:
    if card is None:
        room = await app_booking.open_room()
    else:
        room = await app_booking.hub_room(remaining=0, card=card)
    pro, client = await _admitted(app_server, room)
    await _hold(app_server, pro, client, 3)
    ack = await pro.call("end")
    assert ack["summary"]["payment"] == {"payment_type": payment_type}
    assert (await client.wait("summary"))["payment_type"] == payment_type
    await pro.close()
    await client.close()


async def test_departure_timeout_completes(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.hub_room(remaining=3)
    pro, client = await _admitted(app_server, room)
    await _hold(app_server, pro, client, 3)
    assert (await client.call("leave"))["ok"]
    assert (await pro.wait("peer_left"))["role"] == "client"
    assert (await pro.call("leave"))["ok"]
    await asyncio.sleep(0.1)
    await app_server.advance(app_server.ctx.settings.departure_timeout + 1)
    _, summary = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}/summary")
    assert summary["phase"] == "completed"
    assert summary["outcome"]["payment"]["credits_remaining"] == 2


async def test_no_show_and_expiry(app_server: AppServer, app_booking: Booking) -> None:
    waited = await app_booking.hub_room(remaining=3, minutes=30)
    pro = await Peer(app_server.url, waited["join"]["professional"]["token"]).connect()
    nobody = await app_booking.open_room(minutes=30)
    await app_server.advance(30 * 60 + app_server.ctx.settings.expiry_grace + 1)
    ended = await pro.wait("summary")
    assert ended["phase"] == "not_held" and ended["reason"] == "client_no_show"
    _, credits = await app_booking.call(
        "GET", f"/v1/hubs/hub-acme/members/{waited['client']['id']}/credits"
    )
    assert credits["credits_remaining"] == 3
    _, expired = await app_booking.call("GET", f"/v1/rooms/{nobody['room_id']}/summary")
    assert expired["phase"] == "expired"
    refused = await Peer(app_server.url, nobody["join"]["client"]["token"]).try_connect()
    assert refused["code"] == "room_closed"
    await pro.close()


async def test_reconnect_within_grace_resumes_the_call(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await _admitted(app_server, room)
    await client.sio.eio.disconnect(abort=True)  # the network drops, no goodbye
    reconnecting = await pro.wait("peer_reconnecting")
    assert reconnecting == {"role": "client", "grace_s": 20.0}
    await app_server.advance(10)
    back = await Peer(app_server.url, room["join"]["client"]["token"]).connect()
    snap = back.last("room")
    assert snap["phase"] == "in_session" and snap["admitted"] is True and snap["ice_servers"] == []
    await pro.wait("peer_joined", lambda e: e == {"role": "client", "resumed": True})
    assert (await pro.call("signal", {"to": "client", "kind": "offer", "payload": OFFER}))["ok"]
    await back.wait("signal")
    await pro.close()
    await back.close()


async def test_reconnect_after_grace_is_left(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    pro, client = await _join(app_server, room)
    await client.sio.eio.disconnect(abort=True)
    await pro.wait("peer_reconnecting")
    await app_server.advance(21)
    assert (await pro.wait("peer_left"))["role"] == "client"
    await pro.wait_room(lambda r: r["client"]["presence"] == "left")
    again = await Peer(app_server.url, room["join"]["client"]["token"]).connect()
    assert again.last("room")["phase"] == "waiting"
    await pro.close()
    await again.close()


async def test_second_tab_takes_over(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    pro, client = await _join(app_server, room)
    second = await Peer(app_server.url, room["join"]["client"]["token"]).connect()
    assert (await client.wait("replaced"))["message"]
    await client.wait_disconnected()
    assert pro.last("room")["client"]["presence"] == "present"
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    await second.wait("admitted")
    await pro.close()
    await second.close()


async def test_denied_client_is_removed_for_good(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await _join(app_server, room)
    assert (await pro.call("deny", {"participant_id": room["client"]["id"]}))["ok"]
    assert (await client.wait("denied"))["message"]
    refused = await Peer(app_server.url, room["join"]["client"]["token"]).try_connect()
    assert refused["code"] == "removed"
    await pro.close()


async def test_connect_refusals(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    other = await app_booking.open_room(client_id="another-client")
    tokens = app_booking.tokens
    url = app_server.url
    cases = {
        "invalid_token": "garbage",
        "token_expired": tokens.mint_join(
            sub=room["client"]["id"],
            role=Role.CLIENT,
            name="x",
            room=room["room_id"],
            expires_at=time.time() - 60,
            now=time.time() - 120,
        ),
        "not_your_room": tokens.mint_join(
            sub=room["client"]["id"],
            role=Role.CLIENT,
            name="x",
            room=other["room_id"],
            expires_at=time.time() + 60,
        ),
        "room_not_found": tokens.mint_join(
            sub="c", role=Role.CLIENT, name="x", room="nope-room", expires_at=time.time() + 60
        ),
        "forbidden": tokens.mint_join(
            sub="s", role=Role.SUPPORT, name="x", room=None, expires_at=time.time() + 60
        ),
    }
    for code, token in cases.items():
        refused = await Peer(url, token).try_connect()
        assert refused["code"] == code, (code, refused)
        assert refused["message"]
    claims = {
        "iss": "sessionsvc",
        "aud": "sessionsvc-join",
        "sub": room["client"]["id"],
        "role": "client",
        "room": room["room_id"],
        "exp": int(time.time()) + 60,
    }
    import jwt

    from tests.support.servers import JOIN_SECRET

    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    body = jwt.utils.base64url_encode(jwt.api_jws.json.dumps(claims).encode()).decode()
    with warnings.catch_warnings():  # the right secret, deliberately with the wrong algorithm
        warnings.simplefilter("ignore")
        hs512 = jwt.encode(claims, JOIN_SECRET, algorithm="HS512")
    for token in (
        f"{header}.{body}.",
        hs512,
        jwt.encode(claims, "some-other-secret-some-other-secret", algorithm="HS256"),
    ):
        assert (await Peer(url, token).try_connect())["code"] == "invalid_token"
    refused = await Peer(
        url, room["join"]["client"]["token"], headers={"Origin": "https://evil.example"}
    ).try_connect()
    assert refused["code"] == "bad_origin"
    no_auth = Peer(url, "")
    assert (await no_auth.try_connect())["code"] == "invalid_token"
    await app_booking.call("DELETE", f"/v1/rooms/{room['room_id']}")
    assert (await Peer(url, room["join"]["client"]["token"]).try_connect())["code"] == "room_closed"


async def test_cancel_while_waiting_tells_both(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    pro, client = await _join(app_server, room)
    await app_booking.call("DELETE", f"/v1/rooms/{room['room_id']}")
    assert (await client.wait("ended"))["phase"] == "cancelled"
    assert "cancelled" in (await pro.wait("summary"))["message"]
    await pro.close()
    await client.close()


async def test_flood_is_throttled_then_disconnected_without_slowing_others(
    app_server_factory: AppServerFactory, http: Any
) -> None:
    server = await app_server_factory(SESSIONSVC_EVENT_RATE="5")  # burst 10
    booking = Booking(server.url, http)
    calm_room = await booking.open_room()
    calm_pro, calm_client = await _join(server, calm_room)
    room = await booking.open_room()
    flooder = await Peer(server.url, room["join"]["client"]["token"]).connect()
    acks = await asyncio.gather(*(flooder.call("device", {}, timeout=10) for _ in range(25)))
    assert any(a["ok"] for a in acks)
    assert any(not a["ok"] and a["error"]["code"] == "rate_limited" for a in acks)
    assert flooder.sio.connected  # throttled, not yet thrown out
    for _ in range(2000):  # keep flooding, without waiting for acks
        if not flooder.sio.connected:
            break
        await flooder.sio.emit("device", {}, namespace="/session")
    assert (await flooder.wait("error", timeout=10))["code"] == "rate_limited"
    await flooder.wait_disconnected()
    assert (await calm_pro.call("note", {"text": "still here"}))["ok"]
    await calm_client.wait_room(lambda r: r["note"] == "still here")
    await calm_pro.close()
    await calm_client.close()


def test_a_steady_stream_over_the_rate_is_flooding() -> None:
    from sessionsvc.signaling.ratelimit import Bucket

    bucket = Bucket.full(rate=10, now=0.0)
    t, sent = 0.0, 0
    while not bucket.flooding and t < 60:
        t += 1 / 30  # three times the allowed rate, evenly spaced
        bucket.take(t)
        sent += 1
    assert bucket.flooding and t < 10
    calm = Bucket.full(rate=10, now=0.0)
    for i in range(600):  # just under the rate, for a minute
        assert calm.take(i / 9.5)
    assert not calm.flooding


async def test_monthly_statement_lists_credit_sessions_without_names(
    app_server: AppServer, app_booking: Booking
) -> None:
    company = await app_booking.hub_room(remaining=2, invoice_to="company", professional_id="pro-s")
    platform = await app_booking.hub_room(
        remaining=2, invoice_to="platform", professional_id="pro-s"
    )
    own = await app_booking.open_room(professional_id="pro-s")
    for room in (company, platform, own):
        pro, client = await _admitted(app_server, room)
        await _hold(app_server, pro, client, 3)
        assert (await pro.call("end"))["ok"]
        await pro.close()
        await client.close()
    month = time.strftime("%Y-%m", time.gmtime(app_server.clock.now()))
    status, statement = await app_booking.call(
        "GET", f"/v1/professionals/pro-s/statement?month={month}"
    )
    assert status == 200
    lines = {line["invoice_to"]: line for line in statement["invoices"]}
    assert set(lines) == {"Acme Corp", "platform"}  # the self-pay session is not a Credit one
    assert lines["Acme Corp"]["sessions"] == 1 and len(lines["Acme Corp"]["dates"]) == 1
    assert "Sam Jordan" not in str(statement)
    status, text = await app_booking.call(
        "GET", f"/v1/professionals/pro-s/statement?month={month}", headers={"Accept": "text/csv"}
    )
    assert status == 200 and text.splitlines()[0] == "invoice_to,sessions,dates"
    assert "Acme Corp,1," in text and "Sam" not in text
    status, bad = await app_booking.call("GET", "/v1/professionals/pro-s/statement?month=11-2026")
    assert status == 422 and bad["error"]["code"] == "invalid_input"


async def test_join_tokens_minted_by_the_booking_service(
    app_server: AppServer, app_booking: Booking
) -> None:
    """DESIGN §4: the booking service may mint join tokens itself (iss=booking, join secret)."""
    import jwt

    from tests.support.servers import JOIN_SECRET

    room = await app_booking.open_room()
    now = int(time.time())
    claims = {
        "iss": "booking",
        "aud": "sessionsvc-join",
        "sub": room["client"]["id"],
        "role": "client",
        "room": room["room_id"],
        "name": "Sam Jordan",
        "exp": now + 60,
        "iat": now,
        "jti": "j1",
    }
    client = await Peer(
        app_server.url, jwt.encode(claims, JOIN_SECRET, algorithm="HS256")
    ).connect()
    assert client.last("room")["role"] == "client"
    await client.close()
    for bad in ({"iss": "someone"}, {"iss": "bookings"}, {"role": "admin"}, {"room": None}):
        token = jwt.encode({**claims, **bad}, JOIN_SECRET, algorithm="HS256")
        assert (await Peer(app_server.url, token).try_connect())["code"] == "invalid_token", bad


async def test_room_changes_reach_both_screens_live(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await _join(app_server, room)
    later = "2030-01-01T10:00:00Z"
    status, _ = await app_booking.call(
        "PATCH",
        f"/v1/rooms/{room['room_id']}",
        {
            "scheduled_start": later,
            "scheduled_end": "2030-01-01T10:50:00Z",
            "professional_name": "Dr. A. Rivera",
        },
    )
    assert status == 200
    seen = await client.wait_room(lambda r: r["scheduled_start"] == later)
    assert seen["professional"]["name"] == "Dr. A. Rivera"
    await pro.wait_room(lambda r: r["scheduled_start"] == later)
    status, body = await app_booking.call(
        "PATCH", f"/v1/rooms/{room['room_id']}", {"scheduled_end": "2029-01-01T00:00:00Z"}
    )
    assert status == 422 and body["error"]["code"] == "invalid_input"
    await pro.close()
    await client.close()


async def test_override_session_is_card_once_a_card_is_added(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=0, card=False)
    pro, client = await _join(app_server, room)
    assert (await pro.call("admit", {"participant_id": room["client"]["id"], "override": True}))[
        "ok"
    ]
    await client.wait("admitted")
    await _hold(app_server, pro, client, 3)
    await app_booking.call(
        "PATCH", f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits", {"card_on_file": True}
    )
    ack = await pro.call("end")
    assert ack["summary"]["payment"] == {"payment_type": "Card"}
    other = await app_booking.hub_room(remaining=0, card=False)
    pro2, client2 = await _join(app_server, other)
    assert (await pro2.call("admit", {"participant_id": other["client"]["id"], "override": True}))[
        "ok"
    ]
    await client2.wait("admitted")
    await _hold(app_server, pro2, client2, 3)
    assert (await pro2.call("end"))["summary"]["payment"] == {"payment_type": "Self-pay"}
    for p in (pro, client, pro2, client2):
        await p.close()
