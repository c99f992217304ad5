"""The composition root: ``create_app(settings)`` picks the store and the Socket.IO client
manager (memory, or Redis when ``SESSIONSVC_REDIS_URL`` is set) and wires the edges to the
domain."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator

import socketio
from aiohttp import web

from .api.errors import error_middleware
from .api.routes import add_routes, metrics_middleware
from .context import CONTEXT, Context
from .metrics import Metrics
from .rooms.clock import Clock, SystemClock
from .rooms.service import Sessions
from .rooms.store import Store
from .settings import Settings
from .signaling.namespace import SessionNamespace
from .signaling.push import RoomPush
from .stores.memory import MemoryStore
from .tokens import TokenService

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
MAX_MESSAGE = 256 * 1024
SIO = web.AppKey("sio", socketio.AsyncServer)
NAMESPACE_KEY = web.AppKey("session_namespace", SessionNamespace)


def create_store(settings: Settings) -> Store:
    if settings.redis_url:
        from .stores.redis import RedisStore

        return RedisStore.from_url(settings.redis_url)
    log.warning(
        "no SESSIONSVC_REDIS_URL: using the embedded in-memory store; "
        "state does not survive a restart and only one process can serve"
    )
    return MemoryStore()


def create_sio(settings: Settings) -> socketio.AsyncServer:
    manager = None
    if settings.redis_url:
        # one connection for publishing keeps redis-py's pool from running dry under load
        manager = socketio.AsyncRedisManager(
            settings.redis_url, redis_options={"single_connection_client": True}
        )
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=[],  # origins are checked at connect, with a reason (see namespace)
        # room to answer an oversized SDP with a clear error; far larger messages close the socket
        max_http_buffer_size=MAX_MESSAGE,
        ping_interval=10,
        ping_timeout=10,
    )


def create_app(
    settings: Settings, *, clock: Clock | None = None, store: Store | None = None
) -> web.Application:
    """Build the whole service for ``settings``."""
    settings = settings.with_secrets()
    clock = clock or SystemClock()
    store = store or create_store(settings)
    sessions = Sessions(store, clock, settings.policy, settings.stats_keep)
    tokens = TokenService(
        settings.booking_secret, settings.join_secret, settings.booking_public_key
    )
    ctx = Context(
        settings=settings,
        sessions=sessions,
        tokens=tokens,
        metrics=Metrics(),
        clock=clock,
        node=uuid.uuid4().hex[:12],
    )

    app = web.Application(
        client_max_size=MAX_BODY, middlewares=[error_middleware, metrics_middleware]
    )
    app[CONTEXT] = ctx
    add_routes(app)
    _add_web(app)

    sio = create_sio(settings)
    namespace = SessionNamespace(ctx)
    sio.register_namespace(namespace)
    sio.attach(app)
    sessions.subscribe(RoomPush(ctx, sio))
    app[SIO] = sio
    app[NAMESPACE_KEY] = namespace

    app.cleanup_ctx.append(_store_lifetime)
    app.cleanup_ctx.append(_sweeper)
    app.on_shutdown.append(_close_sockets)
    return app


def _add_web(app: web.Application) -> None:
    try:
        from .web.routes import setup_web  # type: ignore[import-not-found,unused-ignore]
    except ImportError:  # the pages are optional for API-only deployments
        log.info("web pages not installed")
        return
    setup_web(app)


async def _store_lifetime(app: web.Application) -> AsyncIterator[None]:
    yield
    await app[CONTEXT].sessions.store.close()


async def _sweeper(app: web.Application) -> AsyncIterator[None]:
    """On every node: say this node is alive, hand the participants of dead nodes their
    reconnect grace, and apply due timeouts (reconnect grace, departure, no-shows, expiry). The
    store's atomic mutations make sure each of these takes effect once."""
    ctx = app[CONTEXT]

    async def loop() -> None:
        while True:
            try:
                await ctx.sessions.heartbeat(ctx.node, ctx.settings.node_ttl)
                await ctx.sessions.reap_dead_nodes()
                await ctx.sessions.sweep()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sweep failed; trying again")
            await asyncio.sleep(ctx.settings.sweep_interval)

    task = asyncio.create_task(loop(), name="sessionsvc-sweeper")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _close_sockets(app: web.Application) -> None:
    sio = app[SIO]
    namespace = app[NAMESPACE_KEY]
    for sid in list(namespace.conns):
        try:
            await sio.disconnect(sid, namespace=namespace.namespace, ignore_queue=True)
        except Exception:
            log.debug("could not close %s on shutdown", sid)
