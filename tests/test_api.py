"""The booking service's HTTP API over loopback: happy paths and every bad input of the issue.
Each bad input gets a clear ``{"error": {"code", "message"}}`` and changes nothing."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from sessionsvc.api.keys import BACKEND, METRICS
from sessionsvc.rooms.model import Role
from testkit.booking import Booking
from testkit.settings import BOOKING_SECRET, JOIN_SECRET
from tests.support.servers import AppServer


def _err(body: Any) -> str:
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message"} and body["error"]["message"], body
    return str(body["error"]["code"])


async def test_open_room_returns_join_links_and_funding(app_booking: Booking) -> None:
    room = await app_booking.hub_room(remaining=3)
    assert room["phase"] == "scheduled"
    assert room["funding"] == {
        "kind": "credit",
        "last_subsidised": False,
        "credits_remaining": 3,
        "invoice_to": "Acme Corp",
    }
    for role in ("professional", "client"):
        link = room["join"][role]
        assert link["url"].endswith(link["token"])
        claims = jwt.decode(
            link["token"], JOIN_SECRET, algorithms=["HS256"], audience="sessionsvc-join"
        )
        assert claims["role"] == role and claims["room"] == room["room_id"]
        assert claims["sub"] == room[role]["id"]
        assert {"exp", "nbf", "iat", "jti", "iss"} <= set(claims)


async def test_self_pay_room_and_funding_cases(app_booking: Booking) -> None:
    own = await app_booking.open_room()
    assert own["funding"]["kind"] == "self_pay"
    last = await app_booking.hub_room(remaining=1, invoice_to="platform")
    assert last["funding"] == {
        "kind": "credit",
        "last_subsidised": True,
        "credits_remaining": 1,
        "invoice_to": "platform",
    }
    card = await app_booking.hub_room(remaining=0, card=True)
    assert card["funding"]["kind"] == "card"
    none = await app_booking.hub_room(remaining=0, card=False)
    assert none["funding"]["kind"] == "card_required"


async def test_open_is_idempotent_on_booking_id(app_booking: Booking) -> None:
    body = app_booking.room_body()
    s1, first = await app_booking.call("POST", "/v1/rooms", body)
    s2, again = await app_booking.call("POST", "/v1/rooms", body)
    assert (s1, s2) == (201, 200)
    assert again["room_id"] == first["room_id"]
    changed = dict(body)
    changed["client"] = {"id": "someone-else", "name": "X"}
    s3, conflict = await app_booking.call("POST", "/v1/rooms", changed)
    assert s3 == 409 and _err(conflict) == "booking_conflict"
    s4, still = await app_booking.call("GET", f"/v1/rooms/{first['room_id']}")
    assert s4 == 200 and still["client"]["id"] == body["client"]["id"]


async def test_get_patch_cancel(app_booking: Booking) -> None:
    room = await app_booking.open_room()
    rid = room["room_id"]
    status, patched = await app_booking.call("PATCH", f"/v1/rooms/{rid}", {"client_name": "Sam J."})
    assert status == 200 and patched["client"]["name"] == "Sam J."
    status, cancelled = await app_booking.call("DELETE", f"/v1/rooms/{rid}")
    assert status == 200 and cancelled["phase"] == "cancelled"
    status, again = await app_booking.call("DELETE", f"/v1/rooms/{rid}")
    assert status == 409 and _err(again) == "room_closed"
    status, body = await app_booking.call("POST", f"/v1/rooms/{rid}/tokens", {"role": "client"})
    assert status == 409 and _err(body) == "room_closed"
    status, summary = await app_booking.call("GET", f"/v1/rooms/{rid}/summary")
    assert status == 200 and summary["ended"] and summary["outcome"]["phase"] == "cancelled"


async def test_mint_token(app_booking: Booking) -> None:
    room = await app_booking.open_room()
    status, link = await app_booking.call(
        "POST", f"/v1/rooms/{room['room_id']}/tokens", {"role": "client", "ttl_s": 60}
    )
    assert status == 201
    claims = jwt.decode(
        link["token"], JOIN_SECRET, algorithms=["HS256"], audience="sessionsvc-join"
    )
    assert claims["role"] == "client" and claims["exp"] - claims["iat"] <= 61
    for bad in ({"role": "support"}, {"role": "client", "ttl_s": 0}, {"role": "boss"}):
        status, body = await app_booking.call("POST", f"/v1/rooms/{room['room_id']}/tokens", bad)
        assert status == 422, bad
        _err(body)


async def test_credits_put_patch_get(app_booking: Booking) -> None:
    await app_booking.put_credits("hub-x", "c-9", total=4, remaining=4)
    status, got = await app_booking.call("GET", "/v1/hubs/hub-x/members/c-9/credits")
    assert status == 200 and got["credits_remaining"] == 4 and got["card_on_file"] is False
    status, patched = await app_booking.call(
        "PATCH", "/v1/hubs/hub-x/members/c-9/credits", {"card_on_file": True}
    )
    assert status == 200 and patched["card_on_file"] is True and patched["credits_remaining"] == 4
    status, body = await app_booking.call("GET", "/v1/hubs/hub-x/members/nobody/credits")
    assert status == 404 and _err(body) == "credits_not_found"
    status, body = await app_booking.call(
        "PATCH", "/v1/hubs/hub-x/members/nobody/credits", {"card_on_file": True}
    )
    assert status == 404 and _err(body) == "credits_not_found"


@pytest.mark.parametrize(
    "change",
    [
        {
            "credits_total": 5,
            "credits_remaining": -1,
            "card_on_file": False,
            "invoice_to": "company",
        },
        {
            "credits_total": -1,
            "credits_remaining": 0,
            "card_on_file": False,
            "invoice_to": "company",
        },
        {
            "credits_total": 2,
            "credits_remaining": 3,
            "card_on_file": False,
            "invoice_to": "company",
        },
        {"credits_total": 2, "credits_remaining": 1, "card_on_file": False, "invoice_to": "hr"},
        {
            "credits_total": "2",
            "credits_remaining": 1,
            "card_on_file": False,
            "invoice_to": "company",
        },
        {"credits_total": 2, "credits_remaining": 1, "card_on_file": False},
        {
            "credits_total": 2,
            "credits_remaining": 1,
            "card_on_file": False,
            "invoice_to": "company",
            "x": 1,
        },
    ],
)
async def test_bad_credits_change_nothing(app_booking: Booking, change: dict[str, Any]) -> None:
    await app_booking.put_credits("hub-y", "c-1", total=5, remaining=2)
    status, body = await app_booking.call("PUT", "/v1/hubs/hub-y/members/c-1/credits", change)
    assert status == 422
    _err(body)
    _, got = await app_booking.call("GET", "/v1/hubs/hub-y/members/c-1/credits")
    assert (got["credits_total"], got["credits_remaining"]) == (5, 2)
    status, body = await app_booking.call(
        "PATCH", "/v1/hubs/hub-y/members/c-1/credits", {"credits_remaining": -3}
    )
    assert status == 422 and _err(body) == "invalid_body"  # the body's own bounds refuse it


async def _rooms_opened(app_server: AppServer) -> float:
    return float(app_server.app[METRICS].rooms_opened._value.get())


@pytest.mark.parametrize(
    ("raw", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"", 400, "malformed_json"),
        (b"[1, 2]", 422, "invalid_body"),
        (b'{"booking_id": 7}', 422, "invalid_body"),
    ],
)
async def test_malformed_bodies(
    app_server: AppServer, app_booking: Booking, raw: bytes, status: int, code: str
) -> None:
    async with app_booking.http.post(
        app_server.url + "/v1/rooms", data=raw, headers=app_booking.headers()
    ) as r:
        assert r.status == status
        assert _err(await r.json()) == code
    assert await _rooms_opened(app_server) == 0
    assert await app_server.app[BACKEND].rooms.recent_rooms(10) == []


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda b: b.update(scheduled_end=b["scheduled_start"]), "invalid_input"),
        (lambda b: b.update(extra_field=True), "invalid_body"),
        (lambda b: b.pop("client"), "invalid_body"),
        (lambda b: b.update(professional={"id": 5, "name": "x"}), "invalid_body"),
        (lambda b: b.update(scheduled_start="yesterday"), "invalid_body"),
        (lambda b: b.update(scheduled_start="2026-11-24T10:00:00"), "invalid_input"),
    ],
)
async def test_invalid_room_bodies(
    app_server: AppServer, app_booking: Booking, mutate: Any, code: str
) -> None:
    body = app_booking.room_body()
    mutate(body)
    status, out = await app_booking.call("POST", "/v1/rooms", body)
    assert status in (400, 422) and _err(out) == code
    assert await app_server.app[BACKEND].rooms.recent_rooms(10) == []


async def test_oversized_body(app_server: AppServer, app_booking: Booking) -> None:
    body = app_booking.room_body(payment_url="https://pay.example/" + "x" * 70_000)
    status, out = await app_booking.call("POST", "/v1/rooms", body)
    assert status == 413 and _err(out) == "payload_too_large"
    assert await app_server.app[BACKEND].rooms.recent_rooms(10) == []


def _token(claims: dict[str, Any], key: str = BOOKING_SECRET, alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def _claims(**over: Any) -> dict[str, Any]:
    # minted when the module is collected: a day to live, so a long run never sees them expire
    now = int(time.time())
    base = {"iss": "booking", "aud": "sessionsvc", "iat": now, "exp": now + 86400}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def _none_alg() -> str:
    import base64
    import json

    def b64(d: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(_claims())}."


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (_none_alg(), "invalid_token"),
        (_token(_claims(), key="wrong-secret-wrong-secret-wrong!!"), "invalid_token"),
        (_token(_claims(exp=None)), "invalid_token"),
        (_token(_claims(exp=int(time.time()) - 3600)), "token_expired"),
        (_token(_claims(iss="someone")), "invalid_token"),
        (_token(_claims(iss="bookin")), "invalid_token"),
        (_token(_claims(iss="booking-evil")), "invalid_token"),
        (_token(_claims(aud="other")), "invalid_token"),
        (_token(_claims(aud=None)), "invalid_token"),
        ("not-a-jwt", "invalid_token"),
        ("", "invalid_token"),
    ],
)
async def test_bad_booking_tokens(
    app_server: AppServer, app_booking: Booking, token: str, code: str
) -> None:
    async with app_booking.http.post(
        app_server.url + "/v1/rooms",
        json=app_booking.room_body(),
        headers={"Authorization": f"Bearer {token}"},
    ) as r:
        assert r.status == 401
        assert _err(await r.json()) == code
    assert await app_server.app[BACKEND].rooms.recent_rooms(10) == []


async def test_join_token_is_not_a_booking_token(
    app_server: AppServer, app_booking: Booking
) -> None:
    room = await app_booking.open_room()
    join = room["join"]["professional"]["token"]
    status, body = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}", token=join)
    assert status == 401 and _err(body) == "invalid_token"
    support = app_booking.tokens.mint_join(
        sub="s1", role=Role.SUPPORT, room=None, expires_at=time.time() + 60
    )
    status, body = await app_booking.call(
        "POST", "/v1/rooms", app_booking.room_body(), token=support
    )
    assert status == 401


async def test_unknown_room_and_route(app_booking: Booking) -> None:
    for method, path in (
        ("GET", "/v1/rooms/nope"),
        ("DELETE", "/v1/rooms/nope"),
        ("GET", "/v1/rooms/nope/summary"),
        ("PATCH", "/v1/rooms/nope"),
    ):
        status, body = await app_booking.call(method, path, {} if method == "PATCH" else None)
        assert status == 404 and _err(body) == "room_not_found", (method, path, body)
    status, body = await app_booking.call("GET", "/v1/nothing-here")
    assert status == 404 and _err(body) == "not_found"
    status, body = await app_booking.call("PUT", "/v1/rooms")
    assert status == 405 and _err(body) == "method_not_allowed"


async def test_health_ready_metrics_openapi(app_server: AppServer, app_booking: Booking) -> None:
    http = app_booking.http
    async with http.get(app_server.url + "/healthz") as r:
        assert r.status == 200
    async with http.get(app_server.url + "/readyz") as r:
        assert r.status == 200 and (await r.json())["status"] == "ready"
    await app_booking.open_room()
    async with http.get(app_server.url + "/metrics") as r:
        text = await r.text()
        assert r.status == 200 and r.headers["Content-Type"].startswith("text/plain")
        assert "sessionsvc_rooms_opened_total 1.0" in text
    async with http.get(app_server.url + "/v1/openapi.json") as r:
        doc = await r.json()
        assert doc["openapi"].startswith("3.")
        assert "/v1/rooms" in doc["paths"] and "OpenRoom" in doc["components"]["schemas"]
        assert "booking_id" in doc["components"]["schemas"]["OpenRoom"]["required"]
