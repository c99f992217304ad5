"""The connection test end to end: a real aiortc client against the service's aiortc peer over
loopback, through ``POST /v1/diagnostics/offer`` and ``GET /v1/diagnostics/tests/{id}``; who
may run it; the node's concurrency and time limits; and no peer connection left behind."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiortc import RTCPeerConnection, RTCRtpSender

from sessionsvc.api.diagnostics import DIAGNOSTICS
from sessionsvc.media.clip import Clip, ClipTrack, encode_clip
from sessionsvc.media.connection_tests import ConnectionTests
from sessionsvc.synthetic.connection_test import ConnectionTestClient, TestRefused, upload_clip
from sessionsvc.tokens import TokenService
from testkit.booking import Booking
from testkit.settings import BOOKING_SECRET, JOIN_SECRET
from tests.support.servers import AppServer, AppServerFactory, ServiceFactory

FAST = {"SESSIONSVC_DIAGNOSTICS_DURATION": "3"}


@pytest.fixture(scope="session")
def full_clip() -> Clip:
    """What a browser on a good link sends (about 1.5 Mbps): encoded once per test run."""
    return upload_clip()


@pytest.fixture(scope="session")
def small_clip() -> Clip:
    return encode_clip()


def node_tests(server: AppServer) -> ConnectionTests:
    return server.app[DIAGNOSTICS].tests


@pytest.fixture
async def fast_server(app_server_factory: AppServerFactory) -> AppServer:
    return await app_server_factory(**FAST)


async def wait_closed(tests: ConnectionTests) -> None:
    for _ in range(100):
        if tests.open_peer_connections == 0 and tests.running == 0:
            return
        await asyncio.sleep(0.05)


def live_peer_connections() -> int:
    """aiortc peer connections in this process (the in-process node's and the test's own) that
    are not closed: found on the heap, a count kept apart from the node's own counters."""
    return sum(
        1
        for o in gc.get_objects()
        if isinstance(o, RTCPeerConnection) and o.connectionState != "closed"
    )


async def test_a_test_on_loopback_is_good_and_reports_every_figure(
    fast_server: AppServer, http: aiohttp.ClientSession, full_clip: Clip
) -> None:
    before = live_peer_connections()
    client = ConnectionTestClient(fast_server.url, http, full_clip)
    report = await client.run()
    assert report["state"] == "done", report
    assert report["grade"] == "good", report
    assert report["reason"] == "Your connection looks good for video sessions."
    f = report["figures"]
    assert f["connect_ms"] > 0 and f["rtt_ms"] is not None
    assert f["upload"]["bitrate_kbps"] >= 1100 and f["upload"]["loss_pct"] == 0
    assert f["download"]["bitrate_kbps"] >= 200 and f["download"]["loss_pct"] == 0
    assert f["upload"]["jitter_ms"] is not None and f["download"]["jitter_ms"] is not None
    assert report["path"] == {"local": "host", "remote": "host", "protocol": "udp"}
    assert report["relay"] is None  # no TURN configured
    assert {x["figure"] for x in report["findings"]} >= {
        "loss_pct",
        "rtt_ms",
        "jitter_ms",
        "bitrate_out_kbps",
        "bitrate_in_kbps",
        "connect_ms",
        "path",
    }
    assert report["origin"] == "test_page" and "room_id" not in report
    tests = node_tests(fast_server)
    await wait_closed(tests)
    assert tests.open_peer_connections == 0
    assert live_peer_connections() == before
    assert tests.counters.peer_connections_opened == 1


async def test_the_report_is_found_by_the_id_as_a_person_types_it(
    fast_server: AppServer, http: aiohttp.ClientSession, small_clip: Clip
) -> None:
    client = ConnectionTestClient(fast_server.url, http, small_clip)
    test_id = await client.start()
    try:
        running = await client.report(test_id)
        assert running["state"] == "running" and running["grade"] is None
        typed = test_id.replace("-", " ").lower()
        async with http.get(f"{fast_server.url}/v1/diagnostics/tests/{typed}") as r:
            assert r.status == 200
            assert (await r.json())["id"] == test_id
        done = await client.wait_report(test_id)
        assert done["state"] == "done"
    finally:
        await client.close()
    for unknown in ("ZZZZ-ZZZZ", "not-an-id", "0000-0000"):
        async with http.get(f"{fast_server.url}/v1/diagnostics/tests/{unknown}") as r:
            assert r.status == 404
            assert (await r.json())["error"]["code"] == "test_not_found"


async def test_a_poor_upload_is_graded_with_its_reason(
    fast_server: AppServer, http: aiohttp.ClientSession, small_clip: Clip
) -> None:
    # a browser that can only push about 280 kbps: the upload is poor, and the reason says so
    report = await ConnectionTestClient(fast_server.url, http, small_clip).run()
    assert report["state"] == "done"
    assert report["grade"] == "poor"
    assert (
        report["reason"].startswith("upload ")
        and "others will see you blurred" in (report["reason"])
    )


async def test_at_the_limit_a_new_test_gets_503_with_retry_after_and_running_ones_complete(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession, full_clip: Clip
) -> None:
    server = await app_server_factory(**FAST, SESSIONSVC_DIAGNOSTICS_MAX_TESTS="1")
    before = live_peer_connections()
    first = ConnectionTestClient(server.url, http, full_clip)
    second = ConnectionTestClient(server.url, http, full_clip)
    try:
        test_id = await first.start()
        with pytest.raises(TestRefused) as refused:
            await second.start()
        assert refused.value.status == 503 and refused.value.code == "at_capacity"
        assert refused.value.retry_after is not None and int(refused.value.retry_after) >= 1
        report = await first.wait_report(test_id)
        assert (report["state"], report["grade"]) == ("done", "good"), report
    finally:
        await first.close()
        await second.close()
    tests = node_tests(server)
    await wait_closed(tests)
    assert tests.open_peer_connections == 0
    assert live_peer_connections() == before
    assert tests.counters.refused_at_capacity == 1


async def test_a_test_that_never_connects_is_closed_at_the_time_limit(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession, small_clip: Clip
) -> None:
    server = await app_server_factory(SESSIONSVC_DIAGNOSTICS_TIME_LIMIT="1.5")
    before = live_peer_connections()
    pc = RTCPeerConnection()
    try:
        pc.addTrack(ClipTrack(small_clip))
        codecs = RTCRtpSender.getCapabilities("video").codecs
        pc.getTransceivers()[0].setCodecPreferences(
            [c for c in codecs if c.mimeType == "video/VP8"]
        )
        await pc.setLocalDescription(await pc.createOffer())
        body = {"type": "offer", "sdp": pc.localDescription.sdp}
        async with http.post(f"{server.url}/v1/diagnostics/offer", json=body) as r:
            assert r.status == 201
            test_id = (await r.json())["test_id"]
        # the answer is never applied: the service's peer waits, then the time limit ends it
        tests = node_tests(server)
        assert tests.open_peer_connections == 1
        assert live_peer_connections() == before + 2  # the test's own and the node's
        client = ConnectionTestClient(server.url, http, small_clip)
        report = await client.wait_report(test_id, within=10)
        assert report["state"] == "failed"
        assert report["grade"] == "poor"
        assert report["reason"].startswith("The test did not finish in time")
        await wait_closed(tests)
        assert tests.open_peer_connections == 0
        assert live_peer_connections() == before + 1  # the test's own, closed below
        assert tests.counters.timed_out == 1
    finally:
        await pc.close()


async def test_join_token_holders_run_tests_and_others_are_rate_limited_per_address(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession, small_clip: Clip
) -> None:
    server = await app_server_factory(**FAST, SESSIONSVC_DIAGNOSTICS_IP_RATE="1")
    anonymous = ConnectionTestClient(server.url, http, small_clip)
    try:
        await anonymous.start()
        with pytest.raises(TestRefused) as limited:
            await anonymous.start()
        assert limited.value.status == 429 and limited.value.code == "rate_limited"
        assert limited.value.retry_after is not None and int(limited.value.retry_after) >= 1
    finally:
        await anonymous.close()

    room = await Booking(server.url, http).open_room()
    token = room["join"]["client"]["token"]
    holder = ConnectionTestClient(server.url, http, small_clip, token=token)
    try:
        config = await holder.ice_servers()
        assert config["relay_check"] is False and config["ice_servers"] == []
        test_id = await holder.start()  # the address's budget is spent; the token is enough
        report = await holder.report(test_id)
        assert report["origin"] == "device_check" and "room_id" not in report
        record, _ = await node_tests(server).get(test_id)
        assert (record.room_id, record.role) == (room["room_id"], "client")
    finally:
        await holder.close()

    forged = ConnectionTestClient(server.url, http, small_clip, token="not-a-token")
    with pytest.raises(TestRefused) as refused:
        await forged.start()
    assert refused.value.status == 401
    await forged.close()


@pytest.fixture
async def offer_sdp(small_clip: Clip) -> AsyncIterator[str]:
    """A real aiortc offer to mutilate."""
    pc = RTCPeerConnection()
    pc.addTrack(ClipTrack(small_clip))
    await pc.setLocalDescription(await pc.createOffer())
    yield pc.localDescription.sdp
    await pc.close()


def _many_sections(sdp: str) -> str:
    # thousands of sections, small enough to pass the size limit
    return sdp + "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n" * 1500


def _many_candidates(sdp: str) -> str:
    line = "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n"
    return sdp.replace("a=end-of-candidates", line * 1200 + "a=end-of-candidates")


def _without_fingerprint(sdp: str) -> str:
    return "".join(
        line for line in sdp.splitlines(keepends=True) if not line.startswith("a=fingerprint:")
    )


def _bad_fingerprint(sdp: str) -> str:
    out = []
    for line in sdp.splitlines(keepends=True):
        if line.startswith("a=fingerprint:"):
            line = "a=fingerprint:sha-256 ZZ:" + "00:" * 30 + "00\r\n"
        out.append(line)
    return "".join(out)


def _unknown_fingerprint_algorithm(sdp: str) -> str:
    return sdp.replace("a=fingerprint:sha-256", "a=fingerprint:md5")


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda sdp: "hello, I am not SDP", "offer_not_sdp"),
        (lambda sdp: sdp + "a=x-padding:" + "x" * 70_000 + "\r\n", "offer_too_large"),
        (_many_sections, "offer_too_complex"),
        (_many_candidates, "offer_too_complex"),
        (_without_fingerprint, "offer_no_fingerprint"),
        (_bad_fingerprint, "offer_bad_fingerprint"),
        (_unknown_fingerprint_algorithm, "offer_bad_fingerprint"),
        (lambda sdp: "v=0\r\nm=video\r\na=fingerprint:sha-256 " + ":".join(["AB"] * 32), None),
    ],
    ids=[
        "not-sdp",
        "over-64KiB",
        "thousands-of-media-sections",
        "thousands-of-candidates",
        "no-fingerprint",
        "bad-fingerprint",
        "unknown-fingerprint-algorithm",
        "sdp-aiortc-cannot-use",
    ],
)
async def test_bad_offers_get_400_and_leave_no_peer_connection(
    fast_server: AppServer,
    http: aiohttp.ClientSession,
    offer_sdp: str,
    mutate: object,
    code: str | None,
) -> None:
    sdp = mutate(offer_sdp)  # type: ignore[operator]
    before = live_peer_connections()
    async with http.post(
        f"{fast_server.url}/v1/diagnostics/offer", json={"type": "offer", "sdp": sdp}
    ) as r:
        body = await r.json()
        assert r.status == 400, body
        if code is not None:
            assert body["error"]["code"] == code
        else:
            assert body["error"]["code"].startswith("offer_")
    tests = node_tests(fast_server)
    await wait_closed(tests)
    assert tests.open_peer_connections == 0 and tests.running == 0
    assert live_peer_connections() == before
    if code is not None:  # refused before any peer connection was made
        assert tests.counters.peer_connections_opened == 0


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b'{"type": "answer", "sdp": "v=0"}', b'{"sdp": 5}', b"[1, 2]"],
    ids=["empty", "not-json", "an-answer", "wrong-types", "a-list"],
)
async def test_request_bodies_that_are_not_offers_get_400(
    fast_server: AppServer, http: aiohttp.ClientSession, body: bytes
) -> None:
    async with http.post(f"{fast_server.url}/v1/diagnostics/offer", data=body) as r:
        assert r.status == 400
        assert (await r.json())["error"]["code"].startswith("offer_")
    assert node_tests(fast_server).counters.peer_connections_opened == 0


async def test_the_service_counts_the_browsers_video_without_decoding_and_still_reports_it(
    fast_server: AppServer, http: aiohttp.ClientSession, full_clip: Clip
) -> None:
    client = ConnectionTestClient(fast_server.url, http, full_clip)
    try:
        test_id = await client.start()
        await asyncio.sleep(2.5)  # connected, and sampled at least once
        (entry,) = node_tests(fast_server)._running.values()
        pc = entry.peer.pc
        assert pc is not None
        receiver = pc.getTransceivers()[0].receiver
        # where aiortc keeps its decoder thread: ended by the test, nothing is decoded
        assert receiver._RTCRtpReceiver__decoder_thread is None  # type: ignore[attr-defined]
        report = await client.wait_report(test_id)
        assert report["figures"]["upload"]["bitrate_kbps"] > 1000
        # the service's receiver reports still reach the browser (fed by the meter)
        stats = await client.pcs[0].getTransceivers()[0].sender.getStats()
        remote = [s for s in stats.values() if s.type == "remote-inbound-rtp"]
        assert remote and remote[0].packetsReceived > 0
    finally:
        await client.close()


@pytest.mark.redis
async def test_a_report_is_read_from_any_node_sharing_the_store(
    service_factory: ServiceFactory, redis_url: str, http: aiohttp.ClientSession, small_clip: Clip
) -> None:
    a = await service_factory(SESSIONSVC_REDIS_URL=redis_url, **FAST)
    b = await service_factory(SESSIONSVC_REDIS_URL=redis_url, **FAST)
    client = ConnectionTestClient(a.url, http, small_clip)
    try:
        test_id = await client.start()
        on_b = ConnectionTestClient(b.url, http, small_clip)
        assert (await on_b.report(test_id))["state"] == "running"
        done = await on_b.wait_report(test_id)
        assert done["state"] == "done" and done["figures"]["upload"]["bitrate_kbps"] > 0
    finally:
        await client.close()


async def test_support_finds_a_report_by_the_id_a_person_reads_out(
    fast_server: AppServer, http: aiohttp.ClientSession, small_clip: Clip
) -> None:
    report = await ConnectionTestClient(fast_server.url, http, small_clip).run()
    support = TokenService(BOOKING_SECRET, JOIN_SECRET).mint_support("support:kim", ttl=300)
    typed = report["id"].replace("-", " ").lower()
    headers = {"Authorization": f"Bearer {support}"}
    async with http.get(f"{fast_server.url}/v1/support/tests/{typed}", headers=headers) as r:
        assert r.status == 200
        found = await r.json()
    assert found["id"] == report["id"] and found["grade"] == report["grade"]
    assert found["figures"] == report["figures"]
    async with http.get(f"{fast_server.url}/v1/support/tests/ZZZZ-ZZZZ", headers=headers) as r:
        assert r.status == 404
    async with http.get(f"{fast_server.url}/v1/support/tests/{typed}") as r:
        assert r.status == 401  # no support token, no report


async def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_budget(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory(
        **FAST, SESSIONSVC_DIAGNOSTICS_IP_RATE="1", SESSIONSVC_TRUSTED_PROXIES="127.0.0.1"
    )

    async def ice_servers(client: str) -> int:
        headers = {"X-Forwarded-For": client}
        async with http.get(f"{server.url}/v1/diagnostics/ice-servers", headers=headers) as r:
            return r.status

    assert await ice_servers("203.0.113.9") == 200
    assert await ice_servers("203.0.113.9") == 429  # that client's budget is spent
    assert await ice_servers("198.51.100.7") == 200  # another client behind the same proxy
