"""The benchmarks' short runs work end to end and print their figures.

Each starts real processes on loopback (``sessionsvc serve`` nodes, a bare python-socketio relay,
a private redis-server, client workers, aiortc peers) as ``python -m bench.<name>`` from the
repository root. Nothing here asserts a time: the figures are only printed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RATIOS = (
    "relay.round_trip_p50",
    "relay.round_trip_p99",
    "relay.throughput",
    "relay.loaded_p99",
    "relay.server_cpu_per_msg",
)


def _run_bench(*args: str, timeout: float) -> str:
    """The output of a bench that exited with 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its servers and workers can be stopped as one group
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(f"{' '.join(args)} did not finish:\n{out}") from None
    assert proc.returncode == 0, out
    return out


def test_relay_bench_quick_prints_ratios() -> None:
    out = _run_bench("bench.bench_signaling", "--part", "relay", "--quick", timeout=100)
    for name in RATIOS:
        assert re.search(rf"^RATIO {re.escape(name)} ours/bare = \d+\.\d+x", out, re.M), (
            f"no {name} ratio in:\n{out}"
        )
    assert "SESSIONSVC_EVENT_RATE=100000" in out
    assert "LOST" not in out and "ACK ERRORS" not in out, out


def test_connect_bench_prints_latencies_and_redis_commands() -> None:
    out = _run_bench("bench.bench_connect", "--runs", "3", timeout=60)
    assert "two nodes + Redis, 6 connects" in out, out
    for row in ("join (first snapshot)", "refused connect (baseline)"):
        assert re.search(rf"^\| {re.escape(row)} \| \d+\.\d \|", out, re.M), out
    for row in ("sent by nodes", "run by scripts"):
        assert re.search(rf"^  {row} +\d+\.\d\d$", out, re.M), out


def test_admit_to_frame_bench_runs_on_one_node() -> None:
    out = _run_bench("bench.bench_admit_to_frame", "--runs", "1", "--only", "one", timeout=90)
    for row in ("direct aiortc pair (baseline)", "one node, embedded store"):
        assert re.search(rf"^  {re.escape(row)} +\d+\.\d .* 1 +0 +\d+\.\d\d$", out, re.M), out


def test_scaleout_bench_compares_sharded_and_broadcast_as_nodes_are_added() -> None:
    out = _run_bench(
        "bench.bench_scaleout", "--part", "nodes", "--quick", "--node-counts", "2,3", timeout=240
    )
    for mode in ("sharded", "broadcast"):
        for figure in ("node_cpu_per_msg", "redis_bytes_per_msg"):
            name = f"nodes.{figure}.{mode}"
            assert re.search(rf"^RATIO {re.escape(name)} 3-nodes/2-nodes = \d+\.\d+x", out, re.M), (
                out
            )
    assert "LOST" not in out and "ACK ERRORS" not in out, out


def test_webhooks_bench_prints_figures_and_ratios() -> None:
    out = _run_bench(
        "bench.bench_webhooks",
        "--backends",
        "memory",
        "--events",
        "50",
        "--rate",
        "50",
        "--joins",
        "20",
        timeout=120,
    )
    assert "bare aiohttp POST loop:" in out and "memory: 50 events written" in out, out
    for name in ("throughput ours/bare", "p99 ours/bare", "join_p50 down/quiet"):
        assert re.search(rf"^RATIO webhooks\.memory\.{re.escape(name)} = \d+\.\d+x", out, re.M), out
