"""The Socket.IO server with its wire guarded, below the namespaces: how many connections one
client address may open and how fast, how long a connection may stay without joining a namespace,
and how large one packet may be, binary attachments included. A connection that breaks a rule of
the wire is closed, with one short log line and no traceback.

python-socketio has no limit of its own on a packet's binary attachments (a packet may announce
billions, each up to the engine.io message size, all kept until the last arrives), so the packet
bytes are counted here, on the engine.io messages, before python-socketio keeps them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import socketio

from ..addresses import Network, client_address
from .ratelimit import KeyedBuckets

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WireLimits:
    """The rules of the wire (per node)."""

    max_packet_bytes: int = 256 * 1024  # a packet's text and its binary attachments together
    max_attachments: int = 2  # no event of ours carries binary data at all
    unauthenticated_timeout: float = 5.0
    max_connections_per_address: int = 200
    connect_rate_per_address: float = 5.0  # per second, with bursts of 20 times that
    trusted_proxies: tuple[Network, ...] = ()


class WireViolation(Exception):
    """A client broke a rule of the wire; its connection is closed."""


def environ_address(environ: dict[str, Any], trusted: tuple[Network, ...]) -> str:
    """The client address of a Socket.IO connection (see ``sessionsvc.addresses``)."""
    request = environ.get("aiohttp.request")
    peer = getattr(request, "remote", None)
    forwarded = str(environ.get("HTTP_X_FORWARDED_FOR", ""))
    return client_address(None if peer is None else str(peer), forwarded, trusted)


class GuardedServer(socketio.AsyncServer):  # type: ignore[misc]
    """``socketio.AsyncServer`` that keeps ``limits`` (see the module's docstring) and accepts
    only ``namespaces``: a connection to any other, the default ``/`` included, is refused."""

    def __init__(self, limits: WireLimits, namespaces: list[str], **options: Any) -> None:
        super().__init__(namespaces=namespaces, **options)
        self.limits = limits
        self.guarded = tuple(namespaces)
        self._rates = KeyedBuckets(
            limits.connect_rate_per_address, limits.connect_rate_per_address * 20
        )
        self._address: dict[str, str] = {}
        self._open: Counter[str] = Counter()
        self._timers: dict[str, asyncio.Task[None]] = {}
        self._pending: dict[str, int] = {}  # bytes of a binary packet still being received
        self._closing: set[str] = set()

    def open_connections(self, address: str) -> int:
        """Engine.IO connections open from ``address`` on this node."""
        return self._open[address]

    async def _handle_eio_connect(self, eio_sid: str, environ: dict[str, Any]) -> Any:
        address = environ_address(environ, self.limits.trusted_proxies)
        if self._open[address] >= self.limits.max_connections_per_address:
            log.warning("refused a connection: %s has too many open", address)
            return "too_many_connections"
        if not self._rates.take(address, time.monotonic()):
            log.warning("refused a connection: %s connects too fast", address)
            return "rate_limited"
        self._address[eio_sid] = address
        self._open[address] += 1
        self._timers[eio_sid] = asyncio.create_task(self._close_unless_joined(eio_sid))
        return await super()._handle_eio_connect(eio_sid, environ)

    async def _handle_eio_disconnect(self, eio_sid: str, reason: Any) -> None:
        try:
            await super()._handle_eio_disconnect(eio_sid, reason)
        finally:
            self._forget(eio_sid)

    def _forget(self, eio_sid: str) -> None:
        address = self._address.pop(eio_sid, None)
        if address is not None:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]
        timer = self._timers.pop(eio_sid, None)
        if timer is not None and timer is not asyncio.current_task():
            timer.cancel()
        self._pending.pop(eio_sid, None)
        self._closing.discard(eio_sid)

    async def _handle_eio_message(self, eio_sid: str, data: Any) -> None:
        if eio_sid in self._closing:
            return
        try:
            if isinstance(data, bytes):
                self._count_attachment(eio_sid, len(data))
            await super()._handle_eio_message(eio_sid, data)
            packet = self._binary_packet.get(eio_sid)
            if packet is None:
                self._pending.pop(eio_sid, None)
            elif eio_sid not in self._pending:
                if packet.attachment_count > self.limits.max_attachments:
                    raise WireViolation(f"{packet.attachment_count} binary attachments announced")
                self._pending[eio_sid] = len(data)
        except WireViolation as e:
            self._close(eio_sid, str(e))
        except Exception as e:  # a malformed packet: python-socketio's parser said so
            self._close(eio_sid, f"malformed packet ({type(e).__name__})")

    def _count_attachment(self, eio_sid: str, size: int) -> None:
        pending = self._pending.get(eio_sid)
        if pending is None:
            raise WireViolation("binary data outside a packet")
        pending += size
        if pending > self.limits.max_packet_bytes:
            raise WireViolation(f"a packet over {self.limits.max_packet_bytes} bytes")
        self._pending[eio_sid] = pending

    def _close(self, eio_sid: str, why: str) -> None:
        if eio_sid in self._closing:
            return
        self._closing.add(eio_sid)
        log.warning("closed a connection from %s: %s", self._address.get(eio_sid, "unknown"), why)
        self._binary_packet.pop(eio_sid, None)
        self.start_background_task(self._disconnect_eio, eio_sid)

    async def _disconnect_eio(self, eio_sid: str) -> None:
        with contextlib.suppress(Exception):
            await self.eio.disconnect(eio_sid)

    async def _close_unless_joined(self, eio_sid: str) -> None:
        await asyncio.sleep(self.limits.unauthenticated_timeout)
        if not any(self.manager.sid_from_eio_sid(eio_sid, ns) for ns in self.guarded):
            self._close(eio_sid, "joined no namespace in time")
