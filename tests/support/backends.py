"""The store backends for the contract suite (pytest plugin): ``backend`` is each backend in
turn, empty (memory, Redis on the private server, and a private 3-master Redis Cluster);
``redis_backend`` is Redis alone. With ``domain`` the suite drives the domain's services over
the same backend, on a ``ManualClock``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest

from sessionsvc.bootstrap import Services, create_services
from sessionsvc.rooms.clock import ManualClock
from sessionsvc.rooms.events import Events
from sessionsvc.rooms.ids import new_room_id
from sessionsvc.rooms.model import Hub, InvoiceTo, Ledger, Participant, Role, Room
from sessionsvc.rooms.policy import Policy
from sessionsvc.rooms.store import Backend
from sessionsvc.stores.memory import MemoryStore
from sessionsvc.stores.redis import RedisStore
from testkit.redis_server import RedisClusterServer

T0 = 1_800_000_000.0
HUB = Hub(id="hub-1", name="Acme Ltd")


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


@dataclass
class Domain:
    """The domain's services over one backend, with the clock the test moves."""

    backend: Backend
    clock: ManualClock
    policy: Policy
    services: Services


def make_domain(backend: Backend, policy: Policy | None = None, start: float = T0) -> Domain:
    policy = policy or Policy()
    clock = ManualClock(start)
    return Domain(backend, clock, policy, create_services(backend, clock, policy, Events()))


@pytest.fixture
def domain(backend: Backend) -> Domain:
    return make_domain(backend)


def make_room(
    booking: str = "bk-1",
    client: str = "cl-1",
    professional: str = "pro-1",
    hub: Hub | None = HUB,
    start: float = T0 + 600,
) -> Room:
    return Room(
        room_id=new_room_id(client),
        booking_id=booking,
        hub=hub,
        professional=Participant(professional, "Dr Pro", Role.PROFESSIONAL),
        client=Participant(client, "Cli Ent", Role.CLIENT),
        scheduled_start=start,
        scheduled_end=start + 3000,
        created_at=T0,
    )


def make_ledger(client: str = "cl-1", remaining: int = 3, card: bool = False) -> Ledger:
    return Ledger(
        hub_id=HUB.id,
        client_id=client,
        credits_total=max(remaining, 3),
        credits_remaining=remaining,
        card_on_file=card,
        invoice_to=InvoiceTo.COMPANY,
    )
