"""A bounded soak: one ``sessionsvc serve`` node runs open → join → admit → stats → end → leave
cycles for a while, and its resident memory is printed per 1,000 cycles.

Every cycle opens a fresh room through the API, connects the professional and the client over
Socket.IO, admits the client, sends a stats report from each side, ends the session and
disconnects both. Finished rooms and their stats are kept ``--retention`` seconds (the service's
retention settings, shortened so that a few minutes show what a year would: a node holds what is
live plus what is retained; the memory store sweeps once a minute). The baseline is the node's
RSS once ``--warmup`` seconds have passed (longer than the retention plus a sweep, so what is
retained has filled up), in the same run; the figure is the growth per 1,000 cycles after it.

    python -m bench.bench_soak [--seconds 240] [--warmup 90] [--workers 8] [--retention 5]
                               [--redis]

Everything listens on 127.0.0.1 and is bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.machine import rss_kb  # noqa: E402
from bench.targets import start_service  # noqa: E402
from testkit.booking import Booking  # noqa: E402
from testkit.redis_server import RedisServer  # noqa: E402
from testkit.session_client import SessionClient  # noqa: E402
from testkit.stats_reports import loopback_stats as loopback  # noqa: E402

STEP_TIMEOUT = 10.0


async def cycle(url: str, booking: Booking, http: aiohttp.ClientSession) -> None:
    """One room from opening to both sides gone."""
    room = await booking.open_room()
    pro = SessionClient(url, room["join"]["professional"]["token"], http=http)
    client = SessionClient(url, room["join"]["client"]["token"], http=http)
    try:
        await pro.connect()
        await client.connect()
        await pro.wait_room(lambda r: r["client"]["presence"] == "present", STEP_TIMEOUT)
        assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
        await client.wait("admitted", timeout=STEP_TIMEOUT)
        for side in (pro, client):
            assert (await side.call("stats", loopback(2.0)))["ok"]
        ack = await pro.call("end")
        assert ack["ok"], ack
    finally:
        await pro.close()
        await client.close()


async def soak(seconds: float, workers: int, retention: float, warmup: float, redis: bool) -> int:
    env = {
        "SESSIONSVC_ROOM_RETENTION": str(retention),
        "SESSIONSVC_STATS_RETENTION": str(retention),
        "SESSIONSVC_EVENT_RATE": "1000",
    }
    server = RedisServer().start() if redis else None
    if server is not None:
        env["SESSIONSVC_REDIS_URL"] = server.url
    node = await start_service(**env)
    done = 0
    failed = 0
    baseline: tuple[int, int] | None = None
    marks: list[tuple[int, int]] = []
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    try:
        async with aiohttp.ClientSession() as http:
            booking = Booking(node.url, http)

            async def worker() -> None:
                nonlocal done, failed, baseline
                while time.monotonic() < deadline:
                    try:
                        await asyncio.wait_for(cycle(node.url, booking, http), 4 * STEP_TIMEOUT)
                    except Exception as e:
                        failed += 1
                        print(f"cycle failed: {e!r}", flush=True)
                        continue
                    done += 1
                    if baseline is None and time.monotonic() - started >= warmup:
                        baseline = (done, rss_kb(node.pid))
                        print(f"baseline after {done} cycles: {baseline[1] / 1024:.1f} MB RSS")
                    if done % 1000 == 0:
                        marks.append((done, rss_kb(node.pid)))
                        elapsed = time.monotonic() - started
                        print(
                            f"cycles {done:>6}  RSS {marks[-1][1] / 1024:7.1f} MB  "
                            f"({done / elapsed:.0f} cycles/s)",
                            flush=True,
                        )

            await asyncio.gather(*(worker() for _ in range(workers)))
    finally:
        final = rss_kb(node.pid) if node.running else 0
        node.stop()
        if server is not None:
            server.stop()
    store = "redis" if redis else "memory"
    print(f"store {store}, retention {retention:.0f} s, {done} cycles, {failed} failed")
    print(f"final RSS {final / 1024:.1f} MB")
    if baseline is not None and done > baseline[0]:
        growth = (final - baseline[1]) / 1024 / (done - baseline[0]) * 1000
        print(
            f"RESULT soak.rss_growth_per_1000_cycles = {growth:.2f} MB "
            f"(baseline {baseline[1] / 1024:.1f} MB)"
        )
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=240.0, help="how long to run")
    parser.add_argument("--workers", type=int, default=8, help="cycles run at once")
    parser.add_argument(
        "--retention", type=float, default=5.0, help="seconds finished rooms and stats are kept"
    )
    parser.add_argument(
        "--warmup", type=float, default=90.0, help="seconds before the baseline is taken"
    )
    parser.add_argument("--redis", action="store_true", help="a private Redis store instead")
    args = parser.parse_args()
    return asyncio.run(soak(args.seconds, args.workers, args.retention, args.warmup, args.redis))


if __name__ == "__main__":
    sys.exit(main())
