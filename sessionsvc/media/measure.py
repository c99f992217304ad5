"""From a test's samples to its figures: pure functions, tested without a peer connection.

Each second the test samples what has arrived from the browser (its upload), what the service
has sent (the download), and what the browser's receiver reports say of it (loss, jitter, round
trip). The first seconds are left out of the rates: a browser needs a moment to reach its
sending rate, and a call's first seconds are not what a person judges it by.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from .inbound import Inbound
from .reports import Direction, Figures

VIDEO_CLOCK_KHZ = 90.0


@dataclass(frozen=True)
class Sample:
    """One look at a test's counters: the upload as counted, and the download as sent and as
    the browser reported it (None until its first receiver report)."""

    inbound: Inbound
    sent_bytes: int
    sent_packets: int
    remote_lost: int | None
    remote_jitter_ms: float | None
    rtt_ms: float | None


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole > 0 else None


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(fmean(present), 1) if present else None


def figures(samples: Sequence[Sample], connect_ms: float | None, settle: int = 2) -> Figures:
    """The figures over ``samples`` after the first ``settle`` of them (all of them when there
    are too few): rates and losses between the first and last sample of that window, round
    trip and jitter as the mean of what was sampled in it."""
    window = samples[settle:] if len(samples) > settle + 1 else samples
    if len(window) < 2:
        return Figures(connect_ms, _mean([s.rtt_ms for s in window]), Direction(), Direction())
    first, last = window[0], window[-1]
    span = last.inbound.at - first.inbound.at
    up_received = last.inbound.packets - first.inbound.packets
    up_lost = last.inbound.lost - first.inbound.lost
    upload = Direction(
        bitrate_kbps=round(8 * (last.inbound.bytes - first.inbound.bytes) / span / 1000, 1)
        if span > 0
        else None,
        loss_pct=_pct(max(0, up_lost), up_received + max(0, up_lost)),
        jitter_ms=_mean([s.inbound.jitter_ms for s in window]),
    )
    sent = last.sent_packets - first.sent_packets
    down_loss: float | None = None
    if first.remote_lost is not None and last.remote_lost is not None:
        down_loss = _pct(max(0, last.remote_lost - first.remote_lost), sent)
    delivered = 1.0 - (down_loss or 0.0) / 100.0
    download = Direction(
        bitrate_kbps=round(8 * (last.sent_bytes - first.sent_bytes) * delivered / span / 1000, 1)
        if span > 0
        else None,
        loss_pct=down_loss,
        jitter_ms=_mean([s.remote_jitter_ms for s in window]),
    )
    return Figures(connect_ms, _mean([s.rtt_ms for s in window]), upload, download)
