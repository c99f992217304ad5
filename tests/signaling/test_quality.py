"""In-call quality over real Socket.IO: each side is sent its own grade and the other side's,
and stats of the wrong shape or that cannot be true are refused with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from sessionsvc.api.keys import BACKEND
from sessionsvc.rooms.model import Role
from testkit.booking import Booking
from testkit.stats_reports import loopback_stats
from tests.signaling.steps import admitted, reports
from tests.support.servers import AppServer


async def samples(app_server: AppServer, room_id: str, role: Role) -> list[Any]:
    return await app_server.app[BACKEND].media_stats.samples(room_id, role)


def measured(view: dict[str, Any] | None) -> bool:
    return view is not None and view["bitrate_in_kbps"] is not None


async def test_each_side_is_sent_its_own_grade_and_the_others(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await admitted(app_server, room)
    await reports(app_server, [pro, client], 3)
    for side in (pro, client):
        q = await side.wait("quality", lambda q: measured(q["you"]) and measured(q["other"]))
        for who in ("you", "other"):
            assert q[who]["grade"] == "good", q
            assert q[who]["bitrate_in_kbps"] == 360.0 and q[who]["loss_pct"] == 0.0, q
            assert q[who]["rtt_ms"] == 2.0 and q[who]["score"] > 95, q
    last = pro.last("quality")
    assert last["you"]["at"] == client.last("quality")["other"]["at"]
    await pro.close()
    await client.close()


NAN = float("nan")
WRONG_SHAPES = [
    ("missing bytes", {"rtt_ms": 3.0}),
    ("text for a number", {"bytes_received": "12"}),
    ("negative", {"bytes_received": -1}),
    ("fraction of a byte", {"bytes_received": 1.5}),
    ("NaN", {"bytes_received": 10, "rtt_ms": NAN}),
    ("infinite", {"bytes_received": 10, "jitter_ms": float("inf")}),
    ("over 100 %", {"bytes_received": 10, "loss_pct": 101}),
    ("absurd rate", {"bytes_received": 10, "bitrate_in_kbps": 5e9}),
    ("unknown field", {"bytes_received": 10, "mood": "fine"}),
    ("unknown state", {"bytes_received": 10, "ice_state": "sideways"}),
    ("unknown candidate", {"bytes_received": 10, "local_candidate_type": "10.0.0.7"}),
    ("negative packets", {"bytes_received": 10, "video": {"packets_received": -4}}),
    ("not an object", [1, 2, 3]),
    ("a string", "lots of bytes"),
]


@pytest.mark.parametrize(("why", "payload"), WRONG_SHAPES, ids=[w for w, _ in WRONG_SHAPES])
async def test_stats_of_the_wrong_shape_are_refused(
    app_server: AppServer, app_booking: Booking, why: str, payload: Any
) -> None:
    room = await app_booking.open_room()
    pro, client = await admitted(app_server, room)
    ack = await client.call("stats", payload)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", (why, ack)
    assert await samples(app_server, room["room_id"], Role.CLIENT) == []
    await pro.close()
    await client.close()


async def test_stats_that_cannot_be_true_are_refused_and_change_nothing(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await admitted(app_server, room)
    await reports(app_server, [pro, client], 2)
    _, before = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}")
    kept = await samples(app_server, room["room_id"], Role.CLIENT)
    app_server.clock.advance(2.0)
    lies = [
        {**loopback_stats(6.0), "bytes_received": 10},  # counter backwards
        {**loopback_stats(6.0), "clock_ms": 1000.0},  # clock backwards
        {**loopback_stats(600.0), "bytes_received": (45_000 * 6)},  # ten minutes in two seconds
        {**loopback_stats(6.0), "bytes_received": 10**14},  # 400 Tbit/s
    ]
    for lie in lies:
        ack = await client.call("stats", lie)
        assert ack["ok"] is False and ack["error"]["code"] == "implausible_stats", (lie, ack)
    assert await samples(app_server, room["room_id"], Role.CLIENT) == kept
    _, after = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}")
    assert after == before
    # and the honest report that follows is taken
    assert await client.call("stats", loopback_stats(6.0)) == {"ok": True}
    await pro.close()
    await client.close()


async def test_device_reports_are_validated_and_kept(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro, client = await admitted(app_server, room)
    bad = [
        {"browser": {"name": "Chrome"}, "permissions": {"camera": "maybe"}},
        {"browser": "Chrome"},
        {"browser": {"name": "x" * 500}},
        {"permissions": {"camera": "granted"}, "ip": "10.0.0.7"},
    ]
    for payload in bad:
        ack = await client.call("device", payload)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", (payload, ack)
    good = {
        "browser": {"name": "Chrome", "version": "131"},
        "permissions": {"camera": "granted", "microphone": "denied"},
    }
    assert await client.call("device", good) == {"ok": True}
    entries = await app_server.app[BACKEND].media_stats.entries(room["room_id"], Role.CLIENT)
    devices = [e for e in entries if e.event == "device"]
    assert len(devices) == 1
    assert devices[0].detail == {
        "browser": "Chrome",
        "version": "131",
        "camera": "granted",
        "microphone": "denied",
    }
    await pro.close()
    await client.close()
