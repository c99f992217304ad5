"""The connection test's HTTP edge: ICE servers for the test, the offer (``POST
/v1/diagnostics/offer``) and the report (``GET /v1/diagnostics/tests/{id}``).

Who may run a test: a holder of a join token (the device check sends its own), and anyone
without one under a per-address rate limit (the ``/test`` page). The offer is read with a limit
of its own, so that an oversized one gets the test's own 400 rather than the API's 413.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass

import msgspec
from aiohttp import web

from ..addresses import Network, client_address
from ..media.connection_tests import AtCapacity, ConnectionTests, TestNotFound
from ..media.offers import MAX_OFFER_BYTES, OfferRejected
from ..media.reports import Origin, view
from ..rooms.clock import Clock
from ..rooms.model import Role
from ..signaling.ice import IceServers
from ..signaling.ratelimit import Bucket
from ..tokens import JoinClaims
from .auth import bearer
from .bodies import json_response
from .errors import error_response
from .keys import TOKENS

#: The whole request body of an offer: the SDP (at most 64 KiB) and a few fields around it.
MAX_OFFER_BODY = MAX_OFFER_BYTES + 4096
MAX_ADDRESSES = 10_000  # buckets kept before idle ones are dropped


class OfferBody(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A browser's offer: a new test, or (``relay`` with the test's id) its relay check."""

    type: str
    sdp: str
    test_id: str | None = None
    relay: bool = False


class AddressLimiter:
    """Tests started without a token, per remote address: ``per_minute``, with bursts of a few
    more than a twentieth of that (at least one, at most ``per_minute``). Per node: a deployment
    of N nodes allows up to N times as many."""

    def __init__(self, clock: Clock, per_minute: float) -> None:
        self._clock = clock
        self._rate = per_minute / 60.0
        self._burst = max(1.0, min(per_minute, 3.0 + per_minute / 20))
        self._buckets: dict[str, Bucket] = {}

    def take(self, address: str) -> int:
        """0 if a test may start now, else the seconds until one may."""
        now = self._clock.now()
        if len(self._buckets) > MAX_ADDRESSES:
            self._buckets = {a: b for a, b in self._buckets.items() if b.stamp > now - 600}
        bucket = self._buckets.get(address)
        if bucket is None:
            bucket = self._buckets[address] = Bucket(
                rate=self._rate, burst=self._burst, tokens=self._burst, stamp=now, window_start=now
            )
        if bucket.take(now):
            return 0
        return max(1, math.ceil((1.0 - bucket.tokens) / self._rate)) if self._rate > 0 else 3600


@dataclass(frozen=True)
class Diagnostics:
    """What the handlers need: the node's tests, the ICE servers a test's peer connections use,
    the address limiter, and whether a TURN server is configured (then a test also checks a
    relay-only connection)."""

    tests: ConnectionTests
    ice: IceServers
    limiter: AddressLimiter
    relay_check: bool
    trusted_proxies: tuple[Network, ...] = ()


DIAGNOSTICS = web.AppKey("diagnostics", Diagnostics)


@dataclass(frozen=True)
class _Caller:
    origin: Origin
    participant: str
    room_id: str | None = None
    role: str | None = None


def _caller(request: web.Request) -> _Caller | None:
    """Who runs the test: a join token's holder, or None for someone without a token. A token
    that does not verify is refused (``InvalidToken``), never taken as no token."""
    if "Authorization" not in request.headers:
        return None
    claims: JoinClaims = request.app[TOKENS].verify_join(bearer(request))
    if claims.role is Role.SUPPORT:
        return _Caller("test_page", claims.sub)
    return _Caller("device_check", claims.sub, claims.room, claims.role.value)


def _rate_limited(request: web.Request, what: str = "test") -> web.Response | None:
    """A 429 once this address has started too many tests (or fetched too many ICE servers,
    each counted apart) lately; behind a trusted proxy, the address it forwards."""
    diagnostics = request.app[DIAGNOSTICS]
    address = client_address(
        request.remote, request.headers.get("X-Forwarded-For", ""), diagnostics.trusted_proxies
    )
    wait = diagnostics.limiter.take(f"{what} {address}")
    if not wait:
        return None
    response = error_response(
        429, "rate_limited", f"too many connection tests from here; try again in {wait} s"
    )
    response.headers["Retry-After"] = str(wait)
    return response


async def ice_servers(request: web.Request) -> web.Response:
    """The ICE servers the test's peer connections use (the same a call gets), and whether the
    test checks a relay-only connection too."""
    caller = _caller(request)
    diagnostics = request.app[DIAGNOSTICS]
    # TURN credentials for anyone without a token: limited per address like the tests
    if caller is None and (limited := _rate_limited(request, "ice")) is not None:
        return limited
    participant = caller.participant if caller else f"test-{secrets.token_hex(6)}"
    return json_response(
        {
            "ice_servers": diagnostics.ice.for_participant(participant),
            "relay_check": diagnostics.relay_check,
            "duration_s": diagnostics.tests.limits.duration,
        }
    )


async def _read_offer(request: web.Request) -> OfferBody | web.Response:
    raw = await request.content.read(MAX_OFFER_BODY + 1)
    while len(raw) <= MAX_OFFER_BODY and not request.content.at_eof():
        more = await request.content.read(MAX_OFFER_BODY + 1 - len(raw))
        if not more:
            break
        raw += more
    if len(raw) > MAX_OFFER_BODY:
        return error_response(400, "offer_too_large", "the offer is over 64 KiB")
    try:
        body = msgspec.json.decode(raw, type=OfferBody)
    except msgspec.ValidationError as e:
        return error_response(400, "offer_invalid", f"the request body is not an offer: {e}")
    except msgspec.DecodeError:
        return error_response(400, "offer_not_sdp", 'send {"type": "offer", "sdp": …}')
    if body.type != "offer":
        return error_response(400, "offer_invalid", "the description's type must be offer")
    return body


async def offer(request: web.Request) -> web.Response:
    """Answer a test's offer with the service's peer (201 with the report id), or its relay
    check's (200)."""
    caller = _caller(request)
    body = await _read_offer(request)
    if isinstance(body, web.Response):
        return body
    diagnostics = request.app[DIAGNOSTICS]
    tests = diagnostics.tests
    try:
        if body.relay:
            if not body.test_id:
                return error_response(400, "offer_invalid", "a relay check names its test_id")
            answer = await tests.start_relay_check(body.test_id, body.sdp)
            return json_response({"test_id": body.test_id, "type": "answer", "sdp": answer})
        if caller is None and (limited := _rate_limited(request)) is not None:
            return limited
        test_id, answer = await tests.start(
            body.sdp,
            origin=caller.origin if caller else "test_page",
            relay_expected=diagnostics.relay_check,
            room_id=caller.room_id if caller else None,
            role=caller.role if caller else None,
        )
    except OfferRejected as e:
        return error_response(400, e.code, e.message)
    except TestNotFound:
        return error_response(404, "test_not_found", "no connection test has that id")
    except AtCapacity as e:
        response = error_response(
            503, "at_capacity", "the connection test is busy; it will try again shortly"
        )
        response.headers["Retry-After"] = str(e.retry_after)
        return response
    return json_response(
        {
            "test_id": test_id,
            "type": "answer",
            "sdp": answer,
            "duration_s": tests.limits.duration,
        },
        status=201,
    )


async def get_test(request: web.Request) -> web.Response:
    """A test's report by its id (running, done or failed)."""
    try:
        record, relay = await request.app[DIAGNOSTICS].tests.get(request.match_info["test_id"])
    except TestNotFound:
        return error_response(404, "test_not_found", "no connection test has that id")
    return json_response(view(record, relay))
