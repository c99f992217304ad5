"""The OpenAPI document: valid OpenAPI 3.1, derived from the route table the server runs (every
operation and every path parameter), and true of what the server answers."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from openapi_spec_validator import validate

from sessionsvc.api.routes import ROUTES
from testkit.booking import Booking
from tests.support.servers import AppServer

METHODS = {"get", "put", "post", "patch", "delete"}


async def _document(app_booking: Booking) -> dict[str, Any]:
    status, doc = await app_booking.call("GET", "/v1/openapi.json")
    assert status == 200
    return dict(doc)


def _check(doc: dict[str, Any], path: str, method: str, status: int, body: Any) -> None:
    """``body`` is what the document says ``method path`` answers with ``status``."""
    op = doc["paths"][path][method]
    schema = op["responses"][str(status)]["content"]["application/json"]["schema"]
    jsonschema.validate(body, {**schema, "components": doc["components"]})


async def test_the_document_is_valid_openapi(app_booking: Booking) -> None:
    validate(await _document(app_booking))


async def test_every_route_the_server_runs_is_documented(
    app_server: AppServer, app_booking: Booking
) -> None:
    doc = await _document(app_booking)
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app_server.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith(("/v1/", "/healthz", "/readyz", "/metrics"))
        and route.method.lower() in METHODS
    }
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert served == documented
    for path, ops in doc["paths"].items():
        for op in ops.values():
            declared = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
            assert declared == set(p.strip("{}") for p in path.split("/") if p.startswith("{"))
    assert len({op["operationId"] for ops in doc["paths"].values() for op in ops.values()}) == len(
        ROUTES
    )


async def test_request_bodies_are_the_structs_the_server_reads(app_booking: Booking) -> None:
    doc = await _document(app_booking)
    body = doc["paths"]["/v1/rooms"]["post"]["requestBody"]["content"]["application/json"]
    open_room = doc["components"]["schemas"][body["schema"]["$ref"].rsplit("/", 1)[1]]
    assert set(open_room["required"]) == {
        "booking_id",
        "professional",
        "client",
        "scheduled_start",
        "scheduled_end",
    }
    assert open_room.get("additionalProperties") is False


async def test_answers_match_the_document(app_booking: Booking) -> None:
    doc = await _document(app_booking)
    body = app_booking.room_body(hub={"id": "hub-acme", "name": "Acme Corp"}, client_id="cl-doc")
    await app_booking.put_credits("hub-acme", "cl-doc", remaining=1)
    status, opened = await app_booking.call("POST", "/v1/rooms", body)
    _check(doc, "/v1/rooms", "post", status, opened)
    room = f"/v1/rooms/{opened['room_id']}"
    answers = [
        ("/v1/rooms/{room_id}", "get", *(await app_booking.call("GET", room))),
        ("/v1/rooms/{room_id}/summary", "get", *(await app_booking.call("GET", room + "/summary"))),
        (
            "/v1/rooms/{room_id}/tokens",
            "post",
            *(await app_booking.call("POST", room + "/tokens", {"role": "client"})),
        ),
        (
            "/v1/hubs/{hub_id}/members/{client_id}/credits",
            "get",
            *(await app_booking.call("GET", "/v1/hubs/hub-acme/members/cl-doc/credits")),
        ),
        (
            "/v1/professionals/{professional_id}/statement",
            "get",
            *(await app_booking.call("GET", "/v1/professionals/pro-1/statement?month=2026-11")),
        ),
        ("/v1/rooms/{room_id}", "delete", *(await app_booking.call("DELETE", room))),
        ("/v1/rooms/{room_id}", "get", *(await app_booking.call("GET", "/v1/rooms/nope"))),
        ("/healthz", "get", *(await app_booking.call("GET", "/healthz"))),
    ]
    for path, method, status, answer in answers:
        _check(doc, path, method, status, answer)


@pytest.mark.parametrize(
    "bad",
    [{"role": "support"}, {"role": "client", "ttl_s": "x"}, {"role": "nobody"}],
)
async def test_documented_errors_have_the_error_shape(app_booking: Booking, bad: Any) -> None:
    doc = await _document(app_booking)
    room = await app_booking.open_room()
    status, answer = await app_booking.call("POST", f"/v1/rooms/{room['room_id']}/tokens", bad)
    assert status == 422
    _check(doc, "/v1/rooms/{room_id}/tokens", "post", status, answer)
