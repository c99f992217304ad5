"""The pairs the signaling benchmark drives: a room's professional and client (or a pair of the
bare relay), each a ``testkit`` session client; the payloads they send; and the sequential round
trip measured in one process."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import aiohttp

from testkit.session_client import SessionClient


def candidate(seq: int) -> dict[str, Any]:
    """A realistic ``candidate`` signal payload; the foundation carries a sequence number."""
    return {
        "candidate": f"candidate:{seq} 1 udp 2122260223 192.168.1.23 {50000 + seq % 10000} "
        "typ host generation 0 ufrag EEtu network-id 1 network-cost 10",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
        "usernameFragment": "EEtu",
    }


def seq_of(data: dict[str, Any]) -> int:
    """The sequence number of a relayed ``candidate`` (see ``candidate``)."""
    cand: str = data["payload"]["candidate"]
    return int(cand[10 : cand.index(" ", 10)])


@dataclass
class Side:
    """Where one participant connects and with what auth (a join token for sessionsvc, a pair
    and a role for the bare relay)."""

    url: str
    auth: dict[str, str]


@dataclass
class PairSpec:
    """A room's two participants (or a bare relay pair). ``client_id`` is set for sessionsvc."""

    pro: Side
    client: Side
    client_id: str | None = None


class Pair:
    """A pair's two session clients, sharing ``http`` with the other pairs of a process."""

    def __init__(self, spec: PairSpec, http: aiohttp.ClientSession | None = None) -> None:
        self.spec = spec
        self.pro = _client(spec.pro, http)
        self.client = _client(spec.client, http)

    async def connect(self) -> None:
        """Both connect (the client waits in the waiting room)."""
        await self.client.connect()
        await self.pro.connect()

    async def admit(self, timeout: float = 30.0) -> None:
        """The professional sees the client waiting and admits them (sessionsvc only)."""
        if self.spec.client_id is None:
            return
        await self.pro.wait_room(lambda r: r["client"]["presence"] == "present", timeout)
        ack = await self.pro.call("admit", {"participant_id": self.spec.client_id}, timeout)
        if not ack.get("ok"):
            raise RuntimeError(f"admit refused: {ack}")
        await self.pro.wait("admitted", timeout=timeout)
        await self.client.wait("admitted", timeout=timeout)

    @property
    def dropped(self) -> bool:
        """Whether either connection has ended."""
        return self.pro.disconnected or self.client.disconnected

    async def close(self) -> None:
        await asyncio.gather(self.pro.close(), self.client.close(), return_exceptions=True)


def _client(side: Side, http: aiohttp.ClientSession | None) -> SessionClient:
    # a generous connect timeout: hundreds connect at once on a loaded machine
    return SessionClient(side.url, side.auth, http=http, connect_timeout=30.0)


async def round_trips(pair: Pair, count: int, warmup: int = 20) -> dict[str, Any]:
    """A sends a signal to B, B sends one back on receipt; A times it. Sequential."""
    loop = asyncio.get_running_loop()
    waiting: asyncio.Future[None] | None = None
    errors: Counter[str] = Counter()

    def ack(result: Any = None) -> None:
        if not (isinstance(result, dict) and result.get("ok")):
            errors[error_code(result)] += 1

    async def echo(data: dict[str, Any]) -> None:
        await pair.client.emit(
            "signal", {"to": "professional", "kind": "candidate", "payload": data["payload"]}, ack
        )

    def back(data: dict[str, Any]) -> None:
        if waiting is not None and not waiting.done():
            waiting.set_result(None)

    pair.client.handle("signal", echo)
    pair.pro.handle("signal", back)
    samples: list[float] = []
    try:
        for i in range(warmup + count):
            waiting = loop.create_future()
            started = time.perf_counter()
            await pair.pro.emit(
                "signal", {"to": "client", "kind": "candidate", "payload": candidate(i)}, ack
            )
            await asyncio.wait_for(waiting, 10)
            if i >= warmup:
                samples.append(time.perf_counter() - started)
    finally:
        pair.client.handle("signal", None)
        pair.pro.handle("signal", None)
    await asyncio.sleep(0.05)  # the last acks
    return {"samples": samples, "errors": dict(errors)}


def error_code(result: Any) -> str:
    """The error code of a refusing ack, or a short form of whatever else came back."""
    if isinstance(result, dict):
        error = result.get("error")
        if isinstance(error, dict):
            return str(error.get("code"))
    return repr(result)[:40]


def stats_payload(n: int, interval: float) -> dict[str, Any]:
    """The ``stats`` report of a call in its n-th interval (the counters of one peer connection
    grow; its clock runs with the report's interval)."""
    return {
        "bytes_received": 200_000 * n,
        "bytes_sent": 195_000 * n,
        "frames_received": int(20 * interval * n),
        "peer": "bench-pc",
        "clock_ms": round(1000.0 * interval * n, 1),
        "audio": {"packets_received": int(50 * interval * n), "packets_lost": 0},
        "video": {"packets_received": int(90 * interval * n), "packets_lost": 0},
        "rtt_ms": 12.5,
        "jitter_ms": 3.1,
        "loss_pct": 0.0,
        "bitrate_in_kbps": 800,
        "bitrate_out_kbps": 780,
        "fps_in": 20,
        "ice_state": "connected",
        "connection_state": "connected",
        "local_candidate_type": "host",
        "remote_candidate_type": "host",
    }
