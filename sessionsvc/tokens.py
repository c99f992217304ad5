"""Signed tokens: the booking service's bearer tokens, and the join tokens of DESIGN §4.

Algorithms come from an allow-list, and ``exp``, ``iss``, ``aud`` and ``sub`` are required; the
issuer is compared exactly (not as a substring).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt

from .rooms.errors import Forbidden
from .rooms.model import Role

BOOKING_ISSUER = "booking"
BOOKING_AUDIENCE = "sessionsvc"
JOIN_ISSUER = "sessionsvc"
JOIN_AUDIENCE = "sessionsvc-join"
# seconds of clock skew absorbed when checking exp, nbf and iat: the machines that mint tokens
# (other nodes, the booking service) may be up to two minutes apart from this one
LEEWAY = 150.0


class TokenError(Exception):
    """A token that does not let its bearer in."""

    code = "token_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidToken(TokenError):
    code = "invalid_token"


class ExpiredToken(InvalidToken):
    code = "token_expired"


class NotSupport(Forbidden):
    """A valid token, but a participant's, where only support staff may read."""


@dataclass(frozen=True)
class JoinClaims:
    """Who a join token lets in, and where."""

    sub: str
    role: Role
    room: str | None  # None for support tokens
    jti: str
    exp: float


class TokenService:
    """Mints and verifies tokens with the configured secrets and keys."""

    def __init__(self, booking_secret: str, join_secret: str, booking_public_key: str = "") -> None:
        self._booking_keys: list[tuple[Any, list[str]]] = [(booking_secret, ["HS256"])]
        if booking_public_key:
            self._booking_keys.append((booking_public_key, ["EdDSA", "RS256"]))
        self._join_secret = join_secret
        self._booking_secret = booking_secret

    # -- booking service ------------------------------------------------------------------

    def verify_booking(self, token: str) -> dict[str, Any]:
        """Verify a booking-service bearer token; raises ``InvalidToken``."""
        header = _header(token)
        last: InvalidToken = InvalidToken("token signature is not valid")
        for key, algorithms in self._booking_keys:
            if header.get("alg") not in algorithms:
                continue
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key,
                    algorithms=algorithms,
                    audience=BOOKING_AUDIENCE,
                    issuer=BOOKING_ISSUER,
                    leeway=LEEWAY,
                    options={"require": ["exp", "iss", "aud"]},
                )
            except jwt.ExpiredSignatureError:
                raise ExpiredToken("token has expired") from None
            except jwt.PyJWTError as e:
                last = InvalidToken(_reason(e))
                continue
            if claims.get("iss") != BOOKING_ISSUER:
                raise InvalidToken("token issuer is not accepted")
            return claims
        raise last

    def mint_booking(self, ttl: float = 300.0, **extra: Any) -> str:
        """A booking-service token (for the demo, the probe and tests)."""
        now = int(time.time())
        claims = {"iss": BOOKING_ISSUER, "aud": BOOKING_AUDIENCE, "iat": now, "exp": now + int(ttl)}
        return jwt.encode({**claims, **extra}, self._booking_secret, algorithm="HS256")

    # -- join tokens ----------------------------------------------------------------------

    def mint_join(
        self,
        *,
        sub: str,
        role: Role,
        room: str | None,
        expires_at: float,
        now: float | None = None,
    ) -> str:
        """A join token for participant ``sub``. It names nobody: a link is kept by whatever
        stores URLs, so the page learns names from the room snapshot once connected."""
        now = time.time() if now is None else now
        claims: dict[str, Any] = {
            "iss": JOIN_ISSUER,
            "aud": JOIN_AUDIENCE,
            "sub": sub,
            "role": role.value,
            "exp": int(expires_at),
            "nbf": int(now) - 1,
            "iat": int(now),
            "jti": uuid.uuid4().hex,
        }
        if room is not None:
            claims["room"] = room
        return jwt.encode(claims, self._join_secret, algorithm="HS256")

    def verify_join(self, token: str) -> JoinClaims:
        """Verify a join token (ours, or one the booking service minted with the join secret)."""
        if not isinstance(token, str) or not token:
            raise InvalidToken("a join token is required")
        try:  # algorithms=["HS256"] refuses every other algorithm, "none" included
            claims = jwt.decode(
                token,
                self._join_secret,
                algorithms=["HS256"],
                audience=JOIN_AUDIENCE,
                leeway=LEEWAY,
                options={"require": ["exp", "iss", "aud", "sub"], "verify_iss": False},
            )
        except jwt.ExpiredSignatureError:
            raise ExpiredToken("this link has expired") from None
        except jwt.PyJWTError as e:
            raise InvalidToken(_reason(e)) from None
        if claims.get("iss") not in (JOIN_ISSUER, BOOKING_ISSUER):
            raise InvalidToken("token issuer is not accepted")
        try:
            role = Role(str(claims.get("role")))
        except ValueError:
            raise InvalidToken("token role is not valid") from None
        room = claims.get("room")
        if role is not Role.SUPPORT and not isinstance(room, str):
            raise InvalidToken("token names no room")
        if role is Role.SUPPORT:
            room = None
        return JoinClaims(
            sub=str(claims["sub"]),
            role=role,
            room=room,
            jti=str(claims.get("jti", "")),
            exp=float(claims["exp"]),
        )

    def mint_support(self, who: str, ttl: float, now: float | None = None) -> str:
        """A support token for the staff identity ``who`` (DESIGN §4: a join token with
        ``role: support`` and no room)."""
        now = time.time() if now is None else now
        claims: dict[str, Any] = {
            "iss": JOIN_ISSUER,
            "aud": JOIN_AUDIENCE,
            "sub": who,
            "role": Role.SUPPORT.value,
            "exp": int(now + ttl),
            "nbf": int(now) - 1,
            "iat": int(now),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._join_secret, algorithm="HS256")

    def verify_support(self, token: str) -> JoinClaims:
        """Verify a support token (a join token with ``role: support`` and no room); raises
        ``InvalidToken``, or ``NotSupport`` for a valid token of a participant."""
        claims = self.verify_join(token)
        if claims.role is not Role.SUPPORT:
            raise NotSupport("this needs a support token")
        return claims


def _header(token: str) -> dict[str, Any]:
    try:
        return dict(jwt.get_unverified_header(token))
    except jwt.PyJWTError:
        raise InvalidToken("token is malformed") from None


def _reason(e: jwt.PyJWTError) -> str:
    if isinstance(e, jwt.MissingRequiredClaimError):
        return f"token is missing the {e.claim!r} claim"
    if isinstance(e, jwt.InvalidAudienceError):
        return "token audience is not accepted"
    if isinstance(e, jwt.InvalidIssuerError):
        return "token issuer is not accepted"
    if isinstance(e, jwt.ImmatureSignatureError):
        return "token is not valid yet"
    if isinstance(e, jwt.InvalidSignatureError):
        return "token signature is not valid"
    if isinstance(e, jwt.InvalidAlgorithmError):
        return "token algorithm is not accepted"
    if isinstance(e, jwt.DecodeError):
        return "token is malformed"
    return "token is not valid"
