"""Connect → first ``room`` snapshot, and the Redis commands one connect costs.

Two ``sessionsvc serve`` nodes share one private redis-server; for each run a fresh room is
opened, the professional connects to node A and the client to node B, each timed from the
Socket.IO connect call until its first ``room`` snapshot arrives. Then, over a few more runs,
Redis's ``MONITOR`` gives the commands the nodes send for one connect (and its disconnect),
told apart from those a Lua script runs inside Redis.
Baseline in the same run: a Socket.IO connect to the same node that is refused at once (no
store work at all: the origin check fails), so the ratio is what a join adds over the transport.

    python -m bench.bench_connect [--runs 200]

Everything listens on 127.0.0.1 and is bounded in runs and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp
import redis.asyncio as aioredis

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.quantiles import quantile  # noqa: E402
from bench.targets import start_service  # noqa: E402
from testkit.booking import Booking  # noqa: E402
from testkit.redis_server import RedisServer  # noqa: E402
from testkit.session_client import SessionClient  # noqa: E402

RUN_TIMEOUT = 10.0
COUNTED = 20  # rooms whose connects are counted command by command


async def timed_connect(url: str, token: str) -> float:
    """Seconds from connect to the first ``room`` snapshot; raises if refused."""
    client = SessionClient(url, token)
    started = time.perf_counter()
    try:
        await client.connect()
        await client.wait("room", timeout=RUN_TIMEOUT)
        return time.perf_counter() - started
    finally:
        await client.close()


async def timed_refusal(url: str) -> float:
    """Seconds for a connect that the server refuses before any store work."""
    client = SessionClient(url, "x", headers={"Origin": "http://elsewhere.example"})
    started = time.perf_counter()
    refusal = await client.try_connect()
    elapsed = time.perf_counter() - started
    if refusal is None or refusal.get("code") != "bad_origin":
        raise RuntimeError(f"not refused for its origin: {refusal}")
    return elapsed


async def monitored(url: str, lines: list[tuple[str, str]]) -> None:
    """Collect (source, command) of every command Redis runs until cancelled; the source is
    ``lua`` for commands a script runs, ``node`` for those a client sent."""
    r = aioredis.Redis.from_url(url)
    try:
        async with r.monitor() as m:
            async for item in m.listen():
                source = "lua" if item.get("client_type") == "lua" else "node"
                lines.append((source, str(item["command"]).split(" ", 1)[0].upper()))
    finally:
        await r.aclose()


async def main(runs: int) -> None:
    redis_proc = RedisServer().start()
    nodes = []
    try:
        for _ in range(2):
            nodes.append(await start_service(SESSIONSVC_REDIS_URL=redis_proc.url))
        a, b = nodes
        r = aioredis.Redis.from_url(redis_proc.url)
        async with aiohttp.ClientSession() as http:
            booking = Booking(a.url, http)
            rooms = [await booking.hub_room(remaining=3) for _ in range(runs + 5)]
            for room in rooms[:5]:  # warm-up
                await timed_connect(a.url, room["join"]["professional"]["token"])
                await timed_refusal(b.url)
            await asyncio.sleep(1.5)  # let the warm-up's disconnects settle
            joins: list[float] = []
            refusals: list[float] = []
            for room in rooms[5:]:
                refusals.append(await timed_refusal(a.url))
                joins.append(await timed_connect(a.url, room["join"]["professional"]["token"]))
                joins.append(await timed_connect(b.url, room["join"]["client"]["token"]))
            counted = [await booking.hub_room(remaining=3) for _ in range(COUNTED)]
            await asyncio.sleep(1.5)
            lines: list[tuple[str, str]] = []
            monitor = asyncio.create_task(monitored(redis_proc.url, lines))
            await asyncio.sleep(0.5)
            idle_start = len(lines)
            await asyncio.sleep(2.0)  # what the nodes send with nobody connecting: the sweepers
            idle = lines[idle_start:]
            busy_start, busy_at = len(lines), time.monotonic()
            for room in counted:
                await timed_connect(a.url, room["join"]["professional"]["token"])
                await timed_connect(b.url, room["join"]["client"]["token"])
            await asyncio.sleep(1.0)  # the last disconnects
            busy, busy_s = lines[busy_start:], time.monotonic() - busy_at
            monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await monitor
        await r.aclose()
    finally:
        for node in nodes:
            node.stop()
        redis_proc.stop()

    connects = 2 * COUNTED
    print(f"connect → first room snapshot, two nodes + Redis, {len(joins)} connects")
    print("| ms | p50 | p95 | max | x baseline (p50) |")
    print("|---|---:|---:|---:|---:|")
    base = quantile(refusals, 0.5)
    for name, xs in (("join (first snapshot)", joins), ("refused connect (baseline)", refusals)):
        print(
            f"| {name} | {quantile(xs, 0.5) * 1000:.1f} | {quantile(xs, 0.95) * 1000:.1f} | "
            f"{max(xs) * 1000:.1f} | {quantile(xs, 0.5) / base:.2f} |"
        )
    idle_rate = len([x for x in idle if x[0] == "node"]) / 2.0  # per second
    sent = Counter(cmd for source, cmd in busy if source == "node")
    scripted = Counter(cmd for source, cmd in busy if source == "lua")
    background = idle_rate * busy_s
    print(f"\nRedis commands per connect and its disconnect, mean of {connects} connects")
    print(f"(the sweepers' {idle_rate:.1f} commands/s over the window are taken off the total):")
    for cmd, n in sent.most_common():
        print(f"  {cmd:14s} {n / connects:6.2f}")
    print(f"  {'sent by nodes':14s} {(sum(sent.values()) - background) / connects:6.2f}")
    print(f"  {'run by scripts':14s} {sum(scripted.values()) / connects:6.2f}")


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="rooms (two connects each)")
    args = parser.parse_args()
    asyncio.run(main(args.runs))


if __name__ == "__main__":
    cli()
