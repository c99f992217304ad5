"""Webhooks across nodes on one Redis: a node killed with SIGKILL in the middle of a delivery
leaves it to another, which claims it; 1,000 sessions completed concurrently through two
nodes (each room ended by both) consume exactly 1,000 credits and are reported by 1,000
distinct ``session.completed`` events, delivered by both nodes' deliverers together."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
from msgspec.structs import replace
from prometheus_client import CollectorRegistry

from sessionsvc.rooms.clock import SystemClock
from sessionsvc.rooms.credits import Grant
from sessionsvc.rooms.errors import RoomClosed
from sessionsvc.rooms.model import InvoiceTo, Participant, Phase, Presence, Role, Room
from sessionsvc.rooms.policy import Policy
from sessionsvc.stores.redis import RedisStore
from sessionsvc.webhooks.deliverer import Deliverer
from sessionsvc.webhooks.metrics import WebhookMetrics
from sessionsvc.webhooks.sender import Sender
from sessionsvc.webhooks.signing import Signer
from testkit.booking import Booking
from testkit.webhook_receiver import Answer, Delivery, WebhookReceiver, make_secret
from tests.support.backends import HUB, Domain, make_domain, make_room
from tests.support.servers import ServiceFactory

pytestmark = pytest.mark.redis

SECRET = make_secret()
CLIENTS = 500
SESSIONS_EACH = 2  # every client's credits, used up
PARALLEL = 64
ROOM_STEPS = ["room.opened", "session.completed"]


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    r = await WebhookReceiver(SECRET).start()
    yield r
    await r.stop()


async def test_a_node_killed_mid_delivery_leaves_it_to_another(
    service_factory: ServiceFactory,
    redis_url: str,
    receiver: WebhookReceiver,
    http: aiohttp.ClientSession,
) -> None:
    def hang_first(delivery: Delivery) -> Answer:
        return Answer(500, delay=60) if len(receiver.requests) == 1 else Answer(200)

    receiver.answer = hang_first
    env = {
        "SESSIONSVC_REDIS_URL": redis_url,
        "SESSIONSVC_WEBHOOK_URL": receiver.url,
        "SESSIONSVC_WEBHOOK_SECRET": SECRET,
        "SESSIONSVC_WEBHOOK_LEASE": "2",
        "SESSIONSVC_WEBHOOK_TIMEOUT": "120",
    }
    first = await service_factory(**env)
    room = await Booking(first.url, http).open_room()
    await receiver.wait_until(lambda r: len(r.requests) == 1)
    first.kill()  # committed, read, sent, never acknowledged
    second = await service_factory(**env)
    await receiver.wait_until(lambda r: len(r.accepted) == 1)
    [hung] = receiver.requests[:1]
    [delivered] = receiver.accepted
    assert delivered.id == hung.id and delivered.data["room_id"] == room["room_id"]
    assert delivered.type == "room.opened"
    status, page = await Booking(second.url, http).call("GET", "/v1/webhooks/events")
    assert status == 200 and [e["id"] for e in page["events"]] == [hung.id]


def held(room: Room) -> Room:
    """A room as the store holds it once both sides have been in the call long enough: what
    a session's joins, admission and stats reports make (``tests/signaling`` drives those),
    so that this test spends its time on the completions."""

    def present(p: Participant, conn: str) -> Participant:
        return replace(p, presence=Presence.PRESENT, conn=conn, joined_at=room.created_at)

    return replace(
        room,
        phase=Phase.IN_SESSION,
        professional=present(room.professional, f"p-{room.room_id}"),
        client=present(room.client, f"c-{room.room_id}"),
        admitted_at=room.scheduled_start,
        held_seconds=10.0,
    )


def node(redis_url: str, prefix: str) -> Domain:
    store = RedisStore.from_url(redis_url, prefix=prefix)
    return make_domain(store, Policy(min_held_seconds=2), start=time.time())


async def in_parallel(calls: list[Callable[[], Awaitable[object]]]) -> list[object]:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(call: Callable[[], Awaitable[object]]) -> object:
        async with gate:
            try:
                return await call()
            except RoomClosed:
                return None

    return await asyncio.gather(*(one(c) for c in calls))


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_a_thousand_concurrent_completions_on_two_nodes(
    redis_url: str, receiver: WebhookReceiver
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    a, b = node(redis_url, prefix), node(redis_url, prefix)
    nodes = (a, b)
    clients = [f"cl-{n}" for n in range(CLIENTS)]
    for c in clients:
        grant = Grant(SESSIONS_EACH, SESSIONS_EACH, False, InvoiceTo.COMPANY)
        await a.services.credits.put_ledger(HUB.id, c, grant)
    rooms = [
        held(make_room(booking=f"bk-{c}-{n}", client=c, start=time.time()))
        for c in clients
        for n in range(SESSIONS_EACH)
    ]

    await in_parallel(
        [
            lambda r=r, d=d: d.backend.rooms.create_room(r, r.booking_id, None)
            for r, d in zip(rooms, nodes * len(rooms), strict=False)
        ]
    )
    ended = await in_parallel(  # every room ended by both nodes at once
        [
            lambda r=r, d=d: d.services.live.end(r.room_id, Role.PROFESSIONAL)
            for r in rooms
            for d in nodes
        ]
    )
    assert sum(e is not None for e in ended) == len(rooms)
    for c in clients:
        ledger = await a.services.credits.get_ledger(HUB.id, c)
        assert ledger.credits_remaining == 0 and ledger.sessions_held == SESSIONS_EACH

    logged = []
    after: str | None = None
    while page := await a.backend.outbox.log_after(after, 1000):
        logged.extend(page)
        after = page[-1].id
    assert sum(e.type == "session.completed" for e in logged) == len(rooms)
    deliverers = [
        Deliverer(
            d.backend.outbox,
            Sender(receiver.url, Signer(SECRET), SystemClock()),
            d.clock,
            WebhookMetrics(CollectorRegistry()),
            holder,
        )
        for d, holder in ((a, "node-a"), (b, "node-b"))
    ]
    tasks = [asyncio.create_task(d.run()) for d in deliverers]
    try:
        await receiver.wait_until(lambda r: len(r.accepted) >= len(logged), timeout=120)
        for _ in range(600):  # the last acknowledgements
            if not (await a.backend.outbox.backlog())[0]:
                break
            await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert receiver.invalid == []
    ids = [d.id for d in receiver.accepted]
    assert len(ids) == len(set(ids)) == len(logged)
    completed = [d for d in receiver.accepted if d.type == "session.completed"]
    assert len({d.id for d in completed}) == len(rooms)
    assert {d.data["room_id"] for d in completed} == {r.room_id for r in rooms}
    assert all(d.data["payment"]["payment_type"] == "Credit" for d in completed)
    by_room: dict[str, list[str]] = {}
    for d in receiver.accepted:
        if d.type in ROOM_STEPS:
            by_room.setdefault(d.data["room_id"], []).append(d.type)
    assert all(steps == ROOM_STEPS for steps in by_room.values())  # in order per room
    for d in nodes:
        assert await d.backend.outbox.backlog() == (0, None)
        await d.backend.close()
