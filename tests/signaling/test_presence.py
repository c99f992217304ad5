"""Presence the professional can trust: a client who opened the link and is still checking camera
and microphone is not yet "ready and waiting"; admitting them lets them in the moment they finish
the check. And the session log an operator follows: one INFO line per step, never a name."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from testkit.booking import Booking
from testkit.session_client import SessionClient
from tests.signaling.steps import hold
from tests.support.servers import AppServer


async def _join_checking(
    app_server: AppServer, room: dict[str, Any]
) -> tuple[SessionClient, SessionClient]:
    pro = await SessionClient(app_server.url, room["join"]["professional"]["token"]).connect()
    auth = {"token": room["join"]["client"]["token"], "checking": True}
    client = await SessionClient(app_server.url, auth).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    return pro, client


async def test_admitting_a_client_still_checking_lets_them_in_once_ready(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=2)
    pro, client = await _join_checking(app_server, room)
    seen = await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    assert seen["client"]["ready"] is False

    assert await pro.call("admit", {"participant_id": room["client"]["id"]}) == {"ok": True}
    pending = await pro.wait_room(lambda r: r["admit_requested"])
    assert pending["phase"] == "waiting" and pending["admitted"] is False
    assert "admitted" not in client.events
    _, got = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}")
    assert got["phase"] == "waiting"

    assert await client.call("ready", {}) == {"ok": True}
    await client.wait("admitted")
    await pro.wait("admitted")
    assert (await pro.wait("peer_ready"))["role"] == "client"
    started = await pro.wait_room(lambda r: r["phase"] == "in_session")
    assert started["client"]["ready"] is True and started["admit_requested"] is False
    await pro.close()
    await client.close()


async def test_a_ready_client_is_admitted_at_once_and_can_go_back_to_checking(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=2)
    pro, client = await _join_checking(app_server, room)
    assert await client.call("ready") == {"ok": True}
    await pro.wait_room(lambda r: r["client"]["ready"])
    assert await client.call("ready", {"ready": False}) == {"ok": True}
    await pro.wait_room(lambda r: not r["client"]["ready"])
    bad = await client.call("ready", {"ready": "yes"})
    assert bad["ok"] is False and bad["error"]["code"] == "invalid_payload"
    assert await client.call("ready", {"ready": True}) == {"ok": True}
    assert await pro.call("admit", {"participant_id": room["client"]["id"]}) == {"ok": True}
    await client.wait("admitted")
    await pro.close()
    await client.close()


async def test_the_funding_decision_is_made_when_the_professional_admits(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.hub_room(remaining=0, card=False)
    pro, client = await _join_checking(app_server, room)
    refused = await pro.call("admit", {"participant_id": room["client"]["id"]})
    assert refused["ok"] is False and refused["error"]["code"] == "card_required"
    ack = await pro.call("admit", {"participant_id": room["client"]["id"], "override": True})
    assert ack == {"ok": True}
    await pro.wait_room(lambda r: r["admit_requested"])
    # the client goes away before finishing the check: the admission does not outlive them
    assert await client.call("leave") == {"ok": True}
    gone = await pro.wait_room(lambda r: r["client"]["presence"] == "left")
    assert gone["admit_requested"] is False
    await pro.close()


async def test_the_session_log_follows_a_session_without_names(
    app_server: AppServer, app_booking: Booking, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sessionsvc.sessions")
    room = await app_booking.hub_room(remaining=2)
    rid = room["room_id"]
    pro, client = await _join_checking(app_server, room)
    await pro.call("admit", {"participant_id": room["client"]["id"]})
    await client.call("ready")
    await client.wait("admitted")
    await hold(app_server, pro, client, 3)
    assert (await pro.call("end"))["ok"]
    lines = [r.getMessage() for r in caplog.records if r.name == "sessionsvc.sessions"]
    expected = [
        f"room={rid} opened funding=credit",
        f"room={rid} joined role=professional state=ready",
        f"room={rid} joined role=client state=checking",
        f"room={rid} admitted role=client pending=checking",
        f"room={rid} ready role=client",
        f"room={rid} admitted role=client",
        f"room={rid} held seconds=",
        f"room={rid} ended phase=completed",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in lines), (want, lines)
    ended = next(line for line in lines if " ended " in line)
    assert "payment_type=Credit" in ended, ended
    text = "\n".join(lines)
    for name in ("Sam", "Jordan", "Alex", "Rivera", "Acme"):
        assert name not in text, text
    await pro.close()
    await client.close()


async def test_the_session_log_says_why_a_session_was_not_held(
    app_server: AppServer, app_booking: Booking, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="sessionsvc.sessions")
    room = await app_booking.hub_room(remaining=2)
    pro, client = await _join_checking(app_server, room)
    await client.call("ready")
    await pro.call("admit", {"participant_id": room["client"]["id"]})
    await client.wait("admitted")
    assert (await pro.call("end"))["ok"]
    lines = [r.getMessage() for r in caplog.records if r.name == "sessionsvc.sessions"]
    ended = next(line for line in lines if " ended " in line)
    assert "phase=not_held" in ended and "reason=media_never_connected" in ended, ended
    await pro.close()
    await client.close()
