"""Two nodes whose clocks disagree by four minutes (one two minutes ahead, the other two behind)
share one Redis: join links minted on one are taken by the other (the tokens' leeway absorbs the
skew), and the held-rule counts a call's duration on one clock, so a session held 12 s counts
12 s, whichever node each side's reports reach."""

from __future__ import annotations

import time

import aiohttp
import jwt
import pytest

from sessionsvc.bootstrap import CLOCK
from testkit.booking import Booking
from testkit.session_client import SessionClient
from testkit.settings import JOIN_SECRET
from testkit.stats_reports import loopback_stats as loopback
from tests.support.servers import AppServerFactory

pytestmark = pytest.mark.redis

SKEW = 120.0


async def test_two_skewed_nodes_agree_on_tokens_and_held_time(
    app_server_factory: AppServerFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    env = {"SESSIONSVC_REDIS_URL": redis_url, "SESSIONSVC_MIN_HELD_SECONDS": "10"}
    ahead, behind = await app_server_factory(**env), await app_server_factory(**env)
    ahead.clock.set(time.time() + SKEW)
    behind.clock.set(time.time() - SKEW)
    for node in (ahead, behind):
        await node.app[CLOCK].calibrate()

    room = await Booking(ahead.url, http).hub_room(remaining=2)
    pro = await SessionClient(behind.url, room["join"]["professional"]["token"]).connect()
    client = await SessionClient(ahead.url, room["join"]["client"]["token"]).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    await client.wait("admitted")
    for second in range(1, 13):
        ahead.clock.advance(1.0)
        behind.clock.advance(1.0)
        assert (await pro.call("stats", loopback(second)))["ok"]
        assert (await client.call("stats", loopback(second)))["ok"]
    _, kept = await Booking(behind.url, http).call("GET", f"/v1/rooms/{room['room_id']}")
    assert 10 <= kept["held_seconds"] <= 12, kept["held_seconds"]
    # a link minted by a machine two minutes ahead of this node (the booking service's, say)
    ahead_now = time.time() + SKEW
    claims = {
        "iss": "sessionsvc",
        "aud": "sessionsvc-join",
        "sub": room["client"]["id"],
        "role": "client",
        "room": room["room_id"],
        "iat": int(ahead_now),
        "nbf": int(ahead_now) - 1,
        "exp": int(ahead_now) + 600,
    }
    again = await SessionClient(behind.url, jwt.encode(claims, JOIN_SECRET, "HS256")).connect()
    assert again.last("room")["phase"] == "in_session"
    ended = await pro.call("end")
    assert ended["ok"] and ended["summary"]["payment"]["payment_type"] == "Credit", ended
    await pro.close()
    await client.close()
    await again.close()
