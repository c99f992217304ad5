"""The ``/support`` namespace over real Socket.IO: support tokens only, the live rooms at once and
each change after, a watched room's samples as they are graded, and the reads audited."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from sessionsvc.support.audit import LOGGER
from sessionsvc.tokens import TokenService
from testkit.booking import Booking
from testkit.session_client import SessionClient
from testkit.settings import BOOKING_SECRET, JOIN_SECRET
from testkit.stats_reports import loopback_stats
from tests.signaling.steps import admitted, join, reports
from tests.support.servers import AppServer

TOKENS = TokenService(BOOKING_SECRET, JOIN_SECRET)


def dashboard(app_server: AppServer, token: str | None = None) -> SessionClient:
    if token is None:
        token = TOKENS.mint_support("support:kim.staff", 600)
    return SessionClient(app_server.url, token, namespace="/support")


async def test_only_support_tokens_connect(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    for token, code in [
        ("", "invalid_token"),
        ("not-a-jwt", "invalid_token"),
        (TOKENS.mint_booking(), "invalid_token"),
        (room["join"]["client"]["token"], "forbidden"),
        (room["join"]["professional"]["token"], "forbidden"),
    ]:
        refused = await dashboard(app_server, token).try_connect()
        assert refused["code"] == code, (token, refused)
    # and a support token takes part in no room
    session = SessionClient(app_server.url, TOKENS.mint_support("support:kim.staff", 600))
    assert (await session.try_connect())["code"] == "forbidden"


async def test_the_live_rooms_and_their_changes(
    app_server: AppServer, app_booking: Booking
) -> None:
    waiting = await app_booking.open_room()
    later = await app_booking.open_room()
    await join(app_server, waiting)
    d = await dashboard(app_server).connect()
    live = await d.wait("live")
    assert [r["room_id"] for r in live["rooms"]] == [waiting["room_id"]]
    assert live["rooms"][0]["phase"] == "waiting"

    pro, client = await admitted(app_server, later)
    row = await d.wait(
        "room", lambda r: r["room_id"] == later["room_id"] and r["phase"] == "in_session"
    )
    assert [p["presence"] for p in row["participants"]] == ["present", "present"]
    assert "quality" not in row["participants"][0]  # a change that says nothing of grades
    await reports(app_server, [pro, client], 2)
    graded = await d.wait(
        "room",
        lambda r: (
            r["room_id"] == later["room_id"] and all(p.get("quality") for p in r["participants"])
        ),
    )
    assert {p["quality"]["grade"] for p in graded["participants"]} == {"good"}
    text = json.dumps(d.log)
    for secret in ("Sam Jordan", "Dr. Alex Rivera", later["client"]["id"], "pro-1"):
        assert secret not in text
    await d.close()


async def test_a_watched_room_streams_its_samples(
    app_server: AppServer, app_booking: Booking, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    room = await app_booking.open_room()
    pro, client = await admitted(app_server, room)
    d = await dashboard(app_server).connect()
    ack = await d.call("watch", {"room_id": room["room_id"]})
    assert ack["ok"] and ack["room"]["room_id"] == room["room_id"], ack
    await reports(app_server, [pro, client], 3)
    got = await d.wait(
        "sample", lambda s: s["role"] == "client" and s["sample"]["bitrate_in_kbps"] is not None
    )
    assert got["room_id"] == room["room_id"] and got["sample"]["grade"] == "good"
    assert got["pseudonym"] == ack["room"]["participants"][1]["pseudonym"]
    assert {s["role"] for s in d.events["sample"]} == {"professional", "client"}

    # unwatched: no more samples
    assert await d.call("unwatch", {"room_id": room["room_id"]}) == {"ok": True}
    seen = len(d.events["sample"])
    app_server.clock.advance(2.0)
    assert (await client.call("stats", loopback_stats(8.0)))["ok"]
    await d.call("watch", {"room_id": "nope-nope"})  # a round trip after the report
    assert len(d.events["sample"]) == seen

    reads = [
        json.loads(r.getMessage().removeprefix("support read "))
        for r in caplog.records
        if r.name == LOGGER
    ]
    assert [(r["read"], r["room"]) for r in reads][:2] == [
        ("rooms", None),
        ("live", room["room_id"]),
    ]
    await d.close()


@pytest.mark.parametrize(
    "payload",
    [None, {}, {"room_id": ""}, {"room_id": 7}, {"room_id": "r", "all": True}, "r"],
)
async def test_a_bad_watch_is_refused(app_server: AppServer, payload: Any) -> None:
    d = await dashboard(app_server).connect()
    ack = await d.call("watch", payload)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack
    assert (await d.call("watch", {"room_id": "no-such-room"}))["error"]["code"] == "room_not_found"
    assert (await d.call("admit", {}))["error"]["code"] == "unknown_event"
    await d.close()
