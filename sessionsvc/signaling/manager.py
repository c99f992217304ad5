"""A python-socketio client manager that scales out: each message goes only where its recipients
are, over Redis sharded pub/sub (``shardbus``).

``socketio.AsyncRedisManager`` publishes every emit on one channel that every node reads, so each
node's work grows with the size of the cluster and even an emit between two sockets of one node
pays a Redis round trip. This manager (python-socketio's documented extension point: a subclass
of ``AsyncPubSubManager``, whose receiving side it reuses) routes instead:

- a room's members on this node get the message directly;
- other nodes get it only through the sharded channel of the room's *group* (for sessionsvc, the
  session: a session's channels ``r:ID``, ``r:ID:professional`` and ``r:ID:client`` are one
  group), which only nodes that host a member of the group subscribe to; and it is published
  only when another node may host one, or when this node hosts none;
- a message for one socket goes to the channel of the node that holds it: socket ids carry their
  node's id (``NODE.xxxx``), so no lookup is needed;
- a broadcast to a whole namespace goes on one channel every node reads.

Which other nodes host a group is learnt on the group's channel itself: a node that starts to
host a group says ``hello`` there once subscribed (``SPUBLISH`` answers how many subscribers got
it), the others answer ``here`` to it, and a node that stops says ``bye``. Every ``SPUBLISH``
reports how many subscribers received it, which corrects a stale belief downwards (a node that
died without a ``bye``). A belief that errs only ever costs a publish nobody needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

import socketio
from socketio.async_pubsub_manager import AsyncPubSubManager

from .shardbus import ShardBus

log = logging.getLogger(__name__)

LINGER = 5.0
"""Seconds a node stays subscribed to a group after its last member there left: a participant
who reconnects to the same node within that time finds the subscription in place."""

UNKNOWN = "?"  # another node got our message, but we do not know which yet


def same_group(room: str) -> str:
    """The default grouping: every room is its own group."""
    return room


class ShardedManager(AsyncPubSubManager):  # type: ignore[misc]
    """Deliver locally when the recipients are on this node; otherwise publish only on the sharded
    channel of the nodes that host them.

    ``group_of(room)`` names the group of a room: rooms of one group share a channel, so a node
    hosting several rooms of a session subscribes once. Channels are named ``PREFIX:{g:GROUP}``
    (the hash tag puts each in one cluster slot), ``PREFIX:{n:NODE}`` and ``PREFIX:{all}``.
    """

    name = "sessionsvc-sharded"

    def __init__(
        self,
        bus: ShardBus,
        *,
        group_of: Callable[[str], str] = same_group,
        prefix: str = "sio",
        linger: float = LINGER,
    ) -> None:
        super().__init__(channel=prefix)
        self.host_id = uuid.uuid4().hex[:12]
        self.bus = bus
        self.group_of = group_of
        self.prefix = prefix
        self.linger = linger
        self._own = self.host_id.encode()
        self.node_channel = self._channel("n", self.host_id)
        self.all_channel = f"{prefix}:{{all}}"
        self.published = 0
        """Messages this node published (a figure for benchmarks and tests)."""
        self.received = 0
        """Messages this node received from others."""
        self._members: dict[str, int] = {}  # group channel -> local (socket, room) memberships
        self._hosting: dict[str, asyncio.Future[None]] = {}  # group channel -> subscribed
        self._others: dict[str, set[str]] = {}  # group channel -> other nodes hosting it
        self._version: dict[str, int] = {}  # bumped whenever _others[channel] grows
        self._tasks: set[asyncio.Task[None]] = set()
        self._started: asyncio.Task[None] | None = None
        self.delivering: list[Callable[[str, str, Any], None]] = []
        """Told ``(namespace, event, to)`` of every message this node delivers to its own
        sockets, whichever node sent it (``signaling.gate`` hears of room changes this way)."""

    # -- life --------------------------------------------------------------------------

    async def start(self) -> None:
        """Subscribe to this node's channel and the broadcast channel and start receiving;
        idempotent. ``initialize`` (the first connection) starts it too."""
        if self._started is None:
            self._started = asyncio.create_task(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        self.bus.on_message = self._on_message
        await self.bus.connect()
        await self.bus.subscribe(self.node_channel)
        await self.bus.subscribe(self.all_channel)

    def initialize(self) -> None:
        # not the parent's: it would start its _thread loop; the bus calls _on_message instead
        socketio.AsyncManager.initialize(self)
        if self._started is None:
            self._started = asyncio.create_task(self._start())

    async def close(self) -> None:
        """Tell the other nodes this one is gone from its groups, stop receiving, close the
        bus; safe to call more than once."""
        for channel in list(self._hosting):
            with contextlib.suppress(Exception):
                await self.bus.publish(channel, self._control("bye"))
        for task in [*self._tasks, *(t for t in (self._started,) if t)]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        await self.bus.close()

    # -- sockets and rooms -------------------------------------------------------------

    async def pre_connect(self, eio_sid: str, namespace: str) -> str | None:
        """As the base class, with a socket id that names this node."""
        sid = f"{self.host_id}.{self.server.eio.generate_id()}"
        try:
            self.basic_enter_room(sid, namespace, None, eio_sid=eio_sid)
        except ValueError:  # bidict's ValueDuplicationError: already connected
            return None
        self.basic_enter_room(sid, namespace, sid, eio_sid=eio_sid)
        self.pending_connect.setdefault(namespace, []).append(sid)
        return sid

    def basic_enter_room(
        self, sid: str, namespace: str, room: str | None, eio_sid: str | None = None
    ) -> None:
        grouped = self._is_group_room(namespace, sid, room)
        before = sid in self.rooms.get(namespace, {}).get(room, {})
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        if grouped and not before:
            assert room is not None
            channel = self._group_channel(room)
            self._members[channel] = self._members.get(channel, 0) + 1

    def basic_leave_room(self, sid: str, namespace: str, room: str | None) -> None:
        grouped = self._is_group_room(namespace, sid, room)
        present = sid in self.rooms.get(namespace, {}).get(room, {})
        super().basic_leave_room(sid, namespace, room)
        if grouped and present:
            assert room is not None
            channel = self._group_channel(room)
            left = self._members.get(channel, 1) - 1
            if left > 0:
                self._members[channel] = left
            else:
                self._members.pop(channel, None)
                self._spawn(self._release_later(channel))

    async def enter_room(
        self, sid: str, namespace: str, room: str, eio_sid: str | None = None
    ) -> None:
        """As python-socketio's, and once the socket is here, this node is subscribed to the
        room's group before this returns (so a message published afterwards arrives)."""
        local = self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace)
        await super().enter_room(sid, namespace, room, eio_sid=eio_sid)
        if local and room is not None:
            await self._host(self._group_channel(room))

    async def _handle_enter_room(self, message: dict[str, Any]) -> None:
        await super()._handle_enter_room(message)  # the membership, in message order
        sid, namespace = message.get("sid"), message.get("namespace")
        if self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace):
            # in a task of its own: the confirmation comes through the very reader that is
            # handling this message
            self._spawn(self._host(self._group_channel(message["room"])))

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        for listener in self.delivering:
            listener(message.get("namespace") or "/", message["event"], message.get("room"))
        await super()._handle_emit(message)

    # -- routing -----------------------------------------------------------------------

    async def _publish(self, data: dict[str, Any]) -> None:
        """Send what the base class hands to "the other hosts" only to those that need it."""
        method = data.get("method")
        namespace = data.get("namespace") or "/"
        if method == "emit":
            await self._publish_emit(data, namespace)
        elif method in ("disconnect", "enter_room", "leave_room"):
            sid = data["sid"]
            if not self._is_local(sid, namespace):
                await self._send(self._node_of(sid), data)
        elif method == "close_room":
            await self._send_to_group(self._group_channel(data["room"]), data)
        elif method == "callback":
            await self._send(self._channel("n", data["host_id"]), data)

    async def _publish_emit(self, data: dict[str, Any], namespace: str) -> None:
        room = data.get("room")
        if room is None:
            await self._send(self.all_channel, data)
            return
        rooms = [room] if isinstance(room, str) else list(room)
        by_channel: dict[str, list[str]] = {}
        for r in rooms:
            if self.is_sid_room(namespace, r):
                continue  # delivered here already
            if self._is_sid(r):
                by_channel.setdefault(self._node_of(r), []).append(r)
            else:
                by_channel.setdefault(self._group_channel(r), []).append(r)
        for channel, targets in by_channel.items():
            message = data if len(by_channel) == 1 else {**data, "room": targets}
            if channel in self._hosting or channel in self._members:
                await self._send_to_group(channel, message)
            else:
                await self._send(channel, message)

    async def _send_to_group(self, channel: str, data: dict[str, Any]) -> None:
        hosted = channel in self._hosting
        if hosted and not self._others.get(channel):
            return  # nobody else hosts it: delivered here already
        version = self._version.get(channel, 0)
        received = await self._send(channel, data)
        if hosted and received <= 1 and self._version.get(channel, 0) == version:
            self._others.pop(channel, None)  # only ourselves: whoever else was there is gone

    async def _send(self, channel: str, data: dict[str, Any]) -> int:
        self.published += 1
        return await self.bus.publish(channel, self._frame(data))

    # -- hosting groups ----------------------------------------------------------------

    async def _host(self, channel: str) -> None:
        hosting = self._hosting.get(channel)
        if hosting is None:
            hosting = asyncio.get_running_loop().create_future()
            self._hosting[channel] = hosting
            try:
                await self.bus.subscribe(channel)
                if await self.bus.publish(channel, self._control("hello")) > 1:
                    self._believe(channel, UNKNOWN)
                hosting.set_result(None)
            except BaseException as e:
                del self._hosting[channel]
                hosting.set_exception(e)
                hosting.exception()  # retrieved: the caller gets it raised below
                raise
        await asyncio.shield(hosting)

    async def _release_later(self, channel: str) -> None:
        await asyncio.sleep(self.linger)
        if channel in self._members or channel not in self._hosting:
            return
        hosting = self._hosting.pop(channel)
        self._others.pop(channel, None)
        if not hosting.done() or hosting.exception() is not None:
            return
        try:
            await self.bus.unsubscribe(channel)
            await self.bus.publish(channel, self._control("bye"))
        except Exception:
            log.warning("could not leave %s; it lingers until Redis drops it", channel)

    def _believe(self, channel: str, host: str) -> None:
        self._others.setdefault(channel, set()).add(host)
        self._version[channel] = self._version.get(channel, 0) + 1

    # -- receiving ---------------------------------------------------------------------

    async def _on_message(self, channel: bytes, raw: bytes) -> None:
        """One message from another node: what the base class's receiving loop does with it,
        and the talk about who hosts which group."""
        sender, _, body = raw.partition(b" ")
        if sender == self._own:
            return  # our own message, back from a channel we also listen to
        try:
            data = self.json.loads(body)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        self.received += 1
        method = data.get("method")
        if method in ("hello", "here", "bye"):
            self._on_membership(channel.decode(), method, data)
        elif method == "callback":
            await self._handle_callback(data)
        elif method == "emit":
            await self._handle_emit(data)
        elif method == "disconnect":
            # the disconnect handler does store work: not on the reader, which must go on
            self._spawn(self._handle_disconnect(data))
        elif method == "enter_room":
            await self._handle_enter_room(data)
        elif method == "leave_room":
            await self._handle_leave_room(data)
        elif method == "close_room":
            await self._handle_close_room(data)

    def _on_membership(self, channel: str, method: str, data: dict[str, Any]) -> None:
        sender, group = str(data["host_id"]), str(data.get("group", channel))
        if method == "bye":
            self._others.get(group, set()).discard(sender)
            return
        self._believe(group, sender)
        if method == "hello" and group in self._hosting:
            answer = self._frame({"method": "here", "group": group, "host_id": self.host_id})
            self._spawn(self._answer(self._channel("n", sender), answer))

    async def _answer(self, channel: str, data: bytes) -> None:
        try:
            await self.bus.publish(channel, data)
        except Exception:
            log.warning("could not answer on %s", channel)

    # -- names -------------------------------------------------------------------------

    def _channel(self, kind: str, name: str) -> str:
        return f"{self.prefix}:{{{kind}:{name}}}"

    def _group_channel(self, room: str) -> str:
        return self._channel("g", self.group_of(room))

    def _node_of(self, sid: str) -> str:
        return self._channel("n", sid.split(".", 1)[0])

    def _is_sid(self, room: str) -> bool:
        host, dot, rest = room.partition(".")
        return bool(dot) and len(host) == len(self.host_id) and bool(rest)

    def _is_local(self, sid: str, namespace: str) -> bool:
        return bool(self.is_connected(sid, namespace) or self.is_pre_connected(sid, namespace))

    def _is_group_room(self, namespace: str, sid: str, room: str | None) -> bool:
        return room is not None and room != sid and not self._is_sid(room)

    def _control(self, method: str) -> bytes:
        return self._frame({"method": method, "host_id": self.host_id})

    def _frame(self, data: dict[str, Any]) -> bytes:
        """The sender's id, a space, the JSON message: a node skips its own without parsing."""
        return f"{self.host_id} {self.json.dumps(data)}".encode()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
