"""Steps the ``/session`` tests share: a sample offer and answer, a room's two people joining,
the client let in, and a call held long enough to count."""

from __future__ import annotations

from typing import Any

from testkit.session_client import SessionClient
from testkit.stats_reports import loopback_stats
from tests.support.servers import AppServer

OFFER = {"type": "offer", "sdp": "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}
ANSWER = {"type": "answer", "sdp": OFFER["sdp"]}


async def join(app_server: AppServer, room: dict[str, Any]) -> tuple[SessionClient, SessionClient]:
    """The professional, then the client, connected; returns once the professional sees the
    client waiting."""
    pro = await SessionClient(app_server.url, room["join"]["professional"]["token"]).connect()
    client = await SessionClient(app_server.url, room["join"]["client"]["token"]).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    return pro, client


async def admitted(
    app_server: AppServer, room: dict[str, Any]
) -> tuple[SessionClient, SessionClient]:
    """Both joined and the client admitted."""
    pro, client = await join(app_server, room)
    ack = await pro.call("admit", {"participant_id": room["client"]["id"]})
    assert ack == {"ok": True}
    await client.wait("admitted")
    return pro, client


async def hold(
    app_server: AppServer, pro: SessionClient, client: SessionClient, seconds: int
) -> None:
    """Both sides report media growing both ways once a second for ``seconds`` (what each says
    it received, the other says it sent)."""
    for i in range(1, seconds + 2):
        assert (await pro.call("stats", {"bytes_received": 1000 * i, "bytes_sent": 900 * i}))["ok"]
        client_stats = {"bytes_received": 900 * i, "bytes_sent": 1000 * i, "rtt_ms": 12.0}
        assert (await client.call("stats", client_stats))["ok"]
        app_server.clock.advance(1.0)


async def reports(app_server: AppServer, sides: list[SessionClient], rounds: int) -> None:
    """``rounds`` loopback reports from each side, 2 s of the server's clock apart."""
    for i in range(1, rounds + 1):
        app_server.clock.advance(2.0)
        for side in sides:
            ack = await side.call("stats", loopback_stats(2.0 * i))
            assert ack == {"ok": True}, ack
