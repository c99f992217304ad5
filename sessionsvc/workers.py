"""``sessionsvc serve --workers N``: N service processes behind one port, so one machine uses all
its cores. Each worker is a whole node (its own event loop, Socket.IO server and sweeper) that
binds the port with ``SO_REUSEPORT``; the kernel spreads new connections over them, and Redis
is what they share (so N > 1 needs ``SESSIONSVC_REDIS_URL``). This process only supervises: it
starts the workers, starts again one that dies, and passes SIGTERM/SIGINT on to all of them,
each of which then stops gracefully (see ``bootstrap``).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from types import FrameType

log = logging.getLogger(__name__)

RESPAWN_PAUSE = 1.0  # seconds before starting again a worker that died
STOP_TIMEOUT = 60.0  # seconds the workers get to stop before they are killed


def worker_command(host: str, port: int) -> list[str]:
    """The command line of one worker."""
    return [
        sys.executable,
        "-m",
        "sessionsvc",
        "serve",
        "--host",
        host,
        "--port",
        str(port),
        "--reuse-port",
    ]


class Supervisor:
    """Runs ``count`` copies of ``command`` until told to stop."""

    def __init__(self, command: Sequence[str], count: int, env: Mapping[str, str]) -> None:
        self.command = list(command)
        self.count = count
        self.env = dict(env)
        self.children: list[subprocess.Popen[bytes]] = []
        self.stopping = False

    def run(self) -> int:
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        self.children = [self._spawn() for _ in range(self.count)]
        log.info("started %d workers: %s", self.count, [c.pid for c in self.children])
        while not self.stopping:
            for i, child in enumerate(self.children):
                code = child.poll()
                if code is not None and not self.stopping:
                    log.error("worker %d exited with %s; starting it again", child.pid, code)
                    time.sleep(RESPAWN_PAUSE)
                    self.children[i] = self._spawn()
            time.sleep(0.2)
        return self._wait()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.command, env=self.env, stdin=subprocess.DEVNULL)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    def _wait(self) -> int:
        deadline = time.monotonic() + STOP_TIMEOUT
        worst = 0
        for child in self.children:
            try:
                code = child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                code = child.wait()
            worst = worst or (code if code > 0 else 0)
        return worst


def shared_environment(secrets: Mapping[str, str]) -> dict[str, str]:
    """This process's environment plus ``secrets`` (generated development secrets must be the
    same in every worker, or a token minted by one would fail on another)."""
    return {**os.environ, **secrets}
