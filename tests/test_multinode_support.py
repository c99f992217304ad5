"""In-call quality and the support dashboard across two real nodes sharing one real Redis: the
professional on one node, the client on the other, the dashboard on either; each side's grade
reaches both screens and the dashboard, whichever node took the report."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from sessionsvc.tokens import TokenService
from testkit.booking import Booking
from testkit.session_client import SessionClient
from testkit.settings import BOOKING_SECRET, JOIN_SECRET
from testkit.stats_reports import loopback_stats
from tests.support.servers import ServiceFactory

pytestmark = pytest.mark.redis


async def test_grades_and_samples_cross_nodes(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    a, b = await asyncio.gather(
        service_factory(SESSIONSVC_REDIS_URL=redis_url),
        service_factory(SESSIONSVC_REDIS_URL=redis_url),
    )
    room = await Booking(a.url, http).hub_room()
    token = TokenService(BOOKING_SECRET, JOIN_SECRET).mint_support("support:kim.staff", 600)
    dashboard = await SessionClient(b.url, token, namespace="/support").connect()
    await dashboard.wait("live")
    pro = await SessionClient(a.url, room["join"]["professional"]["token"]).connect()
    client = await SessionClient(b.url, room["join"]["client"]["token"]).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    await client.wait("admitted")
    await dashboard.wait(
        "room", lambda r: r["room_id"] == room["room_id"] and r["phase"] == "in_session"
    )
    assert (await dashboard.call("watch", {"room_id": room["room_id"]}))["ok"]

    for i in range(1, 4):  # real time here: reports 1.2 s apart
        for side in (pro, client):
            assert (await side.call("stats", loopback_stats(1.2 * i)))["ok"]
        await asyncio.sleep(1.2)

    def both_graded(q: dict[str, Any]) -> bool:
        return all(q.get(k) and q[k]["grade"] for k in ("you", "other"))

    for side in (pro, client):  # each screen has both grades, one of them from the other node
        q = await side.wait("quality", both_graded)
        assert q["you"]["bitrate_in_kbps"] is not None
    roles = {s["role"] for s in (await dashboard.wait("sample"), *dashboard.events["sample"])}
    assert roles == {"professional", "client"}  # samples taken on both nodes reach node B
    row = await dashboard.wait(
        "room",
        lambda r: (
            r["room_id"] == room["room_id"] and all(p.get("quality") for p in r["participants"])
        ),
    )
    assert {p["quality"]["grade"] for p in row["participants"]} <= {"good", "fair"}
    for c in (pro, client, dashboard):
        await c.close()
