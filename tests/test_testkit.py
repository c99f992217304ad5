"""What the suites and benchmarks rely on in ``testkit``: a private Redis keeps nothing on disk
unless given a folder, comes back on its port after a restart and, in a folder, keeps every
acknowledged write across a SIGKILL; children are stopped by their pid, their output kept; a
server that dies at start says why; the session client gives handled events to the handler."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest
import redis

from testkit.booking import Booking
from testkit.ports import free_port
from testkit.processes import LoopbackServer
from testkit.redis_server import RedisServer
from testkit.session_client import SessionClient
from tests.support.servers import AppServer


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_redis_keeps_nothing_on_disk_and_restarts_on_its_port() -> None:
    with RedisServer() as server:
        port, pid = server.port, server.pid
        with redis.Redis.from_url(server.url) as client:
            assert client.config_get("appendonly") == {"appendonly": "no"}
            assert client.config_get("save") == {"save": ""}
            folder = Path(client.config_get("dir")["dir"])
            client.set("k", "v")
        assert list(folder.iterdir()) == []
        server.restart()
        assert server.port == port and server.pid != pid and not _alive(pid)
        assert not folder.exists()
        with redis.Redis.from_url(server.url) as client:
            assert client.get("k") is None
        pid = server.pid
    assert not _alive(pid)
    assert server.output().count("Ready to accept connections") == 2


def test_redis_in_a_folder_keeps_acknowledged_writes_across_a_kill(tmp_path: Path) -> None:
    with RedisServer(data_dir=tmp_path) as server:
        with redis.Redis.from_url(server.url) as client:
            client.set("k", "v")
        server.kill()
        server.start()
        with redis.Redis.from_url(server.url) as client:
            assert client.get("k") == b"v"
    assert list(tmp_path.rglob("*.aof"))


async def test_a_server_that_exits_at_start_says_why() -> None:
    child = LoopbackServer([sys.executable, "-c", "print('no config'); exit(3)"], free_port())
    with pytest.raises(RuntimeError, match=r"(?s)exited with 3:\n.*no config"):
        await child.start()
    assert not child.running


async def test_session_client_gives_handled_events_to_the_handler(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    pro = await SessionClient(app_server.url, room["join"]["professional"]["token"]).connect()
    first = pro.last("room")
    handled: list[Any] = []
    present = asyncio.Event()

    async def take(snapshot: Any) -> None:
        handled.append(snapshot)
        if snapshot["client"]["presence"] == "present":
            present.set()

    pro.handle("room", take)
    client = await SessionClient(app_server.url, room["join"]["client"]["token"]).connect()
    async with asyncio.timeout(5):
        await present.wait()
    assert pro.events["room"] == [first]
    assert [name for name, _ in pro.log] == ["room", "peer_joined"]
    pro.handle("room", None)
    assert (await pro.call("note", {"text": "hello"}))["ok"]
    seen = await pro.wait_room(lambda r: r["note"] == "hello")
    assert pro.events["room"][0] == first and seen not in handled
    assert [s for s in pro.events["room"] if s in handled] == []
    await client.drop()
    await client.wait_disconnected()
    assert client.disconnected and not pro.disconnected
    await pro.close()
    await pro.wait_disconnected()
