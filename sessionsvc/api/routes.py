"""The route table of the HTTP API, in one place."""

from __future__ import annotations

from aiohttp import web

from ..context import CONTEXT
from . import credits, health, openapi, rooms
from .errors import Handler

CREDITS = "/v1/hubs/{hub_id}/members/{client_id}/credits"


def add_routes(app: web.Application) -> None:
    app.add_routes(
        [
            web.post("/v1/rooms", rooms.open_room),
            web.get("/v1/rooms/{room_id}", rooms.get_room),
            web.patch("/v1/rooms/{room_id}", rooms.patch_room),
            web.delete("/v1/rooms/{room_id}", rooms.cancel_room),
            web.post("/v1/rooms/{room_id}/tokens", rooms.mint_token),
            web.get("/v1/rooms/{room_id}/summary", rooms.summary),
            web.put(CREDITS, credits.put_credits),
            web.patch(CREDITS, credits.patch_credits),
            web.get(CREDITS, credits.get_credits),
            web.get("/v1/professionals/{professional_id}/statement", rooms.statement),
            web.get("/v1/openapi.json", openapi.openapi),
            web.get("/healthz", health.healthz),
            web.get("/readyz", health.readyz),
            web.get("/metrics", health.metrics),
        ]
    )


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    route = request.match_info.route.resource
    name = route.canonical if route is not None else "unmatched"
    request.app[CONTEXT].metrics.http_requests.labels(request.method, name, response.status).inc()
    return response
