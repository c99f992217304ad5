"""The signaling benchmark's quick relay run works end to end and prints its ratios.

It starts real processes (a bare python-socketio relay, a ``sessionsvc serve`` node and client
workers) on loopback. Nothing here asserts a time: the figures are only printed.
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


def test_relay_bench_quick_prints_ratios() -> None:
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "bench_signaling.py"), "--part", "relay", "--quick"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its servers and workers can be stopped as one group
    )
    try:
        out, _ = proc.communicate(timeout=100)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        raise AssertionError(f"the quick bench did not finish:\n{out}") from None
    assert proc.returncode == 0, out
    for name in RATIOS:
        assert re.search(rf"^RATIO {re.escape(name)} ours/bare = \d+\.\d+x", out, re.M), (
            f"no {name} ratio in:\n{out}"
        )
    assert "SESSIONSVC_EVENT_RATE=100000" in out
    assert "LOST" not in out and "ACK ERRORS" not in out, out
