"""Floods: a connection sending events over its rate is throttled, then cut off, without
slowing anyone else; the bucket that decides it."""

from __future__ import annotations

import asyncio
from typing import Any

from sessionsvc.signaling.ratelimit import Bucket
from testkit.booking import Booking
from testkit.session_client import SessionClient
from tests.signaling.steps import join
from tests.support.servers import AppServerFactory


async def test_flood_is_throttled_then_disconnected_without_slowing_others(
    app_server_factory: AppServerFactory, http: Any
) -> None:
    server = await app_server_factory(SESSIONSVC_EVENT_RATE="5")  # burst 10
    booking = Booking(server.url, http)
    calm_room = await booking.open_room()
    calm_pro, calm_client = await join(server, calm_room)
    room = await booking.open_room()
    flooder = await SessionClient(server.url, room["join"]["client"]["token"]).connect()
    acks = await asyncio.gather(*(flooder.call("device", {}, timeout=10) for _ in range(25)))
    assert any(a["ok"] for a in acks)
    assert any(not a["ok"] and a["error"]["code"] == "rate_limited" for a in acks)
    assert flooder.connected  # throttled, not yet thrown out
    for _ in range(2000):  # keep flooding, without waiting for acks
        if not flooder.connected:
            break
        await flooder.emit("device", {})
    assert (await flooder.wait("error", timeout=10))["code"] == "rate_limited"
    await flooder.wait_disconnected()
    assert (await calm_pro.call("note", {"text": "still here"}))["ok"]
    await calm_client.wait_room(lambda r: r["note"] == "still here")
    await calm_pro.close()
    await calm_client.close()


def test_a_steady_stream_over_the_rate_is_flooding() -> None:
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
