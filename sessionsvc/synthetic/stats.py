"""The ``stats`` payload of docs/events.md, computed from aiortc stats reports: the counters of
one peer connection (named by ``peer``; a new one starts them again from zero), per-kind packet
counters, and the figures of the window since the newest sample at least ``MIN_WINDOW_S`` old,
so that two reports a moment apart never read as a rate of zero. Pure functions over the
reports, so they are testable without a peer connection that carries media."""

from __future__ import annotations

import time
import uuid
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiortc import RTCPeerConnection

MIN_WINDOW_S = 1.0
CLOCK_KHZ = {"video": 90.0, "audio": 48.0}  # RTP clock rates: aiortc's jitter is in their units


@dataclass(frozen=True)
class Sample:
    """The cumulative counters of one peer connection at one monotonic time."""

    at: float
    bytes_in: int
    bytes_out: int
    frames: int


def transport_bytes(report: Mapping[str, Any]) -> tuple[int, int]:
    """(received, sent) bytes over every transport of a stats report."""
    ins = outs = 0
    for s in report.values():
        if s.type == "transport":
            ins += s.bytesReceived
            outs += s.bytesSent
    return ins, outs


def sample(report: Mapping[str, Any], at: float, frames: int) -> Sample:
    """The counters of this report, ``frames`` decoded on this peer connection."""
    ins, outs = transport_bytes(report)
    return Sample(at, ins, outs, frames)


def baseline(history: Sequence[Sample], at: float) -> Sample | None:
    """The newest sample at least ``MIN_WINDOW_S`` before ``at``."""
    return next((s for s in reversed(history) if at - s.at >= MIN_WINDOW_S), None)


def summarize(
    report: Mapping[str, Any], history: Sequence[Sample], current: Sample, peer: str
) -> dict[str, Any]:
    """The ``stats`` payload from an aiortc stats report, the earlier samples of the same peer
    connection (oldest first) and its counters now."""
    out: dict[str, Any] = {
        "bytes_received": current.bytes_in,
        "bytes_sent": current.bytes_out,
        "frames_received": current.frames,
        "peer": peer,
        "clock_ms": round(current.at * 1000.0, 1),
    }
    kinds: dict[str, list[int]] = {}
    jitters: list[float] = []
    rtts: list[float] = []
    for s in report.values():
        if s.type == "inbound-rtp":
            counters = kinds.setdefault(s.kind, [0, 0])
            counters[0] += s.packetsReceived
            counters[1] += max(s.packetsLost, 0)
            jitters.append(s.jitter / CLOCK_KHZ.get(s.kind, 90.0))
        elif s.type == "remote-inbound-rtp" and s.roundTripTime is not None:
            rtts.append(s.roundTripTime * 1000.0)
    for kind, (received, lost) in kinds.items():
        out[kind] = {"packets_received": received, "packets_lost": lost}
    received = sum(k[0] for k in kinds.values())
    lost = sum(k[1] for k in kinds.values())
    if rtts:
        out["rtt_ms"] = round(max(rtts), 2)
    if jitters:
        out["jitter_ms"] = round(max(jitters), 2)
    if received + lost:
        out["loss_pct"] = round(100.0 * lost / (received + lost), 2)
    base = baseline(history, current.at)
    if base is not None:
        span = current.at - base.at
        out["bitrate_in_kbps"] = round(8 * (current.bytes_in - base.bytes_in) / span / 1000, 1)
        out["bitrate_out_kbps"] = round(8 * (current.bytes_out - base.bytes_out) / span / 1000, 1)
        out["fps_in"] = round((current.frames - base.frames) / span, 1)
    return out


def candidate_types(pc: RTCPeerConnection) -> tuple[str | None, str | None]:
    """The selected pair's (local, remote) candidate types. aiortc does not report them in its
    stats, so this reads its ICE agent and gives up quietly if that changes."""
    try:
        for transceiver in pc.getTransceivers():
            connection = transceiver.receiver.transport.transport._connection
            for pair in connection._nominated.values():
                return pair.local_candidate.type, pair.remote_candidate.type
    except AttributeError:
        pass
    return None, None


class StatsCollector:
    """The ``stats`` payloads of one participant: the counters of the peer connection in use
    under an id of its own (a new peer connection starts afresh), rates over recent samples."""

    def __init__(self) -> None:
        self._pc: RTCPeerConnection | None = None
        self._peer = ""
        self._history: deque[Sample] = deque(maxlen=8)
        self._frames_before_pc = 0

    async def collect(self, pc: RTCPeerConnection, frames_received: int) -> dict[str, Any]:
        """The payload for ``pc`` now; ``frames_received`` counts decoded frames in all."""
        if pc is not self._pc:
            self._pc, self._peer = pc, uuid.uuid4().hex[:12]
            self._history.clear()
            self._frames_before_pc = frames_received
        report = await pc.getStats()
        current = sample(report, time.monotonic(), frames_received - self._frames_before_pc)
        payload = summarize(report, self._history, current, self._peer)
        self._history.append(current)
        payload["ice_state"] = pc.iceConnectionState
        payload["connection_state"] = pc.connectionState
        local, remote = candidate_types(pc)
        if local:
            payload["local_candidate_type"] = local
        if remote:
            payload["remote_candidate_type"] = remote
        return payload
