"""Counting the browser's test video as it arrives, without decoding it.

aiortc's receiver decodes every frame it assembles (in a thread per receiver) and runs a
bandwidth estimator, a NACK generator and a jitter buffer in Python for every packet; a test
needs none of that, only what arrived, what was lost, and how evenly. So the test's receiver
hands each packet to a :class:`InboundMeter` instead: it feeds aiortc's own
``StreamStatistics`` (from which the receiver's RTCP loop keeps sending receiver reports, so
the browser still learns of loss and round trip) and counts the bytes. aiortc has no public
hook for this; :func:`meter_receiver` says where it reaches in, and a test proves it works on
the aiortc this package runs on.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtp import RtpPacket

VIDEO_CLOCK_RATE = 90_000


@dataclass(frozen=True)
class Inbound:
    """What has arrived so far, at one monotonic time: packets, media bytes (payload and
    padding, as an RTP sender counts them), packets lost, and the interarrival jitter (RFC
    3550) of the media packets."""

    at: float
    packets: int
    bytes: int
    lost: int
    jitter_ms: float | None


class InboundMeter:
    """Counts one receiver's RTP packets. The test negotiates one codec and no retransmission
    stream, so every packet routed to the receiver is the test video (or padding a browser
    sends to probe the link, which counts as upload too)."""

    def __init__(self, streams: dict[int, StreamStatistics]) -> None:
        self._streams = streams
        self._bytes = 0
        self.first_at: float | None = None
        self._jitter = 0.0  # RFC 3550 interarrival jitter, in clock units, of media packets
        self._last: tuple[float, int] | None = None  # (arrival in clock units, RTP timestamp)

    async def handle(self, packet: RtpPacket, arrival_time_ms: int = 0) -> None:
        """Stands in for the receiver's ``_handle_rtp_packet``."""
        stream = self._streams.get(packet.ssrc)
        if stream is None:
            stream = self._streams[packet.ssrc] = StreamStatistics(VIDEO_CLOCK_RATE)
            if self.first_at is None:
                self.first_at = time.monotonic()
        stream.add(packet)  # every packet, padding too: sequence numbers tell the loss
        self._bytes += len(packet.payload) + packet.padding_size
        if packet.payload:
            # jitter of media packets only: a browser's padding probes carry timestamps of
            # their own, which would read as seconds of jitter
            self._add_transit(time.monotonic() * VIDEO_CLOCK_RATE, packet.timestamp)

    def _add_transit(self, arrival: float, timestamp: int) -> None:
        last, self._last = self._last, (arrival, timestamp)
        if last is None or timestamp == last[1]:
            return
        # the timestamp step as a signed 32-bit difference, so a wrap is a small step
        step = ((timestamp - last[1] + (1 << 31)) % (1 << 32)) - (1 << 31)
        d = abs((arrival - last[0]) - step)
        self._jitter += (d - self._jitter) / 16

    def read(self) -> Inbound:
        """The counters now."""
        packets = lost = 0
        for s in self._streams.values():
            packets += s.packets_received
            lost += max(0, s.packets_lost)
        jitter = self._jitter * 1000 / VIDEO_CLOCK_RATE if self._last is not None else None
        return Inbound(time.monotonic(), packets, self._bytes, lost, jitter)


def meter_receiver(receiver: RTCRtpReceiver) -> InboundMeter:
    """Make an :class:`InboundMeter` count what ``receiver`` receives, instead of aiortc's
    receive pipeline; call it once the remote description is set.

    This reaches into aiortc's ``RTCRtpReceiver`` in one place: its private statistics dict,
    the one its RTCP loop sends receiver reports from.
    """
    streams: Any = getattr(receiver, "_RTCRtpReceiver__remote_streams", None)
    if not isinstance(streams, dict):
        raise RuntimeError("this aiortc keeps its receiver statistics elsewhere")
    meter = InboundMeter(streams)
    receiver._handle_rtp_packet = meter.handle  # type: ignore[method-assign]
    return meter


def end_decoder(receiver: RTCRtpReceiver) -> None:
    """End the decoder thread the receiver started when the connection came up: with a meter in
    place it would only wait. ``_handle_disconnect`` is what aiortc itself calls when the
    transport goes away; it ends the thread and the remote track, and can be called again."""
    receiver._handle_disconnect()
