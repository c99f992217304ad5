"""Redis restarts in the middle of a call (append-only file on, so what Redis acknowledged
survives): the call's connections stay up, new joins and API calls are refused with a retryable
``store_unavailable`` while it is down, nothing already decided is lost, and a completion that
failed while it was down is retried and happens once."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from testkit.booking import Booking
from testkit.redis_server import RedisServer
from testkit.session_client import SessionClient
from tests.support.calls import (
    end_until_done,
    in_call,
    join_retrying,
    read_retrying,
    unavailable,
    wait_ready,
)
from tests.support.servers import ServiceFactory

pytestmark = pytest.mark.redis


async def test_redis_restart_mid_call(
    service_factory: ServiceFactory, http: aiohttp.ClientSession, tmp_path: Path
) -> None:
    with RedisServer(data_dir=tmp_path) as redis:
        node = await service_factory(
            SESSIONSVC_REDIS_URL=redis.url, SESSIONSVC_MIN_HELD_SECONDS="1"
        )
        booking = Booking(node.url, http)
        room = await booking.hub_room(remaining=2)
        later = await booking.open_room()
        pro, client = await in_call(node.url, room)
        credits = f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits"

        redis.kill()
        unavailable(*await booking.call("POST", "/v1/rooms", booking.room_body()))
        unavailable(*await booking.call("GET", credits))
        unavailable(*await booking.call("GET", "/readyz"))
        joining = SessionClient(node.url, later["join"]["professional"]["token"])
        refusal = await joining.try_connect()
        assert refusal["code"] == "store_unavailable", node.output()[-3000:]
        ack = await pro.call("end")
        assert ack["ok"] is False and ack["error"]["code"] == "store_unavailable", ack
        assert pro.connected and client.connected

        redis.start()
        await wait_ready(http, node.url)
        status, kept = await read_retrying(booking, f"/v1/rooms/{room['room_id']}")
        assert status == 200 and kept["phase"] == "in_session" and kept["admitted_at"], kept
        assert (await read_retrying(booking, credits))[1]["credits_remaining"] == 2

        # retried while refused as store_unavailable (the node's message link to Redis may
        # come back a moment after its commands' link): it ends once
        ended = await end_until_done(pro)
        assert ended["ok"] or ended["error"]["code"] == "room_closed", ended
        again = await pro.call("end")
        assert again["ok"] is False and again["error"]["code"] == "room_closed", again
        assert (await read_retrying(booking, credits))[1]["credits_remaining"] == 1
        _, summary = await read_retrying(booking, f"/v1/rooms/{room['room_id']}/summary")
        assert summary["outcome"]["payment"]["payment_type"] == "Credit"

        joined = await join_retrying(node.url, later["join"]["professional"]["token"])
        assert joined.last("room")["phase"] == "waiting"
        for side in (pro, client, joined):
            await side.close()
