"""One signed POST of one event to the booking service's endpoint. Only a 2xx answer within
the timeout counts; redirects are not followed (a 3xx is a failure), and nothing the receiver
does can raise out of here."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import aiohttp

from ..rooms.clock import Clock
from ..rooms.outbox import OutboxEvent
from .schedule import parse_retry_after
from .signing import Signer

log = logging.getLogger(__name__)

TIMEOUT = 10.0  # seconds for a whole request, connecting included
MAX_CONNECTIONS = 64


@dataclass(frozen=True)
class Attempt:
    """How one attempt went: the HTTP status (None without an answer), a label for metrics
    and logs (the status, ``timeout`` or ``unreachable``), and a ``Retry-After`` in seconds."""

    status: int | None
    label: str
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """410: the receiver asks never to be sent anything again."""
        return self.status == 410


class Sender:
    """POSTs signed events to one URL over its own HTTP client (call ``close``)."""

    def __init__(self, url: str, signer: Signer, clock: Clock, timeout: float = TIMEOUT) -> None:
        self.url = url
        self._signer = signer
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._http: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=self._timeout,
                connector=aiohttp.TCPConnector(limit=MAX_CONNECTIONS),
                headers={"User-Agent": "sessionsvc-webhooks"},
            )
        return self._http

    async def send(self, event: OutboxEvent) -> Attempt:
        body = event.body()
        headers = {
            **self._signer.headers(event.id, int(self._clock.now()), body),
            "Content-Type": "application/json",
        }
        try:
            async with self._client().post(
                self.url, data=body, headers=headers, allow_redirects=False
            ) as r:
                await r.read()
                retry_after = None
                if r.status in (429, 503):
                    retry_after = parse_retry_after(r.headers.get("Retry-After"), self._clock.now())
                return Attempt(r.status, str(r.status), retry_after)
        except TimeoutError:
            return Attempt(None, "timeout")
        except (aiohttp.ClientError, OSError) as e:
            log.debug("webhook %s not delivered: %s", event.id, e)
            return Attempt(None, "unreachable")

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
            await asyncio.sleep(0)  # lets the connector's transports close
