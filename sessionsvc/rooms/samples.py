"""Media stats of a call, as values: the report a side sends every 2 s, the sample the service
keeps of it (its counters, the figures of its window, its grade), and the timeline of what
happened to a participant's media. ``measure`` turns a report into a sample and refuses what
cannot be true: counters going backwards, clocks running backwards or too fast, rates no call
reaches.

Counters are cumulative per peer connection (``peer``): a new peer connection starts them again
from zero, so figures are only ever computed between samples of one peer connection. Rates are
computed over at least ``MIN_WINDOW_S`` of the report's own clock (or the service's, for a client
that sends none): two reports a few milliseconds apart say nothing about a rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from .errors import InvalidInput
from .scorer import Kind, KindWindow

MIN_WINDOW_S = 1.0
MAX_KBPS = 200_000.0  # 200 Mbit/s: far beyond any call; past it a report is a bug or a lie
MAX_PACKETS_PER_S = 50_000.0
MAX_FPS = 240.0
CLOCK_SLACK_S = 5.0  # a report's clock may run ahead of the service's by this much, no more


class ImplausibleStats(InvalidInput):
    """A stats report that cannot be true; it is refused and changes nothing."""

    code = "implausible_stats"


class KindCounters(msgspec.Struct, frozen=True, gc=False):
    """Cumulative inbound packet counters of one media kind on one peer connection."""

    packets_received: int = 0
    packets_lost: int = 0


class MediaReport(msgspec.Struct, frozen=True, gc=False):
    """One side's ``stats`` event, validated for shape (docs/events.md)."""

    bytes_received: int
    bytes_sent: int | None = None
    frames_received: int | None = None
    peer: str = ""  # the peer connection these counters belong to
    clock_ms: float | None = None  # the report's own clock, in milliseconds
    audio: KindCounters | None = None
    video: KindCounters | None = None
    rtt_ms: float | None = None
    jitter_ms: float | None = None
    loss_pct: float | None = None
    bitrate_in_kbps: float | None = None
    bitrate_out_kbps: float | None = None
    fps_in: float | None = None
    ice_state: str | None = None
    connection_state: str | None = None
    local_candidate_type: str | None = None
    remote_candidate_type: str | None = None


class MediaSample(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """What the service keeps of one report: its counters, the figures of its window as the
    service computed them, and the grade the scorer gave."""

    at: float  # the service's clock
    peer: str = ""
    clock_ms: float | None = None
    bytes_in: int = 0
    bytes_out: int | None = None
    total_in: int = 0  # bytes received over every peer connection of this participant
    total_out: int = 0
    frames: int | None = None
    audio: KindCounters | None = None
    video: KindCounters | None = None
    rtt_ms: float | None = None
    jitter_ms: float | None = None
    loss_pct: float | None = None
    bitrate_in_kbps: float | None = None
    bitrate_out_kbps: float | None = None
    fps_in: float | None = None
    ice_state: str | None = None
    connection_state: str | None = None
    local_candidate: str | None = None
    remote_candidate: str | None = None
    score: float | None = None
    grade: str | None = None
    reason: str | None = None


class TimelineEntry(msgspec.Struct, frozen=True, gc=False, omit_defaults=True):
    """Something that happened to a participant's connection or media, at the service's time:
    ``device``, ``joined``, ``resumed``, ``reconnecting``, ``left``, ``peer`` (a new peer
    connection), ``ice_state``, ``connection_state``, ``candidates`` or ``grade``."""

    at: float
    event: str
    value: str = ""
    detail: dict[str, str] | None = None


@dataclass(frozen=True)
class Measured:
    """A report turned into a sample (not graded yet), its window's loss per media kind, and
    the sample its window starts from (None: the first reports of a peer connection)."""

    sample: MediaSample
    kinds: tuple[KindWindow, ...]
    base: MediaSample | None


def _span(a: MediaSample, report: MediaReport, now: float) -> float:
    """Seconds between sample ``a`` and the report, by the report's clock when both have one."""
    if a.clock_ms is not None and report.clock_ms is not None:
        return (report.clock_ms - a.clock_ms) / 1000.0
    return now - a.at


def _check_progress(last: MediaSample, report: MediaReport, now: float) -> None:
    """Within one peer connection counters only grow and the report's clock runs forward, no
    faster than the service's."""
    pairs = [
        ("bytes_received", report.bytes_received, last.bytes_in),
        ("bytes_sent", report.bytes_sent, last.bytes_out),
        ("frames_received", report.frames_received, last.frames),
    ]
    for kind, now_counters, then in (
        ("audio", report.audio, last.audio),
        ("video", report.video, last.video),
    ):
        if now_counters is not None and then is not None:
            pairs.append(
                (f"{kind}.packets_received", now_counters.packets_received, then.packets_received)
            )
    for name, value, before in pairs:
        if value is not None and before is not None and value < before:
            raise ImplausibleStats(
                f"{name} went backwards ({before} then {value}) on one peer connection"
            )
    if report.clock_ms is not None and last.clock_ms is not None:
        ran = (report.clock_ms - last.clock_ms) / 1000.0
        if ran < 0:
            raise ImplausibleStats("clock_ms went backwards on one peer connection")
        if ran > (now - last.at) + CLOCK_SLACK_S:
            raise ImplausibleStats("clock_ms ran ahead of real time")


def _rate(delta: float, span: float, limit: float, name: str) -> float:
    rate = delta / span
    if rate > limit:
        raise ImplausibleStats(f"{name} of {rate:.0f} per second is more than any call carries")
    return rate


def _kbps(after: int | None, before: int | None, span: float, name: str) -> float | None:
    if after is None or before is None:
        return None
    return round(_rate(8.0 * (after - before) / 1000.0, span, MAX_KBPS, name), 1)


def _kind_window(
    kind: Kind, now: KindCounters | None, then: KindCounters | None, span: float
) -> KindWindow | None:
    if now is None or then is None:
        return None
    received = now.packets_received - then.packets_received
    lost = max(now.packets_lost - then.packets_lost, 0)
    _rate(received + lost, span, MAX_PACKETS_PER_S, f"{kind} packets")
    return KindWindow(kind, received + lost, lost)


def measure(recent: Sequence[MediaSample], report: MediaReport, now: float) -> Measured:
    """The sample of ``report`` given this participant's ``recent`` samples (oldest first);
    raises ``ImplausibleStats``.

    The window runs from the newest recent sample of the same peer connection that is at least
    ``MIN_WINDOW_S`` older than the report; without one (the first reports of a peer connection),
    the figures are the report's own.
    """
    last = recent[-1] if recent else None
    same_peer = last is not None and last.peer == report.peer
    if last is not None and same_peer:
        _check_progress(last, report, now)
    base = next(
        (
            s
            for s in reversed(recent)
            if s.peer == report.peer and _span(s, report, now) >= MIN_WINDOW_S
        ),
        None,
    )
    bitrate_in, bitrate_out, fps = report.bitrate_in_kbps, report.bitrate_out_kbps, report.fps_in
    loss = report.loss_pct
    kinds: tuple[KindWindow, ...] = ()
    if base is not None:
        span = _span(base, report, now)
        bitrate_in = _kbps(report.bytes_received, base.bytes_in, span, "bytes_received")
        bitrate_out = _kbps(report.bytes_sent, base.bytes_out, span, "bytes_sent")
        if bitrate_out is None:
            bitrate_out = report.bitrate_out_kbps
        if report.frames_received is not None and base.frames is not None:
            frames = _rate(report.frames_received - base.frames, span, MAX_FPS, "frames")
            fps = round(frames, 1)
        windows = [
            _kind_window("audio", report.audio, base.audio, span),
            _kind_window("video", report.video, base.video, span),
        ]
        kinds = tuple(w for w in windows if w is not None)
        if kinds:
            expected = sum(k.expected for k in kinds)
            loss = round(100.0 * sum(k.lost for k in kinds) / expected, 2) if expected else 0.0
    if last is None:
        total_in, total_out = report.bytes_received, report.bytes_sent or 0
    elif same_peer:
        total_in = last.total_in + report.bytes_received - last.bytes_in
        total_out = last.total_out + (report.bytes_sent or 0) - (last.bytes_out or 0)
    else:
        total_in = last.total_in + report.bytes_received
        total_out = last.total_out + (report.bytes_sent or 0)
    sample = MediaSample(
        at=now,
        peer=report.peer,
        clock_ms=report.clock_ms,
        bytes_in=report.bytes_received,
        bytes_out=report.bytes_sent,
        total_in=total_in,
        total_out=max(total_out, 0),
        frames=report.frames_received,
        audio=report.audio,
        video=report.video,
        rtt_ms=report.rtt_ms,
        jitter_ms=report.jitter_ms,
        loss_pct=loss,
        bitrate_in_kbps=bitrate_in,
        bitrate_out_kbps=bitrate_out,
        fps_in=fps,
        ice_state=report.ice_state,
        connection_state=report.connection_state,
        local_candidate=report.local_candidate_type,
        remote_candidate=report.remote_candidate_type,
    )
    return Measured(sample, kinds, base)


def changes(last: MediaSample | None, sample: MediaSample) -> list[TimelineEntry]:
    """What changed between a participant's last sample and its new one, for its timeline."""
    at = sample.at
    out: list[TimelineEntry] = []
    if last is None or last.peer != sample.peer:
        out.append(TimelineEntry(at, "peer", sample.peer))
    for event, before, after in (
        ("ice_state", last.ice_state if last else None, sample.ice_state),
        ("connection_state", last.connection_state if last else None, sample.connection_state),
        ("candidates", candidates(last) if last else None, candidates(sample)),
        ("grade", last.grade if last else None, sample.grade),
    ):
        if after is not None and after != before:
            out.append(TimelineEntry(at, event, after))
    return out


def candidates(sample: MediaSample) -> str | None:
    """The selected candidate pair's types, ``local/remote`` (e.g. ``host/srflx``)."""
    if sample.local_candidate is None and sample.remote_candidate is None:
        return None
    return f"{sample.local_candidate or '?'}/{sample.remote_candidate or '?'}"
