"""Admit → first remote video frame between two aiortc synthetic participants.

The professional admits; the time until each side has decoded its first frame from the other
covers the admit, the ``admitted`` fan-out, the offer/answer relayed by the signaling, ICE and
DTLS on loopback, and the first VP8 frame. Measured on one node (embedded store) and across two
nodes sharing one Redis (professional on node A, client on node B), next to a baseline measured
in the same run: two aiortc peers negotiating directly in this process, no server at all.

    python -m bench.bench_admit_to_frame [--runs 20] [--budget 300] [--only one|two]

Everything listens on 127.0.0.1; the bench starts (and stops) its own sessionsvc nodes and a
private redis-server on a free port, and bounds itself in runs, per-run time and total time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiortc import RTCConfiguration, RTCPeerConnection  # noqa: E402
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack  # noqa: E402

from bench.quantiles import quantile  # noqa: E402
from sessionsvc.synthetic.participant import SyntheticParticipant  # noqa: E402
from sessionsvc.synthetic.tracks import PatternVideoTrack  # noqa: E402
from testkit.booking import Booking  # noqa: E402
from testkit.redis_server import RedisServer  # noqa: E402
from testkit.service import ServiceProcess  # noqa: E402

RUN_TIMEOUT = 20.0  # seconds one run may take before it counts as failed


@dataclass
class Series:
    """Admit → first frame per run, in ms, for each side and both ways."""

    name: str
    professional: list[float] = field(default_factory=list)
    client: list[float] = field(default_factory=list)
    failures: int = 0

    @property
    def both(self) -> list[float]:
        return [max(p, c) for p, c in zip(self.professional, self.client, strict=True)]


# -- the processes ------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def nodes(count: int, **env: str) -> AsyncIterator[list[ServiceProcess]]:
    started: list[ServiceProcess] = []
    try:
        for _ in range(count):
            node = ServiceProcess(env)
            started.append(node)
            await node.start()
        yield started
    finally:
        for node in started:
            node.stop()


# -- one run ------------------------------------------------------------------------------


async def admit_to_frame(booking: Booking, pro_url: str, client_url: str) -> tuple[float, float]:
    """One session up to media both ways: (professional, client) admit → first frame, in ms."""
    room = await booking.open_room(hub=None)
    # stats are not part of what is measured: keep them out of the way
    pro = SyntheticParticipant(pro_url, room["join"]["professional"]["token"], stats_interval=60)
    client = SyntheticParticipant(client_url, room["join"]["client"]["token"], stats_interval=60)
    try:
        await pro.connect()
        await client.connect()
        await pro.wait_for("room", lambda r: r["client"]["presence"] == "present")
        admitted = time.monotonic()
        ack = await pro.admit()
        if not ack.get("ok"):
            raise RuntimeError(f"admit refused: {ack}")
        await asyncio.gather(pro.wait_frames(1), client.wait_frames(1))
        assert pro.first_frame_at is not None and client.first_frame_at is not None
        with contextlib.suppress(Exception):
            await pro.end()
        return (pro.first_frame_at - admitted) * 1000, (client.first_frame_at - admitted) * 1000
    finally:
        await client.close()
        await pro.close()


async def direct_to_frame() -> tuple[float, float]:
    """The baseline: two aiortc peers in this process, offer/answer handed over directly."""
    offerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    tracks = [PatternVideoTrack(), PatternVideoTrack()]
    arrived: list[asyncio.Future[float]] = []
    tasks: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()

    def on_track(done: asyncio.Future[float]) -> Callable[[MediaStreamTrack], None]:
        def handler(track: MediaStreamTrack) -> None:
            tasks.append(loop.create_task(_first_frame(track, done)))

        return handler

    for pc in (offerer, answerer):
        done: asyncio.Future[float] = loop.create_future()
        arrived.append(done)
        pc.on("track", on_track(done))
    try:
        started = time.monotonic()
        offerer.addTrack(tracks[0])
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        answerer.addTrack(tracks[1])
        await answerer.setLocalDescription(await answerer.createAnswer())
        await offerer.setRemoteDescription(answerer.localDescription)
        at_offerer, at_answerer = await asyncio.gather(*arrived)
        return (at_offerer - started) * 1000, (at_answerer - started) * 1000
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await offerer.close()
        await answerer.close()
        for track in tracks:
            track.stop()


async def _first_frame(track: MediaStreamTrack, done: asyncio.Future[float]) -> None:
    with contextlib.suppress(MediaStreamError):
        await track.recv()
        if not done.done():
            done.set_result(time.monotonic())
        while True:  # keep draining until the connection closes
            await track.recv()


async def measure(
    series: Series, run: Callable[[], Awaitable[tuple[float, float]]], runs: int, deadline: float
) -> None:
    for _ in range(runs):
        if time.monotonic() > deadline:
            print(f"  {series.name}: time budget spent after {len(series.both)} runs")
            return
        try:
            async with asyncio.timeout(RUN_TIMEOUT):
                pro, client = await run()
        except (TimeoutError, RuntimeError) as e:
            series.failures += 1
            print(f"  {series.name}: a run failed: {e!r}")
            continue
        series.professional.append(pro)
        series.client.append(client)


# -- report -------------------------------------------------------------------------------


def report(all_series: list[Series]) -> None:
    baseline = quantile(all_series[0].both, 0.5)
    print()
    print("admit -> first remote video frame (aiortc, 320x240 VP8 at 15 fps, loopback), in ms")
    print(
        f"  {'':<44}{'both p50':>9}{'p95':>8}{'max':>8}"
        f"{'pro p50':>9}{'client p50':>11}{'runs':>6}{'fail':>5}{'x direct':>9}"
    )
    for s in all_series:
        both = s.both
        ratio = quantile(both, 0.5) / baseline if baseline == baseline and baseline > 0 else 0.0
        print(
            f"  {s.name:<44}{quantile(both, 0.5):9.1f}{quantile(both, 0.95):8.1f}"
            f"{max(both, default=float('nan')):8.1f}{quantile(s.professional, 0.5):9.1f}"
            f"{quantile(s.client, 0.5):11.1f}{len(both):6d}{s.failures:5d}{ratio:9.2f}"
        )
    print("  (both = the later of the two sides; the direct baseline times from createOffer)")


async def main(runs: int, budget: float, only: str | None) -> None:
    logging.basicConfig(level=logging.ERROR)
    deadline = time.monotonic() + budget
    results = [Series("direct aiortc pair (baseline)")]
    await measure(results[0], direct_to_frame, runs, deadline)
    async with aiohttp.ClientSession() as http:
        if only in (None, "one"):
            async with nodes(1) as (node,):
                series = Series("one node, embedded store")
                results.append(series)
                booking = Booking(node.url, http)
                await measure(
                    series, lambda: admit_to_frame(booking, node.url, node.url), runs, deadline
                )
        if only in (None, "two"):
            with RedisServer() as redis:
                async with nodes(2, SESSIONSVC_REDIS_URL=redis.url) as (a, b):
                    series = Series("two nodes + Redis (pro on A, client on B)")
                    results.append(series)
                    booking = Booking(a.url, http)
                    await measure(
                        series, lambda: admit_to_frame(booking, a.url, b.url), runs, deadline
                    )
    report(results)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per set-up (default 20)")
    parser.add_argument(
        "--budget", type=float, default=300.0, help="seconds for the whole bench (default 300)"
    )
    parser.add_argument("--only", choices=["one", "two"], help="only one of the set-ups")
    args = parser.parse_args()
    if not 1 <= args.runs <= 500:
        parser.error("--runs must be between 1 and 500")
    asyncio.run(main(args.runs, args.budget, args.only))


if __name__ == "__main__":
    cli()
