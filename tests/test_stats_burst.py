"""A burst of ``stats`` reports on one real node on a real Redis: every participant reports at
the same instant, round after round, and every report is acknowledged and kept.

Each report is several store calls (its recent samples, the held-rule's room transaction, the
sample's append) and a publish to the support dashboards; a burst of them needs more Redis
connections at once than a small pool holds. A pool that queues callers starved some of them
until its timeout, and those reports were refused or never answered."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from sessionsvc.rooms.model import Role
from sessionsvc.stores.redis import RedisStore
from testkit.booking import Booking
from testkit.session_client import SessionClient
from tests.support.servers import ServiceFactory

pytestmark = pytest.mark.redis

ROOMS = 60  # 120 participants, each reporting at once
ROUNDS = 4


@pytest.mark.timeout(300)
async def test_a_burst_of_stats_reports_on_redis_is_all_acked_and_kept(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    node = await service_factory(SESSIONSVC_REDIS_URL=redis_url)
    booking = Booking(node.url, http)
    rooms = [await booking.open_room() for _ in range(ROOMS)]
    people: list[tuple[str, Role, SessionClient]] = []
    try:
        for room in rooms:
            join = room["join"]
            pro = await SessionClient(node.url, join["professional"]["token"]).connect()
            client = await SessionClient(node.url, join["client"]["token"]).connect()
            people += [
                (room["room_id"], Role.PROFESSIONAL, pro),
                (room["room_id"], Role.CLIENT, client),
            ]
            assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]

        for i in range(1, ROUNDS + 1):
            report = {"bytes_received": 100_000 * i, "bytes_sent": 100_000 * i}

            async def one(who: SessionClient, report: dict[str, Any] = report) -> Any:
                return await who.call("stats", report, timeout=60)

            acks = await asyncio.gather(*(one(who) for _, _, who in people))
            assert all(ack["ok"] for ack in acks), [a for a in acks if not a["ok"]][:3]

        store = RedisStore.from_url(redis_url)
        try:
            kept = [len(await store.media_stats.samples(rid, role)) for rid, role, _ in people]
        finally:
            await store.close()
        assert kept == [ROUNDS] * len(people)
    finally:
        await asyncio.gather(*(who.close() for _, _, who in people))
