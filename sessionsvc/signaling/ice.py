"""ICE servers handed to the browsers on admit, with short-lived TURN credentials per coturn's
REST scheme: username ``expiry:participant``, password ``base64(HMAC-SHA1(secret, username))``."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from ..rooms.clock import Clock

log = logging.getLogger(__name__)


def turn_credentials(secret: str, participant_id: str, now: float, ttl: int) -> tuple[str, str]:
    """The (username, password) pair a TURN server with ``use-auth-secret`` accepts until
    ``now + ttl``."""
    username = f"{int(now) + ttl}:{participant_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


class IceServers:
    """The RTCIceServer list for each participant (empty on loopback-only set-ups)."""

    def __init__(
        self,
        clock: Clock,
        *,
        stun_urls: tuple[str, ...] = (),
        turn_urls: tuple[str, ...] = (),
        turn_secret: str = "",
        turn_ttl: int = 3600,
    ) -> None:
        self._clock = clock
        self._stun_urls = stun_urls
        self._turn_urls = turn_urls
        self._turn_secret = turn_secret
        self._turn_ttl = turn_ttl

    @property
    def expiring(self) -> bool:
        """Whether the list holds credentials that expire (TURN with a shared secret)."""
        return bool(self._turn_urls and self._turn_secret)

    @property
    def ttl(self) -> int:
        return self._turn_ttl

    def for_participant(self, participant_id: str) -> list[dict[str, Any]]:
        servers: list[dict[str, Any]] = []
        if self._stun_urls:
            servers.append({"urls": list(self._stun_urls)})
        if self._turn_urls and self._turn_secret:
            username, credential = turn_credentials(
                self._turn_secret, participant_id, self._clock.now(), self._turn_ttl
            )
            servers.append(
                {"urls": list(self._turn_urls), "username": username, "credential": credential}
            )
        return servers


Send = Callable[[str, list[dict[str, Any]]], Awaitable[None]]


class IceRefresher:
    """Hands fresh TURN credentials to every connection of this node before the ones it has
    expire: a call can outlive its credentials, and every new peer connection (after a
    reconnect, an ICE restart or a new offer) must allocate on the TURN server with valid ones.

    ``connections()`` yields ``(sid, participant_id)`` of this node's connections; ``send(sid,
    servers)`` pushes the ``ice_servers`` event. A connection gets fresh credentials once half of
    the lifetime of those it was last given has passed (its snapshot on connect carried some).
    """

    def __init__(
        self,
        ice: IceServers,
        clock: Clock,
        connections: Callable[[], Iterable[tuple[str, str]]],
        send: Send,
    ) -> None:
        self._ice = ice
        self._clock = clock
        self._connections = connections
        self._send = send
        self._given: dict[str, float] = {}  # sid -> when it last got credentials

    @property
    def interval(self) -> float:
        """Seconds between two rounds."""
        return max(0.5, min(30.0, self._ice.ttl / 4))

    async def refresh(self) -> int:
        """One round; returns how many connections got fresh credentials."""
        now = self._clock.now()
        live = dict(self._connections())
        for sid in [s for s in self._given if s not in live]:
            del self._given[sid]
        sent = 0
        for sid, participant_id in live.items():
            given = self._given.setdefault(sid, now)
            if now - given < self._ice.ttl / 2:
                continue
            self._given[sid] = now
            await self._send(sid, self._ice.for_participant(participant_id))
            sent += 1
        return sent

    async def run(self) -> None:
        """Rounds until cancelled; a failed round is logged and the next one runs."""
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.refresh()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("refreshing TURN credentials failed; trying again")
