"""The support API against the app on loopback: only support tokens, rooms live and past with
their filters, a room's diagnostics and export, pseudonyms instead of people, and every read in
the audit log."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from sessionsvc.support.audit import LOGGER
from sessionsvc.tokens import TokenService
from testkit.booking import Booking
from testkit.settings import BOOKING_SECRET, JOIN_SECRET
from tests.signaling.steps import admitted, reports
from tests.support.servers import AppServer

TOKENS = TokenService(BOOKING_SECRET, JOIN_SECRET)
STAFF = "support:kim.staff"
CLIENT_EMAIL = "sam.jordan@example.com"
NAMES = ("Sam Jordan", "Dr. Alex Rivera", CLIENT_EMAIL, "Alex", "Jordan", "example.com")


def sid(room: dict[str, Any]) -> str:
    return str(room["room_id"])


def support_token(who: str = STAFF) -> str:
    return TOKENS.mint_support(who, 600)


async def get(booking: Booking, path: str, token: str | None = None) -> tuple[int, Any]:
    return await booking.call("GET", path, token=token or support_token())


def assert_pseudonymous(body: Any, room: dict[str, Any]) -> None:
    text = json.dumps(body)
    for secret in (*NAMES, room["professional"]["id"], room["client"]["id"], "127.0.0.1"):
        assert secret not in text, secret


async def a_call(app_server: AppServer, room: dict[str, Any]) -> dict[str, Any]:
    """Both sides of ``room`` connect and report their devices and a few seconds of stats.
    (Open every room of a test first: the test's clock moves, and links minted later would
    not be valid yet by the real clock that checks them.)"""
    pro, client = await admitted(app_server, room)
    device = {
        "browser": {"name": "Chrome", "version": "131"},
        "permissions": {"camera": "granted", "microphone": "granted"},
    }
    for side in (pro, client):
        assert await side.call("device", device) == {"ok": True}
    await reports(app_server, [pro, client], 4)
    room["sides"] = (pro, client)
    return room


async def test_only_support_tokens_open_the_support_api(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    join = room["join"]["client"]["token"]
    paths = ["/v1/support/rooms", f"/v1/support/rooms/{room['room_id']}/diagnostics"]
    for path in paths:
        status, body = await app_booking.call("GET", path, headers={"Authorization": ""})
        assert status == 401, body
        status, body = await app_booking.call("GET", path)  # the booking service's token
        assert status == 401 and body["error"]["code"] == "invalid_token", body
        status, body = await app_booking.call("GET", path, token=join)
        assert status == 403 and body["error"]["code"] == "forbidden", body
        assert (await get(app_booking, path))[0] == 200
    # and a support token opens nothing of the booking API
    for method, path in [
        ("GET", f"/v1/rooms/{room['room_id']}"),
        ("GET", f"/v1/rooms/{room['room_id']}/summary"),
        ("POST", "/v1/rooms"),
        ("PATCH", f"/v1/rooms/{room['room_id']}"),
        ("DELETE", f"/v1/rooms/{room['room_id']}"),
        ("POST", f"/v1/rooms/{room['room_id']}/tokens"),
        ("GET", "/v1/hubs/hub-acme/members/someone/credits"),
        ("PUT", "/v1/hubs/hub-acme/members/someone/credits"),
        ("PATCH", "/v1/hubs/hub-acme/members/someone/credits"),
        ("GET", "/v1/professionals/pro-1/statement?month=2026-11"),
    ]:
        status, body = await app_booking.call(method, path, token=support_token())
        assert status == 401 and body["error"]["code"] == "invalid_token", (path, body)
    _, still = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}")
    assert still["phase"] == "scheduled"


async def test_rooms_live_and_past_with_filters(
    app_server: AppServer, app_booking: Booking
) -> None:
    live = await app_booking.hub_room(client_id=CLIENT_EMAIL)
    ended = await app_booking.hub_room(client_id=CLIENT_EMAIL, hub_id="hub-other")
    short = await app_booking.open_room()
    scheduled = await app_booking.open_room()
    await a_call(app_server, live)
    await a_call(app_server, ended)
    pro, _ = ended["sides"]
    assert (await pro.call("end", {}))["ok"]
    pro, _ = await admitted(app_server, short)
    assert (await pro.call("end", {}))["ok"]

    async def ids(query: str = "") -> list[str]:
        status, body = await get(app_booking, f"/v1/support/rooms{query}")
        assert status == 200, body
        assert body["count"] == len(body["rooms"])
        return [r["room_id"] for r in body["rooms"]]

    everything = await ids()
    assert everything[:4] == [sid(scheduled), sid(short), sid(ended), sid(live)]
    assert await ids("?live=true") == [live["room_id"]]
    assert await ids("?phase=in_session") == [live["room_id"]]
    assert await ids("?hub=hub-other") == [ended["room_id"]]
    assert await ids("?outcome=not_held") == [sid(short)]
    assert await ids("?outcome=media_never_connected") == [sid(short)]
    assert await ids("?outcome=completed") == [sid(ended)]
    assert await ids("?outcome=expired") == []
    assert await ids("?live=false&limit=1") == [scheduled["room_id"]]
    assert await ids("?phase=scheduled&limit=1") == [scheduled["room_id"]]
    day = live["scheduled_start"][:10]
    assert live["room_id"] in await ids(f"?date={day}")
    assert await ids("?date=2001-01-01") == []

    _, body = await get(app_booking, "/v1/support/rooms?live=true")
    row = body["rooms"][0]
    assert row["phase"] == "in_session" and row["live"] is True
    assert row["hub"] == {"id": "hub-acme", "name": "Acme Corp"}
    assert row["in_session_seconds"] >= 8.0 and row["waiting_seconds"] >= 0.0
    assert [p["role"] for p in row["participants"]] == ["professional", "client"]
    assert {p["quality"]["grade"] for p in row["participants"]} == {"good"}
    _, past = await get(app_booking, "/v1/support/rooms?outcome=not_held")
    assert past["rooms"][0]["outcome"]["reason"] == "media_never_connected"
    assert past["rooms"][0]["outcome"]["reason_text"]
    _, done = await get(app_booking, "/v1/support/rooms?hub=hub-other")
    assert done["rooms"][0]["outcome"]["payment_type"] == "Credit"
    assert done["rooms"][0]["held_seconds"] >= 2.0
    for b in (body, past, done):
        assert_pseudonymous(b, live)


@pytest.mark.parametrize(
    "query",
    [
        "?phase=sideways",
        "?live=maybe",
        "?date=yesterday",
        "?outcome=fine",
        "?limit=0",
        "?limit=lots",
        "?name=Sam",
    ],
)
async def test_bad_filters_are_refused(app_booking: Booking, query: str) -> None:
    status, body = await get(app_booking, f"/v1/support/rooms{query}")
    assert status == 422 and body["error"]["code"] == "invalid_input", body


async def test_a_rooms_diagnostics_and_export(app_server: AppServer, app_booking: Booking) -> None:
    room = await a_call(app_server, await app_booking.hub_room(client_id=CLIENT_EMAIL))
    pro, client = room["sides"]
    await client.drop()
    await pro.wait("peer_reconnecting")
    assert (await pro.call("end", {}))["ok"]

    status, doc = await get(app_booking, f"/v1/support/rooms/{room['room_id']}/diagnostics")
    assert status == 200, doc
    assert doc["room"]["phase"] == "completed"
    assert (
        doc["room"]["outcome"]["phase"] == "completed" and doc["room"]["outcome"]["reason"] is None
    )
    sides = {p["role"]: p for p in doc["participants"]}
    for role, side in sides.items():
        assert side["browser"] == {"name": "Chrome", "version": "131"}, role
        assert side["permissions"] == {"camera": "granted", "microphone": "granted"}
        assert side["candidates"] == {"local": "host", "remote": "host"}
        assert len(side["samples"]) == 4
        assert side["samples"][-1]["bitrate_in_kbps"] == 360.0
        assert side["quality"]["grade"] == "good" and side["grades"]["good"] >= 3
        events = [e["event"] for e in side["timeline"]]
        assert events[:3] == ["joined", "device", "peer"], events
        assert "connection_state" in events and "ice_state" in events
        assert side["pseudonym"] and side["pseudonym"] != "?"
    assert [r["back_at"] for r in sides["client"]["reconnects"]] == [None]
    assert sides["professional"]["reconnects"] == []
    assert sides["professional"]["pseudonym"] != sides["client"]["pseudonym"]
    assert_pseudonymous(doc, room)

    status, export = await get(app_booking, f"/v1/support/rooms/{room['room_id']}/export")
    assert status == 200 and export["format"] == "sessionsvc.room-export/1"
    assert export["participants"] == doc["participants"]
    assert_pseudonymous(export, room)
    async with app_booking.http.get(
        app_booking.url + f"/v1/support/rooms/{room['room_id']}/export",
        headers={"Authorization": f"Bearer {support_token()}"},
    ) as r:
        assert r.headers["Content-Disposition"].startswith('attachment; filename="room-')

    status, body = await get(app_booking, "/v1/support/rooms/nope/diagnostics")
    assert status == 404 and body["error"]["code"] == "room_not_found"


async def test_a_participant_reads_as_the_same_pseudonym_in_every_room(
    app_server: AppServer, app_booking: Booking
) -> None:
    first = await app_booking.hub_room(client_id=CLIENT_EMAIL)
    second = await app_booking.hub_room(client_id=CLIENT_EMAIL)
    other = await app_booking.hub_room(client_id="someone-else")

    async def pseudonyms(room: dict[str, Any]) -> list[str]:
        _, doc = await get(app_booking, f"/v1/support/rooms/{room['room_id']}/diagnostics")
        return [p["pseudonym"] for p in doc["participants"]]

    a, b, c = await pseudonyms(first), await pseudonyms(second), await pseudonyms(other)
    assert a == b  # same professional, same client
    assert a[0] == c[0] and a[1] != c[1]


async def test_every_support_read_is_audited(
    app_server: AppServer, app_booking: Booking, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    room = await app_booking.open_room()
    rid = room["room_id"]
    await get(app_booking, "/v1/support/rooms?hub=hub-acme")
    await get(app_booking, f"/v1/support/rooms/{rid}/diagnostics", support_token("support:lee"))
    await get(app_booking, f"/v1/support/rooms/{rid}/export")
    status, body = await get(app_booking, "/v1/support/tests/K7QX-2MPA")
    assert status == 404 and body["error"]["code"] == "test_report_not_found"
    # a refused caller reads nothing and leaves no read behind
    await app_booking.call("GET", f"/v1/support/rooms/{rid}/diagnostics")
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER]
    records = [json.loads(line.removeprefix("support read ")) for line in lines]
    assert [(r["who"], r["read"], r["room"]) for r in records] == [
        (STAFF, "rooms", None),
        ("support:lee", "diagnostics", rid),
        (STAFF, "export", rid),
        (STAFF, "test_report", None),
    ]
    assert records[0]["hub"] == "hub-acme" and records[3]["report"] == "K7QX-2MPA"
    assert all(r["at"].endswith("Z") for r in records)
