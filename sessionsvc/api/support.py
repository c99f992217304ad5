"""Support endpoints (docs/api.md "Support"): rooms live and past, a room's media diagnostics and
its export, and connection-test reports by id. Only support tokens are accepted; every read is
audited by the desk."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from ..rooms.errors import InvalidInput
from ..rooms.model import Phase
from ..support.desk import OUTCOMES, RoomFilter
from .auth import bearer
from .bodies import json_response
from .keys import SUPPORT, TOKENS

MAX_LIMIT = 500
FILTERS = frozenset({"phase", "live", "hub", "date", "outcome", "limit"})


def support_identity(request: web.Request) -> str:
    """The support identity (token subject) of the caller; raises for anyone else."""
    return request.app[TOKENS].verify_support(bearer(request)).sub


def _choice(name: str, value: str, allowed: frozenset[str]) -> str:
    if value not in allowed:
        raise InvalidInput(f"{name} must be one of {', '.join(sorted(allowed))}")
    return value


def room_filter(query: dict[str, str]) -> RoomFilter:
    """The search a query string asks for; raises ``InvalidInput`` with what is wrong."""
    unknown = sorted(set(query) - FILTERS)
    if unknown:
        raise InvalidInput(f"unknown filter {unknown[0]!r} (use {', '.join(sorted(FILTERS))})")
    phase = query.get("phase")
    live = query.get("live")
    day = query.get("date")
    outcome = query.get("outcome")
    try:
        limit = int(query.get("limit", "100"))
    except ValueError:
        raise InvalidInput("limit must be a number") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}")
    try:
        parsed_day = date.fromisoformat(day) if day is not None else None
    except ValueError:
        raise InvalidInput("date must be YYYY-MM-DD") from None
    return RoomFilter(
        phase=Phase(_choice("phase", phase, frozenset(Phase))) if phase is not None else None,
        live={"true": True, "false": False}[_choice("live", live, frozenset({"true", "false"}))]
        if live is not None
        else None,
        hub=query.get("hub"),
        day=parsed_day,
        outcome=_choice("outcome", outcome, frozenset(OUTCOMES)) if outcome is not None else None,
        limit=limit,
    )


async def rooms(request: web.Request) -> web.Response:
    who = support_identity(request)
    flt = room_filter(dict(request.query))
    found = await request.app[SUPPORT].find_rooms(who, flt)
    return json_response({"rooms": found, "count": len(found)})


async def diagnostics(request: web.Request) -> web.Response:
    who = support_identity(request)
    doc = await request.app[SUPPORT].diagnostics(who, request.match_info["room_id"])
    return json_response(doc)


async def export(request: web.Request) -> web.Response:
    who = support_identity(request)
    room_id = request.match_info["room_id"]
    response = json_response(await request.app[SUPPORT].export(who, room_id))
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in room_id)[:80]
    response.headers["Content-Disposition"] = f'attachment; filename="room-{safe}.json"'
    return response


async def test_report(request: web.Request) -> web.Response:
    who = support_identity(request)
    report = await request.app[SUPPORT].test_report(who, request.match_info["report_id"])
    return json_response(report)
