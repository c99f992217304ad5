"""A protocol-level client of the ``/session`` Socket.IO namespace: one browser tab as far as
the signaling protocol is concerned, with no media.

Tests read everything it was sent; benchmarks run hundreds of them in one process and time
round trips through ``handle`` (an event that has a handler is given to it and not kept) and
``emit`` with an ack callback. The same client talks to ``sessionsvc`` (a join token) and to
the benchmarks' bare relay (its own auth fields).
"""

from __future__ import annotations

import asyncio
import inspect
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Self

import aiohttp
import socketio

NAMESPACE = "/session"

Handler = Callable[[Any], Awaitable[None] | None]
Predicate = Callable[[Any], bool]


class SessionClient:
    """A real python-socketio client of ``/session`` at ``url`` (websocket transport only, no
    reconnection: a dropped connection stays dropped, as the tests want to see it).

    ``auth`` is a join token, or the whole auth object; ``namespace`` another namespace of
    the same kind (``/support``, with a support token). ``http`` shares one aiohttp session
    among many clients. Every event received is kept, in order (``log``) and by name
    (``events``), except those given to a handler set with ``handle``.
    """

    def __init__(
        self,
        url: str,
        auth: str | Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        http: aiohttp.ClientSession | None = None,
        connect_timeout: float = 5.0,
        namespace: str = NAMESPACE,
    ) -> None:
        self.url = url
        self.namespace = namespace
        self.auth = {"token": auth} if isinstance(auth, str) else dict(auth)
        self.headers = dict(headers or {})
        self.connect_timeout = connect_timeout
        self.sio = socketio.AsyncClient(reconnection=False, http_session=http, handle_sigint=False)
        self.events: defaultdict[str, list[Any]] = defaultdict(list)
        self.log: list[tuple[str, Any]] = []
        self.refused: Any = None
        self._handlers: dict[str, Handler] = {}
        self._changed = asyncio.Event()
        self._gone = asyncio.Event()
        self.sio.on("*", self._on_any, namespace=self.namespace)
        self.sio.on("disconnect", self._on_disconnect, namespace=self.namespace)
        self.sio.on("connect_error", self._on_refused, namespace=self.namespace)

    # -- connection ------------------------------------------------------------------------

    async def connect(self) -> Self:
        """Connect; raises ``socketio.exceptions.ConnectionError`` if refused."""
        await self.sio.connect(
            self.url,
            namespaces=[self.namespace],
            auth=self.auth,
            transports=["websocket"],
            headers=self.headers,
            wait_timeout=self.connect_timeout,
        )
        return self

    async def try_connect(self) -> Any:
        """Connect expecting a refusal; returns the refusal's ``{code, message}``."""
        try:
            await self.connect()
        except socketio.exceptions.ConnectionError:
            return self.refused
        raise AssertionError("the connection was accepted")

    @property
    def connected(self) -> bool:
        return bool(self.sio.connected)

    @property
    def disconnected(self) -> bool:
        """Whether the connection was up and has ended (by either side)."""
        return self._gone.is_set()

    async def drop(self) -> None:
        """The network drops: the transport closes with no goodbye to the server."""
        await self.sio.eio.disconnect(abort=True)

    async def close(self) -> None:
        """Disconnect, if connected."""
        if self.sio.connected:
            await self.sio.disconnect()

    # -- sending ---------------------------------------------------------------------------

    async def call(self, event: str, data: Any = None, timeout: float = 5.0) -> Any:
        """Send ``event`` and return its ack."""
        return await self.sio.call(
            event, data if data is not None else {}, namespace=self.namespace, timeout=timeout
        )

    async def emit(
        self, event: str, data: Any = None, callback: Callable[..., Any] | None = None
    ) -> None:
        """Send ``event`` without waiting; ``callback`` gets its ack."""
        await self.sio.emit(
            event, data if data is not None else {}, namespace=self.namespace, callback=callback
        )

    # -- receiving -------------------------------------------------------------------------

    def handle(self, event: str, handler: Handler | None) -> None:
        """Give every ``event`` from now on to ``handler`` instead of keeping it (None: keep
        them again)."""
        if handler is None:
            self._handlers.pop(event, None)
        else:
            self._handlers[event] = handler

    def last(self, event: str) -> Any:
        """The data of the latest ``event`` received."""
        return self.events[event][-1]

    async def wait(
        self, event: str, predicate: Predicate | None = None, timeout: float = 5.0
    ) -> Any:
        """The first ``event`` (seen before or arriving now) whose data satisfies ``predicate``."""
        async with asyncio.timeout(timeout):
            seen = 0
            while True:
                items = self.events[event]
                for data in items[seen:]:
                    if predicate is None or predicate(data):
                        return data
                seen = len(items)
                self._changed.clear()
                await self._changed.wait()

    async def wait_room(self, predicate: Predicate, timeout: float = 5.0) -> Any:
        """The first ``room`` snapshot that satisfies ``predicate``."""
        return await self.wait("room", predicate, timeout)

    async def wait_disconnected(self, timeout: float = 10.0) -> None:
        """Until the connection has ended."""
        async with asyncio.timeout(timeout):
            await self._gone.wait()

    async def _on_any(self, event: str, data: Any = None) -> None:
        handler = self._handlers.get(event)
        if handler is not None:
            result = handler(data)
            if inspect.isawaitable(result):
                await result
            return
        self.events[event].append(data)
        self.log.append((event, data))
        self._changed.set()

    async def _on_disconnect(self, reason: Any = None) -> None:
        self._gone.set()
        self._changed.set()

    async def _on_refused(self, data: Any = None) -> None:
        self.refused = data.get("data", data) if isinstance(data, dict) else data
        self._changed.set()
