"""A private ``redis-server`` on a free loopback port, stopped by its pid.

The machine's own Redis (if any, on 6379) is never touched.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from testkit.ports import LOOPBACK, free_port
from testkit.processes import ChildProcess

START_TIMEOUT = 10.0  # seconds for the server to answer PING
START_ATTEMPTS = 3  # a free port can be taken by someone else before the server binds it


class RedisServer(ChildProcess):
    """``redis-server`` on 127.0.0.1, on ``port`` or a free port chosen at the first start.

    By default it keeps nothing on disk: no snapshots, no append-only file, and its working
    folder is a temporary one, removed when it stops. With ``data_dir`` it keeps an append-only
    file there, written through on every command (``appendfsync always``), so a restart finds
    every write that was acknowledged, even after ``kill()``.

    ``restart()`` (or ``start()`` after ``stop()`` or ``kill()``) comes back on the same port,
    so clients that reconnect find it where it was. Also a context manager: started on entry,
    stopped on exit.
    """

    def __init__(
        self,
        *,
        data_dir: Path | None = None,
        port: int | None = None,
        binary: str | None = None,
        options: Mapping[str, str] | None = None,
    ) -> None:
        found = binary or shutil.which("redis-server")
        if found is None:
            raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
        super().__init__([found])
        self.binary = found
        self.data_dir = data_dir
        self.port = port or 0
        self._port_chosen = port is not None
        self._workdir: tempfile.TemporaryDirectory[str] | None = None
        self.options = dict(options or {})

    @property
    def url(self) -> str:
        """E.g. ``redis://127.0.0.1:41234/0``."""
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> Self:
        """Start and wait until it answers PING; raises with its output if it does not."""
        for _ in range(1 if self._port_chosen else START_ATTEMPTS):
            if not self._port_chosen:
                self.port = free_port()
            self.argv = self._argv()
            self.spawn()
            if self._wait_ready():
                self._port_chosen = True  # from now on it comes back on this port
                return self
            self.kill()
        raise self.failure("did not answer PING")

    def restart(self) -> Self:
        """Stop (SIGTERM: Redis finishes its writes) and start again on the same port."""
        self.stop()
        return self.start()

    def stop(self) -> None:
        super().stop()
        self._remove_workdir()

    def kill(self) -> None:
        super().kill()
        self._remove_workdir()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _argv(self) -> list[str]:
        if self.data_dir is not None:
            folder = str(self.data_dir)
            persistence = {"appendonly": "yes", "appendfsync": "always"}
        else:
            self._workdir = tempfile.TemporaryDirectory(prefix="redis-")
            folder = self._workdir.name
            persistence = {"appendonly": "no"}
        options = {
            "port": str(self.port),
            "bind": LOOPBACK,
            "save": "",
            **persistence,
            "dir": folder,
            "logfile": "",  # to stdout, which is captured
            "daemonize": "no",
            **self.options,
        }
        return [
            self.binary,
            *(arg for name, value in options.items() for arg in (f"--{name}", value)),
        ]

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while self.running and time.monotonic() < deadline:
            if _answers_ping(self.port):
                return True
            time.sleep(0.02)
        return False

    def _remove_workdir(self) -> None:
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None


class RedisClusterServer:
    """A real Redis Cluster of ``masters`` (default 3) ``redis-server --cluster-enabled yes``
    processes on free loopback ports, joined by ``redis-cli --cluster create`` with no replicas,
    each keeping nothing on disk. ``url`` names it the way ``SESSIONSVC_REDIS_URL`` takes a
    cluster (``redis+cluster://127.0.0.1:PORT``); a context manager."""

    def __init__(self, masters: int = 3) -> None:
        self.servers = [
            RedisServer(
                options={
                    "cluster-enabled": "yes",
                    "cluster-config-file": "nodes.conf",  # in each server's own temporary dir
                    "cluster-node-timeout": "2000",
                }
            )
            for _ in range(masters)
        ]

    @property
    def url(self) -> str:
        return f"redis+cluster://{LOOPBACK}:{self.servers[0].port}"

    @property
    def plain_url(self) -> str:
        """``redis://`` URL of the first node, for clients that are told it is a cluster."""
        return f"redis://{LOOPBACK}:{self.servers[0].port}"

    def start(self) -> Self:
        for server in self.servers:
            server.start()
        cli = shutil.which("redis-cli")
        if cli is None:
            raise RuntimeError("redis-cli is not installed (apt-get install redis-tools)")
        nodes = [f"{LOOPBACK}:{s.port}" for s in self.servers]
        created = subprocess.run(
            [cli, "--cluster", "create", *nodes, "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if created.returncode != 0:
            self.stop()
            raise RuntimeError(
                f"redis-cli --cluster create failed:\n{created.stdout}{created.stderr}"
            )
        deadline = time.monotonic() + START_TIMEOUT * 3
        while not all(_cluster_ok(s.port) for s in self.servers):
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the cluster did not reach cluster_state:ok")
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def flushall(self) -> None:
        """Empty every master."""
        for server in self.servers:
            with socket.create_connection((LOOPBACK, server.port), timeout=2) as s:
                s.sendall(b"FLUSHALL\r\n")
                s.recv(64)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _cluster_ok(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as s:
            s.sendall(b"CLUSTER INFO\r\n")
            return b"cluster_state:ok" in s.recv(4096)
    except OSError:
        return False


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False
