"""Steps the fault tests share against real service processes: a call under way (real time),
waiting for a node to be ready again, and the shape of a retryable refusal."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import socketio

from testkit.booking import Booking
from testkit.session_client import SessionClient
from testkit.stats_reports import loopback_stats as loopback


async def in_call(
    url: str, room: dict[str, Any], client_url: str | None = None
) -> tuple[SessionClient, SessionClient]:
    """Both sides joined (the client through ``client_url`` if given), the client admitted, and
    a few seconds of media both ways."""
    pro = await SessionClient(url, room["join"]["professional"]["token"]).connect()
    client = await SessionClient(client_url or url, room["join"]["client"]["token"]).connect()
    await pro.wait_room(lambda r: r["client"]["presence"] == "present")
    assert (await pro.call("admit", {"participant_id": room["client"]["id"]}))["ok"]
    await client.wait("admitted")
    started = time.monotonic()
    for _ in range(5):
        await asyncio.sleep(0.5)
        t = time.monotonic() - started
        for side in (pro, client):
            assert (await side.call("stats", loopback(t)))["ok"]
    return pro, client


async def wait_ready(http: aiohttp.ClientSession, url: str, timeout: float = 20.0) -> None:
    """Until the node's ``/readyz`` answers 200."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        async with http.get(url + "/readyz") as r:
            if r.status == 200:
                return
        await asyncio.sleep(0.2)
    raise AssertionError("the node did not become ready again")


def unavailable(status: int, body: Any) -> None:
    """A retryable refusal: 503 ``store_unavailable``."""
    assert status == 503, body
    assert body["error"]["code"] == "store_unavailable", body


async def read_retrying(booking: Booking, path: str, tries: int = 40) -> tuple[int, Any]:
    """``GET path`` again after each retryable ``503 store_unavailable``: the answer a client
    must expect, and retry, while Redis comes back."""
    for _ in range(tries):
        status, body = await booking.call("GET", path)
        if status != 503:
            return status, body
        unavailable(status, body)
        await asyncio.sleep(0.25)
    raise AssertionError(f"GET {path} kept answering store_unavailable")


async def end_until_done(pro: SessionClient, tries: int = 100) -> dict[str, Any]:
    """``end`` again after each retryable refusal; the ack that settled it (ended, or already
    ended)."""
    for _ in range(tries):
        ack = await pro.call("end")
        if ack["ok"] or ack["error"]["code"] != "store_unavailable":
            return dict(ack)
        await asyncio.sleep(0.1)
    raise AssertionError("end kept failing")


async def join_retrying(url: str, token: str, tries: int = 40) -> SessionClient:
    """Connect, trying again while the refusal is the retryable ``store_unavailable`` (the
    node's link to Redis for messages may come back a moment after its commands' link)."""
    for _ in range(tries):
        client = SessionClient(url, token)
        try:
            return await client.connect()
        except socketio.exceptions.ConnectionError:
            if (client.refused or {}).get("code") != "store_unavailable":
                raise
        await asyncio.sleep(0.25)
    raise AssertionError("still refused as store_unavailable")
