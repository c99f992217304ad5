"""The booking service's view of its webhooks: the catch-up log, redelivery of one event, and
the endpoint's state (a 410 stops delivery until it is resumed)."""

from __future__ import annotations

from aiohttp import web

from ..rooms.errors import EventNotFound, InvalidInput
from .auth import booking_service
from .bodies import json_response
from .errors import error_response
from .keys import WEBHOOKS

MAX_LIMIT = 1000


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "100")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise InvalidInput(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


async def events(request: web.Request) -> web.Response:
    """``GET /v1/webhooks/events?after=<event id>&limit=N``: the events logged after that one,
    oldest first."""
    booking_service(request)
    after = request.query.get("after") or None
    found = await request.app[WEBHOOKS].events_after(after, _limit(request))
    listed = [e.public() for e in found]
    return json_response({"events": listed, "next": listed[-1]["id"] if listed else after})


async def redeliver(request: web.Request) -> web.Response:
    """``POST /v1/webhooks/events/{id}/redeliver``: send one event again, now."""
    booking_service(request)
    event_id = request.match_info["event_id"]
    attempt = await request.app[WEBHOOKS].redeliver(event_id)
    if attempt is None:
        raise EventNotFound(f"no event {event_id!r} in the log (unknown, or too old)")
    if attempt.label == "no_endpoint":
        return error_response(409, "no_webhook_endpoint", "no SESSIONSVC_WEBHOOK_URL is set")
    return json_response(
        {"id": event_id, "delivered": attempt.ok, "status": attempt.status, "result": attempt.label}
    )


async def endpoint(request: web.Request) -> web.Response:
    """``GET /v1/webhooks/endpoint``: whether an endpoint is set and whether delivery to it
    was stopped (and why)."""
    booking_service(request)
    webhooks = request.app[WEBHOOKS]
    return json_response(
        {"configured": webhooks.sender is not None, "stopped": await webhooks.stopped()}
    )


async def resume(request: web.Request) -> web.Response:
    """``POST /v1/webhooks/endpoint/resume``: deliver again after a 410."""
    booking_service(request)
    webhooks = request.app[WEBHOOKS]
    await webhooks.resume()
    return json_response({"configured": webhooks.sender is not None, "stopped": None})
