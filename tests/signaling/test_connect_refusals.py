"""Who may connect: join tokens that are forged, expired, for another room or from a foreign
origin are refused with a code; tokens the booking service mints itself are accepted."""

from __future__ import annotations

import json
import time
import warnings

import jwt

from sessionsvc.rooms.model import Role
from sessionsvc.tokens import LEEWAY
from testkit.booking import Booking
from testkit.session_client import SessionClient
from testkit.settings import JOIN_SECRET
from tests.support.servers import AppServer


async def test_connect_refusals(app_server: AppServer, app_booking: Booking) -> None:
    room = await app_booking.open_room()
    other = await app_booking.open_room(client_id="another-client")
    tokens = app_booking.tokens
    url = app_server.url
    cases = {
        "invalid_token": "garbage",
        "token_expired": tokens.mint_join(
            sub=room["client"]["id"],
            role=Role.CLIENT,
            room=room["room_id"],
            expires_at=time.time() - LEEWAY - 60,  # past the leeway that absorbs clock skew
            now=time.time() - LEEWAY - 120,
        ),
        "not_your_room": tokens.mint_join(
            sub=room["client"]["id"],
            role=Role.CLIENT,
            room=other["room_id"],
            expires_at=time.time() + 60,
        ),
        "room_not_found": tokens.mint_join(
            sub="c", role=Role.CLIENT, room="nope-room", expires_at=time.time() + 60
        ),
        "forbidden": tokens.mint_join(
            sub="s", role=Role.SUPPORT, room=None, expires_at=time.time() + 60
        ),
    }
    for code, token in cases.items():
        refused = await SessionClient(url, token).try_connect()
        assert refused["code"] == code, (code, refused)
        assert refused["message"]
    claims = {
        "iss": "sessionsvc",
        "aud": "sessionsvc-join",
        "sub": room["client"]["id"],
        "role": "client",
        "room": room["room_id"],
        "exp": int(time.time()) + 60,
    }
    header = jwt.utils.base64url_encode(b'{"alg":"none","typ":"JWT"}').decode()
    body = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    with warnings.catch_warnings():  # the right secret, deliberately with the wrong algorithm
        warnings.simplefilter("ignore")
        hs512 = jwt.encode(claims, JOIN_SECRET, algorithm="HS512")
    for token in (
        f"{header}.{body}.",
        hs512,
        jwt.encode(claims, "some-other-secret-some-other-secret", algorithm="HS256"),
    ):
        assert (await SessionClient(url, token).try_connect())["code"] == "invalid_token"
    refused = await SessionClient(
        url, room["join"]["client"]["token"], headers={"Origin": "https://evil.example"}
    ).try_connect()
    assert refused["code"] == "bad_origin"
    no_auth = SessionClient(url, "")
    assert (await no_auth.try_connect())["code"] == "invalid_token"
    await app_booking.call("DELETE", f"/v1/rooms/{room['room_id']}")
    assert (await SessionClient(url, room["join"]["client"]["token"]).try_connect())[
        "code"
    ] == "room_closed"


async def test_join_tokens_minted_by_the_booking_service(
    app_server: AppServer, app_booking: Booking
) -> None:
    """DESIGN §4: the booking service may mint join tokens itself (iss=booking, join secret)."""
    room = await app_booking.open_room()
    now = int(time.time())
    claims = {
        "iss": "booking",
        "aud": "sessionsvc-join",
        "sub": room["client"]["id"],
        "role": "client",
        "room": room["room_id"],
        "name": "Sam Jordan",
        "exp": now + 60,
        "iat": now,
        "jti": "j1",
    }
    client = await SessionClient(
        app_server.url, jwt.encode(claims, JOIN_SECRET, algorithm="HS256")
    ).connect()
    assert client.last("room")["role"] == "client"
    await client.close()
    for bad in ({"iss": "someone"}, {"iss": "bookings"}, {"role": "admin"}, {"room": None}):
        token = jwt.encode({**claims, **bad}, JOIN_SECRET, algorithm="HS256")
        assert (await SessionClient(app_server.url, token).try_connect())[
            "code"
        ] == "invalid_token", bad
