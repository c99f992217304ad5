"""The waiting room over ``/session``: each role's snapshot and funding view, the professional's
note, and changes (a card added, a rescheduled booking, a cancellation) that reach both screens
live."""

from __future__ import annotations

import pytest

from testkit.booking import Booking
from tests.signaling.steps import join
from tests.support.servers import AppServer


async def test_snapshots_per_role(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.hub_room(remaining=1, invoice_to="company")
    pro, client = await join(app_server, room)
    c = client.last("room")
    assert c["role"] == "client" and c["phase"] == "waiting"
    assert c["professional"]["name"] == "Dr. Alex Rivera"
    assert c["scheduled_start"] == room["scheduled_start"]
    assert c["funding"]["funding"] == "credit" and c["funding"]["last_subsidised"] is True
    assert c["funding"]["headline"] == "Covered by your employer’s credit"
    assert (
        c["funding"]["detail"]
        == "This session uses your last employer-paid session from Acme Corp."
    )
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
    pro, client = await join(app_server, room)
    assert pro.last("room")["funding"]["headline"] == pro_text
    assert client.last("room")["funding"]["headline"] == client_text
    if not card:
        assert "make sure the client adds a card" in pro.last("room")["funding"]["warning"]
        assert client.last("room")["funding"]["payment_url"] == "https://pay.example/add"
    await pro.close()
    await client.close()


async def test_self_pay_snapshot(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    pro, client = await join(app_server, room)
    assert pro.last("room")["funding"]["headline"] == "Own client — arrange payment yourself"
    assert client.last("room")["funding"] == {"funding": "self_pay"}
    await pro.close()
    await client.close()


async def test_card_added_while_waiting_reaches_both_live(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=0, card=False)
    pro, client = await join(app_server, room)
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


async def test_room_changes_reach_both_screens_live(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await join(app_server, room)
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


async def test_cancel_while_waiting_tells_both(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    pro, client = await join(app_server, room)
    await app_booking.call("DELETE", f"/v1/rooms/{room['room_id']}")
    assert (await client.wait("ended"))["phase"] == "cancelled"
    assert "cancelled" in (await pro.wait("summary"))["message"]
    await pro.close()
    await client.close()
