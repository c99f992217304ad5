"""The ``stats`` payload of docs/events.md, computed from aiortc stats reports: counter samples,
rates between two samples, loss, jitter, round-trip time and a quality grade. Pure functions over
the reports, so they are testable without a peer connection that carries media."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiortc import RTCPeerConnection

VIDEO_CLOCK_KHZ = 90.0


@dataclass(frozen=True)
class Sample:
    """The cumulative counters at one monotonic time."""

    at: float
    bytes_in: int
    bytes_out: int
    frames: int


def grade(rtt_ms: float | None, loss_pct: float | None) -> str:
    """good, fair or poor, from round-trip time and loss."""
    rtt = rtt_ms or 0.0
    loss = loss_pct or 0.0
    if rtt < 150 and loss < 2:
        return "good"
    if rtt < 400 and loss < 8:
        return "fair"
    return "poor"


def transport_bytes(report: Mapping[str, Any]) -> tuple[int, int]:
    """(received, sent) bytes over every transport of a stats report."""
    ins = outs = 0
    for s in report.values():
        if s.type == "transport":
            ins += s.bytesReceived
            outs += s.bytesSent
    return ins, outs


def sample(
    report: Mapping[str, Any],
    settled: tuple[int, int],
    previous: Sample | None,
    at: float,
    frames: int,
) -> Sample:
    """The counters now: the transport bytes of this report plus those ``settled`` by peer
    connections already closed, and never below the ``previous`` sample, so that a switch of
    peer connection does not look like a drop."""
    ins, outs = transport_bytes(report)
    ins, outs = settled[0] + ins, settled[1] + outs
    if previous is not None:
        ins, outs = max(ins, previous.bytes_in), max(outs, previous.bytes_out)
    return Sample(at, ins, outs, frames)


def summarize(
    report: Mapping[str, Any], previous: Sample | None, current: Sample
) -> dict[str, Any]:
    """The ``stats`` payload from an aiortc stats report and two samples of the counters."""
    out: dict[str, Any] = {
        "bytes_received": current.bytes_in,
        "bytes_sent": current.bytes_out,
        "frames_received": current.frames,
    }
    received = lost = 0
    jitters: list[float] = []
    rtts: list[float] = []
    for s in report.values():
        if s.type == "inbound-rtp":
            received += s.packetsReceived
            lost += max(s.packetsLost, 0)
            if s.kind == "video":
                jitters.append(s.jitter / VIDEO_CLOCK_KHZ)
        elif s.type == "remote-inbound-rtp" and s.roundTripTime is not None:
            rtts.append(s.roundTripTime * 1000.0)
    if rtts:
        out["rtt_ms"] = round(max(rtts), 2)
    if jitters:
        out["jitter_ms"] = round(max(jitters), 2)
    if received + lost:
        out["loss_pct"] = round(100.0 * lost / (received + lost), 2)
    if previous is not None and current.at > previous.at:
        span = current.at - previous.at
        out["bitrate_in_kbps"] = round(8 * (current.bytes_in - previous.bytes_in) / span / 1000)
        out["bitrate_out_kbps"] = round(8 * (current.bytes_out - previous.bytes_out) / span / 1000)
        out["fps_in"] = round((current.frames - previous.frames) / span, 1)
    out["quality"] = grade(out.get("rtt_ms"), out.get("loss_pct"))
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
