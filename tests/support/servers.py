"""Real sessionsvc servers for tests, on free loopback ports.

- ``service`` / ``service_factory``: ``python -m sessionsvc serve`` subprocesses (the real entry
  point; several of them against one Redis make a multi-node deployment; ``kill()`` is SIGKILL).
- ``app_server``: the app in this process behind a real aiohttp server, with a ``ManualClock``, for
  tests that move time (reconnect grace, departure, expiry) without sleeping.
Both come with a ``Booking`` helper that talks to the HTTP API as the booking service does.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from sessionsvc.bootstrap import create_app
from sessionsvc.context import CONTEXT, Context
from sessionsvc.rooms.clock import ManualClock
from sessionsvc.settings import Settings
from sessionsvc.tokens import TokenService

BOOKING_SECRET = "test-booking-secret-0123456789abcdef"
JOIN_SECRET = "test-join-secret-0123456789abcdef"
TEST_ENV = {
    "SESSIONSVC_BOOKING_SECRET": BOOKING_SECRET,
    "SESSIONSVC_JOIN_SECRET": JOIN_SECRET,
    "SESSIONSVC_MIN_HELD_SECONDS": "2",
    "SESSIONSVC_SWEEP_INTERVAL": "0.2",
    "SESSIONSVC_LOG_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


@dataclass
class Booking:
    """The booking service's side of the HTTP API, for tests."""

    url: str
    http: aiohttp.ClientSession
    tokens: TokenService = field(default_factory=lambda: TokenService(BOOKING_SECRET, JOIN_SECRET))

    def headers(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.tokens.mint_booking()}"}

    async def call(
        self, method: str, path: str, json: Any = None, *, token: str | None = None, **kw: Any
    ) -> tuple[int, Any]:
        headers = {**self.headers(token), **kw.pop("headers", {})}
        async with self.http.request(
            method, self.url + path, json=json, headers=headers, **kw
        ) as r:
            ctype = r.headers.get("Content-Type", "")
            body = await r.json() if "json" in ctype else await r.text()
            return r.status, body

    def room_body(
        self,
        *,
        hub: dict[str, str] | None = None,
        client_id: str | None = None,
        start_in: float = 0.0,
        minutes: float = 50.0,
        **extra: Any,
    ) -> dict[str, Any]:
        start = datetime.now(UTC) + timedelta(seconds=start_in)
        return {
            "booking_id": extra.pop("booking_id", f"bk-{uuid.uuid4().hex[:10]}"),
            "hub": hub,
            "professional": {
                "id": extra.pop("professional_id", "pro-1"),
                "name": "Dr. Alex Rivera",
            },
            "client": {"id": client_id or f"cl-{uuid.uuid4().hex[:8]}", "name": "Sam Jordan"},
            "scheduled_start": iso(start),
            "scheduled_end": iso(start + timedelta(minutes=minutes)),
            **extra,
        }

    async def open_room(self, **kw: Any) -> dict[str, Any]:
        status, body = await self.call("POST", "/v1/rooms", self.room_body(**kw))
        assert status == 201, body
        return dict(body)

    async def put_credits(
        self,
        hub_id: str,
        client_id: str,
        *,
        total: int = 5,
        remaining: int = 3,
        card: bool = False,
        invoice_to: str = "company",
    ) -> dict[str, Any]:
        status, body = await self.call(
            "PUT",
            f"/v1/hubs/{hub_id}/members/{client_id}/credits",
            {
                "credits_total": total,
                "credits_remaining": remaining,
                "card_on_file": card,
                "invoice_to": invoice_to,
            },
        )
        assert status == 200, body
        return dict(body)

    async def hub_room(
        self, *, remaining: int = 3, card: bool = False, invoice_to: str = "company", **kw: Any
    ) -> dict[str, Any]:
        """A hub client with the given credits, and a room booked for them."""
        client_id = kw.pop("client_id", f"cl-{uuid.uuid4().hex[:8]}")
        hub_id = kw.pop("hub_id", "hub-acme")
        await self.put_credits(
            hub_id,
            client_id,
            total=max(remaining, 5),
            remaining=remaining,
            card=card,
            invoice_to=invoice_to,
        )
        return await self.open_room(
            hub={"id": hub_id, "name": "Acme Corp"}, client_id=client_id, **kw
        )


class ServiceProcess:
    """One ``sessionsvc serve`` process."""

    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **TEST_ENV, **env, "SESSIONSVC_PORT": str(self.port)}
        self.env.pop("SESSIONSVC_PUBLIC_URL", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in _close_pipes)

    def output(self) -> str:
        """What the node has logged so far."""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    async def start(self, ready_within: float = 20.0) -> ServiceProcess:
        # Popen returns at once; the log goes to a file so a chatty node never blocks on a pipe
        self.proc = subprocess.Popen(  # noqa: ASYNC220
            [sys.executable, "-m", "sessionsvc", "serve"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.monotonic() + ready_within
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"sessionsvc exited with {self.proc.returncode}:\n{self.output()}"
                    )
                try:
                    async with http.get(self.url + "/readyz") as r:
                        if r.status == 200:
                            return self
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)
        self.kill()
        raise RuntimeError("sessionsvc did not become ready in time")

    def kill(self) -> None:
        """SIGKILL: the node dies without any goodbye."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._close_pipes()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._close_pipes()

    def _close_pipes(self) -> None:
        self.log.close()


ServiceFactory = Callable[..., Awaitable[ServiceProcess]]


@pytest.fixture
async def service_factory() -> AsyncIterator[ServiceFactory]:
    """Start ``sessionsvc serve`` processes: ``await service_factory(SESSIONSVC_X="…")``."""
    started: list[ServiceProcess] = []

    async def start(**env: str) -> ServiceProcess:
        proc = ServiceProcess(env)
        started.append(proc)
        return await proc.start()

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
async def service(service_factory: ServiceFactory) -> ServiceProcess:
    """One node on the embedded in-memory store."""
    return await service_factory()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def booking(service: ServiceProcess, http: aiohttp.ClientSession) -> Booking:
    return Booking(service.url, http)


@dataclass
class AppServer:
    """The app in this process, served on loopback, with a clock the test moves."""

    url: str
    app: web.Application
    clock: ManualClock

    @property
    def ctx(self) -> Context:
        return self.app[CONTEXT]

    async def advance(self, seconds: float) -> None:
        """Move time on and apply whatever timeouts fell due."""
        self.clock.advance(seconds)
        await self.ctx.sessions.sweep()


AppServerFactory = Callable[..., Awaitable[AppServer]]


@pytest.fixture
async def app_server_factory() -> AsyncIterator[AppServerFactory]:
    servers: list[TestServer] = []

    async def start(**env: str) -> AppServer:
        settings = Settings.from_env({**TEST_ENV, "SESSIONSVC_SWEEP_INTERVAL": "3600", **env})
        clock = ManualClock(time.time())
        app = create_app(settings, clock=clock)
        server = TestServer(app, host="127.0.0.1", port=free_port())
        await server.start_server()
        servers.append(server)
        return AppServer(str(server.make_url("")).rstrip("/"), app, clock)

    yield start
    for server in servers:
        await server.close()


@pytest.fixture
async def app_server(app_server_factory: AppServerFactory) -> AppServer:
    return await app_server_factory()


@pytest.fixture
def app_booking(app_server: AppServer, http: aiohttp.ClientSession) -> Booking:
    return Booking(app_server.url, http)
