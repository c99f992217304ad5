"""Who is calling: the booking service (bearer JWT) or support staff (support join token)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..rooms.model import Role
from ..tokens import InvalidToken, JoinClaims, TokenService


def bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidToken("send Authorization: Bearer <token>")
    return token.strip()


def booking_claims(request: web.Request, tokens: TokenService) -> dict[str, Any]:
    return tokens.verify_booking(bearer(request))


def support_claims(request: web.Request, tokens: TokenService) -> JoinClaims:
    claims = tokens.verify_join(bearer(request))
    if claims.role is not Role.SUPPORT:
        raise InvalidToken("a support token is required")
    return claims
