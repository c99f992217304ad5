"""``sessionsvc serve`` processes on free loopback ports."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from testkit.ports import LOOPBACK, free_port
from testkit.processes import LoopbackServer
from testkit.settings import TEST_ENV

SERVE = (sys.executable, "-m", "sessionsvc", "serve")


class ServiceProcess(LoopbackServer):
    """One ``python -m sessionsvc serve`` process (the real entry point), or ``command`` (e.g. an
    installed wheel's ``sessionsvc serve``) run in ``cwd``, ready once ``/readyz`` answers.
    Several of them against one Redis make a multi-node deployment.

    It runs on ``TEST_ENV`` with ``env`` on top; ``SESSIONSVC_*`` variables of this process's
    own environment are not passed on. ``await start()``; ``stop()`` is SIGTERM (a graceful
    shutdown), ``kill()`` SIGKILL (the node dies without any goodbye); ``output()`` is its log.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        port: int | None = None,
        *,
        command: Sequence[str] = SERVE,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        port = port or free_port()
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONSVC_")}
        full = {
            **inherited,
            **TEST_ENV,
            **(env or {}),
            "SESSIONSVC_HOST": LOOPBACK,
            "SESSIONSVC_PORT": str(port),
        }
        super().__init__(command, port, full, cwd=cwd)
