"""Room endpoints: open (idempotent on booking_id), read, change, cancel, tokens, summary."""

from __future__ import annotations

from aiohttp import web

from ..rooms.model import Role
from ..rooms.roles import ensure_open
from .auth import booking_service
from .bodies import InvalidBody, OpenRoom, RoomPatch, TokenRequest, json_response, read_json
from .keys import BOOKINGS, LINKS
from .views import JoinLink, opened_room, room_view, summary_view

MAX_TOKEN_TTL = 7 * 24 * 3600


async def open_room(request: web.Request) -> web.Response:
    booking_service(request)
    body = await read_json(request, OpenRoom)
    state, created = await request.app[BOOKINGS].open_room(body.booking())
    join = {Role(r): JoinLink(**link) for r, link in request.app[LINKS].both(state.room).items()}
    out = opened_room(state.room, state.funding, join)
    return json_response(out, status=201 if created else 200)


async def get_room(request: web.Request) -> web.Response:
    booking_service(request)
    state = await request.app[BOOKINGS].room_state(request.match_info["room_id"])
    return json_response(room_view(state.room, state.funding))


async def patch_room(request: web.Request) -> web.Response:
    booking_service(request)
    body = await read_json(request, RoomPatch)
    state = await request.app[BOOKINGS].patch_room(request.match_info["room_id"], body.changes())
    return json_response(room_view(state.room, state.funding))


async def cancel_room(request: web.Request) -> web.Response:
    booking_service(request)
    state = await request.app[BOOKINGS].cancel_room(request.match_info["room_id"])
    return json_response(room_view(state.room, state.funding))


async def mint_token(request: web.Request) -> web.Response:
    booking_service(request)
    body = await read_json(request, TokenRequest)
    if body.role is Role.SUPPORT:
        raise InvalidBody("role must be professional or client")
    if body.ttl_s is not None and not 1 <= body.ttl_s <= MAX_TOKEN_TTL:
        raise InvalidBody(f"ttl_s must be between 1 and {MAX_TOKEN_TTL}")
    room = await request.app[BOOKINGS].get_room(request.match_info["room_id"])
    ensure_open(room)
    link = JoinLink(**request.app[LINKS].link(room, body.role, body.ttl_s))
    return json_response(link, status=201)


async def summary(request: web.Request) -> web.Response:
    booking_service(request)
    state = await request.app[BOOKINGS].room_state(request.match_info["room_id"])
    return json_response(summary_view(state.room, state.funding))
