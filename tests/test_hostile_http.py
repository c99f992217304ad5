"""Hostile HTTP against a real ``sessionsvc serve`` process, spoken byte by byte on loopback:
forged log lines, malformed request lines, polling posts, aborted bodies. The node's log must
stay one printable line per record, with no traceback for the client's own errors."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest

from sessionsvc.logtext import escape
from testkit.booking import Booking
from testkit.ports import LOOPBACK
from testkit.service import ServiceProcess
from tests.support.servers import ServiceFactory

FORGED = "FORGED-LINE-7f3a"


@pytest.fixture
async def noisy(service_factory: ServiceFactory) -> AsyncIterator[ServiceProcess]:
    """A node that writes its access log."""
    yield await service_factory(SESSIONSVC_LOG_LEVEL="INFO")


async def _raw(node: ServiceProcess, data: bytes, *, close_after_send: bool = False) -> bytes:
    """Send ``data`` on a fresh connection; what came back before the server closed it."""
    reader, writer = await asyncio.open_connection(LOOPBACK, node.port)
    writer.write(data)
    await writer.drain()
    if close_after_send:
        writer.close()
        await writer.wait_closed()
        return b""
    try:
        return await asyncio.wait_for(reader.read(65536), 10)
    finally:
        writer.close()


async def _logged(node: ServiceProcess) -> str:
    """The node's log once one more health check has been written to it (so every line of the
    requests before it is there too)."""
    before = node.output().count("GET /healthz 200")
    await _raw(node, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    for _ in range(200):
        out = node.output()
        if out.count("GET /healthz 200") > before:
            return out
        await asyncio.sleep(0.05)
    raise AssertionError(f"the node never logged its health check:\n{node.output()}")


async def test_a_path_cannot_forge_a_log_line_nor_write_control_bytes(
    noisy: ServiceProcess,
) -> None:
    path = (
        f"/static/x%0d%0a2026-01-01%2000:00:00,000%20CRITICAL%20sessionsvc:%20{FORGED}"
        "%1b[31mred%00nul%e2%80%a8sep"
    )
    answer = await _raw(
        noisy, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
    )
    assert answer.startswith(b"HTTP/1.1 404")
    out = await _logged(noisy)
    lines = [line for line in out.splitlines() if FORGED in line]
    assert len(lines) == 1, out
    assert "GET /static/x\\r\\n2026-01-01" in lines[0]  # the path, escaped, on its own line
    assert not any(line.startswith("2026-01-01") for line in out.splitlines())
    assert "\x1b" not in out and "\x00" not in out and "\u2028" not in out


async def test_malformed_request_lines_are_one_short_line(noisy: ServiceProcess) -> None:
    for bad in (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
        b"GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    ):
        answer = await _raw(noisy, bad)
        assert re.match(rb"HTTP/1\.[01] 400", answer), answer
    out = await _logged(noisy)
    assert "Traceback" not in out, out
    assert len(re.findall(r"Error handling request", out)) == 3


async def test_polling_is_off_and_a_malformed_polling_post_is_no_traceback(
    noisy: ServiceProcess,
) -> None:
    packets = "".join("\x1e" + "4" for _ in range(20))
    for body in (b"4\xff", packets.encode()):
        head = (
            "POST /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n"
            f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        answer = await _raw(noisy, head.encode() + body)
        assert answer.startswith(b"HTTP/1.1 400"), answer
    answer = await _raw(
        noisy, b"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    assert answer.startswith(b"HTTP/1.1 400")  # no polling handshake either
    out = await _logged(noisy)
    assert "Traceback" not in out, out
    assert len(re.findall(r" ERROR ", out)) <= 1, out  # engine.io says "Invalid transport" once


async def test_an_aborted_body_is_not_a_server_error(noisy: ServiceProcess, http: object) -> None:
    booking = Booking(noisy.url, http)  # type: ignore[arg-type]
    head = (
        "POST /v1/rooms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {booking.tokens.mint_booking()}\r\nContent-Length: 500\r\n\r\n"
    )
    await _raw(noisy, head.encode() + b'{"booking_id":', close_after_send=True)
    out = await _logged(noisy)
    assert "Traceback" not in out and "unhandled error" not in out, out
    status, metrics = await booking.call("GET", "/metrics")
    assert status == 200
    assert not re.search(r'sessionsvc_http_requests_total\{[^}]*status="5\d\d"', metrics), metrics


def test_escape_keeps_one_printable_line() -> None:
    assert escape("a\r\nb\x1b[0m\x00\u2028\ud800é") == "a\\r\\nb\\x1b[0m\\x00\\u2028\\ud800é"
