"""What the machine and the benchmark's processes are doing, from /proc: CPU time used and
waited for, resident memory, the whole machine's load (on a shared machine the neighbours' load is
part of every reading), and the file descriptor limit of many connections."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import time
from pathlib import Path


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
