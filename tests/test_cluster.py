"""A whole session on a real 3-master Redis Cluster: two ``sessionsvc serve`` nodes with
``SESSIONSVC_REDIS_URL=redis+cluster://…``, the professional on one, the client on the other, real
aiortc media between them, signaling over the cluster's sharded pub/sub, and the credit consumed
once. (The store contract suite runs on the cluster too: the ``backend`` fixture.)"""

from __future__ import annotations

import aiohttp
import pytest

from testkit.booking import Booking
from tests.support.servers import ServiceFactory
from tests.test_media_call import admit_and_see_video, count, credits_remaining, end_held, pair

pytestmark = pytest.mark.redis


async def test_whole_session_across_two_nodes_on_a_redis_cluster(
    service_factory: ServiceFactory, redis_cluster_url: str, http: aiohttp.ClientSession
) -> None:
    env = {"SESSIONSVC_REDIS_URL": redis_cluster_url}
    node_a, node_b = await service_factory(**env), await service_factory(**env)
    booking = Booking(node_a.url, http)
    room = await booking.hub_room(remaining=2)
    async with pair(room, [node_a.url], [node_b.url]) as (pro, client):
        note = await pro.note("Two minutes")
        assert note["ok"], note
        await client.wait_for("room", lambda r: r.get("note") == "Two minutes")
        await admit_and_see_video(pro, client)
        summary = await end_held(pro, client, Booking(node_b.url, http), room["room_id"])
        assert summary["outcome"]["payment"] == {
            "payment_type": "Credit",
            "invoice_to": "Acme Corp",
            "credits_remaining": 1,
        }
        assert pro.url == node_a.url and client.url == node_b.url
        assert count(pro, "admitted") == count(client, "admitted") == 1
    assert await credits_remaining(Booking(node_b.url, http), room) == 1
    for node in (node_a, node_b):
        assert "Traceback" not in node.output(), node.output()[-3000:]
