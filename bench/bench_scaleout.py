"""Scale-out benchmarks: per-node signaling work as the cluster grows, and participants per machine
with one and two worker processes.

    python -m bench.bench_scaleout --part nodes|workers|all [--quick]

Parts:
  nodes    2, 4 and 8 ``sessionsvc serve`` nodes on one private redis-server, every pair split
           over two neighbouring nodes, relaying both ways; the same run for the sharded client
           manager and for python-socketio's ``AsyncRedisManager`` (``SESSIONSVC_SIGNALING=
           broadcast``). Reported: node CPU per relayed message (all nodes' CPU over all messages
           delivered: the work each node does for each message of its own participants), the
           bytes Redis sent the nodes per message delivered (with broadcast every node is sent
           every message), and their ratios to the 2-node figures.
  workers  ``sessionsvc serve --workers 1`` and ``--workers 2`` on Redis: participants in rooms
           send ``stats`` every 2 s, in growing steps; reported is the largest step whose p99 ack
           stays under 100 ms (clients run on the same 2-core machine, so this is a lower bound).

Nothing here asserts a time; every load is bounded and stops by itself; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from bench.bench_signaling import (  # noqa: E402
    RELAY_RATE,
    open_rooms,
    ratio,
    relay_rounds,
    room_pairs,
    say,
    show_relay,
)
from bench.machine import Sampler, raise_fd_limit, settle  # noqa: E402
from bench.quantiles import quantile  # noqa: E402
from bench.targets import BENCH_ENV, start_service  # noqa: E402
from bench.workers import Clients  # noqa: E402
from testkit.redis_server import RedisServer  # noqa: E402
from testkit.service import SERVE, ServiceProcess  # noqa: E402

MODES = {"sharded": {}, "broadcast": {"SESSIONSVC_SIGNALING": "broadcast"}}


async def part_nodes(a: argparse.Namespace) -> None:
    say(
        f"== nodes: {a.pairs_per_node} pairs per node, each split over two neighbouring nodes, "
        f"relaying both ways (window 1), {a.duration:g} s after {a.warmup:g} s warm-up, "
        f"{a.rounds} alternating rounds =="
    )
    per_msg: dict[str, dict[int, float]] = {m: {} for m in MODES}
    read_per_msg: dict[str, dict[int, float]] = {m: {} for m in MODES}
    for count in a.node_counts:
        procs: list[ServiceProcess] = []
        redises: list[RedisServer] = []
        clients: Clients | None = None
        try:
            targets: dict[str, Any] = {}
            servers: dict[str, list[int]] = {}
            redis_of: dict[str, RedisServer] = {}
            for mode, env in MODES.items():
                r = RedisServer().start()
                redises.append(r)
                redis_of[mode] = r
                nodes = [
                    await start_service(
                        SESSIONSVC_REDIS_URL=r.url, SESSIONSVC_EVENT_RATE=RELAY_RATE, **env
                    )
                    for _ in range(count)
                ]
                procs.extend(nodes)
                specs = []
                for i, node in enumerate(nodes):
                    neighbour = nodes[(i + 1) % count]
                    rooms = await open_rooms(node.url, a.pairs_per_node)
                    specs += room_pairs(rooms, node.url, neighbour.url)
                targets[mode] = specs
                servers[mode] = [n.pid for n in nodes]
            await settle(a.settle)
            clients = Clients(targets, a.clients)
            for mode in MODES:
                await clients.command("connect", target=mode)
                await clients.command("admit", target=mode)
            # what Redis sends the nodes when they are idle (sweepers, heartbeats), taken off below
            idle0 = {m: sent_bytes(r) for m, r in redis_of.items()}
            await asyncio.sleep(a.duration)
            idle = {m: (sent_bytes(r) - idle0[m]) / a.duration for m, r in redis_of.items()}
            read0 = {m: sent_bytes(r) for m, r in redis_of.items()}
            started = time.monotonic()
            got = await relay_rounds(
                clients,
                servers,
                rounds=a.rounds,
                window=1,
                warmup=a.warmup,
                duration=a.duration,
            )
            read1 = {m: sent_bytes(r) for m, r in redis_of.items()}
            elapsed = time.monotonic() - started
            say(f"-- {count} nodes, {count * a.pairs_per_node} pairs (CPU: the nodes, not Redis)")
            for mode in MODES:
                show_relay(f"{mode}, {count} nodes", got[mode])
                per_msg[mode][count] = got[mode]["cpu_per_msg"]
                # what Redis sent the nodes over every round, less its idle traffic, per message
                # delivered (each message is delivered by one node, to its own participant): a
                # message a node need not see still costs that node a read and a parse
                delivered = sum(r["delivered"] for r in got[mode]["runs"])
                read = read1[mode] - read0[mode] - idle[mode] * elapsed
                read_per_msg[mode][count] = read / max(1, delivered)
                say(
                    f"  {'':<32} Redis sent the nodes {read_per_msg[mode][count]:.0f} bytes per "
                    "message delivered"
                )
        finally:
            if clients:
                clients.close()
            for p in procs:
                p.stop()
            for r in redises:
                r.stop()
    first = a.node_counts[0]
    for mode in MODES:
        for count in a.node_counts[1:]:
            ratio(
                f"nodes.node_cpu_per_msg.{mode}",
                per_msg[mode][count],
                per_msg[mode][first],
                "flat (1x)" if mode == "sharded" else "",
                label=f"{count}-nodes/{first}-nodes",
            )
            ratio(
                f"nodes.redis_bytes_per_msg.{mode}",
                read_per_msg[mode][count],
                read_per_msg[mode][first],
                "flat (1x)" if mode == "sharded" else "",
                label=f"{count}-nodes/{first}-nodes",
            )


async def stats_step(url: str, pids: list[int], rooms_n: int, a: argparse.Namespace) -> Any:
    rooms = await open_rooms(url, rooms_n, hub_share=0.5)
    clients = Clients({"w": room_pairs(rooms, url)}, a.clients)
    try:
        await clients.command("connect", target="w")
        await clients.command("admit", target="w")
        await asyncio.sleep(1.0)
        sampler = Sampler(pids, clients.pids)
        results = await clients.command(
            "stats",
            target="w",
            start_at=time.monotonic() + 0.5,
            duration=a.stats_duration,
            interval=2.0,
        )
        load = sampler.stop()
        await clients.command("close", target="w")
    finally:
        clients.close()
    latencies = [x for r in results for x in r["latencies"]]
    unanswered = sum(r["unanswered"] for r in results)
    return quantile(latencies, 0.99), len(latencies), unanswered, load


def sent_bytes(server: RedisServer) -> int:
    """Bytes the redis-server has sent to its clients (INFO stats total_net_output_bytes)."""
    with redis.Redis.from_url(server.url) as client:
        return int(client.info("stats")["total_net_output_bytes"])


def worker_pids(supervisor: int) -> list[int]:
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
    return [int(c) for c in children]


async def part_workers(a: argparse.Namespace) -> None:
    say(
        f"== workers: participants per machine at p99 stats ack < 100 ms; steps {a.steps} "
        f"participants, stats every 2 s for {a.stats_duration:g} s; clients in {a.clients} "
        f"processes on the same machine; client fd limit {raise_fd_limit()} =="
    )
    best: dict[int, int] = {}
    for workers in (1, 2):
        with RedisServer() as r:
            node = ServiceProcess(
                {**BENCH_ENV, "SESSIONSVC_REDIS_URL": r.url},
                command=(*SERVE, "--workers", str(workers)),
            )
            await node.start()
            try:
                await asyncio.sleep(1.0 if workers > 1 else 0)
                pids = worker_pids(node.pid) if workers > 1 else [node.pid]
                best[workers] = 0
                for people in a.steps:
                    await settle(a.settle)
                    try:
                        p99, n, unanswered, load = await stats_step(node.url, pids, people // 2, a)
                    except RuntimeError as e:  # clients could not connect or be admitted in time
                        say(f"  --workers {workers}: {people:5d} participants  FAILED {e}"[:300])
                        break
                    ok = p99 < 0.1 and not unanswered
                    say(
                        f"  --workers {workers}: {people:5d} participants  n={n}  p99 "
                        f"{p99 * 1000:.1f} ms  unanswered {unanswered}  server CPU "
                        f"{load['server_cpu_seconds'] / load['elapsed'] * 100:.0f}%  "
                        f"{'ok' if ok else 'over'}"
                    )
                    if not ok:
                        break
                    best[workers] = people
            finally:
                node.stop()
    for workers, people in best.items():
        say(f"RESULT workers.participants_p99_under_100ms --workers {workers} = {people}")
    if best.get(1):
        ratio("workers.participants", best[2], best[1], label="2-workers/1-worker")


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--part", choices=["nodes", "workers", "all"], default="all")
    p.add_argument("--quick", action="store_true", help="a short smoke run")
    p.add_argument("--clients", type=int, default=2, help="client processes (default 2)")
    p.add_argument("--node-counts", help="comma-separated node counts (default 2,4,8; quick 2,4)")
    p.add_argument("--steps", help="comma-separated participant counts for the workers part")
    a = p.parse_args(argv)
    default_counts = [2, 4] if a.quick else [2, 4, 8]
    a.node_counts = [int(n) for n in a.node_counts.split(",")] if a.node_counts else default_counts
    a.pairs_per_node = 2 if a.quick else 5
    a.duration = 1.0 if a.quick else 5.0
    a.warmup = 0.5 if a.quick else 1.0
    a.rounds = 1 if a.quick else 4
    default_steps = [100, 200] if a.quick else [500, 1000, 1500, 2000, 3000, 4000]
    a.steps = [int(n) for n in a.steps.split(",")] if a.steps else default_steps
    a.stats_duration = 4.0 if a.quick else 16.0
    a.settle = 0.0 if a.quick else 30.0
    return a


async def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    say(f"bench_scaleout: {' '.join(sys.argv)}")
    say(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, loopback only")
    started = time.perf_counter()
    parts = ["nodes", "workers"] if a.part == "all" else [a.part]
    for part in parts:
        await {"nodes": part_nodes, "workers": part_workers}[part](a)
    say(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
