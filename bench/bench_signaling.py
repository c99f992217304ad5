"""Signaling benchmarks of sessionsvc against a bare python-socketio relay measured in the same run.

    python -m bench.bench_signaling --part relay|scale|redis|all [--quick]

Parts:
  relay  unloaded signal round trip and relay throughput: ``sessionsvc serve`` (memory store)
         versus ``bench/bare_relay_server.py`` (the least a python-socketio relay can do)
  scale  2,000 participants in 1,000 rooms on one node sending ``stats`` every 2 s: ack latency,
         connect time, server memory per participant (versus the bare relay's per connection)
  redis  round trip and throughput with the pair split over two nodes sharing a private
         redis-server, next to one node

Every figure is printed next to a baseline measured in the same run, as a ratio (lines starting
with ``RATIO``). Nothing here asserts a time. All traffic stays on 127.0.0.1; every load is bounded
in count and time and stops by itself. Client load runs in ``--clients`` processes (spawned).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from bench.machine import Sampler, describe_load, quiesce, raise_fd_limit, rss_kb, settle  # noqa: E402
from bench.pairs import Pair, PairSpec, Side, round_trips  # noqa: E402
from bench.quantiles import handler_histogram, histogram_quantile, quantile  # noqa: E402
from bench.targets import start_bare, start_service  # noqa: E402
from bench.workers import Clients  # noqa: E402
from testkit.booking import Booking  # noqa: E402
from testkit.processes import LoopbackServer  # noqa: E402
from testkit.redis_server import RedisServer  # noqa: E402

RELAY_RATE = "100000"  # SESSIONSVC_EVENT_RATE for relay runs: the flood guard is not relay cost


def say(text: str = "") -> None:
    print(text, flush=True)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def ratio(name: str, ours: float, base: float, target: str = "", label: str = "ours/bare") -> None:
    value = ours / base if base else float("nan")
    say(f"RATIO {name} {label} = {value:.2f}x" + (f"  (target {target})" if target else ""))


# -- rooms ---------------------------------------------------------------------------------


async def open_rooms(url: str, count: int, *, hub_share: float = 0.0) -> list[dict[str, Any]]:
    """Open ``count`` rooms over the HTTP API; the first ``hub_share`` are hub rooms with credits,
    the rest self-pay. Every room has its own professional and client."""
    tag = uuid.uuid4().hex[:6]
    hubs = round(count * hub_share)
    sem = asyncio.Semaphore(16)
    async with aiohttp.ClientSession() as http:
        booking = Booking(url, http)

        async def one(i: int) -> dict[str, Any]:
            async with sem:
                kw: dict[str, Any] = {
                    "professional_id": f"pro-{tag}-{i}",
                    "client_id": f"cl-{tag}-{i}",
                    "minutes": 120,
                }
                if i < hubs:
                    return await booking.hub_room(remaining=3, hub_id=f"hub-{i % 10}", **kw)
                return await booking.open_room(**kw)

        return list(await asyncio.gather(*(one(i) for i in range(count))))


def room_pairs(
    rooms: list[dict[str, Any]], pro_url: str, client_url: str | None = None
) -> list[PairSpec]:
    return [
        PairSpec(
            pro=Side(pro_url, {"token": r["join"]["professional"]["token"]}),
            client=Side(client_url or pro_url, {"token": r["join"]["client"]["token"]}),
            client_id=r["client"]["id"],
        )
        for r in rooms
    ]


def bare_pairs(count: int, pro_url: str, client_url: str | None = None) -> list[PairSpec]:
    tag = uuid.uuid4().hex[:6]
    return [
        PairSpec(
            pro=Side(pro_url, {"pair": f"{tag}-{i}", "role": "professional"}),
            client=Side(client_url or pro_url, {"pair": f"{tag}-{i}", "role": "client"}),
        )
        for i in range(count)
    ]


# -- measurements --------------------------------------------------------------------------


async def measure_rtt(specs: dict[str, PairSpec], count: int, rounds: int) -> dict[str, Any]:
    """Unloaded round trips, the targets taking turns in ``rounds`` chunks (noise hits all)."""
    pairs = {name: Pair(spec) for name, spec in specs.items()}
    out: dict[str, Any] = {name: {"samples": [], "errors": {}} for name in specs}
    try:
        for pair in pairs.values():
            await pair.connect()
            await pair.admit()
        for i in range(rounds):
            for name in list(pairs) if i % 2 == 0 else reversed(list(pairs)):
                got = await round_trips(pairs[name], count // rounds)
                out[name]["samples"] += got["samples"]
                for code, n in got["errors"].items():
                    out[name]["errors"][code] = out[name]["errors"].get(code, 0) + n
    finally:
        for pair in pairs.values():
            await pair.close()
    return out


async def measure_relay(
    clients: Clients,
    target: str,
    servers: list[int],
    *,
    window: int,
    warmup: float,
    duration: float,
    quiet: list[int],
) -> dict[str, Any]:
    """Every pair of ``target`` relays both ways; CPU of ``servers`` and clients is sampled."""
    await quiesce(quiet + clients.pids)
    start_at = time.monotonic() + 0.3
    task = asyncio.create_task(
        clients.command(
            "relay",
            target=target,
            window=window,
            start_at=start_at,
            warmup=warmup,
            duration=duration,
        )
    )
    await asyncio.sleep(max(0.0, start_at + warmup - time.monotonic()))
    sampler = Sampler(servers, clients.pids)
    await asyncio.sleep(duration)
    load = sampler.stop()
    results = await task
    latencies = [x for r in results for x in r["latencies"]]
    delivered = sum(r["delivered"] for r in results)
    return {
        "rate": delivered / duration,
        "delivered": delivered,
        "p50": quantile(latencies, 0.5),
        "p95": quantile(latencies, 0.95),
        "p99": quantile(latencies, 0.99),
        "lost": sum(r["lost"] for r in results),
        "acks": add_counts(r["acks"] for r in results),
        "load": load,
        "cpu_per_msg": load["server_cpu_seconds"] / delivered if delivered else float("nan"),
    }


def add_counts(counts: Any) -> dict[str, int]:
    total: dict[str, int] = {}
    for c in counts:
        for k, n in c.items():
            total[k] = total.get(k, 0) + n
    return total


def merge_relay(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one target: the median round by throughput, with every round listed."""
    ordered = sorted(runs, key=lambda r: r["rate"])
    mid = dict(ordered[len(ordered) // 2])
    mid["rounds"] = [r["rate"] for r in runs]
    mid["runs"] = runs
    return mid


def median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def round_ratio(
    name: str, got: dict[str, dict[str, Any]], ours: str, base: str, key: str, **kw: str
) -> None:
    """The median over rounds of ours/base, each round's two runs being next to each other in
    time (a neighbour's burst of load hits both), with the spread."""
    per = [o[key] / b[key] for o, b in zip(got[ours]["runs"], got[base]["runs"], strict=True)]
    spread = f"  rounds {min(per):.2f}..{max(per):.2f}x" if len(per) > 1 else ""
    ratio(name, median(per), 1.0, **kw)
    if spread:
        say(f"      (median of {len(per)} rounds;{spread})")


def show_rtt(name: str, got: dict[str, Any]) -> None:
    s = got["samples"]
    errors = f"  ack errors {got['errors']}" if got["errors"] else ""
    say(
        f"  {name:<32} n={len(s):<4} p50 {ms(quantile(s, 0.5))}  p95 {ms(quantile(s, 0.95))}  "
        f"p99 {ms(quantile(s, 0.99))}{errors}"
    )


def show_relay(name: str, r: dict[str, Any]) -> None:
    bad = {k: v for k, v in r["acks"].items() if k != "ok"}
    rounds = " / ".join(f"{x:.0f}" for x in r.get("rounds", []))
    say(
        f"  {name:<32} {r['rate']:6.0f} msg/s  p50 {ms(r['p50'])}  p95 {ms(r['p95'])}  "
        f"p99 {ms(r['p99'])}  server {r['cpu_per_msg'] * 1e6:.0f} us CPU/msg"
        + (f"  rounds {rounds} msg/s" if len(r.get("rounds", [])) > 1 else "")
        + (f"  LOST {r['lost']}" if r["lost"] else "")
        + (f"  ACK ERRORS {bad}" if bad else "")
    )
    say(f"  {'':<32} {describe_load(r['load'])}")


async def relay_rounds(
    clients: Clients,
    targets: dict[str, list[int]],
    *,
    rounds: int,
    window: int,
    warmup: float,
    duration: float,
) -> dict[str, dict[str, Any]]:
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
    order = list(targets)
    everyone = sorted({pid for pids in targets.values() for pid in pids})
    for i in range(rounds):
        for name in order if i % 2 == 0 else reversed(order):
            servers = targets[name]
            runs[name].append(
                await measure_relay(
                    clients,
                    name,
                    servers,
                    window=window,
                    warmup=warmup,
                    duration=duration,
                    quiet=everyone,
                )
            )
    return {name: merge_relay(r) for name, r in runs.items()}


# -- parts ---------------------------------------------------------------------------------


async def part_relay(a: argparse.Namespace) -> None:
    say("== relay: sessionsvc serve (memory store) vs bare python-socketio ==")
    say(
        f"   SESSIONSVC_EVENT_RATE={RELAY_RATE} for these runs: the per-connection flood guard "
        "(default 20/s, burst 40) would otherwise refuse the load; it is not relay cost"
    )
    bare = await start_bare()
    ours = await start_service(SESSIONSVC_EVENT_RATE=RELAY_RATE)
    clients: Clients | None = None
    try:
        rooms = await open_rooms(ours.url, a.pairs + 1, hub_share=0.5)
        await say_settled(a)
        rtt = await measure_rtt(
            {
                "bare": bare_pairs(1, bare.url)[0],
                "ours": room_pairs(rooms[:1], ours.url)[0],
            },
            a.round_trips,
            a.rtt_chunks,
        )
        say(
            f"-- unloaded round trip: A signals B, B signals back on receipt; sequential, "
            f"{a.round_trips} round trips in {a.rtt_chunks} alternating chunks, 1 pair"
        )
        show_rtt("bare python-socketio", rtt["bare"])
        show_rtt("sessionsvc", rtt["ours"])
        for q in ("p50", "p95", "p99"):
            f = {"p50": 0.5, "p95": 0.95, "p99": 0.99}[q]
            ratio(
                f"relay.round_trip_{q}",
                quantile(rtt["ours"]["samples"], f),
                quantile(rtt["bare"]["samples"], f),
                "<= 1.3x" if q == "p50" else "",
            )

        clients = Clients(
            {"bare": bare_pairs(a.pairs, bare.url), "ours": room_pairs(rooms[1:], ours.url)},
            a.clients,
        )
        for target in ("bare", "ours"):
            await clients.command("connect", target=target)
        await clients.command("admit", target="ours")
        say(
            f"-- throughput: {a.pairs} pairs relaying candidates both ways, window {a.window} "
            f"in flight per direction, {a.duration:g} s measured after {a.warmup:g} s warm-up, "
            f"{a.rounds} alternating rounds (the median round shown), clients in {a.clients} "
            "processes"
        )
        got = await relay_rounds(
            clients,
            {"bare": [bare.pid], "ours": [ours.pid]},
            rounds=a.rounds,
            window=a.window,
            warmup=a.warmup,
            duration=a.duration,
        )
        show_relay("bare python-socketio", got["bare"])
        show_relay("sessionsvc", got["ours"])
        round_ratio("relay.throughput", got, "ours", "bare", "rate", target=">= 0.8x")
        round_ratio("relay.loaded_p99", got, "ours", "bare", "p99")
        round_ratio("relay.server_cpu_per_msg", got, "ours", "bare", "cpu_per_msg")
        say(
            "   (server CPU per message is the steadiest figure on a shared machine: at saturation "
            "throughput goes as its inverse)"
        )
    finally:
        if clients:
            clients.close()
        ours.stop()
        bare.stop()


async def stats_run(
    clients: Clients,
    target: str,
    server: LoopbackServer,
    a: argparse.Namespace,
    *,
    ours: bool = False,
) -> dict[str, Any]:
    """Everyone of ``target`` sends ``stats`` every interval; ack latency and server load."""
    hist0 = await handler_histogram(server.url, "stats") if ours else {}
    start_at = time.monotonic() + 0.5
    sampler = Sampler([server.pid], clients.pids)
    results = await clients.command(
        "stats",
        target=target,
        start_at=start_at,
        duration=a.stats_duration,
        interval=a.stats_interval,
    )
    load = sampler.stop()
    hist1 = await handler_histogram(server.url, "stats") if ours else {}
    latencies = [x for r in results for x in r["latencies"]]
    return {
        "handler_p99": histogram_quantile(hist0, hist1, 0.99) if ours else None,
        "latencies": latencies,
        "acks": add_counts(r["acks"] for r in results),
        "unanswered": sum(r["unanswered"] for r in results),
        "load": load,
        "cpu_per_event": load["server_cpu_seconds"] / max(1, len(latencies)),
    }


def show_stats(name: str, r: dict[str, Any]) -> None:
    lat = r["latencies"]
    bad = {k: v for k, v in r["acks"].items() if k != "ok"}
    say(
        f"  {name:<32} n={len(lat)}  p50 {ms(quantile(lat, 0.5))}  p95 {ms(quantile(lat, 0.95))}  "
        f"p99 {ms(quantile(lat, 0.99))}  server {r['cpu_per_event'] * 1e6:.0f} us CPU/event"
        + (f"  UNANSWERED {r['unanswered']}" if r["unanswered"] else "")
        + (f"  ACK ERRORS {bad}" if bad else "")
    )
    say(f"  {'':<32} {describe_load(r['load'])}")


async def part_scale(a: argparse.Namespace) -> None:
    rooms_n = a.rooms
    people = rooms_n * 2
    say(
        f"== scale: {people} participants in {rooms_n} rooms on one node, stats every "
        f"{a.stats_interval:g} s =="
    )
    say(
        f"   client file descriptor limit {raise_fd_limit()}; clients in {a.clients} processes; "
        "SESSIONSVC_EVENT_RATE at its default"
    )
    bare = await start_bare()
    ours = await start_service()
    clients: Clients | None = None
    try:
        t = time.perf_counter()
        rooms = await open_rooms(ours.url, rooms_n, hub_share=0.5)
        say(
            f"-- {rooms_n} rooms opened over the HTTP API in {time.perf_counter() - t:.1f} s "
            f"({round(rooms_n * 0.5)} hub rooms with credits, the rest self-pay)"
        )
        warm = await start_bare()
        clients = Clients(
            {
                "warm": bare_pairs(20 * a.clients, warm.url),
                "bare": bare_pairs(rooms_n, bare.url),
                "ours": room_pairs(rooms, ours.url),
            },
            a.clients,
        )
        # the client processes' first connections pay one-time costs: not on the clock
        await clients.command("connect", target="warm")
        await clients.command("close", target="warm")
        warm.stop()
        await say_settled(a)

        # the bare relay: connect, memory, stats acks
        await asyncio.sleep(1.0)
        bare0 = rss_kb(bare.pid)
        sampler = Sampler([bare.pid], clients.pids)
        await clients.command("connect", target="bare")
        bare_conn = sampler.stop()
        await asyncio.sleep(2.0)
        bare1 = rss_kb(bare.pid)
        bare_stats = await stats_run(clients, "bare", bare, a)
        await clients.command("close", target="bare")
        bare.stop()

        # sessionsvc
        await asyncio.sleep(1.0)
        ours0 = rss_kb(ours.pid)
        sampler = Sampler([ours.pid], clients.pids)
        await clients.command("connect", target="ours")
        ours_conn = sampler.stop()
        sampler = Sampler([ours.pid], clients.pids)
        await clients.command("admit", target="ours")
        ours_admit = sampler.stop()
        await asyncio.sleep(2.0)
        ours1 = rss_kb(ours.pid)
        ours_stats = await stats_run(clients, "ours", ours, a, ours=True)
        ours2 = rss_kb(ours.pid)

        say(
            f"-- connect all {people} (each pair: client, then professional; 50 pairs at a time "
            "per client process); sessionsvc then admits every client"
        )
        for name, c in (("bare python-socketio", bare_conn), ("sessionsvc", ours_conn)):
            say(
                f"  {name:<32} {c['elapsed']:.2f} s  server "
                f"{c['server_cpu_seconds'] / people * 1000:.2f} ms CPU per connection"
            )
            say(f"  {'':<32} {describe_load(c)}")
        say(
            f"  {'sessionsvc admit':<32} {ours_admit['elapsed']:.2f} s for {rooms_n} admissions  "
            f"server {ours_admit['server_cpu_seconds'] / rooms_n * 1000:.2f} ms CPU per admit"
        )
        ratio("scale.connect_time", ours_conn["elapsed"], bare_conn["elapsed"])
        ratio(
            "scale.connect_server_cpu",
            ours_conn["server_cpu_seconds"],
            bare_conn["server_cpu_seconds"],
        )

        per_bare = (bare1 - bare0) / people
        per_ours = (ours1 - ours0) / people
        say(
            "-- server memory per participant = (VmRSS after all connected [and admitted] - "
            f"VmRSS before any connection) / {people}"
        )
        say(
            f"  {'bare python-socketio':<32} {per_bare:.1f} KB  "
            f"({bare0 / 1024:.0f} -> {bare1 / 1024:.0f} MB)"
        )
        say(
            f"  {'sessionsvc':<32} {per_ours:.1f} KB  ({ours0 / 1024:.0f} -> {ours1 / 1024:.0f} MB)"
            "  (target < 60 KB)"
        )
        ratio("scale.memory_per_participant", per_ours, per_bare)
        say(f"RATIO scale.memory_per_participant ours/target = {per_ours / 60:.2f}x  (target < 1x)")

        samples = int(a.stats_duration / a.stats_interval)
        say(
            f"-- stats every {a.stats_interval:g} s from all {people} for {a.stats_duration:g} s "
            f"({people / a.stats_interval:.0f} events/s): ack latency (bare: acks only)"
        )
        show_stats("bare python-socketio", bare_stats)
        show_stats("sessionsvc", ours_stats)
        p99 = quantile(ours_stats["latencies"], 0.99)
        ratio("scale.stats_ack_p99", p99, quantile(bare_stats["latencies"], 0.99))
        say(f"RATIO scale.stats_ack_p99 ours/target = {p99 / 0.1:.2f}x  (target p99 < 100 ms)")
        ratio("scale.stats_server_cpu", ours_stats["cpu_per_event"], bare_stats["cpu_per_event"])
        say(
            f"  sessionsvc's own handler histogram: 99% of stats events handled in <= "
            f"{ours_stats['handler_p99'] * 1000:g} ms; the rest of the ack time is waiting for the "
            "event loop (garbage collection pauses, other connections' work, CPU contention)"
        )
        grown = (ours2 - ours1) * 1024 / (people * samples)
        if people * samples >= 10_000:
            say(
                f"  sessionsvc VmRSS {ours1 / 1024:.0f} -> {ours2 / 1024:.0f} MB over the stats "
                f"run: about {grown:.0f} bytes per stored sample ({samples} per participant; the "
                f"memory store keeps SESSIONSVC_STATS_KEEP=900 per participant, about "
                f"{grown * 900 / 1024:.0f} KB each when full)"
            )
    finally:
        if clients:
            clients.close()
        ours.stop()
        bare.stop()


async def say_settled(a: argparse.Namespace) -> None:
    busy = await settle(a.settle)
    say(
        f"   machine busy {busy * 100:.0f}% of {(os.cpu_count() or 1) * 100}% before measuring "
        f"(waited up to {a.settle:g} s for < 60%)"
    )


async def part_redis(a: argparse.Namespace) -> None:
    say("== redis: the pair split over two nodes sharing one private redis-server, vs one node ==")
    say(
        f"   SESSIONSVC_EVENT_RATE={RELAY_RATE}; each configuration has its own redis-server "
        "(Socket.IO pub/sub channels are server-wide)"
    )
    procs: list[LoopbackServer] = []
    redises: list[RedisServer] = []
    clients: Clients | None = None

    async def service(**env: str) -> LoopbackServer:
        p = await start_service(SESSIONSVC_EVENT_RATE=RELAY_RATE, **env)
        procs.append(p)
        return p

    def redis() -> RedisServer:
        r = RedisServer().start()
        redises.append(r)
        return r

    try:
        broadcast = {"SESSIONSVC_SIGNALING": "broadcast"}
        mem = await service()
        r_one = redis()
        one = await service(SESSIONSVC_REDIS_URL=r_one.url, **broadcast)
        r_two = redis()
        n1 = await service(SESSIONSVC_REDIS_URL=r_two.url, **broadcast)
        n2 = await service(SESSIONSVC_REDIS_URL=r_two.url, **broadcast)
        r_one_s = redis()
        one_s = await service(SESSIONSVC_REDIS_URL=r_one_s.url)
        r_two_s = redis()
        s1 = await service(SESSIONSVC_REDIS_URL=r_two_s.url)
        s2 = await service(SESSIONSVC_REDIS_URL=r_two_s.url)
        r_bare = redis()
        b1 = await start_bare(r_bare.url)
        procs.append(b1)
        b2 = await start_bare(r_bare.url)
        procs.append(b2)

        names = {
            "mem": "one node, memory store",
            "one": "one node, redis, broadcast",
            "one_s": "one node, redis, sharded",
            "two": "two nodes, redis, broadcast",
            "two_s": "two nodes, redis, sharded",
            "bare2": "bare, two nodes, redis",
        }
        servers = {
            "mem": [mem.pid],
            "one": [one.pid, r_one.pid],
            "one_s": [one_s.pid, r_one_s.pid],
            "two": [n1.pid, n2.pid, r_two.pid],
            "two_s": [s1.pid, s2.pid, r_two_s.pid],
            "bare2": [b1.pid, b2.pid, r_bare.pid],
        }
        room_sets = {
            "mem": room_pairs(await open_rooms(mem.url, a.pairs + 1), mem.url),
            "one": room_pairs(await open_rooms(one.url, a.pairs + 1), one.url),
            "one_s": room_pairs(await open_rooms(one_s.url, a.pairs + 1), one_s.url),
            "two": room_pairs(await open_rooms(n1.url, a.pairs + 1), n1.url, n2.url),
            "two_s": room_pairs(await open_rooms(s1.url, a.pairs + 1), s1.url, s2.url),
            "bare2": bare_pairs(a.pairs + 1, b1.url, b2.url),
        }
        await say_settled(a)
        rtt = await measure_rtt(
            {k: v[0] for k, v in room_sets.items()}, a.round_trips, a.rtt_chunks
        )
        say(
            f"-- unloaded round trip ({a.round_trips} sequential, 1 pair; with two nodes the "
            "professional is on the first, the client on the second)"
        )
        for k, name in names.items():
            show_rtt(name, rtt[k])
        p50 = {k: quantile(v["samples"], 0.5) for k, v in rtt.items()}
        ratio("redis.round_trip_p50", p50["two"], p50["mem"], label="two-nodes/one-node(memory)")
        ratio("redis.round_trip_p50", p50["two"], p50["one"], label="two-nodes/one-node(redis)")
        ratio("redis.round_trip_p50", p50["two"], p50["bare2"], label="ours/bare (two nodes)")
        ratio("redis.round_trip_p50", p50["one_s"], p50["mem"], label="sharded one-node/memory")
        ratio("redis.round_trip_p50", p50["two_s"], p50["two"], label="sharded/broadcast (two)")

        clients = Clients({k: v[1:] for k, v in room_sets.items()}, a.clients)
        for k in names:
            await clients.command("connect", target=k)
            if k != "bare2":
                await clients.command("admit", target=k)
        say(
            f"-- throughput: {a.pairs} pairs both ways, window {a.window} per direction, "
            f"{a.duration:g} s after {a.warmup:g} s warm-up, {a.rounds} alternating round(s); "
            "server CPU includes redis-server"
        )
        got = await relay_rounds(
            clients,
            servers,
            rounds=a.rounds,
            window=a.window,
            warmup=a.warmup,
            duration=a.duration,
        )
        for k, name in names.items():
            show_relay(name, got[k])
        for base, label in (
            ("mem", "two-nodes/one-node(memory)"),
            ("one", "two-nodes/one-node(redis)"),
            ("bare2", "ours/bare (two nodes)"),
        ):
            round_ratio("redis.throughput", got, "two", base, "rate", label=label)
        round_ratio(
            "redis.server_cpu_per_msg",
            got,
            "two",
            "mem",
            "cpu_per_msg",
            label="two-nodes/one-node(memory)",
        )
        say("-- the sharded client manager (SESSIONSVC_SIGNALING=sharded, the default)")
        for ours, base, label, target in (
            ("one_s", "mem", "sharded one-node(redis)/one-node(memory)", "<= 1.2x"),
            ("two_s", "one_s", "sharded two-nodes/one-node", "<= 2x"),
            ("two_s", "mem", "sharded two-nodes/one-node(memory)", ""),
            ("two_s", "two", "sharded/broadcast (two nodes)", ""),
            ("one_s", "one", "sharded/broadcast (one node)", ""),
        ):
            round_ratio(
                "redis.server_cpu_per_msg",
                got,
                ours,
                base,
                "cpu_per_msg",
                label=label,
                target=target,
            )
        round_ratio(
            "redis.throughput", got, "two_s", "two", "rate", label="sharded/broadcast (two)"
        )
    finally:
        if clients:
            clients.close()
        for p in procs:
            p.stop()
        for r in redises:
            r.stop()


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--part", choices=["relay", "scale", "redis", "all"], default="all")
    p.add_argument("--quick", action="store_true", help="a short smoke run (under ~30 s a part)")
    p.add_argument("--clients", type=int, default=2, help="client processes (default 2)")
    p.add_argument("--pairs", type=int, help="relaying pairs (default 50)")
    p.add_argument("--window", type=int, default=1, help="in flight per direction (default 1)")
    p.add_argument("--duration", type=float, help="measured seconds per throughput run")
    p.add_argument("--rounds", type=int, help="alternating rounds per measurement")
    p.add_argument("--rooms", type=int, help="rooms in the scale part (default 1000)")
    p.add_argument(
        "--settle",
        type=float,
        help="seconds to wait at most for a quiet machine before each part (default 60, quick 0)",
    )
    a = p.parse_args(argv)
    quick = a.quick
    a.pairs = a.pairs or 50
    a.duration = a.duration or (1.5 if quick else 5.0)
    a.warmup = 0.5 if quick else 1.0
    a.rounds = a.rounds or (2 if quick else 6)
    a.rtt_chunks = 4 if quick else 10
    a.round_trips = 100 if quick else 500
    a.rooms = a.rooms or (100 if quick else 1000)
    a.stats_interval = 2.0
    a.stats_duration = 6.0 if quick else 20.0
    a.settle = a.settle if a.settle is not None else (0.0 if quick else 60.0)
    return a


async def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    say(f"bench_signaling: {' '.join(sys.argv)}")
    say(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, loopback only")
    started = time.perf_counter()
    parts = ["relay", "scale", "redis"] if a.part == "all" else [a.part]
    for part in parts:
        await {"relay": part_relay, "scale": part_scale, "redis": part_redis}[part](a)
    say(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
