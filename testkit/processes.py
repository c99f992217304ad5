"""Child processes that tests and benchmarks start, and stop by their pid.

A ``ChildProcess`` writes its stdout and stderr to an anonymous temporary file (a chatty child
never blocks on a full pipe, and nothing is left on disk), readable at any time with
``output()``, also after it stopped. On Linux the child gets SIGTERM when the thread that started
it dies, even by SIGKILL, so a killed test run or benchmark leaves no server behind: start
children from a thread that outlives them (the main thread or its event loop).

A ``LoopbackServer`` is a child that serves HTTP on a loopback port and is ready once a path
answers 200.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from typing import IO, Self

import aiohttp

from testkit.ports import LOOPBACK

STOP_TIMEOUT = 10.0  # seconds after SIGTERM before SIGKILL
OUTPUT_TAIL = 4000  # characters of a child's output quoted when it fails to start
# seconds a server child may take to answer: importing aiortc and av alone took 16 s of wall
# time on a shared 2-core machine under load, and two nodes often start at once
READY_WITHIN = 90.0

_PR_SET_PDEATHSIG = 1
# looked up once, before any fork: the child only makes the call
_prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform == "linux" else None


def _die_with_parent() -> None:
    """In the child, before exec: SIGTERM when the parent dies."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


class ChildProcess:
    """A child process that can be started again after it stopped.

    ``env`` is the child's whole environment (None: this process's own); ``cwd`` its working
    directory (None: this process's).
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str] | None = None,
        *,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._earlier = ""  # the output of the runs before this one

    @property
    def pid(self) -> int:
        if self.proc is None:
            raise RuntimeError(f"{self.argv[0]} was never started")
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        """The exit status of the last run, or None while it runs (or before it started)."""
        return None if self.proc is None else self.proc.poll()

    def spawn(self) -> None:
        """Start the child; returns at once."""
        if self.running:
            raise RuntimeError(f"{self.argv[0]} is already running (pid {self.pid})")
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed when the child ends)
        self.proc = subprocess.Popen(
            self.argv,
            env=self.env,
            cwd=self.cwd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )

    def output(self) -> str:
        """What the child wrote to stdout and stderr so far, over all its runs."""
        if self._log is None:
            return self._earlier
        # pread leaves alone the file offset the child shares for its writes
        fd = self._log.fileno()
        current = os.pread(fd, os.fstat(fd).st_size, 0)
        return self._earlier + current.decode(errors="replace")

    def stop(self) -> None:
        """SIGTERM (a graceful shutdown), SIGKILL if it is still there after ``STOP_TIMEOUT``.
        Nothing happens if it is not running."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._ended()

    def kill(self) -> None:
        """SIGKILL: the child dies without any goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._ended()

    def failure(self, what: str) -> RuntimeError:
        """An error saying ``what`` went wrong, quoting the end of the child's output."""
        return RuntimeError(f"{' '.join(self.argv)}: {what}:\n{self.output()[-OUTPUT_TAIL:]}")

    def _ended(self) -> None:
        if self._log is not None:
            self._earlier = self.output()
            self._log.close()
            self._log = None


class LoopbackServer(ChildProcess):
    """A child that serves HTTP on ``127.0.0.1:port``; ready once ``ready_path`` answers 200."""

    def __init__(
        self,
        argv: Sequence[str],
        port: int,
        env: Mapping[str, str] | None = None,
        *,
        cwd: str | os.PathLike[str] | None = None,
        ready_path: str = "/readyz",
    ) -> None:
        super().__init__(argv, env, cwd=cwd)
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"
        self.ready_path = ready_path

    async def start(self, ready_within: float = READY_WITHIN) -> Self:
        """Start the child and wait until it is ready; raises with its output if it exits or is
        not ready within ``ready_within`` seconds (then it is killed)."""
        self.spawn()
        deadline = time.monotonic() + ready_within
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if not self.running:
                    error = self.failure(f"exited with {self.returncode}")
                    self.stop()
                    raise error
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(self.url + self.ready_path) as r:
                        if r.status == 200:
                            return self
                await asyncio.sleep(0.05)
        self.kill()
        raise self.failure(f"not ready within {ready_within:g} s")
