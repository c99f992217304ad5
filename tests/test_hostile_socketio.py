"""Hostile Socket.IO on a real node, spoken as raw engine.io frames: the default namespace,
binary attachments without end, connections that never join, too many connections from one
address, and participants who reconnect as fast as they can."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from sessionsvc.signaling.guard import environ_address
from testkit.booking import Booking
from testkit.engineio_wire import RawEngineIO
from testkit.session_client import SessionClient
from tests.support.servers import AppServerFactory, ServiceFactory

ATTACHMENT = b"\0" * (200 * 1024)


async def test_the_default_namespace_is_refused(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory()
    raw = await RawEngineIO(server.url, http).open()
    answer = await raw.join("/")
    assert answer.startswith("44"), answer  # CONNECT_ERROR, not CONNECT
    await raw.close()


async def test_binary_attachments_without_end_close_the_connection(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory()
    room = await Booking(server.url, http).open_room()
    raw = await RawEngineIO(server.url, http).open()
    answer = await raw.join("/session", {"token": room["join"]["client"]["token"]})
    assert answer.startswith("40/session,"), answer
    await raw.send('459999999999-/session,["x",{"_placeholder":true,"num":0}]')
    sent = 0
    with pytest.raises((ConnectionError, aiohttp.ClientError)):
        for _ in range(20):  # 4 MB, far past the 256 KiB a packet may carry
            await raw.send_bytes(ATTACHMENT)
            sent += 1
            await asyncio.sleep(0.01)
        if await raw.closed_by_server(5):
            raise ConnectionError("closed")
    assert sent <= 20


async def test_a_text_packet_announcing_many_attachments_is_closed(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory()
    room = await Booking(server.url, http).open_room()
    raw = await RawEngineIO(server.url, http).open()
    await raw.join("/session", {"token": room["join"]["client"]["token"]})
    await raw.send('4999-/session,["x",{"_placeholder":true,"num":0}]')
    assert await raw.closed_by_server(10)


async def test_a_malformed_packet_closes_the_connection(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory()
    raw = await RawEngineIO(server.url, http).open()
    await raw.send("42/session,[not json")
    assert await raw.closed_by_server(10)


async def test_connections_that_never_join_are_closed(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory(SESSIONSVC_UNAUTHENTICATED_TIMEOUT="0.5")
    silent = await RawEngineIO(server.url, http).open()
    refused = await RawEngineIO(server.url, http).open()
    answer = await refused.join("/session", {"token": "not-a-token"})
    assert answer.startswith("44/session,"), answer
    room = await Booking(server.url, http).open_room()
    joined = await RawEngineIO(server.url, http).open()
    await joined.join("/session", {"token": room["join"]["client"]["token"]})
    assert await silent.closed_by_server(10)
    assert await refused.closed_by_server(10)
    assert not await joined.closed_by_server(1.5)  # a joined connection stays
    await joined.close()


async def test_connections_per_address_are_capped(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory(SESSIONSVC_MAX_CONNECTIONS_PER_ADDRESS="3")
    held = [await RawEngineIO(server.url, http).open() for _ in range(3)]
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await RawEngineIO(server.url, http).open()
    await held[0].close()
    again = await _open_when_allowed(server.url, http)
    for raw in [*held[1:], again]:
        await raw.close()


async def _open_when_allowed(url: str, http: aiohttp.ClientSession) -> RawEngineIO:
    """Open once the node has seen a closed connection go (it counts it on its own time)."""
    for _ in range(100):
        try:
            return await RawEngineIO(url, http).open()
        except aiohttp.WSServerHandshakeError:
            await asyncio.sleep(0.05)
    raise AssertionError("the node never let a connection in again")


async def test_connects_per_address_are_rate_limited(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory(SESSIONSVC_CONNECT_RATE_PER_ADDRESS="0.05")  # burst 1
    first = await RawEngineIO(server.url, http).open()
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await RawEngineIO(server.url, http).open()
    assert refused.value.status == 401
    await first.close()


def test_the_address_behind_a_trusted_proxy_is_the_forwarded_one() -> None:
    import ipaddress

    class Request:
        remote = "10.0.0.5"

    proxies = (ipaddress.ip_network("10.0.0.0/8"),)
    environ: dict[str, Any] = {
        "aiohttp.request": Request(),
        "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.9, 10.0.0.7",
    }
    assert environ_address(environ, proxies) == "203.0.113.9"
    assert environ_address(environ, ()) == "10.0.0.5"  # no proxy trusted: the peer itself
    environ["aiohttp.request"].remote = "198.51.100.1"
    assert environ_address(environ, proxies) == "198.51.100.1"  # not a proxy: header ignored


async def test_a_participant_reconnecting_too_fast_is_refused(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory(SESSIONSVC_CONNECT_RATE_PER_IDENTITY="0.01")  # burst 10
    room = await Booking(server.url, http).open_room()
    pro = await SessionClient(server.url, room["join"]["professional"]["token"]).connect()
    token = room["join"]["client"]["token"]
    refusals = []
    for _ in range(15):
        client = SessionClient(server.url, token)
        try:
            refusals.append(await client.try_connect())
        except AssertionError:  # let in
            await client.close()
    assert refusals and all(r["code"] == "rate_limited" for r in refusals)
    assert len(pro.events["peer_joined"]) <= 10
    await pro.close()


async def test_a_flooder_cut_off_waits_before_it_may_connect_again(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory(SESSIONSVC_EVENT_RATE="5", SESSIONSVC_FLOOD_COOLDOWN="600")
    room = await Booking(server.url, http).open_room()
    flooder = await SessionClient(server.url, room["join"]["client"]["token"]).connect()
    for _ in range(2000):
        if not flooder.connected:
            break
        await flooder.emit("device", {})
    await flooder.wait_disconnected()
    again = await SessionClient(server.url, room["join"]["client"]["token"]).try_connect()
    assert again is not None and again["code"] == "rate_limited", again


async def test_malformed_frames_are_one_line_each_in_the_log(
    service_factory: ServiceFactory, http: aiohttp.ClientSession
) -> None:
    node = await service_factory(SESSIONSVC_LOG_LEVEL="INFO")
    for frame in ("9", "", "x", "4", '42["x"]', "451-/session,"):
        raw = await RawEngineIO(node.url, http).open()
        await raw.send(frame)
        assert await raw.closed_by_server(15), frame
    out = node.output()
    assert "Traceback" not in out and " ERROR " not in out, out
