"""Room endpoints: open (idempotent on booking_id), read, change, cancel, tokens, summary,
and the professional's monthly statement."""

from __future__ import annotations

import csv
import io
from typing import Any

import msgspec
from aiohttp import web

from ..context import CONTEXT, Context
from ..rooms.lifecycle import ensure_open
from ..rooms.model import Role, Room
from ..rooms.service import OpenRoom, RoomPatch
from .auth import booking_claims
from .bodies import InvalidBody, json_response, read_json
from .views import funding_json, outcome_json, room_json


class TokenRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    role: Role
    ttl_s: int | None = None


def _ctx(request: web.Request) -> Context:
    ctx = request.app[CONTEXT]
    booking_claims(request, ctx.tokens)
    return ctx


def join_link(ctx: Context, room: Room, role: Role, ttl_s: int | None = None) -> dict[str, str]:
    """A fresh join token and link for one side of a room."""
    now = ctx.clock.now()
    if ttl_s is not None:
        expires = now + ttl_s
    elif ctx.settings.join_token_ttl:
        expires = now + ctx.settings.join_token_ttl
    else:
        expires = room.scheduled_end + ctx.settings.expiry_grace
    who = room.participant(role)
    token = ctx.tokens.mint_join(
        sub=who.id, role=role, name=who.name, room=room.room_id, expires_at=expires, now=now
    )
    return {"token": token, "url": f"{ctx.settings.base_url}/join?token={token}"}


async def open_room(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    body = await read_json(request, OpenRoom)
    room, created = await ctx.sessions.open_room(body)
    if created:
        ctx.metrics.rooms_opened.inc()
    funding = await ctx.sessions.funding(room)
    out: dict[str, Any] = room_json(room, funding)
    out["join"] = {
        role.value: join_link(ctx, room, role) for role in (Role.PROFESSIONAL, Role.CLIENT)
    }
    return json_response(out, status=201 if created else 200)


async def get_room(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    room = await ctx.sessions.get_room(request.match_info["room_id"])
    return json_response(room_json(room, await ctx.sessions.funding(room)))


async def patch_room(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    body = await read_json(request, RoomPatch)
    room = await ctx.sessions.patch_room(request.match_info["room_id"], body)
    return json_response(room_json(room, await ctx.sessions.funding(room)))


async def cancel_room(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    room = await ctx.sessions.cancel_room(request.match_info["room_id"])
    return json_response(room_json(room, await ctx.sessions.funding(room)))


async def mint_token(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    body = await read_json(request, TokenRequest)
    if body.role is Role.SUPPORT:
        raise InvalidBody("role must be professional or client")
    if body.ttl_s is not None and not 1 <= body.ttl_s <= 7 * 24 * 3600:
        raise InvalidBody("ttl_s must be between 1 and 604800")
    room = await ctx.sessions.get_room(request.match_info["room_id"])
    ensure_open(room)
    return json_response(join_link(ctx, room, body.role, body.ttl_s), status=201)


async def summary(request: web.Request) -> web.Response:
    ctx = _ctx(request)
    room = await ctx.sessions.get_room(request.match_info["room_id"])
    return json_response(
        {
            "room_id": room.room_id,
            "booking_id": room.booking_id,
            "phase": room.phase.value,
            "ended": room.phase.is_terminal,
            "funding": funding_json(await ctx.sessions.funding(room)),
            "outcome": outcome_json(room.outcome),
        }
    )


async def statement(request: web.Request) -> web.StreamResponse:
    ctx = _ctx(request)
    professional_id = request.match_info["professional_id"]
    month = request.query.get("month", "")
    lines = await ctx.sessions.statement(professional_id, month)
    wants_csv = request.query.get("format") == "csv" or "text/csv" in request.headers.get(
        "Accept", ""
    )
    if wants_csv:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["invoice_to", "sessions", "dates"])
        for line in lines:
            writer.writerow([line.invoice_to, line.sessions, " ".join(line.dates)])
        return web.Response(text=buf.getvalue(), content_type="text/csv")
    return json_response(
        {
            "professional_id": professional_id,
            "month": month,
            "payment_type": "Credit",
            "invoices": [
                {"invoice_to": line.invoice_to, "sessions": line.sessions, "dates": line.dates}
                for line in lines
            ],
        }
    )
