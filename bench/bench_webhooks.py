"""Webhook delivery from the outbox, next to a plain aiohttp POST loop in the same run.

    python -m bench.bench_webhooks [--events 1000] [--rate 200] [--backends memory,redis]

One receiver on loopback (``testkit.webhook_receiver``: it verifies every signature) takes
both. For each backend (the memory store; a private redis-server):

- *throughput*: ``--events`` events are written (rooms opened for 100 clients, 32 at a time,
  each a ``room.opened``) while no deliverer runs; then one deliverer drains them. The baseline
  POSTs as many signed bodies, 32 at a time, with one aiohttp client.
- *latency*: with the deliverer running, rooms open at ``--rate`` a second; a delivery's latency
  is from the change (the event's timestamp) to its arrival. The baseline POSTs at the same
  rate; its latency is from just before the POST to the arrival.
- *sessions while the receiver is down*: the time of a participant's join (one store
  operation, which also writes its event) with no deliverer, then with the deliverer running
  against a receiver that never answers.

Printed: events/s and latency p50/p99, and ``RATIO`` lines (ours/bare). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from prometheus_client import CollectorRegistry  # noqa: E402

from bench.quantiles import quantile  # noqa: E402
from sessionsvc.rooms.clock import SystemClock  # noqa: E402
from sessionsvc.rooms.model import Role  # noqa: E402
from sessionsvc.rooms.outbox import EventType, OutboxEvent  # noqa: E402
from sessionsvc.rooms.store import Backend  # noqa: E402
from sessionsvc.stores.memory import MemoryStore  # noqa: E402
from sessionsvc.stores.redis import RedisStore  # noqa: E402
from sessionsvc.webhooks.deliverer import Deliverer  # noqa: E402
from sessionsvc.webhooks.metrics import WebhookMetrics  # noqa: E402
from sessionsvc.webhooks.sender import Sender  # noqa: E402
from sessionsvc.webhooks.signing import Signer  # noqa: E402
from testkit.domain import make_domain, make_room  # noqa: E402
from testkit.redis_server import RedisServer  # noqa: E402
from testkit.webhook_receiver import Answer, WebhookReceiver, make_secret  # noqa: E402

SECRET = make_secret()
CLIENTS = 100
AT_ONCE = 32


def say(text: str = "") -> None:
    print(text, flush=True)


def arrival_latencies(receiver: WebhookReceiver) -> list[float]:
    return [
        d.received_at - datetime.fromisoformat(d.timestamp.replace("Z", "+00:00")).timestamp()
        for d in receiver.accepted
    ]


async def bounded(calls: list[Callable[[], Awaitable[object]]], at_once: int) -> None:
    gate = asyncio.Semaphore(at_once)

    async def one(call: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await call()

    await asyncio.gather(*(one(c) for c in calls))


def deliverer(backend: Backend, url: str) -> Deliverer:
    sender = Sender(url, Signer(SECRET), SystemClock())
    metrics = WebhookMetrics(CollectorRegistry())
    return Deliverer(backend.outbox, sender, SystemClock(), metrics, "bench")


def open_room(backend: Backend, n: int) -> Callable[[], Awaitable[object]]:
    room = make_room(booking=f"bk-{uuid.uuid4().hex}", client=f"cl-{n % CLIENTS}")
    return lambda: backend.rooms.create_room(room, room.booking_id, None)


async def bare(receiver: WebhookReceiver, events: int, rate: float) -> tuple[float, list[float]]:
    """The plain POST loop: (events/s, latencies)."""
    signer = Signer(SECRET)

    async with aiohttp.ClientSession() as http:

        async def post(n: int) -> None:
            event = OutboxEvent(
                f"evt_bare{n}", EventType.ROOM_OPENED, time.time(), "s", {"room_id": str(n)}
            )
            body = event.body()
            headers = {**signer.headers(event.id, int(time.time()), body)}
            headers["Content-Type"] = "application/json"
            async with http.post(receiver.url, data=body, headers=headers) as r:
                await r.read()

        receiver.accepted.clear()
        started = time.perf_counter()
        await bounded([lambda n=n: post(n) for n in range(events)], AT_ONCE)
        per_second = events / (time.perf_counter() - started)
        receiver.accepted.clear()
        for n in range(int(rate * 5)):
            await post(n)
            await asyncio.sleep(1 / rate)
        return per_second, arrival_latencies(receiver)


async def ours(
    backend: Backend, receiver: WebhookReceiver, events: int, rate: float
) -> tuple[float, float, list[float]]:
    """(events written/s, events delivered/s, latencies) through the outbox."""
    receiver.accepted.clear()
    started = time.perf_counter()
    await bounded([open_room(backend, n) for n in range(events)], AT_ONCE)
    written = events / (time.perf_counter() - started)
    d = deliverer(backend, receiver.url)
    started = time.perf_counter()
    task = asyncio.create_task(d.run())
    await receiver.wait_until(lambda r: len(r.accepted) >= events, timeout=600)
    delivered = events / (time.perf_counter() - started)
    receiver.accepted.clear()
    for n in range(int(rate * 5)):
        await open_room(backend, n)()
        await asyncio.sleep(1 / rate)
    await receiver.wait_until(lambda r: len(r.accepted) >= int(rate * 5), timeout=600)
    latencies = arrival_latencies(receiver)
    d.stop()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return written, delivered, latencies


async def joins(backend: Backend, count: int) -> list[float]:
    """Seconds per participant join (a store operation that writes its event)."""
    d = make_domain(backend, start=time.time())
    rooms = [make_room(booking=f"bk-{uuid.uuid4().hex}", client=f"cl-j{n}") for n in range(count)]
    for room in rooms:
        await backend.rooms.create_room(room, room.booking_id, None)
    took = []
    for room in rooms:
        started = time.perf_counter()
        await d.services.live.join(room.room_id, Role.CLIENT, room.client.id, "c")
        took.append(time.perf_counter() - started)
    return took


async def while_down(backend: Backend, count: int) -> tuple[list[float], list[float]]:
    """Join times with no deliverer, then with one stuck on a receiver that never answers."""
    quiet = await joins(backend, count)
    hanging = await WebhookReceiver(SECRET, lambda _d: Answer(200, delay=3600)).start()
    d = deliverer(backend, hanging.url)
    task = asyncio.create_task(d.run())
    try:
        down = await joins(backend, count)
    finally:
        d.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await hanging.stop()
    return quiet, down


def ms(samples: list[float], q: float) -> float:
    return quantile(samples, q) * 1000


async def run(args: argparse.Namespace) -> None:
    receiver = await WebhookReceiver(SECRET).start()
    try:
        bare_rate, bare_lat = await bare(receiver, args.events, args.rate)
        say(
            f"bare aiohttp POST loop: {bare_rate:.0f} events/s; latency at {args.rate:.0f}/s "
            f"p50 {ms(bare_lat, 0.5):.1f} ms p99 {ms(bare_lat, 0.99):.1f} ms"
        )
        for name in args.backends.split(","):
            with RedisServer() as server:
                backend: Backend = (
                    MemoryStore()
                    if name == "memory"
                    else RedisStore.from_url(server.url, prefix=f"bench-{uuid.uuid4().hex[:6]}")
                )
                written, delivered, lat = await ours(backend, receiver, args.events, args.rate)
                quiet, down = await while_down(backend, args.joins)
                await backend.close()
            say(
                f"{name}: {args.events} events written at {written:.0f}/s, delivered at "
                f"{delivered:.0f}/s; latency at {args.rate:.0f}/s p50 {ms(lat, 0.5):.1f} ms "
                f"p99 {ms(lat, 0.99):.1f} ms"
            )
            say(
                f"{name}: a join, no deliverer p50 {ms(quiet, 0.5):.2f} ms p99 "
                f"{ms(quiet, 0.99):.2f} ms; receiver hanging p50 {ms(down, 0.5):.2f} ms "
                f"p99 {ms(down, 0.99):.2f} ms"
            )
            ratios = {
                "throughput ours/bare": delivered / bare_rate,
                "p50 ours/bare": quantile(lat, 0.5) / quantile(bare_lat, 0.5),
                "p99 ours/bare": quantile(lat, 0.99) / quantile(bare_lat, 0.99),
                "join_p50 down/quiet": quantile(down, 0.5) / quantile(quiet, 0.5),
                "join_p99 down/quiet": quantile(down, 0.99) / quantile(quiet, 0.99),
            }
            for what, ratio in ratios.items():
                say(f"RATIO webhooks.{name}.{what} = {ratio:.2f}x")
    finally:
        await receiver.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--joins", type=int, default=200)
    parser.add_argument("--backends", default="memory,redis")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
