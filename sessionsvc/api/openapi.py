"""The OpenAPI 3.1 document of the HTTP API, built from the same structs that validate bodies."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web

from .. import __version__
from ..rooms.service import LedgerPatch, OpenRoom, RoomPatch
from .credits import LedgerPut
from .rooms import TokenRequest


def _bodies() -> tuple[dict[str, Any], dict[str, Any]]:
    structs = [OpenRoom, RoomPatch, LedgerPut, LedgerPatch, TokenRequest]
    refs, components = msgspec.json.schema_components(
        structs, ref_template="#/components/schemas/{name}"
    )
    return dict(zip([s.__name__ for s in structs], refs, strict=True)), components


def _op(
    summary: str, body: dict[str, Any] | None = None, auth: str = "booking", ok: str = "200"
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": summary,
        "responses": {
            ok: {"description": "success"},
            "default": {
                "description": "error",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            },
        },
    }
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    if auth:
        op["security"] = [{auth: []}]
    return op


def document() -> dict[str, Any]:
    refs, components = _bodies()
    components["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
            }
        },
    }
    credits = "/v1/hubs/{hub_id}/members/{client_id}/credits"
    return {
        "openapi": "3.1.0",
        "info": {"title": "sessionsvc", "version": __version__},
        "components": {
            "schemas": components,
            "securitySchemes": {
                "booking": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
        "paths": {
            "/v1/rooms": {
                "post": _op("Open a room (idempotent on booking_id)", refs["OpenRoom"], ok="201")
            },
            "/v1/rooms/{room_id}": {
                "get": _op("Read a room"),
                "patch": _op("Change times or names", refs["RoomPatch"]),
                "delete": _op("Cancel a room"),
            },
            "/v1/rooms/{room_id}/tokens": {
                "post": _op("Mint a join token", refs["TokenRequest"], ok="201")
            },
            "/v1/rooms/{room_id}/summary": {"get": _op("Outcome and payment summary")},
            credits: {
                "put": _op("Set a client's hub credits", refs["LedgerPut"]),
                "patch": _op("Change a client's hub credits", refs["LedgerPatch"]),
                "get": _op("Read a client's hub credits"),
            },
            "/v1/professionals/{professional_id}/statement": {
                "get": _op(
                    "Monthly statement of Credit sessions (JSON or text/csv); ?month=YYYY-MM"
                )
            },
            "/healthz": {"get": _op("Liveness", auth="")},
            "/readyz": {"get": _op("Readiness: the store is reachable", auth="")},
            "/metrics": {"get": _op("Prometheus metrics", auth="")},
        },
    }


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document())
