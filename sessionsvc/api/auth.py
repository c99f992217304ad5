"""Who is calling: the booking service, with a bearer JWT."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..tokens import InvalidToken
from .keys import TOKENS


def bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("send Authorization: Bearer <token>")
    return token.strip()


def booking_service(request: web.Request) -> dict[str, Any]:
    """The claims of the booking service's token; raises ``InvalidToken`` for anyone else."""
    return request.app[TOKENS].verify_booking(bearer(request))
