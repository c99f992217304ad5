"""How a session ends: the held-rule, the credit consumed exactly once, each side's summary and
payment type, and the timeouts that end a session nobody ends (departure, no-show, expiry)."""

from __future__ import annotations

import asyncio

import pytest

from testkit.booking import Booking
from testkit.session_client import SessionClient
from tests.signaling.steps import admitted, hold, join
from tests.support.servers import AppServer


async def test_held_session_completes_once_with_credit_summary(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=2, invoice_to="company")
    pro, client = await admitted(app_server, room)
    await hold(app_server, pro, client, 3)
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
    assert "Send Acme Corp an invoice" in summary["next"][0]
    facts = {f["key"]: f["value"] for f in summary["facts"]}
    assert facts["booking"] == room["booking_id"] and facts["invoice-to"] == "Acme Corp, directly"
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
    late = await SessionClient(app_server.url, room["join"]["client"]["token"]).try_connect()
    assert late["code"] == "room_closed"
    # with what actually happened, for the page to show
    assert late["summary"]["phase"] == "completed" and late["summary"]["credits_remaining"] == 1
    await pro.close()
    await client.close()


async def test_media_one_way_is_not_held(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.hub_room(remaining=2)
    pro, client = await admitted(app_server, room)
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
    pro, client = await admitted(app_server, room)
    await hold(app_server, pro, client, 3)
    ack = await pro.call("end")
    assert ack["summary"]["payment"] == {"payment_type": payment_type}
    assert (await client.wait("summary"))["payment_type"] == payment_type
    await pro.close()
    await client.close()


async def test_override_session_is_card_once_a_card_is_added(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=0, card=False)
    pro, client = await join(app_server, room)
    assert (await pro.call("admit", {"participant_id": room["client"]["id"], "override": True}))[
        "ok"
    ]
    await client.wait("admitted")
    await hold(app_server, pro, client, 3)
    await app_booking.call(
        "PATCH", f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits", {"card_on_file": True}
    )
    ack = await pro.call("end")
    assert ack["summary"]["payment"] == {"payment_type": "Card"}
    other = await app_booking.hub_room(remaining=0, card=False)
    pro2, client2 = await join(app_server, other)
    assert (await pro2.call("admit", {"participant_id": other["client"]["id"], "override": True}))[
        "ok"
    ]
    await client2.wait("admitted")
    await hold(app_server, pro2, client2, 3)
    assert (await pro2.call("end"))["summary"]["payment"] == {"payment_type": "Self-pay"}
    for p in (pro, client, pro2, client2):
        await p.close()


async def test_departure_timeout_completes(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.hub_room(remaining=3)
    pro, client = await admitted(app_server, room)
    await hold(app_server, pro, client, 3)
    assert (await client.call("leave"))["ok"]
    assert (await pro.wait("peer_left"))["role"] == "client"
    assert (await pro.call("leave"))["ok"]
    await asyncio.sleep(0.1)
    await app_server.advance(app_server.settings.departure_timeout + 1)
    _, summary = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}/summary")
    assert summary["phase"] == "completed"
    assert summary["outcome"]["payment"]["credits_remaining"] == 2


async def test_no_show_and_expiry(app_server: AppServer, app_booking: Booking) -> None:
    waited = await app_booking.hub_room(remaining=3, minutes=30)
    pro = await SessionClient(app_server.url, waited["join"]["professional"]["token"]).connect()
    nobody = await app_booking.open_room(minutes=30)
    await app_server.advance(30 * 60 + app_server.settings.expiry_grace + 1)
    ended = await pro.wait("summary")
    assert ended["phase"] == "not_held" and ended["reason"] == "client_no_show"
    _, credits = await app_booking.call(
        "GET", f"/v1/hubs/hub-acme/members/{waited['client']['id']}/credits"
    )
    assert credits["credits_remaining"] == 3
    _, expired = await app_booking.call("GET", f"/v1/rooms/{nobody['room_id']}/summary")
    assert expired["phase"] == "expired"
    refused = await SessionClient(app_server.url, nobody["join"]["client"]["token"]).try_connect()
    assert refused["code"] == "room_closed"
    await pro.close()
