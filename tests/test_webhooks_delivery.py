"""Delivery to a real receiver on loopback that verifies every request with the
``standardwebhooks`` package: a receiver down for a while gets everything afterwards, in order
per room and none twice; each kind of failure is handled as the contract says. Time is a
``ManualClock`` the test moves, so the retry schedule runs without sleeping."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

import pytest
from prometheus_client import CollectorRegistry

from sessionsvc.rooms.clock import ManualClock, SystemClock
from sessionsvc.rooms.credits import Grant
from sessionsvc.rooms.ids import client_tag
from sessionsvc.rooms.model import InvoiceTo, Role
from sessionsvc.rooms.store import Backend
from sessionsvc.stores.memory import MemoryStore
from sessionsvc.webhooks.deliverer import Deliverer
from sessionsvc.webhooks.metrics import WebhookMetrics
from sessionsvc.webhooks.schedule import DELAYS
from sessionsvc.webhooks.sender import Sender
from sessionsvc.webhooks.signing import Signer
from testkit.webhook_receiver import Answer, Delivery, WebhookReceiver, make_secret
from tests.support.backends import HUB, Domain, make_domain, make_room

SECRET = make_secret()


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    r = await WebhookReceiver(SECRET).start()
    yield r
    await r.stop()


def deliverer_for(
    backend: Backend, receiver: WebhookReceiver, clock: ManualClock, timeout: float = 2.0
) -> tuple[Deliverer, CollectorRegistry]:
    """A deliverer on the test's clock; its requests are stamped with the real time, which is
    what the receiver checks signatures against."""
    registry = CollectorRegistry()
    sender = Sender(receiver.url, Signer(SECRET), SystemClock(), timeout=timeout)
    metrics = WebhookMetrics(registry)
    return Deliverer(backend.outbox, sender, clock, metrics, "node-a", jitter=lambda: 0.0), registry


async def deliver_until(
    deliverer: Deliverer,
    clock: ManualClock,
    done: Callable[[], bool],
    *,
    advance: float,
    rounds: int = 50,
) -> None:
    """Run delivery rounds, moving time on by ``advance`` between them, until ``done()``."""
    for _ in range(rounds):
        await deliverer.step()
        await deliverer.idle()
        if done():
            return
        clock.advance(advance)
    raise AssertionError("delivery did not finish")


async def busy_rooms(d: Domain, clients: int, rooms_each: int) -> list[str]:
    """Rooms that each see a few changes: opened, both arrive, admitted, cancelled."""
    ids = []
    for c in range(clients):
        client = f"cl-{c}"
        await d.services.credits.put_ledger(HUB.id, client, Grant(5, 3, False, InvoiceTo.PLATFORM))
        for n in range(rooms_each):
            room = make_room(booking=f"bk-{c}-{n}", client=client)
            await d.backend.rooms.create_room(room, "fp", None)
            ids.append(room.room_id)
            await d.services.live.join(room.room_id, Role.CLIENT, client, f"c{n}")
            await d.services.live.join(room.room_id, Role.PROFESSIONAL, "pro-1", f"p{n}")
            await d.services.live.admit(room.room_id, Role.PROFESSIONAL, client, False)
            await d.services.bookings.cancel_room(room.room_id)
    return ids


async def test_a_receiver_down_for_a_while_gets_everything_in_order_once(
    backend: Backend, receiver: WebhookReceiver
) -> None:
    d = make_domain(backend, start=time.time())
    rooms = await busy_rooms(d, clients=3, rooms_each=2)
    logged = await backend.outbox.log_after(None, 1000)
    assert len(logged) == 6 * 5  # five events a room
    down = 12
    receiver.answer = lambda _d: Answer(503) if len(receiver.requests) <= down else Answer(200)
    deliverer, registry = deliverer_for(backend, receiver, d.clock)
    await deliver_until(
        deliverer, d.clock, lambda: len(receiver.accepted) >= len(logged), advance=DELAYS[4] + 1
    )
    assert receiver.invalid == []
    assert len(receiver.requests) == len(logged) + down
    ids = [a.id for a in receiver.accepted]
    assert len(ids) == len(set(ids)) == len(logged)  # none twice
    assert set(ids) == {e.id for e in logged}
    for room_id in rooms:  # in order per room, as written
        written = [e.id for e in logged if e.data.get("room_id") == room_id]
        got = [a.id for a in receiver.accepted if a.data.get("room_id") == room_id]
        assert got == written
        assert [a.type for a in receiver.accepted if a.data.get("room_id") == room_id] == [
            "room.opened",
            "participant.waiting",
            "participant.waiting",
            "participant.admitted",
            "room.cancelled",
        ]
    assert registry.get_sample_value("sessionsvc_webhook_failures_total", {"status": "503"}) == down
    await deliverer.measure()
    assert registry.get_sample_value("sessionsvc_webhook_backlog") == 0
    assert "Sam" not in str([a.data for a in receiver.accepted])
    await deliverer.close()


@pytest.mark.parametrize(
    ("answer", "label", "wait"),
    [
        (Answer(302, {"Location": "http://127.0.0.1:9/elsewhere"}), "302", DELAYS[1]),
        (Answer(400), "400", DELAYS[1]),
        (Answer(500), "500", DELAYS[1]),
        (Answer(429, {"Retry-After": "120"}), "429", 120.0),
        (Answer(503, {"Retry-After": "40"}), "503", 40.0),
        (Answer(200, delay=1.5), "timeout", DELAYS[1]),
    ],
)
async def test_each_failure_is_retried_on_schedule(
    receiver: WebhookReceiver, answer: Answer, label: str, wait: float
) -> None:
    clock = ManualClock(time.time())
    backend = MemoryStore(clock)
    await backend.rooms.create_room(make_room(), "fp", None)
    receiver.answer = lambda _d: answer
    deliverer, registry = deliverer_for(backend, receiver, clock, timeout=0.5)
    await deliverer.step()
    await deliverer.idle()
    assert len(receiver.requests) == 1
    assert (await backend.outbox.backlog())[0] == 1  # still undelivered
    assert registry.get_sample_value("sessionsvc_webhook_failures_total", {"status": label}) == 1
    now = clock.now()
    stream = client_tag("cl-1")
    assert await backend.outbox.due_streams(now + wait - 0.5, 10) == []
    assert await backend.outbox.due_streams(now + wait + 0.5, 10) == [stream]
    receiver.answer = lambda _d: Answer(204)
    clock.advance(wait + 0.5)
    await deliver_until(deliverer, clock, lambda: bool(receiver.accepted), advance=1)
    assert await backend.outbox.backlog() == (0, None)
    await deliverer.close()


async def test_410_stops_delivery_on_every_node_until_resumed(receiver: WebhookReceiver) -> None:
    clock = ManualClock(time.time())
    backend = MemoryStore(clock)
    receiver.answer = lambda _d: Answer(410)
    await backend.rooms.create_room(make_room(), "fp", None)
    await backend.rooms.create_room(make_room(booking="bk-2", client="cl-2"), "fp", None)
    deliverer, _ = deliverer_for(backend, receiver, clock)
    await deliverer.step()
    await deliverer.idle()
    assert 1 <= len(receiver.requests) <= 2  # both streams may have been tried at once
    assert "410" in (await deliverer.stopped() or "")
    tried = len(receiver.requests)
    clock.advance(24 * 3600)
    assert await deliverer.step() == 0
    await deliverer.idle()
    assert len(receiver.requests) == tried  # nothing is sent any more
    assert (await backend.outbox.backlog())[0] == 2  # and nothing is lost
    receiver.answer = lambda _d: Answer(200)
    await deliverer.resume()
    await deliver_until(deliverer, clock, lambda: len(receiver.accepted) == 2, advance=1)
    await deliverer.close()


async def test_an_event_is_given_up_after_a_day_and_the_next_goes_on(
    receiver: WebhookReceiver,
) -> None:
    clock = ManualClock(time.time())
    backend = MemoryStore(clock)
    first, _ = await backend.rooms.create_room(make_room(), "fp", None)
    await backend.rooms.create_room(make_room(booking="bk-2"), "fp", None)

    def answer(delivery: Delivery) -> Answer:
        return Answer(500) if delivery.data["room_id"] == first.room_id else Answer(200)

    receiver.answer = answer
    deliverer, registry = deliverer_for(backend, receiver, clock)
    await deliver_until(deliverer, clock, lambda: bool(receiver.accepted), advance=3600)
    attempts = [r for r in receiver.requests if r.data["room_id"] == first.room_id]
    assert len(attempts) >= len(DELAYS)
    assert attempts[-1].id == attempts[0].id  # the same event each time
    assert registry.get_sample_value("sessionsvc_webhook_given_up_total") == 1
    assert receiver.accepted[0].data["room_id"] != first.room_id
    # it stays in the catch-up log, and can be sent again on request
    assert await backend.outbox.logged(attempts[0].id) is not None
    receiver.answer = lambda _d: Answer(200)
    redone = await deliverer.redeliver(attempts[0].id)
    assert redone is not None and redone.ok
    assert receiver.accepted[-1].id == attempts[0].id
    await deliverer.close()


async def test_a_deliverer_stops_while_changes_keep_coming(backend: Backend) -> None:
    hanging = await WebhookReceiver(SECRET, lambda _d: Answer(200, delay=3600)).start()
    d = make_domain(backend, start=time.time())
    deliverer, _ = deliverer_for(backend, hanging, d.clock)
    task = asyncio.create_task(deliverer.run())
    try:
        for n in range(60):  # each change wakes the deliverer
            room = make_room(booking=f"bk-{n}", client=f"cl-{n}")
            await backend.rooms.create_room(room, "fp", None)
            await d.services.live.join(room.room_id, Role.CLIENT, room.client.id, "c")
        await hanging.wait_until(lambda r: len(r.requests) >= 1)
        deliverer.stop()
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=30)
        assert task in done
    finally:
        task.cancel()
        await hanging.stop()
