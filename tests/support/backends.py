"""The store backends for the contract suite (pytest plugin): ``backend`` is each backend in
turn, empty (memory, Redis on the private server, and a private 3-master Redis Cluster);
``redis_backend`` is Redis alone. With ``domain`` the suite drives the domain's services over
the same backend, on a ``ManualClock``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from sessionsvc.rooms.store import Backend
from sessionsvc.stores.memory import MemoryStore
from sessionsvc.stores.redis import RedisStore
from testkit.domain import HUB, T0, Domain, make_domain, make_ledger, make_room
from testkit.redis_server import RedisClusterServer

__all__ = ["HUB", "T0", "Domain", "make_domain", "make_ledger", "make_room"]


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterServer]:
    """A private 3-master Redis Cluster for the test session."""
    with RedisClusterServer() as cluster:
        yield cluster


@pytest.fixture
def redis_cluster_url(redis_cluster: RedisClusterServer) -> str:
    """The cluster's ``redis+cluster://`` URL, every master emptied before the test."""
    redis_cluster.flushall()
    return redis_cluster.url


@pytest.fixture(
    params=[
        "memory",
        pytest.param("redis", marks=pytest.mark.redis),
        pytest.param("redis-cluster", marks=pytest.mark.redis),
    ]
)
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    """Each backend, empty: memory, Redis, and Redis Cluster (3 masters)."""
    if request.param == "memory":
        yield MemoryStore()
        return
    fixture = "redis_url" if request.param == "redis" else "redis_cluster_url"
    url = request.getfixturevalue(fixture)
    store = RedisStore.from_url(url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    await store.ping()  # a cluster client reads the slot map once, before concurrent use
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def redis_backend(redis_url: str) -> AsyncIterator[RedisStore]:
    """The Redis backend alone, for what only it has (keys, slots, processes)."""
    store = RedisStore.from_url(redis_url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
def domain(backend: Backend) -> Domain:
    return make_domain(backend)
