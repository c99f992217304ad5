"""The webhooks as the booking service meets them through a running app: deliveries signed and
verified, the catch-up API, redelivery, the endpoint's state after a 410, the figures at
``/metrics``, and a receiver that hangs while rooms keep opening."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from sessionsvc.bootstrap import create_app
from sessionsvc.settings import Settings, SettingsError
from testkit.booking import Booking
from testkit.settings import TEST_ENV
from testkit.webhook_receiver import Answer, WebhookReceiver, make_secret
from tests.support.servers import AppServerFactory

SECRET = make_secret()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    r = await WebhookReceiver(SECRET).start()
    yield r
    await r.stop()


async def app_with_hooks(
    factory: AppServerFactory, receiver: WebhookReceiver, http: aiohttp.ClientSession
) -> Booking:
    server = await factory(SESSIONSVC_WEBHOOK_URL=receiver.url, SESSIONSVC_WEBHOOK_SECRET=SECRET)
    return Booking(server.url, http)


async def test_the_booking_service_hears_and_catches_up(
    app_server_factory: AppServerFactory, receiver: WebhookReceiver, http: aiohttp.ClientSession
) -> None:
    booking = await app_with_hooks(app_server_factory, receiver, http)
    room = await booking.hub_room(remaining=1)
    status, _ = await booking.call("DELETE", f"/v1/rooms/{room['room_id']}")
    assert status == 200
    await receiver.wait_until(lambda r: len(r.accepted) == 4)
    assert receiver.invalid == []
    assert [d.type for d in receiver.accepted] == [
        "credits.last_subsidised",  # the grant left one credit
        "room.opened",
        "credits.last_subsidised",  # the room that will use it
        "room.cancelled",
    ]
    assert receiver.accepted[2].data["room_id"] == room["room_id"]
    assert "Sam Jordan" not in str([d.data for d in receiver.accepted])

    status, page = await booking.call("GET", "/v1/webhooks/events?limit=2")
    assert status == 200
    assert [e["id"] for e in page["events"]] == [d.id for d in receiver.accepted[:2]]
    assert page["events"][1]["type"] == "room.opened" and page["next"] == receiver.accepted[1].id
    status, rest = await booking.call("GET", f"/v1/webhooks/events?after={page['next']}")
    assert [e["id"] for e in rest["events"]] == [d.id for d in receiver.accepted[2:]]
    status, none = await booking.call("GET", f"/v1/webhooks/events?after={rest['next']}")
    assert none == {"events": [], "next": rest["next"]}
    status, body = await booking.call("GET", "/v1/webhooks/events?after=evt_nope")
    assert status == 404 and body["error"]["code"] == "event_not_found"
    status, body = await booking.call("GET", "/v1/webhooks/events?limit=0")
    assert status == 422 and body["error"]["code"] == "invalid_input"
    async with http.get(booking.url + "/v1/webhooks/events") as r:
        assert r.status == 401

    again = receiver.accepted[1].id
    status, body = await booking.call("POST", f"/v1/webhooks/events/{again}/redeliver")
    assert status == 200 and body == {
        "id": again,
        "delivered": True,
        "status": 200,
        "result": "200",
    }
    await receiver.wait_until(lambda r: len(r.accepted) == 5)
    assert receiver.accepted[-1].id == again  # the same id: the receiver can tell
    status, body = await booking.call("POST", "/v1/webhooks/events/evt_nope/redeliver")
    assert status == 404

    async with http.get(booking.url + "/metrics") as r:
        text = await r.text()
    assert 'sessionsvc_webhook_attempts_total{status="200"} 5.0' in text
    assert "sessionsvc_webhook_backlog" in text
    assert "sessionsvc_webhook_oldest_undelivered_seconds" in text


async def test_a_410_stops_delivery_until_resumed(
    app_server_factory: AppServerFactory, receiver: WebhookReceiver, http: aiohttp.ClientSession
) -> None:
    booking = await app_with_hooks(app_server_factory, receiver, http)
    receiver.answer = lambda _d: Answer(410)
    await booking.open_room()
    await receiver.wait_until(lambda r: len(r.requests) == 1)
    for _ in range(50):
        status, state = await booking.call("GET", "/v1/webhooks/endpoint")
        if state["stopped"]:
            break
    assert state["configured"] and "410" in state["stopped"]
    receiver.answer = lambda _d: Answer(200)
    status, state = await booking.call("POST", "/v1/webhooks/endpoint/resume")
    assert status == 200 and state["stopped"] is None
    await receiver.wait_until(lambda r: len(r.accepted) == 1)
    assert receiver.accepted[0].id == receiver.requests[0].id


async def test_a_hanging_receiver_does_not_hold_up_the_service(
    app_server_factory: AppServerFactory, receiver: WebhookReceiver, http: aiohttp.ClientSession
) -> None:
    receiver.answer = lambda _d: Answer(200, delay=30)
    booking = await app_with_hooks(app_server_factory, receiver, http)
    for _ in range(10):
        await booking.open_room()
    await receiver.wait_until(lambda r: len(r.requests) >= 1)
    assert receiver.accepted == []  # every room opened while the receiver sat on its request
    status, _ = await booking.call("GET", "/v1/webhooks/events?limit=1000")
    assert status == 200


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SESSIONSVC_WEBHOOK_URL": "http://127.0.0.1:9/h"}, "WEBHOOK_SECRET"),
        (
            {"SESSIONSVC_WEBHOOK_URL": "http://127.0.0.1:9/h", "SESSIONSVC_WEBHOOK_SECRET": "x"},
            "whsec_",
        ),
        ({"SESSIONSVC_STATEMENT_TIMEZONE": "Mars/Olympus"}, "time zone"),
        ({"SESSIONSVC_STATEMENT_CLOSING_DAYS": "2026-02-30"}, "closing day"),
        ({"SESSIONSVC_STATEMENT_COUNTRY": "XX"}, "country"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        create_app(Settings.from_env({**TEST_ENV, **env}))
