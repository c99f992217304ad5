"""Client worker processes: each holds its share of many pairs, for several targets at once, and
obeys the benchmark's commands (connect, admit, relay, stats, close) sent over a pipe."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

from bench.machine import raise_fd_limit
from bench.pairs import Pair, PairSpec, candidate, error_code, seq_of, stats_payload
from testkit.session_client import SessionClient


@dataclass
class Flow:
    """One direction of a pair's relay, keeping ``window`` messages in flight."""

    src: SessionClient
    window: int
    sem: asyncio.Semaphore = field(init=False)
    sent: dict[int, float] = field(default_factory=dict)
    seq: int = 0

    def __post_init__(self) -> None:
        self.sem = asyncio.Semaphore(self.window)


class Worker:
    """Runs in a client process: holds participants for several targets, obeys commands."""

    def __init__(self, targets: dict[str, list[PairSpec]]) -> None:
        self.specs = targets
        self.pairs: dict[str, list[Pair]] = {}
        self.http: aiohttp.ClientSession | None = None

    async def run(self, conn: Connection) -> None:
        raise_fd_limit()
        loop = asyncio.get_running_loop()
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        try:
            while True:
                cmd, args = await loop.run_in_executor(None, conn.recv)
                if cmd == "exit":
                    break
                try:
                    result = await getattr(self, "cmd_" + cmd)(**args)
                except Exception as e:  # reported to the parent, which stops the bench
                    result = {"failed": f"{type(e).__name__}: {e}"}
                conn.send(result)
        finally:
            for pairs in self.pairs.values():
                await asyncio.gather(*(p.close() for p in pairs), return_exceptions=True)
            await self.http.close()

    async def _bounded(self, coros: list[Awaitable[Any]], limit: int) -> list[Any]:
        sem = asyncio.Semaphore(limit)

        async def one(c: Awaitable[Any]) -> Any:
            async with sem:
                return await c

        return await asyncio.gather(*(one(c) for c in coros), return_exceptions=True)

    async def cmd_connect(self, target: str, limit: int = 50) -> dict[str, Any]:
        pairs = [Pair(spec, self.http) for spec in self.specs[target]]
        self.pairs[target] = pairs
        started = time.perf_counter()
        results = await self._bounded([p.connect() for p in pairs], limit)
        return {"seconds": time.perf_counter() - started, "failures": _failures(results)}

    async def cmd_admit(self, target: str, limit: int = 100) -> dict[str, Any]:
        started = time.perf_counter()
        results = await self._bounded([p.admit() for p in self.pairs[target]], limit)
        return {"seconds": time.perf_counter() - started, "failures": _failures(results)}

    async def cmd_close(self, target: str) -> dict[str, Any]:
        pairs = self.pairs.pop(target, [])
        dropped = sum(p.dropped for p in pairs)
        await self._bounded([p.close() for p in pairs], 200)
        return {"closed": len(pairs), "dropped_before": dropped}

    async def cmd_relay(
        self, target: str, window: int, start_at: float, warmup: float, duration: float
    ) -> dict[str, Any]:
        """Every pair relays candidates both ways, ``window`` in flight per direction."""
        t0 = start_at + warmup
        t1 = t0 + duration
        latencies: list[float] = []
        delivered = 0
        inflight = 0
        drained = asyncio.Event()
        acks: Counter[str] = Counter()

        def ack(result: Any = None) -> None:
            acks["ok" if isinstance(result, dict) and result.get("ok") else error_code(result)] += 1

        def receiver(flow: Flow) -> Callable[[dict[str, Any]], None]:
            def got(data: dict[str, Any]) -> None:
                nonlocal delivered, inflight
                now = time.monotonic()
                sent = flow.sent.pop(seq_of(data), None)
                if sent is None:
                    return
                inflight -= 1
                flow.sem.release()
                if t0 <= now < t1:
                    delivered += 1
                    latencies.append(now - sent)
                elif now >= t1 and inflight == 0:
                    drained.set()

            return got

        async def pump(flow: Flow, to: str) -> None:
            nonlocal inflight
            while time.monotonic() < t1:
                await flow.sem.acquire()
                if time.monotonic() >= t1:  # woken by a reply after the end: send no more
                    flow.sem.release()
                    break
                flow.seq += 1
                flow.sent[flow.seq] = time.monotonic()
                inflight += 1
                await flow.src.emit(
                    "signal", {"to": to, "kind": "candidate", "payload": candidate(flow.seq)}, ack
                )

        flows: list[tuple[Flow, str]] = []
        for pair in self.pairs[target]:
            there, back = Flow(pair.pro, window), Flow(pair.client, window)
            pair.client.handle("signal", receiver(there))
            pair.pro.handle("signal", receiver(back))
            flows += [(there, "client"), (back, "professional")]
        await asyncio.sleep(max(0.0, start_at - time.monotonic()))
        tasks = [asyncio.create_task(pump(f, to)) for f, to in flows]
        await asyncio.sleep(max(0.0, t1 - time.monotonic()))
        # drain: what is still in flight arrives (or is counted lost)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(20):
                await asyncio.gather(*tasks)
                if inflight == 0:
                    drained.set()
                await drained.wait()
        for task in tasks:
            task.cancel()
        await asyncio.sleep(0.1)
        for pair in self.pairs[target]:
            pair.pro.handle("signal", None)
            pair.client.handle("signal", None)
        return {
            "delivered": delivered,
            "latencies": latencies,
            "lost": sum(len(f.sent) for f, _ in flows),
            "acks": dict(acks),
        }

    async def cmd_stats(
        self, target: str, start_at: float, duration: float, interval: float
    ) -> dict[str, Any]:
        """Every participant sends ``stats`` every ``interval`` s; the ack latency is timed."""
        end = start_at + duration
        latencies: list[float] = []
        acks: Counter[str] = Counter()
        pending = 0
        sending = True
        idle = asyncio.Event()

        async def reporter(p: SessionClient) -> None:
            nonlocal pending
            rng = random.Random(id(p))
            at = start_at + rng.uniform(0, interval)
            n = 0
            while at < end:
                await asyncio.sleep(max(0.0, at - time.monotonic()))
                n += 1
                sent = time.monotonic()
                pending += 1

                def ack(result: Any = None, sent: float = sent) -> None:
                    nonlocal pending
                    pending -= 1
                    if not sending and pending == 0:
                        idle.set()
                    latencies.append(time.monotonic() - sent)
                    ok = isinstance(result, dict) and result.get("ok")
                    acks["ok" if ok else error_code(result)] += 1

                await p.emit("stats", stats_payload(n, interval), ack)
                at += interval

        everyone = [q for pair in self.pairs[target] for q in (pair.pro, pair.client)]
        await asyncio.gather(*(reporter(p) for p in everyone))
        sending = False
        if pending == 0:
            idle.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await idle.wait()
        return {
            "latencies": latencies,
            "acks": dict(acks),
            "unanswered": pending,
        }


def _failures(results: list[Any]) -> list[str]:
    return [f"{type(r).__name__}: {r}" for r in results if isinstance(r, BaseException)][:5] + (
        [f"... {n} in all"] if (n := sum(isinstance(r, BaseException) for r in results)) > 5 else []
    )


def _worker_main(conn: Connection, targets: dict[str, list[PairSpec]]) -> None:
    asyncio.run(Worker(targets).run(conn))


class Clients:
    """``n`` client processes; each target's pairs are split among them."""

    def __init__(self, targets: dict[str, list[PairSpec]], processes: int) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        for i in range(processes):
            share = {name: specs[i::processes] for name, specs in targets.items()}
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=_worker_main, args=(child, share), daemon=True)
            proc.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(proc)

    @property
    def pids(self) -> list[int]:
        return [int(p.pid) for p in self.procs]

    async def command(self, cmd: str, timeout: float = 300, **args: Any) -> list[dict[str, Any]]:
        """Send a command to every worker and wait for all answers; a failure stops the bench."""
        loop = asyncio.get_running_loop()
        for c in self.conns:
            c.send((cmd, args))

        def answer(c: Connection) -> dict[str, Any]:
            if not c.poll(timeout):
                raise RuntimeError(f"client worker: no answer to {cmd} in {timeout:g} s")
            result: dict[str, Any] = c.recv()
            return result

        results = await asyncio.gather(*(loop.run_in_executor(None, answer, c) for c in self.conns))
        for r in results:
            if "failed" in r:
                raise RuntimeError(f"client worker: {cmd} failed: {r['failed']}")
            if r.get("failures"):
                raise RuntimeError(f"client worker: {cmd}: {r['failures']}")
        return list(results)

    def close(self) -> None:
        for c in self.conns:
            with contextlib.suppress(OSError):
                c.send(("exit", {}))
        for p in self.procs:
            p.join(timeout=15)
            if p.is_alive():
                p.terminate()
                p.join()
