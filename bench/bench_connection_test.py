"""Capacity of the connection test: how many tests one node holds at once at full fidelity, and
its CPU per test, next to a plain re-encoding aiortc echo (``bench/echo_server.py``) measured
in the same run on the same machine.

    python -m bench.bench_connection_test [--levels 1,20,40,60] [--echo-levels 1,4,8,12,16]
                                          [--workers 2] [--budget 900]

The service runs as ``sessionsvc serve`` on one process with the limit lifted; synthetic
browsers (``sessionsvc.synthetic.connection_test``) in worker processes start a level's tests
all at once, each sending 640x480 video at 25 fps (about 1.5 Mbps, replayed, so the clients
stay light) and counting what comes back without decoding it. A level is held at full fidelity
when every test finished and graded as the single test did, with loss under 1 % both ways.

The echo gets the easier input, 320x240 at 15 fps (its encoder and decoder cost grows with the
picture): each echo client sends it, the echo decodes it and encodes it back, and the client
counts what returns. An echo level is held when every client receives at least 90 % of the
bitrate a single echo returns, with loss under 1 %.

CPU is the server process's own (``/proc/<pid>/schedstat``) over each level's measuring
window; the machine is shared, so the other tenants' load is printed next to it. Everything
listens on 127.0.0.1 and the bench bounds itself in levels, per-level time and total time.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiortc import (  # noqa: E402
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)

from bench.machine import Sampler, describe_load  # noqa: E402
from bench.targets import start_service  # noqa: E402
from sessionsvc.media.clip import ClipTrack, encode_clip  # noqa: E402
from sessionsvc.media.inbound import end_decoder, meter_receiver  # noqa: E402
from sessionsvc.synthetic.connection_test import (  # noqa: E402
    ConnectionTestClient,
    TestRefused,
    upload_clip,
)
from testkit.ports import free_port  # noqa: E402
from testkit.processes import LoopbackServer  # noqa: E402

ECHO = Path(__file__).resolve().parent / "echo_server.py"
DURATION = 8.0  # seconds a test measures (the default)
ECHO_SECONDS = 8.0
LEVEL_TIMEOUT = 90.0


# -- the clients (in worker processes) ------------------------------------------------------


async def one_test(url: str, http: aiohttp.ClientSession, clip: Any) -> dict[str, Any]:
    try:
        report = await ConnectionTestClient(url, http, clip).run(within=60)
    except TestRefused as e:
        return {"state": "refused", "error": e.code}
    f = report.get("figures") or {}
    up, down = f.get("upload") or {}, f.get("download") or {}
    return {
        "state": report["state"],
        "grade": report["grade"],
        "reason": report["reason"],
        "rtt_ms": f.get("rtt_ms"),
        "up_kbps": up.get("bitrate_kbps"),
        "down_kbps": down.get("bitrate_kbps"),
        "up_loss": up.get("loss_pct"),
        "down_loss": down.get("loss_pct"),
        "jitter_ms": max(up.get("jitter_ms") or 0, down.get("jitter_ms") or 0),
    }


async def one_echo(url: str, http: aiohttp.ClientSession, clip: Any) -> dict[str, Any]:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.addTrack(ClipTrack(clip))
        transceiver = pc.getTransceivers()[0]
        codecs = RTCRtpSender.getCapabilities("video").codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType == "video/VP8"])
        meter = meter_receiver(transceiver.receiver)
        await pc.setLocalDescription(await pc.createOffer())
        body = {"sdp": pc.localDescription.sdp, "type": "offer"}
        async with http.post(url + "/offer", json=body) as r:
            answer = await r.json()
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        for _ in range(100):
            if pc.connectionState == "connected":
                break
            await asyncio.sleep(0.1)
        else:
            return {"state": "failed"}
        await asyncio.sleep(0.2)
        end_decoder(transceiver.receiver)
        await asyncio.sleep(2.0)  # the echo's encoder starts and settles
        first = meter.read()
        await asyncio.sleep(ECHO_SECONDS)
        last = meter.read()
        span = last.at - first.at
        received = last.packets - first.packets
        lost = max(0, last.lost - first.lost)
        return {
            "state": "done",
            "down_kbps": 8 * (last.bytes - first.bytes) / span / 1000,
            "down_loss": 100.0 * lost / max(1, received + lost),
        }
    finally:
        await pc.close()


async def _work(kind: str, url: str, count: int, clip: Any) -> list[dict[str, Any]]:
    run = one_test if kind == "test" else one_echo
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        return list(await asyncio.gather(*(run(url, http, clip) for _ in range(count))))


def worker(kind: str, url: str, count: int, conn: Connection) -> None:
    """A client process: make the clip, say ready, wait for the go, run ``count`` clients at
    once, send their results."""
    clip = upload_clip() if kind == "test" else encode_clip(320, 240, 15.0)
    conn.send("ready")
    conn.recv()
    try:
        conn.send(asyncio.run(_work(kind, url, count, clip)))
    except Exception as e:  # the bench prints it
        conn.send([{"state": "error", "error": repr(e)}] * count)


# -- the bench ------------------------------------------------------------------------------


@dataclass
class Level:
    kind: str
    count: int
    results: list[dict[str, Any]]
    load: dict[str, float]

    @property
    def done(self) -> list[dict[str, Any]]:
        return [r for r in self.results if r.get("state") == "done"]


async def run_level(kind: str, url: str, pid: int, count: int, workers: int) -> Level:
    ctx = multiprocessing.get_context("spawn")
    shares = [count // workers + (1 if i < count % workers else 0) for i in range(workers)]
    procs, pipes = [], []
    for share in (s for s in shares if s):
        parent, child = ctx.Pipe()
        p = ctx.Process(target=worker, args=(kind, url, share, child), daemon=True)
        p.start()
        procs.append(p)
        pipes.append(parent)
    for pipe in pipes:  # each worker encodes its clip first: the tests then start together
        await asyncio.to_thread(pipe.recv)
    sampler = Sampler([pid], [p.pid for p in procs if p.pid is not None])
    for pipe in pipes:
        pipe.send("go")
    results: list[dict[str, Any]] = []
    deadline = time.monotonic() + LEVEL_TIMEOUT
    for pipe in pipes:
        remaining = max(0.0, deadline - time.monotonic())
        if await asyncio.to_thread(pipe.poll, remaining):
            results.extend(pipe.recv())
    load = sampler.stop()
    for p in procs:
        p.join(timeout=10)
        if p.is_alive():
            p.kill()
    return Level(kind, count, results, load)


def held_tests(level: Level, reference: str | None) -> bool:
    done = level.done
    return (
        len(done) == level.count
        and all(r["grade"] == reference for r in done)
        and all((r["up_loss"] or 0) < 1 and (r["down_loss"] or 0) < 1 for r in done)
    )


def held_echo(level: Level, single_kbps: float) -> bool:
    done = level.done
    return len(done) == level.count and all(
        r["down_kbps"] >= 0.9 * single_kbps and r["down_loss"] < 1 for r in done
    )


def _worst(rows: list[dict[str, Any]], key: str, pick: Any) -> str:
    values = [r[key] for r in rows if r.get(key) is not None]
    return f"{pick(values):.0f}" if values else "-"


def print_test_level(level: Level, held: bool) -> None:
    done = level.done
    grades = sorted({r["grade"] for r in done})
    cpu = level.load["server_cpu"]
    print(
        f"  tests {level.count:>3}: {len(done)}/{level.count} done, grades {grades}, "
        f"held={'yes' if held else 'NO'}; worst rtt {_worst(done, 'rtt_ms', max)} ms, "
        f"upload min {_worst(done, 'up_kbps', min)} kbps, download min "
        f"{_worst(done, 'down_kbps', min)} kbps, jitter max {_worst(done, 'jitter_ms', max)} ms"
    )
    seconds = level.load["server_cpu_seconds"] / level.count
    print(
        f"             server {cpu * 100:.0f}% of a core over {level.load['elapsed']:.1f} s "
        f"({seconds:.2f} CPU s per test); {describe_load(level.load)}"
    )
    others = [r for r in level.results if r.get("state") != "done"]
    if others:
        print(f"             not done: {others[:3]}")
    off = [r["reason"] for r in done if r["grade"] != "good"]
    if off:
        print(f"             e.g. {off[0]}")


def print_echo_level(level: Level, held: bool) -> None:
    done = level.done
    cpu = level.load["server_cpu"]
    print(
        f"  echo  {level.count:>3}: {len(done)}/{level.count} done, held={'yes' if held else 'NO'};"
        f" echoed bitrate min {_worst(done, 'down_kbps', min)} kbps, loss max "
        f"{_worst(done, 'down_loss', max)} %"
    )
    print(
        f"             server {cpu * 100:.0f}% of a core, {cpu / level.count * 100:.2f}% per "
        f"stream; {describe_load(level.load)}"
    )


async def main(args: argparse.Namespace) -> None:
    started = time.monotonic()
    levels = [int(x) for x in args.levels.split(",")]
    echo_levels = [int(x) for x in args.echo_levels.split(",")]
    print("connection test: one sessionsvc node, synthetic browsers in worker processes")
    service = await start_service(
        SESSIONSVC_DIAGNOSTICS_MAX_TESTS="1000", SESSIONSVC_DIAGNOSTICS_IP_RATE="100000"
    )
    held_best = 0
    test_cpu: dict[int, float] = {}
    try:
        pid = service.pid
        reference: str | None = None
        for n in levels:
            if time.monotonic() - started > args.budget:
                print("  (time budget spent)")
                break
            level = await run_level("test", service.url, pid, n, args.workers)
            if reference is None and level.done:
                reference = level.done[0]["grade"]
            held = held_tests(level, reference)
            print_test_level(level, held)
            test_cpu[n] = level.load["server_cpu_seconds"] / n / level.load["elapsed"]
            if held:
                held_best = max(held_best, n)
            await asyncio.sleep(2.0)
    finally:
        service.stop()

    print("baseline: a plain re-encoding aiortc echo (bench/echo_server.py), same machine")
    port = free_port()
    echo = await LoopbackServer([sys.executable, str(ECHO), str(port)], port).start()
    echo_best = 0
    echo_cpu: dict[int, float] = {}
    try:
        single: float | None = None
        for n in echo_levels:
            if time.monotonic() - started > args.budget:
                print("  (time budget spent)")
                break
            level = await run_level("echo", echo.url, echo.pid, n, args.workers)
            if single is None and level.done:
                single = level.done[0]["down_kbps"]
            held = single is not None and held_echo(level, single)
            print_echo_level(level, held)
            echo_cpu[n] = level.load["server_cpu_seconds"] / n / level.load["elapsed"]
            if held:
                echo_best = max(echo_best, n)
            elif n > echo_best:
                break  # past its capacity: more streams only take longer to fail
            await asyncio.sleep(2.0)
    finally:
        echo.stop()

    print("summary")
    print(f"  held at full fidelity: connection tests {held_best}, echo streams {echo_best}")
    if echo_best:
        print(f"  ratio: {held_best / echo_best:.1f}x as many concurrent tests as echo streams")
    if test_cpu and echo_cpu:
        t, e = test_cpu[max(test_cpu)], echo_cpu[max(echo_cpu)]
        print(
            f"  CPU per concurrent stream: test {t * 100:.2f}% of a core at {max(test_cpu)}, "
            f"echo {e * 100:.2f}% at {max(echo_cpu)} (echo/test {e / t:.1f}x)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,20,40,60")
    parser.add_argument("--echo-levels", default="1,4,8,12,16,24")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--budget", type=float, default=900.0)
    asyncio.run(main(parser.parse_args()))
