"""The composition root: ``create_app(settings)`` picks the store backend and the Socket.IO
client manager (memory, or Redis when ``SESSIONSVC_REDIS_URL`` is set), builds the domain's
services over them, and wires the edges (HTTP API, signaling, pages) to those services."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import socketio
from aiohttp import web
from aiortc import RTCConfiguration, RTCIceServer

from .addresses import parse_networks
from .api.diagnostics import DIAGNOSTICS, AddressLimiter, Diagnostics
from .api.errors import error_middleware
from .api.keys import (
    BACKEND,
    BOOKINGS,
    CREDITS,
    LINKS,
    METRICS,
    STATEMENTS,
    SUPPORT,
    TOKENS,
    WEBHOOKS,
)
from .api.links import JoinLinks
from .api.routes import add_routes, metrics_middleware
from .logtext import ENGINEIO_LOGGER, SOCKETIO_LOGGER, wire_logger
from .media.connection_tests import ConnectionTests, TestLimits
from .metrics import Metrics
from .rooms.bookings import Bookings
from .rooms.clock import Clock, SharedClock, SystemClock
from .rooms.credits import Credits
from .rooms.errors import StoreUnavailable
from .rooms.events import Events
from .rooms.live import LiveSession
from .rooms.mediastats import MediaStats, Retention
from .rooms.nodes import NodeLiveness
from .rooms.policy import Policy
from .rooms.statements import InvoiceCalendar, Statements
from .rooms.store import Backend
from .rooms.sweeper import Timeouts
from .sessionlog import SessionLog
from .settings import Settings, SettingsError
from .signaling.channels import NAMESPACE, session_of
from .signaling.gate import SignalGate
from .signaling.guard import GuardedServer, WireLimits
from .signaling.ice import IceRefresher, IceServers
from .signaling.namespace import SessionNamespace
from .signaling.push import RoomPush
from .signaling.qualitypush import QualityPush
from .signaling.support import SUPPORT_NAMESPACE, SupportNamespace, SupportPush
from .signaling.views import Views
from .stores.memory import MemoryStore
from .support.audit import Audit
from .support.desk import SupportDesk
from .support.pseudonyms import Pseudonyms
from .tokens import TokenService
from .webhooks.wiring import create_deliverer, statement_calendar, webhooks_lifetime

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MAX_MESSAGE = 256 * 1024
STORE_TIMEOUT = 5.0  # seconds for the store's first answer at start
DRAIN_TIMEOUT = 10.0  # seconds a stopping node waits for the events being handled
SHUTDOWN_GRACE = 5.0
"""Seconds a stopping node then waits for its remaining HTTP handlers (aiohttp's
``shutdown_timeout``; its default is 60 s). By then every participant was told to reconnect and
its engine.io session closed, so what remains are requests in flight and the websocket handlers
of closed sessions, which end only when the client (through a load balancer) closes its end or
after engine.io's ping interval and timeout, each packet that still arrives starting it again.
A node must not wait on its clients: it is cancelled after this grace."""
RESTARTING = {"message": "This server is restarting; reconnecting you to another one."}

SETTINGS = web.AppKey("settings", Settings)
LIVE = web.AppKey("live", LiveSession)
TIMEOUTS = web.AppKey("timeouts", Timeouts)
LIVENESS = web.AppKey("liveness", NodeLiveness)
SIO = web.AppKey("sio", socketio.AsyncServer)
NAMESPACE_KEY = web.AppKey("session_namespace", SessionNamespace)
ICE_REFRESHER = web.AppKey("ice_refresher", IceRefresher)
SUPPORT_NAMESPACE_KEY = web.AppKey("support_namespace", SupportNamespace)
NODE = web.AppKey("node", str)
"""This process's id among the service nodes."""
CLOCK = web.AppKey("clock", SharedClock)
"""This node's clock, set to the store's (every node's durations on one clock)."""
CALIBRATE_EVERY = 60.0  # seconds between two readings of the store's clock


def create_backend(settings: Settings, clock: Clock | None = None) -> Backend:
    if settings.redis_url:
        from .stores.redis import RedisStore

        return RedisStore.from_url(settings.redis_url, clock=clock, retention=settings.retention)
    log.warning(
        "no SESSIONSVC_REDIS_URL: using the embedded in-memory store; "
        "state does not survive a restart and only one process can serve"
    )
    return MemoryStore(clock, settings.retention)


def create_manager(settings: Settings) -> socketio.AsyncManager | None:
    """The Socket.IO client manager: none (in-process) on the embedded store; with Redis, the
    sharded manager that publishes only to the nodes hosting a session (``signaling/manager``),
    or python-socketio's ``AsyncRedisManager`` (every emit to every node) when
    ``SESSIONSVC_SIGNALING=broadcast``."""
    if not settings.redis_url:
        return None
    from .stores.redis import cluster_url

    url, cluster = cluster_url(settings.redis_url)
    if settings.signaling == "broadcast":
        if cluster:
            raise SettingsError(
                "SESSIONSVC_SIGNALING=broadcast needs a standalone Redis: python-socketio's "
                "AsyncRedisManager has no Redis Cluster support"
            )
        # one connection for publishing keeps redis-py's pool from running dry under load
        return socketio.AsyncRedisManager(
            settings.redis_url, redis_options={"single_connection_client": True}
        )
    from .signaling.manager import ShardedManager
    from .signaling.shardbus import ShardBus

    return ShardedManager(ShardBus.from_url(url, cluster=cluster), group_of=session_of)


def signal_gate(sio: socketio.AsyncServer) -> SignalGate | None:
    """With the sharded client manager, which tells of every message it delivers here, a gate
    that keeps passed signal checks until their room changes (``signaling/gate.py``)."""
    from .signaling.manager import ShardedManager

    if not isinstance(sio.manager, ShardedManager):
        return None
    gate = SignalGate()

    def delivering(namespace: str, event: str, to: Any) -> None:
        if namespace == NAMESPACE:
            gate.delivered(event, to)

    sio.manager.delivering.append(delivering)
    return gate


def wire_limits(settings: Settings) -> WireLimits:
    """The rules of the Socket.IO wire from the settings."""
    return WireLimits(
        max_packet_bytes=MAX_MESSAGE,
        unauthenticated_timeout=settings.unauthenticated_timeout,
        max_connections_per_address=settings.max_connections_per_address,
        connect_rate_per_address=settings.connect_rate_per_address,
        trusted_proxies=parse_networks(settings.trusted_proxies),
    )


def create_sio(settings: Settings) -> socketio.AsyncServer:
    """The Socket.IO server: its wire guarded (``signaling/guard``), namespaces ``/session``
    and ``/support`` only, websocket only."""
    manager = create_manager(settings)
    return GuardedServer(
        wire_limits(settings),
        [NAMESPACE, SUPPORT_NAMESPACE],
        logger=wire_logger(SOCKETIO_LOGGER),
        engineio_logger=wire_logger(ENGINEIO_LOGGER),
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=[],  # origins are checked at connect, with a reason (see namespace)
        transports=["websocket"],  # every client of ours speaks websocket only; no polling
        # room to answer an oversized SDP with a clear error; far larger messages close the socket
        max_http_buffer_size=MAX_MESSAGE,
        ping_interval=10,
        ping_timeout=10,
    )


def allowed_origins(settings: Settings) -> tuple[str, ...]:
    """The origins whose pages may open Socket.IO connections: the public URL's, and any extra
    ones configured."""
    base = urlsplit(settings.base_url)
    return (f"{base.scheme}://{base.netloc}", *(o.rstrip("/") for o in settings.allowed_origins))


@dataclass(frozen=True)
class Services:
    """The domain's services over one backend, as the composition root wires them."""

    bookings: Bookings
    credits: Credits
    live: LiveSession
    timeouts: Timeouts
    liveness: NodeLiveness
    statements: Statements
    media: MediaStats


def create_services(
    backend: Backend,
    clock: Clock,
    policy: Policy,
    events: Events,
    retention: Retention | None = None,
    statements: Statements | None = None,
) -> Services:
    """Build every service of the domain over ``backend``; their changes go to ``events``."""
    credits = Credits(backend.ledgers, backend.rooms, clock, events)
    live = LiveSession(backend.rooms, credits, clock, policy, events)
    media = MediaStats(backend.media_stats, live, clock, retention)
    events.subscribe(media.on_room_event)
    return Services(
        bookings=Bookings(backend.rooms, backend.ledgers, clock, policy, events),
        credits=credits,
        live=live,
        timeouts=Timeouts(backend.rooms, backend.deadlines, credits, clock, policy, events),
        liveness=NodeLiveness(backend.nodes, backend.rooms, clock, policy, events),
        statements=statements or Statements(backend.statements, *statement_calendar(None)),
        media=media,
    )


def create_app(
    settings: Settings, *, clock: Clock | None = None, backend: Backend | None = None
) -> web.Application:
    """Build the whole service for ``settings``."""
    settings = settings.with_secrets()
    # one clock for every node: the store's (read when the app starts, then every minute);
    # the outbox's retry times come from it too, so the store is built with it
    clock = SharedClock(clock or SystemClock(), lambda: store.time())
    store: Backend = backend or create_backend(settings, clock)
    backend = store
    node = uuid.uuid4().hex[:12]

    events = Events()
    retention = Retention(samples=settings.stats_samples, seconds=settings.stats_retention)
    invoices = InvoiceCalendar(*statement_calendar(settings))
    statements = Statements(backend.statements, invoices.calendar, invoices.zone)
    services = create_services(backend, clock, settings.policy, events, retention, statements)
    tokens = TokenService(
        settings.booking_secret, settings.join_secret, settings.booking_public_key
    )
    metrics = Metrics()
    links = JoinLinks(
        tokens,
        clock,
        settings.base_url,
        token_ttl=settings.join_token_ttl,
        expiry_grace=settings.expiry_grace,
    )
    ice = IceServers(
        clock,
        stun_urls=settings.stun_urls,
        turn_urls=settings.turn_urls,
        turn_secret=settings.turn_secret,
        turn_ttl=settings.turn_ttl,
    )
    views = Views(
        ice,
        settings.reconnect_grace,
        settings.policy,
        invoices,
    )
    diagnostics = _diagnostics(settings, clock, backend, ice)
    desk = SupportDesk(
        backend.rooms,
        services.media,
        Pseudonyms(settings.join_secret),
        Audit(clock),
        clock,
        test_reports=diagnostics.tests,
    )

    app = web.Application(
        client_max_size=MAX_BODY, middlewares=[error_middleware, metrics_middleware]
    )
    app[SETTINGS] = settings
    app[NODE] = node
    app[CLOCK] = clock
    app[BACKEND] = backend
    app[TOKENS] = tokens
    app[METRICS] = metrics
    app[BOOKINGS] = services.bookings
    app[CREDITS] = services.credits
    app[STATEMENTS] = services.statements
    app[LINKS] = links
    app[LIVE] = services.live
    app[TIMEOUTS] = services.timeouts
    app[LIVENESS] = services.liveness
    app[DIAGNOSTICS] = diagnostics
    app[SUPPORT] = desk
    app[WEBHOOKS] = create_deliverer(settings, backend, clock, metrics, node)
    add_routes(app)
    _add_web(app)

    sio = create_sio(settings)
    namespace = SessionNamespace(
        services.live,
        tokens,
        views,
        metrics,
        services.media,
        node=node,
        allowed_origins=allowed_origins(settings),
        event_rate=settings.event_rate,
        connect_rate=settings.connect_rate_per_identity,
        flood_cooldown=settings.flood_cooldown,
        gate=signal_gate(sio),
    )
    sio.register_namespace(namespace)
    support = SupportNamespace(
        desk, tokens, allowed_origins=allowed_origins(settings), event_rate=settings.event_rate
    )
    sio.register_namespace(support)
    sio.attach(app)
    events.subscribe(metrics.on_room_event)
    events.subscribe(SessionLog().on_room_event)
    events.subscribe(RoomPush(sio, views))
    services.media.subscribe(QualityPush(sio))
    support_push = SupportPush(sio, desk)
    events.subscribe(support_push.on_room_event)
    services.media.subscribe(support_push.on_quality)
    app[SIO] = sio
    app[NAMESPACE_KEY] = namespace
    app[SUPPORT_NAMESPACE_KEY] = support

    app.cleanup_ctx.append(_backend_lifetime)
    app.cleanup_ctx.append(_manager_lifetime)
    app.cleanup_ctx.append(_sweeper)
    app.cleanup_ctx.append(webhooks_lifetime(WEBHOOKS))
    if ice.expiring:
        app[ICE_REFRESHER] = _ice_refresher(ice, clock, sio, namespace)
        app.cleanup_ctx.append(_refreshing_ice)
    app.cleanup_ctx.append(_connection_tests)
    app.on_shutdown.append(_close_sockets)
    app.on_shutdown.append(_close_connection_tests)
    return app


def _add_web(app: web.Application) -> None:
    """The join page; raises ``BrowserAppNotBuilt`` when its built files are missing, because the
    page would then never open a session."""
    from .web import setup_web

    setup_web(app, support_contact=app[SETTINGS].support_contact)


def _diagnostics(
    settings: Settings, clock: Clock, backend: Backend, ice: IceServers
) -> Diagnostics:
    """The connection test: this node's tests over the report store, with the ICE servers a
    call gets (the service's own peer needs STUN at most)."""
    limits = TestLimits(
        max_tests=settings.diagnostics_max_tests,
        duration=settings.diagnostics_duration,
        time_limit=settings.diagnostics_time_limit,
        retention=settings.diagnostics_retention,
    )
    stun = [RTCIceServer(urls=list(settings.stun_urls))] if settings.stun_urls else []
    tests = ConnectionTests(
        backend.reports, clock, None, limits, configuration=RTCConfiguration(iceServers=stun)
    )
    return Diagnostics(
        tests=tests,
        ice=ice,
        limiter=AddressLimiter(clock, settings.diagnostics_ip_rate),
        relay_check=bool(settings.turn_urls and settings.turn_secret),
        trusted_proxies=parse_networks(settings.trusted_proxies),
    )


async def _connection_tests(app: web.Application) -> AsyncIterator[None]:
    """Close every connection test at the end. The test clip is encoded once, in a thread,
    when the node's first test comes: a node that never runs one never pays for it."""
    tests = app[DIAGNOSTICS].tests
    yield
    await tests.close()


async def _close_connection_tests(app: web.Application) -> None:
    await app[DIAGNOSTICS].tests.close()


async def _backend_lifetime(app: web.Application) -> AsyncIterator[None]:
    # One command before any concurrent ones: redis-py's asyncio cluster client must be
    # initialized (the slot map read) before it is used concurrently, or the first commands
    # racing each other fail. An unreachable store is not fatal here: /readyz reports it.
    try:
        await asyncio.wait_for(app[BACKEND].ping(), STORE_TIMEOUT)
        await asyncio.wait_for(app[CLOCK].calibrate(), STORE_TIMEOUT)
    except Exception as e:
        log.warning("the store is not reachable at start (%s); /readyz will say so", e)
    yield
    await app[BACKEND].close()


def _ice_refresher(
    ice: IceServers, clock: Clock, sio: socketio.AsyncServer, namespace: SessionNamespace
) -> IceRefresher:
    def connections() -> list[tuple[str, str]]:
        return [(sid, conn.participant_id) for sid, conn in namespace.conns.items()]

    async def send(sid: str, servers: list[dict[str, object]]) -> None:
        await sio.emit(
            "ice_servers",
            {"ice_servers": servers},
            to=sid,
            namespace=namespace.namespace,
            ignore_queue=True,
        )

    return IceRefresher(ice, clock, connections, send)


async def _refreshing_ice(app: web.Application) -> AsyncIterator[None]:
    task = asyncio.create_task(app[ICE_REFRESHER].run(), name="sessionsvc-ice-refresh")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _manager_lifetime(app: web.Application) -> AsyncIterator[None]:
    """The sharded client manager listens from start-up (not from the first connection), so
    messages for this node's sockets and callbacks reach it; it says goodbye at shutdown."""
    from .signaling.manager import ShardedManager

    manager = app[SIO].manager
    if isinstance(manager, ShardedManager):
        await manager.start()
    yield
    if isinstance(manager, ShardedManager):
        await manager.close()


async def _sweeper(app: web.Application) -> AsyncIterator[None]:
    """On every node: say this node is alive, hand the participants of dead nodes their
    reconnect grace, and apply due timeouts (reconnect grace, departure, no-shows, expiry). The
    store's atomic mutations make sure each of these takes effect once."""
    settings, node = app[SETTINGS], app[NODE]
    liveness, timeouts = app[LIVENESS], app[TIMEOUTS]

    clock = app[CLOCK]

    async def loop() -> None:
        calibrated = time.monotonic()
        while True:
            try:
                if time.monotonic() - calibrated >= CALIBRATE_EVERY:
                    calibrated = time.monotonic()
                    await clock.calibrate()
                await liveness.heartbeat(node, settings.node_ttl)
                await liveness.reap_dead_nodes()
                await timeouts.sweep()
            except asyncio.CancelledError:
                raise
            except StoreUnavailable:
                log.warning("sweep skipped: the store is unreachable; trying again")
            except Exception:
                log.exception("sweep failed; trying again")
            await asyncio.sleep(settings.sweep_interval)

    task = asyncio.create_task(loop(), name="sessionsvc-sweeper")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_sockets(app: web.Application) -> None:
    """A graceful stop (SIGTERM; aiohttp has closed the listening socket by now): let the
    events being handled finish, tell every participant connected here to reconnect (a load
    balancer, or the synthetic participant's list of nodes, takes them to another node, where
    they resume their place within the reconnect grace), then close their connections. Each
    close is a drop the store records before this node exits."""
    sio = app[SIO]
    namespace = app[NAMESPACE_KEY]
    if not await namespace.idle(DRAIN_TIMEOUT):
        log.warning("stopping with events still being handled after %.0f s", DRAIN_TIMEOUT)
    sids = list(namespace.conns)
    if sids:
        log.info("stopping: asking %d participants to reconnect elsewhere", len(sids))
    for sid in sids:
        try:
            await sio.emit(
                "restarting", RESTARTING, to=sid, namespace=namespace.namespace, ignore_queue=True
            )
            await sio.disconnect(sid, namespace=namespace.namespace, ignore_queue=True)
        except Exception:
            log.debug("could not close %s on shutdown", sid)
    # and the engine.io connections under them, so the web server has no handler to wait for
    if sio.eio.sockets:
        try:
            await sio.eio.disconnect()
        except Exception:
            log.debug("could not close the engine.io connections on shutdown")
    support = app[SUPPORT_NAMESPACE_KEY]
    for sid in list(support.viewers):
        try:
            await sio.disconnect(sid, namespace=support.namespace, ignore_queue=True)
        except Exception:
            log.debug("could not close %s on shutdown", sid)
