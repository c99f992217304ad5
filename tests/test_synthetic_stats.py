"""The synthetic participants' ``stats`` payload from aiortc stats reports: per-kind counters of
one peer connection, and rates over a real window even when two reports come a moment apart."""

from __future__ import annotations

import datetime

from aiortc.stats import (
    RTCInboundRtpStreamStats,
    RTCRemoteInboundRtpStreamStats,
    RTCStatsReport,
    RTCTransportStats,
)

from sessionsvc.signaling import payloads
from sessionsvc.synthetic.stats import Sample, sample, summarize

NOW = datetime.datetime.now(datetime.UTC)


def report(bytes_in: int, bytes_out: int, video: int, audio: int, lost: int = 0) -> RTCStatsReport:
    r = RTCStatsReport()
    r.add(
        RTCTransportStats(
            timestamp=NOW,
            type="transport",
            id="t",
            packetsSent=0,
            packetsReceived=0,
            bytesSent=bytes_out,
            bytesReceived=bytes_in,
            iceRole="controlling",
            dtlsState="connected",
        )
    )
    r.add(RTCInboundRtpStreamStats(NOW, "inbound-rtp", "v", 1, "video", "t", video, lost, 900))
    r.add(RTCInboundRtpStreamStats(NOW, "inbound-rtp", "a", 2, "audio", "t", audio, -3, 96))
    r.add(
        RTCRemoteInboundRtpStreamStats(
            NOW, "remote-inbound-rtp", "r", 1, "video", "t", 0, 0, 0, 0.004, 0.0
        )
    )
    return r


def test_the_payload_of_one_peer_connection() -> None:
    r = report(50_000, 40_000, video=100, audio=200, lost=2)
    payload = summarize(r, [], sample(r, 10.0, 30), "pc-1")
    assert payload["peer"] == "pc-1" and payload["clock_ms"] == 10_000.0
    assert payload["video"] == {"packets_received": 100, "packets_lost": 2}
    assert payload["audio"] == {"packets_received": 200, "packets_lost": 0}  # never negative
    assert payload["jitter_ms"] == 10.0 and payload["rtt_ms"] == 4.0
    assert "bitrate_in_kbps" not in payload  # no window yet
    payloads.parse(payload, payloads.Stats)  # what the service accepts


def test_two_reports_a_moment_apart_still_measure_a_real_window() -> None:
    history = [Sample(10.0, 0, 0, 0), Sample(12.0, 100_000, 100_000, 40)]
    r = report(100_000, 100_000, video=300, audio=300)  # nothing more sent in 3 ms
    payload = summarize(r, history, sample(r, 12.003, 40), "pc-1")
    assert payload["bitrate_out_kbps"] > 390 and payload["bitrate_in_kbps"] > 390
    assert payload["fps_in"] > 19
