"""The OpenAPI 3.1 document of the HTTP API, derived from the route table (``routes.ROUTES``):
its paths, path and query parameters, and the structs each handler reads and writes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from .. import __version__
from .errors import _HTTP_CODES

if TYPE_CHECKING:
    from .routes import Route

ROUTE_TABLE: web.AppKey[tuple[Route, ...]] = web.AppKey("route_table")
REF = "#/components/schemas/{name}"
ERROR: dict[str, Any] = {
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
SECURITY: dict[str, dict[str, Any]] = {
    "booking": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "the booking service: HS256 (or EdDSA/RS256), iss=booking, aud=sessionsvc",
    },
    "support": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "a support token (a join-token JWT with role support)",
    },
    "join": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "a join token (optional: without one, a per-address rate limit applies)",
    },
}
ALWAYS = (500,)  # what any operation may answer besides its own
STORE_DOWN = 503  # every operation that reads the store: the store is unreachable, retry


def _describe(status: int) -> str:
    if status == STORE_DOWN:
        return "the store is unreachable for now (store_unavailable; retry after Retry-After)"
    return _HTTP_CODES.get(status, "error" if status >= 400 else "success").replace("_", " ")


def _error(status: int) -> dict[str, Any]:
    return {
        "description": _describe(status),
        "content": {"application/json": {"schema": {"$ref": REF.format(name="Error")}}},
    }


def _operation(route: Route, schemas: dict[type, dict[str, Any]]) -> dict[str, Any]:
    def schema(value: type | dict[str, Any] | None) -> dict[str, Any]:
        if value is None:
            return {}
        return value if isinstance(value, dict) else schemas[value]

    ok: dict[str, Any] = {"description": "success"}
    if route.response is not None:
        ok["content"] = {route.content_type: {"schema": schema(route.response)}}
        for media, alternative in route.alternatives.items():
            ok["content"][media] = {"schema": alternative}
    responses: dict[str, Any] = {str(s): ok for s in (route.status, *route.statuses)}
    errors = {*route.errors, *ALWAYS}
    if route.auth in ("booking", "support", "join"):
        errors.add(401)
    if route.auth in ("booking", "support"):
        errors.add(STORE_DOWN)
    for status in sorted(errors):
        responses[str(status)] = _error(status)
    op: dict[str, Any] = {
        "operationId": f"{route.method.lower()}_{route.handler.__name__}",
        "summary": route.summary,
        "responses": responses,
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in route.path_parameters
    ]
    parameters += [
        {
            "name": q.name,
            "in": "query",
            "required": q.required,
            "schema": q.schema,
            **({"description": q.description} if q.description else {}),
        }
        for q in route.query
    ]
    if parameters:
        op["parameters"] = parameters
    if route.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas[route.body]}},
        }
    if route.auth == "join":
        op["security"] = [{"join": []}, {}]
    elif route.auth:
        op["security"] = [{route.auth: []}]
    return op


def document(routes: tuple[Route, ...]) -> dict[str, Any]:
    """The whole document for ``routes``."""
    types = sorted(
        {t for r in routes for t in (r.body, r.response) if isinstance(t, type)},
        key=lambda t: t.__name__,
    )
    refs, components = msgspec.json.schema_components(types, ref_template=REF)
    components["Error"] = ERROR
    schemas = dict(zip(types, refs, strict=True))
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "sessionsvc", "version": __version__},
        "components": {"schemas": components, "securitySchemes": SECURITY},
        "paths": paths,
    }


async def openapi(request: web.Request) -> web.Response:
    return web.json_response(document(request.app[ROUTE_TABLE]))
