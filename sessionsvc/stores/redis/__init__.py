"""The Redis store: rooms, ledgers, deadlines and node liveness shared by any number of service
nodes (standalone Redis, with a key layout ready for Redis Cluster: see ``keys``).

Concurrency control is optimistic: a room's mutation and a ledger's update WATCH what they read,
run the pure function, and commit with MULTI/EXEC; a concurrent write aborts the EXEC and the
function runs again on fresh values. That makes completion and credit consumption exactly-once
across nodes.
"""

from __future__ import annotations

from typing import Any, cast

from redis.asyncio import Redis, RedisCluster

from ...rooms.clock import Clock
from ...rooms.retention import RoomRetention
from .keys import Keys
from .ledgers import RedisLedgers
from .media import RedisMediaStats
from .optimistic import MAX_TRIES, Contention
from .outbox import RedisCreditSessions, RedisOutbox
from .pool import FreshConnectionPool
from .reachability import guarded
from .reports import RedisReports
from .rooms import RECENT_KEEP, RedisRooms
from .statements import RedisStatements
from .timeouts import Index, RedisDeadlines, RedisNodes

__all__ = ["Contention", "RedisStore", "cluster_url"]

MAX_CONNECTIONS = 1024  # per Redis server (per shard of a cluster); far above any burst
CLUSTER_SCHEMES = {"redis+cluster": "redis", "rediss+cluster": "rediss"}


def cluster_url(url: str) -> tuple[str, bool]:
    """``(url, is_cluster)``: ``redis+cluster://HOST:PORT`` (or ``rediss+cluster://``) names any
    node of a Redis Cluster; the URL redis-py takes for it is the plain ``redis://`` one."""
    scheme, sep, rest = url.partition("://")
    if sep and scheme in CLUSTER_SCHEMES:
        return f"{CLUSTER_SCHEMES[scheme]}://{rest}", True
    return url, False


class RedisStore:
    """Every concern's store over one Redis client.

    ``redis`` must return bytes (the default, ``decode_responses=False``). The store closes the
    client in ``close`` only when it made it (``from_url``) or was told to own it.
    """

    def __init__(
        self,
        redis: Redis,
        prefix: str = "sessionsvc",
        *,
        owns_client: bool = False,
        recent_keep: int = RECENT_KEEP,
        max_tries: int = MAX_TRIES,
        clock: Clock | None = None,
        retention: RoomRetention | None = None,
    ) -> None:
        self._redis = redis
        self._owns_client = owns_client
        self._closed = False
        keys = Keys(prefix)
        index = Index(redis, keys)
        self.outbox = RedisOutbox(
            redis, keys, clock, statement_retention=(retention or RoomRetention()).statements
        )
        # each concern raises StoreUnavailable (not redis-py's errors) while Redis is unreachable
        self.rooms = guarded(
            RedisRooms(
                redis,
                keys,
                index,
                self.outbox,
                max_tries=max_tries,
                recent_keep=recent_keep,
                retention=retention,
            )
        )
        self.ledgers = guarded(RedisLedgers(redis, keys, self.outbox, max_tries=max_tries))
        self.deadlines = guarded(RedisDeadlines(redis, keys, index))
        self.nodes = guarded(RedisNodes(redis, keys))
        self.statements = guarded(
            RedisStatements(redis, keys, RedisCreditSessions(redis, keys), retention)
        )
        self.reports = guarded(RedisReports(redis, keys))
        self.media_stats = guarded(RedisMediaStats(redis, keys))

    @classmethod
    def from_url(
        cls,
        url: str,
        prefix: str = "sessionsvc",
        *,
        max_connections: int = MAX_CONNECTIONS,
        **options: Any,
    ) -> RedisStore:
        """A store with its own client. ``redis+cluster://HOST:PORT`` (any node) makes it a
        Redis Cluster client: every multi-key operation's keys share a hash tag, so each
        transaction and script runs on one shard.

        The pool opens a connection whenever every open one is busy, up to ``max_connections``
        (past it a command fails at once, ``MaxConnectionsError``), rather than making callers
        queue for one: redis-py's waiting pool (``BlockingConnectionPool``) hands connections
        over through one ``asyncio.Condition``, whose woken waiter loses the connection to any
        newcomer and queues again at the back, and every release waits its turn on that
        condition's lock. Once a burst fills it, connections come back slower than they are
        asked for, and a report waited up to the pool's 20 s timeout while the node idled."""
        plain, cluster = cluster_url(url)
        if cluster:
            client = RedisCluster.from_url(plain, max_connections=max_connections)
            # RedisCluster offers, for one slot at a time, the part of Redis's API the store uses
            # (GET/SET, WATCH/MULTI pipelines, scripts, sorted sets, lists, sets)
            return cls(cast(Redis, client), prefix, owns_client=True, **options)
        pool = FreshConnectionPool.from_url(url, max_connections=max_connections)
        return cls(Redis.from_pool(pool), prefix, owns_client=True, **options)

    async def ping(self) -> None:
        """Raise if Redis cannot be reached."""
        await self._redis.ping()

    async def time(self) -> float | None:
        """Redis's clock (``TIME``; on a cluster, the first answering node's)."""
        answer: Any = await self._redis.time()
        if isinstance(answer, dict):
            answer = next(iter(answer.values()))
        seconds, micros = answer
        return float(seconds) + float(micros) / 1e6

    async def close(self) -> None:
        """Close the client if this store owns it; safe to call more than once."""
        if self._closed:
            return
        self._closed = True
        if self._owns_client:
            await self._redis.aclose()
