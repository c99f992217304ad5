"""The booking service's webhook endpoint: a real aiohttp server on loopback that checks every
request with the ``standardwebhooks`` package (the spec's own implementation) and answers
what the test tells it to (``answer``: 200 by default; a status, headers and a delay)."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer
from standardwebhooks import Webhook
from standardwebhooks.exceptions import WebhookVerificationError

from testkit.ports import LOOPBACK, free_port


def make_secret(seed: bytes = b"sessionsvc-test-webhook-key-0123") -> str:
    """A ``whsec_`` secret."""
    return "whsec_" + base64.b64encode(seed).decode()


@dataclass(frozen=True)
class Delivery:
    """One request that carried a valid signature."""

    id: str
    type: str
    timestamp: str  # the body's: when the change happened
    data: dict[str, Any]
    received_at: float  # time.time() on arrival
    sent_at: int  # its webhook-timestamp


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a slow or hanging receiver)


Script = Callable[[Delivery], Answer]


class WebhookReceiver:
    """Verifies every request against ``secret`` and keeps what came: ``requests`` (every
    signed request, in arrival order), ``accepted`` (those answered 2xx) and ``invalid`` (the
    ones whose signature did not verify, answered 400)."""

    def __init__(self, secret: str, answer: Script | None = None) -> None:
        self.secret = secret
        self.answer: Script = answer or (lambda _d: Answer())
        self.requests: list[Delivery] = []
        self.accepted: list[Delivery] = []
        self.invalid: list[str] = []
        self._server: TestServer | None = None
        self._arrived = asyncio.Event()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return str(self._server.make_url("/hooks"))

    async def start(self) -> WebhookReceiver:
        app = web.Application()
        app.router.add_post("/hooks", self._receive)
        self._server = TestServer(app, host=LOOPBACK, port=free_port())
        await self._server.start_server()
        return self

    async def stop(self) -> None:
        if self._server is not None:
            await self._server.close()
            self._server = None

    async def _receive(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            payload = Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError as e:
            self.invalid.append(str(e))
            return web.Response(status=400, text="bad signature")
        delivery = Delivery(
            id=request.headers["webhook-id"],
            type=payload["type"],
            timestamp=payload["timestamp"],
            data=payload["data"],
            received_at=time.time(),
            sent_at=int(request.headers["webhook-timestamp"]),
        )
        self.requests.append(delivery)
        self._arrived.set()
        answer = self.answer(delivery)
        if answer.delay:
            await asyncio.sleep(answer.delay)
        if 200 <= answer.status < 300:
            self.accepted.append(delivery)
            self._arrived.set()
        return web.Response(status=answer.status, headers=answer.headers)

    async def wait_until(
        self, done: Callable[[WebhookReceiver], bool], timeout: float = 30.0
    ) -> None:
        """Wait until ``done(self)``; raises ``TimeoutError`` after ``timeout`` seconds."""
        async with asyncio.timeout(timeout):
            while not done(self):
                self._arrived.clear()
                await self._arrived.wait()
