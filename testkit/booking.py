"""The booking service's side of the HTTP API: what tests and benchmarks use to open rooms and
grant credits, with booking-service tokens signed by the test secret."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from sessionsvc.tokens import TokenService
from testkit.settings import BOOKING_SECRET, JOIN_SECRET


def iso(dt: datetime) -> str:
    """A time as the API writes it: ISO 8601 in UTC with a ``Z``."""
    return dt.isoformat().replace("+00:00", "Z")


@dataclass
class Booking:
    """The booking service's side of the HTTP API at ``url``."""

    url: str
    http: aiohttp.ClientSession
    tokens: TokenService = field(default_factory=lambda: TokenService(BOOKING_SECRET, JOIN_SECRET))

    def headers(self, token: str | None = None) -> dict[str, str]:
        """The Authorization header: ``token``, or a fresh booking-service token."""
        return {"Authorization": f"Bearer {token or self.tokens.mint_booking()}"}

    async def call(
        self, method: str, path: str, json: Any = None, *, token: str | None = None, **kw: Any
    ) -> tuple[int, Any]:
        """One request; returns (status, the JSON body or else the text)."""
        headers = {**self.headers(token), **kw.pop("headers", {})}
        async with self.http.request(
            method, self.url + path, json=json, headers=headers, **kw
        ) as r:
            ctype = r.headers.get("Content-Type", "")
            body = await r.json() if "json" in ctype else await r.text()
            return r.status, body

    def room_body(
        self,
        *,
        hub: dict[str, str] | None = None,
        client_id: str | None = None,
        start_in: float = 0.0,
        minutes: float = 50.0,
        **extra: Any,
    ) -> dict[str, Any]:
        """The body of ``POST /v1/rooms``: a fresh booking starting ``start_in`` s from now."""
        start = datetime.now(UTC) + timedelta(seconds=start_in)
        return {
            "booking_id": extra.pop("booking_id", f"bk-{uuid.uuid4().hex[:10]}"),
            "hub": hub,
            "professional": {
                "id": extra.pop("professional_id", "pro-1"),
                "name": "Dr. Alex Rivera",
            },
            "client": {"id": client_id or f"cl-{uuid.uuid4().hex[:8]}", "name": "Sam Jordan"},
            "scheduled_start": iso(start),
            "scheduled_end": iso(start + timedelta(minutes=minutes)),
            **extra,
        }

    async def open_room(self, **kw: Any) -> dict[str, Any]:
        """Open a room (``room_body(**kw)``); returns the API's answer, join links included."""
        status, body = await self.call("POST", "/v1/rooms", self.room_body(**kw))
        assert status == 201, body
        return dict(body)

    async def put_credits(
        self,
        hub_id: str,
        client_id: str,
        *,
        total: int = 5,
        remaining: int = 3,
        card: bool = False,
        invoice_to: str = "company",
    ) -> dict[str, Any]:
        """Set a hub member's credits."""
        status, body = await self.call(
            "PUT",
            f"/v1/hubs/{hub_id}/members/{client_id}/credits",
            {
                "credits_total": total,
                "credits_remaining": remaining,
                "card_on_file": card,
                "invoice_to": invoice_to,
            },
        )
        assert status == 200, body
        return dict(body)

    async def hub_room(
        self, *, remaining: int = 3, card: bool = False, invoice_to: str = "company", **kw: Any
    ) -> dict[str, Any]:
        """A hub client with the given credits, and a room booked for them."""
        client_id = kw.pop("client_id", f"cl-{uuid.uuid4().hex[:8]}")
        hub_id = kw.pop("hub_id", "hub-acme")
        await self.put_credits(
            hub_id,
            client_id,
            total=max(remaining, 5),
            remaining=remaining,
            card=card,
            invoice_to=invoice_to,
        )
        return await self.open_room(
            hub={"id": hub_id, "name": "Acme Corp"}, client_id=client_id, **kw
        )
