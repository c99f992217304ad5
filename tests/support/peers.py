"""A protocol-level participant: a real python-socketio client on ``/session`` that records
every event it receives, for tests and benchmarks."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

import socketio

NS = "/session"


class Peer:
    """One browser tab, as far as the signaling protocol is concerned."""

    def __init__(self, url: str, token: str, *, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.token = token
        self.headers = headers or {}
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: dict[str, list[Any]] = defaultdict(list)
        self.log: list[tuple[str, Any]] = []
        self.refused: Any = None
        self._changed = asyncio.Event()
        self._gone = asyncio.Event()
        self.sio.on("disconnect", self._on_disconnect, namespace=NS)
        self.sio.on("*", self._on_any, namespace=NS)
        self.sio.on("connect_error", self._on_refused, namespace=NS)

    async def _on_any(self, event: str, data: Any = None) -> None:
        self.events[event].append(data)
        self.log.append((event, data))
        self._changed.set()

    async def _on_disconnect(self, reason: Any = None) -> None:
        self._gone.set()

    async def _on_refused(self, data: Any = None) -> None:
        self.refused = data.get("data", data) if isinstance(data, dict) else data
        self._changed.set()

    async def connect(self) -> Peer:
        await self.sio.connect(
            self.url,
            namespaces=[NS],
            auth={"token": self.token},
            transports=["websocket"],
            headers=self.headers,
            wait_timeout=5,
        )
        return self

    async def try_connect(self) -> Any:
        """Connect expecting a refusal; returns the refusal's ``{code, message}``."""
        try:
            await self.connect()
        except socketio.exceptions.ConnectionError:
            return self.refused
        raise AssertionError("the connection was accepted")

    async def call(self, event: str, data: Any = None, timeout: float = 5.0) -> Any:
        return await self.sio.call(
            event, data if data is not None else {}, namespace=NS, timeout=timeout
        )

    def last(self, event: str) -> Any:
        return self.events[event][-1]

    async def wait(self, event: str, predicate: Any = None, timeout: float = 5.0) -> Any:
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

    async def wait_room(self, predicate: Any, timeout: float = 5.0) -> Any:
        return await self.wait("room", predicate, timeout)

    async def wait_disconnected(self, timeout: float = 10.0) -> None:
        """Until the server has closed this connection."""
        async with asyncio.timeout(timeout):
            await self._gone.wait()

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
