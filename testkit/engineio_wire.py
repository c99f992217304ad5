"""A raw engine.io websocket, spoken frame by frame, for tests that send what no well-behaved
Socket.IO client would: packets to the default namespace, binary attachments without end, or
nothing at all. It answers the server's pings, so a connection it holds only ends when the server
ends it."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Self

import aiohttp


class RawEngineIO:
    """One engine.io (v4) websocket connection to ``url``; ``await open()`` first."""

    def __init__(self, url: str, http: aiohttp.ClientSession) -> None:
        self.url = url.replace("http://", "ws://", 1).rstrip("/") + "/socket.io/"
        self.http = http
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.handshake: dict[str, Any] = {}

    async def open(self, headers: dict[str, str] | None = None) -> Self:
        """Connect; raises ``aiohttp.WSServerHandshakeError`` when the server refuses."""
        self.ws = await self.http.ws_connect(
            self.url, params={"EIO": "4", "transport": "websocket"}, headers=headers
        )
        opening = await self.ws.receive_str(timeout=10)
        assert opening.startswith("0"), opening
        self.handshake = json.loads(opening[1:])
        return self

    async def send(self, text: str) -> None:
        assert self.ws is not None
        await self.ws.send_str(text)

    async def send_bytes(self, data: bytes) -> None:
        assert self.ws is not None
        await self.ws.send_bytes(data)

    async def join(self, namespace: str, auth: dict[str, Any] | None = None) -> str:
        """Send a Socket.IO CONNECT to ``namespace``; the server's answer (``40…`` or ``44…``;
        events sent before it are dropped)."""
        prefix = "" if namespace == "/" else namespace + ","
        await self.send("40" + prefix + (json.dumps(auth) if auth is not None else ""))
        while True:
            message = await self.receive(10)
            assert message is not None, "the server closed the connection"
            if message.startswith(("40" + prefix, "44" + prefix)):
                return message

    async def receive(self, timeout: float) -> str | None:
        """The next message that is not a ping (pings are answered); None once closed."""
        assert self.ws is not None
        async with asyncio.timeout(timeout):
            while True:
                msg = await self.ws.receive()
                if msg.type in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSED,
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.ERROR,
                ):
                    return None
                if msg.type is aiohttp.WSMsgType.TEXT and msg.data == "2":
                    await self.ws.send_str("3")
                    continue
                if msg.type is aiohttp.WSMsgType.TEXT and msg.data == "1":
                    return None  # engine.io CLOSE
                return str(msg.data)

    async def closed_by_server(self, within: float) -> bool:
        """Whether the server closes this connection within ``within`` seconds (other messages
        are read and dropped)."""
        try:
            while await self.receive(within) is not None:
                pass
        except TimeoutError:
            return False
        return True

    @property
    def closed(self) -> bool:
        return self.ws is None or self.ws.closed

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
