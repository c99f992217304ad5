"""The sharded client manager behind python-socketio's public API: several real Socket.IO servers
(nodes) in this process share one real Redis; real Socket.IO clients connect to them. Messages
reach every recipient on every node, and a node publishes nothing when its recipients are all
its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import socketio
from aiohttp import web
from aiohttp.test_utils import TestServer

from sessionsvc.signaling.channels import session_of
from sessionsvc.signaling.manager import ShardedManager
from sessionsvc.signaling.shardbus import ShardBus

pytestmark = pytest.mark.redis

WAIT = 5.0


class Node:
    """One Socket.IO server on the sharded manager; clients ask it to join rooms by event."""

    def __init__(self, redis_url: str, linger: float = 0.2) -> None:
        self.manager = ShardedManager(
            ShardBus.from_url(redis_url), group_of=session_of, linger=linger
        )
        self.sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=self.manager)
        self.app = web.Application()
        self.sio.attach(self.app)
        self.server = TestServer(self.app)
        self.sio.on("join", self._join)
        self.sio.on("whoami", self._whoami)

    async def _join(self, sid: str, room: str) -> bool:
        await self.sio.enter_room(sid, room)
        return True

    async def _whoami(self, sid: str, _: Any = None) -> str:
        return sid

    async def start(self) -> Node:
        await self.server.start_server()
        await self.manager.start()
        return self

    @property
    def url(self) -> str:
        return str(self.server.make_url("/"))

    async def stop(self) -> None:
        await self.sio.shutdown()
        await self.server.close()
        await self.manager.close()


class Client:
    """A real python-socketio client that records what it receives."""

    def __init__(self) -> None:
        self.sio = socketio.AsyncClient()
        self.got: list[tuple[str, Any]] = []
        self._arrived = asyncio.Event()
        self.sio.on("*", self._any)
        self.sio.on("ask", self._ask)

    async def _any(self, event: str, data: Any) -> None:
        self.got.append((event, data))
        self._arrived.set()

    async def _ask(self, data: Any) -> str:
        return f"answer to {data}"

    async def connect(self, node: Node, *rooms: str) -> Client:
        await self.sio.connect(node.url, transports=["websocket"])
        for room in rooms:
            assert await self.sio.call("join", room)
        return self

    async def sid_on_server(self) -> str:
        return str(await self.sio.call("whoami"))

    async def wait(self, event: str, count: int = 1) -> list[Any]:
        async def enough() -> list[Any]:
            while len(found := [d for e, d in self.got if e == event]) < count:
                self._arrived.clear()
                await self._arrived.wait()
            return found

        return await asyncio.wait_for(enough(), WAIT)

    def count(self, event: str) -> int:
        return sum(1 for e, _ in self.got if e == event)


@pytest.fixture
async def nodes(redis_url: str) -> AsyncIterator[Callable[[int], Awaitable[list[Node]]]]:
    started: list[Node] = []

    async def make(n: int) -> list[Node]:
        more = [await Node(redis_url).start() for _ in range(n)]
        started.extend(more)
        return more

    yield make
    for node in started:
        await node.stop()


async def settle() -> None:
    """Let hello/here answers and lingering unsubscriptions pass."""
    await asyncio.sleep(0.4)


async def test_emit_to_a_room_reaches_members_on_every_node(nodes: Any) -> None:
    a, b, c = await nodes(3)
    on_a = await Client().connect(a, "r:s1:professional", "r:s1")
    on_b = await Client().connect(b, "r:s1:client", "r:s1")
    on_c = await Client().connect(c, "r:other")
    await a.sio.emit("hi", {"n": 1}, room="r:s1")
    assert await on_a.wait("hi") == [{"n": 1}]
    assert await on_b.wait("hi") == [{"n": 1}]
    await b.sio.emit("to-pro", "x", room="r:s1:professional")
    assert await on_a.wait("to-pro") == ["x"]
    await c.sio.emit("from-c", "y", room="r:s1:client")  # from a node hosting nobody of s1
    assert await on_b.wait("from-c") == ["y"]
    await settle()
    assert on_c.got == [] and on_b.count("to-pro") == 0 and on_a.count("from-c") == 0
    for client in (on_a, on_b, on_c):
        await client.sio.disconnect()


async def test_a_pair_on_one_node_publishes_nothing(nodes: Any) -> None:
    a, b = await nodes(2)
    pro = await Client().connect(a, "r:s1:professional", "r:s1")
    client = await Client().connect(a, "r:s1:client", "r:s1")
    elsewhere = await Client().connect(b, "r:s2:client")  # b is busy with another session
    await settle()
    before = a.manager.published
    for i in range(20):
        await a.sio.emit("signal", i, room="r:s1:client")
        await a.sio.emit("signal", i, room="r:s1:professional")
    assert len(await client.wait("signal", 20)) == 20
    assert len(await pro.wait("signal", 20)) == 20
    assert a.manager.published == before
    assert b.manager.received == 0
    for c in (pro, client, elsewhere):
        await c.sio.disconnect()


async def test_a_node_that_stops_hosting_a_session_gets_no_more_of_it(nodes: Any) -> None:
    a, b = await nodes(2)
    pro = await Client().connect(a, "r:s1:professional")
    client = await Client().connect(b, "r:s1:client")
    await a.sio.emit("signal", 1, room="r:s1:client")
    assert await client.wait("signal") == [1]
    await client.sio.disconnect()  # the client leaves b; b's subscription lingers, then goes
    await settle()
    received = b.manager.received
    published = a.manager.published
    for i in range(10):
        await a.sio.emit("signal", i, room="r:s1:professional")
    assert len(await pro.wait("signal", 10)) == 10
    assert b.manager.received == received
    assert a.manager.published == published
    await pro.sio.disconnect()


async def test_a_dead_node_without_goodbye_is_found_out(nodes: Any) -> None:
    a, b = await nodes(2)
    pro = await Client().connect(a, "r:s1:professional")
    client = await Client().connect(b, "r:s1:client")
    await settle()
    await b.manager.bus.unsubscribe("sio:{g:s1}")  # to a, b is gone without a word: no bye
    await a.sio.emit("signal", 1, room="r:s1:professional")  # publishes; one receiver: a
    published = a.manager.published
    await a.sio.emit("signal", 2, room="r:s1:professional")
    assert await pro.wait("signal", 2) == [1, 2]
    assert a.manager.published == published
    for c in (pro, client):
        await c.sio.disconnect()


async def test_to_a_socket_enter_room_and_disconnect_across_nodes(nodes: Any) -> None:
    a, b = await nodes(2)
    on_a = await Client().connect(a)
    on_b = await Client().connect(b)
    sid_b = await on_b.sid_on_server()
    assert sid_b.startswith(b.manager.host_id + ".")
    await a.sio.emit("direct", "to b", to=sid_b)
    assert await on_b.wait("direct") == ["to b"]

    await a.sio.enter_room(sid_b, "r:s9:client")  # a socket on another node
    await asyncio.sleep(0.3)
    await a.sio.emit("in-room", 1, room="r:s9:client")
    assert await on_b.wait("in-room") == [1]

    disconnected = asyncio.Event()
    on_b.sio.on("disconnect", lambda *_: disconnected.set())
    await a.sio.disconnect(sid_b)
    await asyncio.wait_for(disconnected.wait(), WAIT)
    await on_a.sio.disconnect()


async def test_callbacks_broadcasts_and_ignore_queue(nodes: Any) -> None:
    a, b = await nodes(2)
    on_a = await Client().connect(a)
    on_b = await Client().connect(b)
    sid_b = await on_b.sid_on_server()
    sid_a = await on_a.sid_on_server()

    answered: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    await a.sio.emit("ask", "q1", to=sid_b, callback=answered.set_result)
    assert await asyncio.wait_for(answered, WAIT) == "answer to q1"
    assert await asyncio.wait_for(a.sio.call("ask", "q2", to=sid_b), WAIT) == "answer to q2"

    await b.sio.emit("everyone", "all")  # no room: the whole namespace, on every node
    assert await on_a.wait("everyone") == ["all"]
    assert await on_b.wait("everyone") == ["all"]

    published = a.manager.published
    await a.sio.emit("local", 1, to=sid_a, ignore_queue=True)
    await a.sio.emit("local", 2, to=sid_b, ignore_queue=True)  # not here: goes nowhere
    assert await on_a.wait("local") == [1]
    await settle()
    assert on_b.count("local") == 0 and a.manager.published == published
    for c in (on_a, on_b):
        await c.sio.disconnect()


async def test_close_room_across_nodes(nodes: Any) -> None:
    a, b = await nodes(2)
    on_a = await Client().connect(a, "r:s3")
    on_b = await Client().connect(b, "r:s3")
    await settle()
    await a.sio.close_room("r:s3")
    await asyncio.sleep(0.3)
    await b.sio.emit("after", 1, room="r:s3")
    await settle()
    assert on_a.count("after") == 0 and on_b.count("after") == 0
    for c in (on_a, on_b):
        await c.sio.disconnect()
