"""The route table of the HTTP API, in one place: the server adds its routes from it and the
OpenAPI document (``openapi``) is derived from it, so the two cannot drift apart."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from . import credits, diagnostics, health, openapi, rooms, statements, support, webhooks
from .bodies import LedgerPatch, LedgerPut, OpenRoom, RoomPatch, TokenRequest
from .errors import Handler
from .keys import METRICS
from .views import JoinLink, LedgerView, OpenedRoom, RoomView, StatementView, Status, SummaryView

CREDITS = "/v1/hubs/{hub_id}/members/{client_id}/credits"
ANY_OBJECT: dict[str, Any] = {"type": "object"}


@dataclass(frozen=True)
class Query:
    """A query parameter and the JSON schema of its value."""

    name: str
    schema: dict[str, Any]
    required: bool = False
    description: str = ""


@dataclass(frozen=True)
class Route:
    """One operation: what the server runs and what the document says of it.

    ``body`` and ``response`` are the structs the handler reads and writes (a JSON schema for
    responses built without one); ``auth`` names the bearer token it wants (``booking``,
    ``support``, ``join`` for an optional join token, or none); ``errors`` are the statuses
    it answers with an error body besides the ones every operation may give."""

    method: str
    path: str
    handler: Handler
    summary: str
    auth: str = "booking"
    body: type | None = None
    response: type | dict[str, Any] | None = None
    status: int = 200
    statuses: tuple[int, ...] = ()
    errors: tuple[int, ...] = ()
    query: tuple[Query, ...] = ()
    content_type: str = "application/json"
    alternatives: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def path_parameters(self) -> list[str]:
        return re.findall(r"{(\w+)}", self.path)


_MONTH = Query(
    "month",
    {"type": "string", "pattern": r"^(?!0000)[0-9]{4}-(0[1-9]|1[0-2])$"},
    True,
    "the month, YYYY-MM",
)
_CSV = Query("format", {"type": "string", "enum": ["csv", "json"]}, False, "csv: text/csv")
_SUPPORT_FILTERS = (
    Query("phase", {"type": "string"}, False, "a room phase"),
    Query("live", {"type": "string", "enum": ["true", "false"]}),
    Query("hub", {"type": "string"}, False, "a hub id"),
    Query("date", {"type": "string", "format": "date"}, False, "YYYY-MM-DD"),
    Query("outcome", {"type": "string"}),
    Query("limit", {"type": "integer", "minimum": 1, "maximum": support.MAX_LIMIT}),
)
_ROOM = (404, 409, 422)
_BODY = (400, 413, 422)

ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/v1/rooms",
        rooms.open_room,
        "Open a room (idempotent on booking_id: 201 when opened, 200 when found again)",
        body=OpenRoom,
        response=OpenedRoom,
        status=201,
        statuses=(200,),
        errors=(*_BODY, 409),
    ),
    Route(
        "GET",
        "/v1/rooms/{room_id}",
        rooms.get_room,
        "Read a room",
        response=RoomView,
        errors=(404,),
    ),
    Route(
        "PATCH",
        "/v1/rooms/{room_id}",
        rooms.patch_room,
        "Change a room's times, names or payment link",
        body=RoomPatch,
        response=RoomView,
        errors=(*_BODY, *_ROOM),
    ),
    Route(
        "DELETE",
        "/v1/rooms/{room_id}",
        rooms.cancel_room,
        "Cancel a room",
        response=RoomView,
        errors=_ROOM,
    ),
    Route(
        "POST",
        "/v1/rooms/{room_id}/tokens",
        rooms.mint_token,
        "Mint a join link for one side of a room",
        body=TokenRequest,
        response=JoinLink,
        status=201,
        errors=(*_BODY, *_ROOM),
    ),
    Route(
        "GET",
        "/v1/rooms/{room_id}/summary",
        rooms.summary,
        "Outcome and payment summary",
        response=SummaryView,
        errors=(404,),
    ),
    Route(
        "PUT",
        CREDITS,
        credits.put_credits,
        "Set a client's credits at a hub",
        body=LedgerPut,
        response=LedgerView,
        errors=_BODY,
    ),
    Route(
        "PATCH",
        CREDITS,
        credits.patch_credits,
        "Change part of a client's credits",
        body=LedgerPatch,
        response=LedgerView,
        errors=(*_BODY, 404),
    ),
    Route(
        "GET",
        CREDITS,
        credits.get_credits,
        "Read a client's credits at a hub",
        response=LedgerView,
        errors=(404,),
    ),
    Route(
        "GET",
        "/v1/professionals/{professional_id}/statement",
        statements.statement,
        "A professional's monthly statement of Credit sessions (JSON, or CSV with "
        "format=csv or Accept: text/csv)",
        response=StatementView,
        errors=(422,),
        query=(_MONTH, _CSV),
        alternatives={"text/csv": {"type": "string"}},
    ),
    Route(
        "GET",
        "/v1/diagnostics/ice-servers",
        diagnostics.ice_servers,
        "ICE servers for a connection test",
        auth="join",
        response=ANY_OBJECT,
        errors=(429,),
    ),
    Route(
        "POST",
        "/v1/diagnostics/offer",
        diagnostics.offer,
        "Start a connection test (or its relay check) with a WebRTC offer",
        auth="join",
        body=diagnostics.OfferBody,
        response=ANY_OBJECT,
        status=201,
        statuses=(200,),
        errors=(400, 404, 429),
    ),
    Route(
        "GET",
        "/v1/diagnostics/tests/{test_id}",
        diagnostics.get_test,
        "A connection test's report",
        auth="",
        response=ANY_OBJECT,
        errors=(404,),
    ),
    Route(
        "GET",
        "/v1/support/rooms",
        support.rooms,
        "Rooms live and past (support)",
        auth="support",
        response=ANY_OBJECT,
        errors=(422,),
        query=_SUPPORT_FILTERS,
    ),
    Route(
        "GET",
        "/v1/support/rooms/{room_id}/diagnostics",
        support.diagnostics,
        "A room's media diagnostics (support)",
        auth="support",
        response=ANY_OBJECT,
        errors=(404,),
    ),
    Route(
        "GET",
        "/v1/support/rooms/{room_id}/export",
        support.export,
        "A room's diagnostics as a file (support)",
        auth="support",
        response=ANY_OBJECT,
        errors=(404,),
    ),
    Route(
        "GET",
        "/v1/support/tests/{report_id}",
        support.test_report,
        "A connection-test report by id (support)",
        auth="support",
        response=ANY_OBJECT,
        errors=(404,),
    ),
    Route(
        "GET",
        "/v1/webhooks/events",
        webhooks.events,
        "Webhook events logged after an event (catch-up), oldest first",
        response=ANY_OBJECT,
        errors=(404, 422),
        query=(
            Query("after", {"type": "string"}, False, "an event id (none: from the oldest kept)"),
            Query("limit", {"type": "integer", "minimum": 1, "maximum": webhooks.MAX_LIMIT}),
        ),
    ),
    Route(
        "POST",
        "/v1/webhooks/events/{event_id}/redeliver",
        webhooks.redeliver,
        "Send one logged webhook event again, now",
        response=ANY_OBJECT,
        errors=(404, 409),
    ),
    Route(
        "GET",
        "/v1/webhooks/endpoint",
        webhooks.endpoint,
        "Whether a webhook endpoint is set, and whether a 410 stopped delivery to it",
        response=ANY_OBJECT,
    ),
    Route(
        "POST",
        "/v1/webhooks/endpoint/resume",
        webhooks.resume,
        "Deliver webhooks again after a 410",
        response=ANY_OBJECT,
    ),
    Route(
        "GET", "/v1/openapi.json", openapi.openapi, "This document", auth="", response=ANY_OBJECT
    ),
    Route("GET", "/healthz", health.healthz, "Liveness", auth="", response=Status),
    Route(
        "GET",
        "/readyz",
        health.readyz,
        "Readiness: the store answers",
        auth="",
        response=Status,
        errors=(503,),
    ),
    Route(
        "GET",
        "/metrics",
        health.metrics,
        "Prometheus metrics",
        auth="",
        content_type="text/plain",
        response={"type": "string"},
    ),
)


def add_routes(app: web.Application) -> None:
    app[openapi.ROUTE_TABLE] = ROUTES
    app.add_routes([web.route(r.method, r.path, r.handler) for r in ROUTES])


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    request.app[METRICS].http_requests.labels(request.method, name, response.status).inc()
    return response
