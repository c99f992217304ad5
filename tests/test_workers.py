"""``sessionsvc serve --workers 2``: two real worker processes behind one port share the
connections and the sessions (through Redis), and stop gracefully with their supervisor."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import aiohttp
import pytest

from testkit.booking import Booking
from testkit.service import SERVE, ServiceProcess
from testkit.session_client import SessionClient
from tests.signaling.steps import OFFER
from tests.test_graceful_restart import terminate

pytestmark = pytest.mark.redis


def workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children]


def sockets_of(pid: int) -> int:
    fds = Path(f"/proc/{pid}/fd")
    count = 0
    for fd in fds.iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            continue
    return count


@pytest.mark.timeout(300)
async def test_two_workers_share_one_port_and_the_sessions(
    redis_url: str, http: aiohttp.ClientSession
) -> None:
    node = ServiceProcess({"SESSIONSVC_REDIS_URL": redis_url}, command=(*SERVE, "--workers", "2"))
    await node.start(ready_within=90)
    try:
        for _ in range(100):
            workers = workers_of(node.pid)
            if len(workers) == 2:
                break
            await asyncio.sleep(0.1)
        assert len(workers) == 2
        before = {w: sockets_of(w) for w in workers}

        booking = Booking(node.url, http)
        rooms = [await booking.open_room() for _ in range(12)]
        people = []
        for room in rooms:
            pro = await SessionClient(node.url, room["join"]["professional"]["token"]).connect()
            client = await SessionClient(node.url, room["join"]["client"]["token"]).connect()
            people.append((room, pro, client))
        # the kernel spread the connections over both workers
        grown = {w: sockets_of(w) - before[w] for w in workers}
        assert all(n > 0 for n in grown.values()), grown

        # every pair can hold its session, whichever workers its two sides landed on
        for room, pro, client in people:
            await pro.wait_room(lambda r: r["client"]["presence"] == "present")
            assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
            await client.wait("admitted")
            signal = {"to": "client", "kind": "offer", "payload": OFFER}
            assert (await pro.call("signal", signal))["ok"]
            assert (await client.wait("signal"))["from"] == "professional"
        # SIGTERM to the supervisor: every worker stops gracefully
        assert await terminate(node) == 0
        for _, pro, client in people:
            await pro.wait("restarting")
            await pro.close()
            await client.close()
        assert "Traceback" not in node.output()
    finally:
        node.stop()


async def test_workers_need_redis() -> None:
    node = ServiceProcess(command=(*SERVE, "--workers", "2"))
    with pytest.raises(RuntimeError, match="needs SESSIONSVC_REDIS_URL"):
        await node.start()
