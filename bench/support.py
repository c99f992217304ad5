"""Shared parts of the signaling benchmarks: the processes under test (a bare python-socketio
relay, ``sessionsvc serve`` nodes, a private redis-server), /proc readings, a lean protocol-level
participant, and client worker processes that drive many participants at once.

Everything listens on and connects to 127.0.0.1 only, and every load is bounded in time.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import socketio

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

NS = "/session"
PR_SET_PDEATHSIG = 1


# -- /proc -------------------------------------------------------------------------------


def rss_kb(pid: int) -> int:
    """Resident set size of a process, in KiB (VmRSS of /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def run_wait(pid: int) -> tuple[float, float]:
    """(seconds on a CPU, seconds runnable but waiting for a CPU) so far, /proc/<pid>/schedstat."""
    ran, waited, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    return int(ran) / 1e9, int(waited) / 1e9


class Sampler:
    """CPU use of our processes, their time waiting for a CPU, and the whole machine's load,
    over a window: on a shared machine the neighbours' load is part of every reading."""

    def __init__(self, servers: list[int], clients: list[int]) -> None:
        self.servers, self.clients = servers, clients
        self.pids = [*servers, *clients, os.getpid()]
        self.started = time.monotonic()
        self.before = {pid: run_wait(pid) for pid in self.pids}
        self.machine = machine_ticks()

    def stop(self) -> dict[str, float]:
        """Shares of one core over the window (1.0 = one core busy all the time)."""
        elapsed = time.monotonic() - self.started
        after = {pid: run_wait(pid) for pid in self.pids}
        ran = {pid: after[pid][0] - self.before[pid][0] for pid in self.pids}
        waited = {pid: after[pid][1] - self.before[pid][1] for pid in self.pids}
        busy1, total1 = machine_ticks()
        cores = os.cpu_count() or 1
        machine = (busy1 - self.machine[0]) / max(1, total1 - self.machine[1]) * cores
        ours = sum(ran.values()) / elapsed
        return {
            "elapsed": elapsed,
            "server_cpu": sum(ran[p] for p in self.servers) / elapsed,
            "server_cpu_seconds": sum(ran[p] for p in self.servers),
            "server_wait": sum(waited[p] for p in self.servers) / elapsed,
            "client_cpu": sum(ran[p] for p in self.clients) / elapsed,
            "machine": machine,
            "others": max(0.0, machine - ours),
        }


def describe_load(s: dict[str, float]) -> str:
    cores = os.cpu_count() or 1
    return (
        f"server CPU {s['server_cpu'] * 100:.0f}% (waited for a CPU {s['server_wait'] * 100:.0f}%)"
        f", clients CPU {s['client_cpu'] * 100:.0f}%, other tenants "
        f"{s['others'] * 100:.0f}% of {cores * 100}%"
    )


async def quiesce(pids: list[int], within: float = 10.0, idle: float = 0.1) -> float:
    """Wait (at most ``within`` s) until ``pids`` together use under ``idle`` of a core over a
    quarter second, so that a run does not start while the previous one is still being worked
    off; returns the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        before = sum(run_wait(pid)[0] for pid in pids)
        await asyncio.sleep(0.25)
        if sum(run_wait(pid)[0] for pid in pids) - before < idle * 0.25:
            break
    return time.monotonic() - started


async def settle(within: float, quiet: float = 0.6, probe: float = 2.0) -> float:
    """Wait up to ``within`` s for the machine to be quiet (busy < ``quiet`` cores over
    ``probe`` s); returns the last reading."""
    deadline = time.monotonic() + within
    cores = os.cpu_count() or 1
    while True:
        b0, t0 = machine_ticks()
        await asyncio.sleep(probe)
        b1, t1 = machine_ticks()
        busy = (b1 - b0) / max(1, t1 - t0) * cores
        if busy < quiet or time.monotonic() >= deadline:
            return busy


async def handler_histogram(url: str, event: str) -> dict[float, float]:
    """The service's own ``sessionsvc_socket_event_seconds`` buckets for ``event`` (le -> count)."""
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics") as r:
        text = await r.text()
    buckets: dict[float, float] = {}
    prefix = "sessionsvc_socket_event_seconds_bucket{"
    for line in text.splitlines():
        if line.startswith(prefix) and f'event="{event}"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float(le)] = float(line.rsplit(" ", 1)[1])
    return buckets


def histogram_quantile(before: dict[float, float], after: dict[float, float], q: float) -> float:
    """The upper bound of the bucket holding the q-quantile of what was observed in between."""
    counts = sorted((le, after[le] - before.get(le, 0.0)) for le in after)
    if not counts or counts[-1][1] <= 0:
        return float("nan")
    for le, n in counts:
        if n >= q * counts[-1][1]:
            return le
    return float("inf")


def machine_ticks() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    total = sum(values[:8])  # guest time is already counted in user
    return total - idle, total


def raise_fd_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``samples``, nearest rank; NaN when empty."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


# -- processes under test ----------------------------------------------------------------


_prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before any fork


def _die_with_parent() -> None:
    """In a child before exec: get SIGTERM when the bench dies, even by SIGKILL (Linux)."""
    _prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM))


class Process:
    """A subprocess on a loopback port, logging to a temporary file, stopped by its pid."""

    def __init__(self, argv: list[str], port: int, env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, **(env or {})}
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            cwd=ROOT,
            preexec_fn=_die_with_parent,
        )

    async def wait_http(self, path: str = "/readyz", within: float = 20.0) -> None:
        deadline = time.monotonic() + within
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                assert self.proc is not None
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{self.argv} exited:\n{self.output()[-3000:]}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(self.url + path) as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.05)
        raise RuntimeError(f"{self.argv} did not become ready:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


async def start_bare(redis_url: str | None = None) -> Process:
    port = free_port()
    argv = [sys.executable, str(ROOT / "bench" / "bare_relay_server.py"), str(port)]
    proc = Process(argv + ([redis_url] if redis_url else []), port)
    proc.start()
    await proc.wait_http()
    return proc


# The service's settings in the benchmarks: the test secrets (the bench opens rooms with them)
# and the production defaults of the held-rule and the sweeper.
def service_env(**extra: str) -> dict[str, str]:
    from tests.support.servers import TEST_ENV

    return {
        **TEST_ENV,
        "SESSIONSVC_MIN_HELD_SECONDS": "60",
        "SESSIONSVC_SWEEP_INTERVAL": "1.0",
        "SESSIONSVC_LOG_LEVEL": "WARNING",
        **extra,
    }


async def start_service(**env: str) -> Process:
    port = free_port()
    full = service_env(SESSIONSVC_PORT=str(port), SESSIONSVC_HOST="127.0.0.1", **env)
    proc = Process([sys.executable, "-m", "sessionsvc", "serve"], port, full)
    proc.env.pop("SESSIONSVC_PUBLIC_URL", None)
    proc.start()
    await proc.wait_http()
    return proc


class RedisProcess:
    """A private redis-server on a free loopback port, nothing on disk."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        self.dir = tempfile.TemporaryDirectory()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        argv += ["--appendonly", "no", "--dir", self.dir.name, "--daemonize", "no"]
        self.proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s,
            ):
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith(b"+PONG"):
                    return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not start")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.dir.cleanup()


# -- the participant -----------------------------------------------------------------------


def candidate(seq: int) -> dict[str, Any]:
    """A realistic ``candidate`` signal payload; the foundation carries a sequence number."""
    return {
        "candidate": f"candidate:{seq} 1 udp 2122260223 192.168.1.23 {50000 + seq % 10000} "
        "typ host generation 0 ufrag EEtu network-id 1 network-cost 10",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "EEtu",
    }


def seq_of(data: dict[str, Any]) -> int:
    cand: str = data["payload"]["candidate"]
    return int(cand[10 : cand.index(" ", 10)])


@dataclass
class Side:
    """Where one participant connects and with what."""

    url: str
    auth: dict[str, str]


@dataclass
class PairSpec:
    """A room's two participants (or a bare relay pair). ``client_id`` is set for sessionsvc."""

    pro: Side
    client: Side
    client_id: str | None = None


class Participant:
    """A lean ``/session`` client (the same code against sessionsvc and the bare relay)."""

    def __init__(self, side: Side, role: str, http: aiohttp.ClientSession | None = None) -> None:
        self.side = side
        self.role = role
        self.other = "client" if role == "professional" else "professional"
        self.sio = socketio.AsyncClient(reconnection=False, http_session=http, handle_sigint=False)
        self.room: dict[str, Any] | None = None
        self.room_changed = asyncio.Event()
        self.admitted = asyncio.Event()
        self.on_signal: Callable[[dict[str, Any]], Awaitable[None] | None] | None = None
        self.errors: list[Any] = []
        self.dropped = False
        self.sio.on("room", self._room, namespace=NS)
        self.sio.on("admitted", self._admitted, namespace=NS)
        self.sio.on("signal", self._signal, namespace=NS)
        self.sio.on("error", self._error, namespace=NS)
        self.sio.on("disconnect", self._disconnect, namespace=NS)

    async def _room(self, data: dict[str, Any]) -> None:
        self.room = data
        self.room_changed.set()

    async def _admitted(self, data: Any) -> None:
        self.admitted.set()

    async def _signal(self, data: dict[str, Any]) -> None:
        if self.on_signal is not None:
            result = self.on_signal(data)
            if result is not None:
                await result

    async def _error(self, data: Any) -> None:
        self.errors.append(data)

    async def _disconnect(self, reason: Any = None) -> None:
        self.dropped = True

    async def connect(self) -> None:
        await self.sio.connect(
            self.side.url,
            namespaces=[NS],
            auth=self.side.auth,
            transports=["websocket"],
            wait_timeout=30,
        )

    async def wait_room(self, predicate: Callable[[dict[str, Any]], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while self.room is None or not predicate(self.room):
                self.room_changed.clear()
                await self.room_changed.wait()

    async def emit(self, event: str, data: Any, callback: Callable[..., Any] | None = None) -> None:
        await self.sio.emit(event, data, namespace=NS, callback=callback)

    async def call(self, event: str, data: Any, timeout: float = 30.0) -> Any:
        return await self.sio.call(event, data, namespace=NS, timeout=timeout)

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.sio.disconnect()


class Pair:
    def __init__(self, spec: PairSpec, http: aiohttp.ClientSession | None = None) -> None:
        self.spec = spec
        self.pro = Participant(spec.pro, "professional", http)
        self.client = Participant(spec.client, "client", http)

    async def connect(self) -> None:
        """Both connect (the client waits in the waiting room)."""
        await self.client.connect()
        await self.pro.connect()

    async def admit(self, timeout: float = 30.0) -> None:
        """The professional sees the client waiting and admits them (sessionsvc only)."""
        if self.spec.client_id is None:
            return
        await self.pro.wait_room(lambda r: r["client"]["presence"] == "present", timeout)
        ack = await self.pro.call("admit", {"participant_id": self.spec.client_id}, timeout)
        if not ack.get("ok"):
            raise RuntimeError(f"admit refused: {ack}")
        async with asyncio.timeout(timeout):
            await self.pro.admitted.wait()
            await self.client.admitted.wait()

    async def close(self) -> None:
        await asyncio.gather(self.pro.close(), self.client.close())


# -- measurements that run in one process ------------------------------------------------


async def round_trips(pair: Pair, count: int, warmup: int = 20) -> dict[str, Any]:
    """A sends a signal to B, B sends one back on receipt; A times it. Sequential."""
    loop = asyncio.get_running_loop()
    waiting: asyncio.Future[None] | None = None
    errors: Counter[str] = Counter()

    def ack(result: Any = None) -> None:
        if not (isinstance(result, dict) and result.get("ok")):
            errors[_code(result)] += 1

    async def echo(data: dict[str, Any]) -> None:
        await pair.client.emit(
            "signal", {"to": "professional", "kind": "candidate", "payload": data["payload"]}, ack
        )

    def back(data: dict[str, Any]) -> None:
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    pair.client.on_signal = echo
    pair.pro.on_signal = back
    samples: list[float] = []
    try:
        for i in range(warmup + count):
            waiting = loop.create_future()
            started = time.perf_counter()
            await pair.pro.emit(
                "signal", {"to": "client", "kind": "candidate", "payload": candidate(i)}, ack
            )
            await asyncio.wait_for(waiting, 10)
            if i >= warmup:
                samples.append(time.perf_counter() - started)
    finally:
        pair.client.on_signal = pair.pro.on_signal = None
    await asyncio.sleep(0.05)  # the last acks
    return {"samples": samples, "errors": dict(errors)}


def _code(result: Any) -> str:
    if isinstance(result, dict):
        error = result.get("error")
        if isinstance(error, dict):
            return str(error.get("code"))
    return repr(result)[:40]


# -- client worker processes ---------------------------------------------------------------


@dataclass
class Flow:
    """One direction of a pair's relay, keeping ``window`` messages in flight."""

    src: Participant
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
        dropped = sum(p.pro.dropped or p.client.dropped for p in pairs)
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
            acks["ok" if isinstance(result, dict) and result.get("ok") else _code(result)] += 1

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
                flow.seq += 1
                flow.sent[flow.seq] = time.monotonic()
                inflight += 1
                await flow.src.emit(
                    "signal", {"to": to, "kind": "candidate", "payload": candidate(flow.seq)}, ack
                )

        flows: list[tuple[Flow, str]] = []
        for pair in self.pairs[target]:
            there, back = Flow(pair.pro, window), Flow(pair.client, window)
            pair.client.on_signal = receiver(there)
            pair.pro.on_signal = receiver(back)
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
            pair.pro.on_signal = pair.client.on_signal = None
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

        async def reporter(p: Participant) -> None:
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
                    acks["ok" if ok else _code(result)] += 1

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


def stats_payload(n: int, interval: float) -> dict[str, Any]:
    """The ``stats`` report of a call in its n-th interval (cumulative counters grow)."""
    return {
        "bytes_received": 200_000 * n,
        "bytes_sent": 195_000 * n,
        "frames_received": int(20 * interval * n),
        "rtt_ms": 12.5,
        "jitter_ms": 3.1,
        "loss_pct": 0.0,
        "bitrate_in_kbps": 800,
        "bitrate_out_kbps": 780,
        "fps_in": 20,
        "ice_state": "connected",
        "connection_state": "connected",
        "local_candidate_type": "host",
        "remote_candidate_type": "host",
        "quality": "good",
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
