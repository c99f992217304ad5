"""The servers the benchmarks measure: ``sessionsvc serve`` nodes on the benchmarks' settings, and
the bare python-socketio relay (``bench/bare_relay_server.py``) that is their baseline."""

from __future__ import annotations

import sys
from pathlib import Path

from testkit.ports import free_port
from testkit.processes import LoopbackServer
from testkit.service import ServiceProcess
from testkit.settings import TEST_ENV

BARE_RELAY = Path(__file__).resolve().parent / "bare_relay_server.py"

# The test secrets (the benchmarks open rooms with them), and the production defaults of the
# held-rule and the sweeper.
BENCH_ENV = {
    **TEST_ENV,
    "SESSIONSVC_MIN_HELD_SECONDS": "60",
    "SESSIONSVC_SWEEP_INTERVAL": "1.0",
    "SESSIONSVC_LOG_LEVEL": "WARNING",
}


async def start_service(**env: str) -> ServiceProcess:
    """A ready ``sessionsvc serve`` node on ``BENCH_ENV`` with ``env`` on top."""
    return await ServiceProcess({**BENCH_ENV, **env}).start()


async def start_bare(redis_url: str | None = None) -> LoopbackServer:
    """A ready bare relay; with ``redis_url``, one of several relaying through that Redis."""
    port = free_port()
    argv = [sys.executable, str(BARE_RELAY), str(port), *([redis_url] if redis_url else [])]
    return await LoopbackServer(argv, port).start()
