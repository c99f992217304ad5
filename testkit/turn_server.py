"""Debian's coturn (``turnserver``) on a free loopback port, started with the very config file a
deployment mounts (``deploy/coturn/turnserver.conf``); stopped by its pid.

That file refuses to relay to private and loopback addresses. Here every peer is on 127.0.0.1,
so this one address is allowed on the command line (``allowed-peer-ip`` takes precedence over
``denied-peer-ip``; ``allow-loopback-peers`` lifts coturn's own loopback ban), and every other
private range stays refused.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from testkit.ports import LOOPBACK, free_port
from testkit.processes import ChildProcess

CONFIG = Path(__file__).resolve().parent.parent / "deploy" / "coturn" / "turnserver.conf"
START_TIMEOUT = 10.0


class TurnServer(ChildProcess):
    """``turnserver`` on 127.0.0.1 with ``use-auth-secret`` and ``secret``; a context manager."""

    def __init__(self, secret: str, *, config: Path = CONFIG) -> None:
        found = shutil.which("turnserver")
        if found is None:
            raise RuntimeError("turnserver is not installed (apt-get install coturn)")
        super().__init__([found])
        self.binary = found
        self.secret = secret
        self.config = config
        self.port = 0
        self._workdir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """The ``turn:`` URL of it, e.g. ``turn:127.0.0.1:41234?transport=udp``."""
        return f"turn:{LOOPBACK}:{self.port}?transport=udp"

    def start(self) -> Self:
        self.port = free_port()
        self._workdir = tempfile.TemporaryDirectory(prefix="coturn-")
        self.argv = [
            self.binary,
            "-c",
            str(self.config),
            f"--listening-ip={LOOPBACK}",
            f"--relay-ip={LOOPBACK}",
            f"--listening-port={self.port}",
            f"--static-auth-secret={self.secret}",
            f"--allowed-peer-ip={LOOPBACK}",
            "--allow-loopback-peers",
            "--log-file=stdout",
            f"--pidfile={os.path.join(self._workdir.name, 'turnserver.pid')}",
            f"--userdb={os.path.join(self._workdir.name, 'turndb')}",
            "--no-tcp",
        ]
        self.spawn()
        deadline = time.monotonic() + START_TIMEOUT
        while self.running and time.monotonic() < deadline:
            if _answers_binding(self.port):
                return self
            time.sleep(0.05)
        self.kill()
        raise self.failure("did not answer a STUN binding request")

    def stop(self) -> None:
        super().stop()
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _answers_binding(port: int) -> bool:
    """Whether a STUN Binding request to the port gets a success response."""
    request = b"\x00\x01\x00\x00\x21\x12\xa4\x42" + os.urandom(12)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.3)
        try:
            s.sendto(request, (LOOPBACK, port))
            data, _ = s.recvfrom(2048)
        except OSError:
            return False
    return data[:2] == b"\x01\x01" and data[8:20] == request[8:20]
