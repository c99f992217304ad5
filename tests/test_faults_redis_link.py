"""The node loses its connection to Redis for a while (a TCP proxy between them is cut and
restored): requests in the gap are refused with a retryable ``store_unavailable``, nothing is
half-written, no credit is consumed twice, and the node recovers by itself."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
import redis.asyncio as aioredis

from sessionsvc.rooms.model import decode_ledger
from testkit.booking import Booking
from testkit.tcp_proxy import TcpProxy
from tests.support.calls import end_until_done, in_call, unavailable, wait_ready
from tests.support.servers import ServiceFactory

pytestmark = pytest.mark.redis

ROOMS = 4


async def test_a_cut_link_to_redis(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession
) -> None:
    port = int(redis_url.rsplit(":", 1)[1].split("/")[0])
    async with TcpProxy(port) as proxy:
        node = await service_factory(
            SESSIONSVC_REDIS_URL=proxy.url(), SESSIONSVC_MIN_HELD_SECONDS="1"
        )
        booking = Booking(node.url, http)
        await booking.put_credits("hub-acme", "cl-cut", total=10, remaining=ROOMS + 1)
        rooms = [
            await booking.hub_room(remaining=ROOMS + 1, client_id="cl-cut") for _ in range(ROOMS)
        ]
        # hub_room puts the credits again each time: set them once more, as they should start
        await booking.put_credits("hub-acme", "cl-cut", total=10, remaining=ROOMS + 1)
        calls = await asyncio.gather(*(in_call(node.url, room) for room in rooms))
        unsent = booking.room_body(booking_id="bk-during-cut")

        # the link goes down while every professional ends their session
        ending = [asyncio.create_task(end_until_done(pro)) for pro, _ in calls]
        await asyncio.sleep(0.05)
        proxy.cut()
        unavailable(*await booking.call("POST", "/v1/rooms", unsent))
        unavailable(*await booking.call("GET", "/readyz"))
        await asyncio.sleep(1.0)
        proxy.restore()
        await wait_ready(http, node.url)
        acks = await asyncio.gather(*ending)

        # each room ended once, with one credit each, whether its end went through before,
        # during (its reply lost) or after the cut
        for room, ack in zip(rooms, acks, strict=True):
            assert ack["ok"] or ack["error"]["code"] == "room_closed", ack
            status, summary = await booking.call("GET", f"/v1/rooms/{room['room_id']}/summary")
            assert status == 200 and summary["outcome"]["payment"]["payment_type"] == "Credit"
        _, ledger = await booking.call("GET", "/v1/hubs/hub-acme/members/cl-cut/credits")
        assert ledger["credits_remaining"] == 1 and ledger["sessions_held"] == ROOMS
        async with aioredis.from_url(redis_url) as direct:
            keys = [k async for k in direct.scan_iter(match="*ledger*cl-cut*")]
            stored = decode_ledger(await direct.get(keys[0]))
        assert sorted(stored.consumed_by) == sorted(r["room_id"] for r in rooms)

        # the booking refused during the cut opens once now, and only once
        status, opened = await booking.call("POST", "/v1/rooms", unsent)
        assert status == 201, opened
        status, again = await booking.call("POST", "/v1/rooms", unsent)
        assert status == 200 and again["room_id"] == opened["room_id"]
        assert proxy.connections > 1  # the node reconnected by itself
        for pro, client in calls:
            await pro.close()
            await client.close()
