"""Real sessionsvc servers for tests, on free loopback ports (pytest plugin).

- ``service`` / ``service_factory``: ``sessionsvc serve`` subprocesses (``testkit.service``;
  several of them against one Redis make a multi-node deployment; ``kill()`` is SIGKILL).
- ``app_server``: the app in this process behind a real aiohttp server, with a ``ManualClock``, for
  tests that move time (reconnect grace, departure, expiry) without sleeping.
Both come with a ``Booking`` (``testkit.booking``) that talks to the HTTP API as the booking
service does.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Generator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from sessionsvc.bootstrap import SETTINGS, TIMEOUTS, create_app
from sessionsvc.rooms.clock import ManualClock
from sessionsvc.rooms.store import Backend
from sessionsvc.settings import Settings
from testkit.booking import Booking
from testkit.counting_store import CountingBackend
from testkit.ports import free_port
from testkit.service import ServiceProcess
from testkit.settings import TEST_ENV

ServiceFactory = Callable[..., Awaitable[ServiceProcess]]
FAILED = pytest.StashKey[bool]()
LOG_LINES = 150  # of each node's log, shown with a failed test


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


@pytest.fixture
async def service_factory(request: pytest.FixtureRequest) -> AsyncIterator[ServiceFactory]:
    """Start ``sessionsvc serve`` processes: ``await service_factory(SESSIONSVC_X="…")``. When the
    test fails, the end of each node's log is printed with it."""
    started: list[ServiceProcess] = []

    async def start(**env: str) -> ServiceProcess:
        proc = ServiceProcess(env)
        started.append(proc)
        return await proc.start()

    yield start
    for proc in started:
        proc.stop()
    if request.node.stash.get(FAILED, False):
        for n, proc in enumerate(started, 1):
            lines = proc.output().splitlines()[-LOG_LINES:]
            print(f"--- node {n} ({proc.url}), last {len(lines)} lines of its log ---")
            print("\n".join(lines))


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
    def settings(self) -> Settings:
        return self.app[SETTINGS]

    async def advance(self, seconds: float) -> None:
        """Move time on and apply whatever timeouts fell due."""
        self.clock.advance(seconds)
        await self.app[TIMEOUTS].sweep()


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


@contextlib.asynccontextmanager
async def counted_node(backend: Backend, **env: str) -> AsyncIterator[tuple[str, CountingBackend]]:
    """The app in this process over ``backend``, every store call counted by name
    (``testkit.counting_store``), served on loopback: ``async with counted_node(b) as (url,
    counting)``. ``env`` adds settings (``SESSIONSVC_REDIS_URL`` gives it the sharded manager)."""
    counting = CountingBackend(backend)
    settings = Settings.from_env({**TEST_ENV, "SESSIONSVC_SWEEP_INTERVAL": "3600", **env})
    app = create_app(settings, backend=counting)  # type: ignore[arg-type]
    server = TestServer(app, host="127.0.0.1", port=free_port())
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/"), counting
    finally:
        await server.close()
