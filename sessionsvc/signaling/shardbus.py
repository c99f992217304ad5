"""Redis sharded pub/sub (``SSUBSCRIBE``/``SPUBLISH``, Redis 7) as a message bus between service
nodes, over a standalone Redis or a Redis Cluster.

A sharded channel lives on the one shard that owns its hash slot, so a message published on it is
seen only by the connections subscribed to it, and on a cluster only by that shard: unlike plain
``PUBLISH``, whose every message reaches every node of a cluster. On a cluster each shard gets
its own subscriber connection (a channel's owner is looked up from the cluster's slot map).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from redis.asyncio import ConnectionPool, Redis, RedisCluster
from redis.asyncio.client import PubSub

from ..stores.redis.pool import FreshConnectionPool
from ..stores.redis.reachability import guard

log = logging.getLogger(__name__)

RETRY_PAUSE = 0.5  # seconds between attempts to listen again after Redis went away
CONFIRM_TIMEOUT = 10.0  # seconds for Redis to confirm a subscription
MAX_CONNECTIONS = 1024  # publishing connections per Redis server (per shard of a cluster)

Handler = Callable[[bytes, bytes], Awaitable[None]]
"""Called with (channel, data) of each message received, in the order its shard sent them."""


class ShardBus:
    """Subscribe to, publish on and receive from sharded channels.

    ``subscribe`` returns once Redis has confirmed the subscription, so a message that anyone
    publishes afterwards is received. Every message of every subscribed channel goes to the
    handler (``on_message``), awaited by the task that reads that shard's connection: no queue
    and no other task in between, so a message costs no extra turn of the event loop.
    """

    def __init__(self, client: Redis | RedisCluster, *, owns_client: bool = False) -> None:
        self.on_message: Handler | None = None
        self._client = client
        self._owns_client = owns_client
        self._cluster = isinstance(client, RedisCluster)
        self._pubsubs: dict[str, PubSub] = {}  # one per shard ("" on a standalone Redis)
        self._listeners: dict[str, asyncio.Task[None]] = {}
        self._channel_shard: dict[bytes, str] = {}
        self._confirming: dict[bytes, asyncio.Future[None]] = {}
        self._changing: dict[bytes, asyncio.Lock] = {}  # one subscription change at a time
        self._pools: list[ConnectionPool] = []
        self._closed = False

    @classmethod
    def from_url(
        cls, url: str, *, cluster: bool = False, max_connections: int = MAX_CONNECTIONS
    ) -> ShardBus:
        """A bus with its own client: a cluster client when ``cluster``. As the store's, its
        pool opens another connection rather than make a publisher queue for one (see
        ``RedisStore.from_url``)."""
        client: Redis | RedisCluster
        if cluster:
            client = RedisCluster.from_url(url, max_connections=max_connections)
        else:
            pool = FreshConnectionPool.from_url(url, max_connections=max_connections)
            client = Redis.from_pool(pool)
        return cls(client, owns_client=True)

    async def connect(self) -> None:
        """Reach Redis once before any concurrent use (a cluster client reads its slot map, and
        must have it before a channel's shard can be looked up)."""
        if isinstance(self._client, RedisCluster):
            await self._client.initialize()
        else:
            await self._client.ping()

    @guard
    async def publish(self, channel: str, data: bytes) -> int:
        """Publish ``data`` on ``channel``; the number of subscribers that received it."""
        return int(await self._client.spublish(channel, data))

    @guard
    async def subscribe(self, channel: str) -> None:
        key = channel.encode()
        async with self._changing.setdefault(key, asyncio.Lock()):
            await self._subscribe(channel, key)

    async def _subscribe(self, channel: str, key: bytes) -> None:
        shard = self._shard_of(channel)
        pubsub = self._pubsub(shard)
        confirmed = asyncio.get_running_loop().create_future()
        self._confirming[key] = confirmed
        self._channel_shard[key] = shard
        try:
            await pubsub.ssubscribe(channel)
            self._listen(shard)
            await asyncio.wait_for(asyncio.shield(confirmed), CONFIRM_TIMEOUT)
        finally:
            if self._confirming.get(key) is confirmed:
                del self._confirming[key]

    async def unsubscribe(self, channel: str) -> None:
        key = channel.encode()
        lock = self._changing.setdefault(key, asyncio.Lock())
        async with lock:
            shard = self._channel_shard.pop(key, None)
            if shard is not None and shard in self._pubsubs:
                await self._pubsubs[shard].sunsubscribe(channel)
        if not lock.locked() and key not in self._channel_shard:
            self._changing.pop(key, None)

    async def close(self) -> None:
        """Stop listening and close the connections; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        for task in self._listeners.values():
            task.cancel()
        for task in self._listeners.values():
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for pubsub in self._pubsubs.values():
            with contextlib.suppress(Exception):
                # typed from redis 8 on, untyped before: called the same on every version
                await cast(Any, pubsub).aclose()
        for pool in self._pools:
            await pool.aclose()
        if self._owns_client:
            await self._client.aclose()

    # -- shards ------------------------------------------------------------------------

    def _shard_of(self, channel: str) -> str:
        if not isinstance(self._client, RedisCluster):
            return ""
        node = self._client.get_node_from_key(channel)
        if node is None:
            raise ConnectionError(f"no cluster node serves {channel}")
        return str(node.name)

    def _pubsub(self, shard: str) -> PubSub:
        pubsub = self._pubsubs.get(shard)
        if pubsub is None:
            if isinstance(self._client, RedisCluster):
                node = self._client.get_node(node_name=shard)
                assert node is not None  # the name came from the slot map
                # a connection of its own to that shard, with the cluster's settings (auth, TLS)
                pool = FreshConnectionPool(
                    connection_class=node.connection_class, **node.connection_kwargs
                )
                self._pools.append(pool)
                pubsub = Redis(connection_pool=pool).pubsub()
            else:
                pubsub = self._client.pubsub()
            self._pubsubs[shard] = pubsub
        return pubsub

    def _listen(self, shard: str) -> None:
        if shard not in self._listeners or self._listeners[shard].done():
            self._listeners[shard] = asyncio.create_task(
                self._receive(self._pubsubs[shard]), name=f"sessionsvc-shardbus-{shard}"
            )

    async def _receive(self, pubsub: PubSub) -> None:
        while True:
            try:
                message: dict[str, Any] | None = await pubsub.get_message(timeout=None)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # Redis went away: redis-py resubscribes on reconnect
                log.warning("sharded pub/sub: %s; listening again", e)
                await asyncio.sleep(RETRY_PAUSE)
                continue
            if message is None:
                continue
            kind = message["type"]
            kind = kind.decode() if isinstance(kind, bytes) else kind
            channel = message["channel"]
            if kind == "smessage":
                if self.on_message is not None:
                    try:
                        await self.on_message(channel, message["data"])
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        log.exception("handling a message on %r failed", channel)
            elif kind == "ssubscribe":
                confirmed = self._confirming.get(channel)
                if confirmed is not None and not confirmed.done():
                    confirmed.set_result(None)
