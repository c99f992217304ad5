"""Join links carry no names: a link is kept by whatever stores URLs (proxies, browser history),
so the page learns names from the room snapshot once it has connected (DESIGN §4)."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlsplit

from testkit.booking import Booking
from testkit.session_client import SessionClient
from tests.support.servers import AppServer

LONG_NAME = "Maximiliane Alexandrina " * 4  # near the longest name the API takes (120)


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


async def test_join_links_name_nobody_and_the_snapshot_does(
    app_server: AppServer, app_booking: Booking
) -> None:
    body = app_booking.room_body()
    body["client"]["name"] = LONG_NAME.strip()
    status, room = await app_booking.call("POST", "/v1/rooms", body)
    assert status == 201, room
    lengths = set()
    for role in ("professional", "client"):
        link = room["join"][role]
        claims = _claims(link["token"])
        assert "name" not in claims, claims
        assert set(claims) <= {"iss", "aud", "sub", "role", "room", "exp", "nbf", "iat", "jti"}
        for name in ("Maximiliane", "Alexandrina", "Rivera", "Dr."):
            assert name not in json.dumps(claims)
            assert name not in link["url"]
        lengths.add(len(urlsplit(link["url"]).query))

    # the page learns both names from its first snapshot
    client = await SessionClient(app_server.url, room["join"]["client"]["token"]).connect()
    try:
        snapshot = await client.wait_room(lambda r: True)
        assert snapshot["client"]["name"] == LONG_NAME.strip()
        assert snapshot["professional"]["name"] == "Dr. Alex Rivera"
    finally:
        await client.close()
    # a link's length no longer depends on the name
    assert max(lengths) < 400, lengths
