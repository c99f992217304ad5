"""Debian's Caddy as the load balancer in front of service nodes, started with the very
Caddyfile a deployment mounts (``deploy/caddy/Caddyfile``), on a free loopback port, plain HTTP.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from testkit.ports import LOOPBACK, free_port
from testkit.processes import LoopbackServer

CADDYFILE = Path(__file__).resolve().parent.parent / "deploy" / "caddy" / "Caddyfile"


class CaddyServer(LoopbackServer):
    """``caddy run`` balancing over ``nodes`` (``host:port`` each); ready once a node answers
    ``/healthz`` through it. ``await start()``, ``stop()``."""

    def __init__(self, nodes: Sequence[str], *, caddyfile: Path = CADDYFILE) -> None:
        found = shutil.which("caddy")
        if found is None:
            raise RuntimeError("caddy is not installed (apt-get install caddy)")
        port = free_port()
        self._home = tempfile.TemporaryDirectory(prefix="caddy-")
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self._home.name,  # Caddy keeps its state under here, not in ~
            "XDG_DATA_HOME": self._home.name,
            "XDG_CONFIG_HOME": self._home.name,
            "SESSIONSVC_SITE": f"http://{LOOPBACK}:{port}",
            "SESSIONSVC_NODES": " ".join(nodes),
        }
        argv = [found, "run", "--config", str(caddyfile), "--adapter", "caddyfile"]
        super().__init__(argv, port, env, ready_path="/healthz")

    def stop(self) -> None:
        super().stop()
        self._home.cleanup()
