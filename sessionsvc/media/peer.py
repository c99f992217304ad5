"""One connection test's aiortc peer connection, from the browser's offer to its close.

The main test answers the browser's video with the replayed clip, counts the browser's video
with an :class:`~sessionsvc.media.inbound.InboundMeter` and samples both directions once a
second. A relay check only has to connect: the browser offers it with relay candidates alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from .candidates import selected_pair
from .clip import Clip, ClipTrack
from .inbound import InboundMeter, end_decoder, meter_receiver
from .measure import VIDEO_CLOCK_KHZ, Sample
from .offers import OfferRejected, with_start_bitrate
from .reports import Path

log = logging.getLogger(__name__)

#: The states after which a peer connection carries nothing more.
ENDED = frozenset({"failed", "closed"})


class TestPeer:
    """A peer connection that answers one offer. ``opened``/``closed`` are told when the peer
    connection is created and once it is closed, so the owner can count them."""

    __test__ = False  # not a pytest test class

    def __init__(
        self,
        configuration: RTCConfiguration,
        *,
        opened: Callable[[], None],
        closed: Callable[[], None],
    ) -> None:
        self._configuration = configuration
        self._opened = opened
        self._closed = closed
        self._pc: RTCPeerConnection | None = None
        self._connected = asyncio.Event()
        self._ended = asyncio.Event()
        self._track: ClipTrack | None = None
        self._meter: InboundMeter | None = None
        self._decoding = True
        self._closing: asyncio.Task[None] | None = None
        self.created_at = time.monotonic()
        self.connected_at: float | None = None

    @property
    def pc(self) -> RTCPeerConnection | None:
        return self._pc

    @property
    def connect_ms(self) -> float | None:
        """From the offer to a connected peer connection (ICE and DTLS)."""
        if self.connected_at is None:
            return None
        return round((self.connected_at - self.created_at) * 1000, 1)

    async def answer(self, offer: str, *, clip: Clip | None, start_kbps: int = 0) -> str:
        """The answer to ``offer``: with ``clip``, a test that sends it back and counts the
        browser's video; without, a relay check that only connects. Raises
        :class:`OfferRejected` for an offer aiortc cannot take or that has no video."""
        pc = RTCPeerConnection(configuration=self._configuration)
        self._pc = pc
        self._opened()
        pc.on("connectionstatechange", self._on_state)
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        except (ValueError, TypeError, KeyError, IndexError, AssertionError) as e:
            raise OfferRejected("offer_invalid", f"the offer cannot be used: {e}") from None
        video = [t for t in pc.getTransceivers() if t.kind == "video"]
        if clip is not None:
            if len(video) != 1:
                raise OfferRejected("offer_no_video", "the offer must carry one video section")
            transceiver = video[0]
            codecs = RTCRtpSender.getCapabilities("video").codecs
            vp8 = [c for c in codecs if c.mimeType == "video/VP8"]
            transceiver.setCodecPreferences(vp8)  # one codec, no retransmission stream
            self._track = ClipTrack(clip)
            pc.addTrack(self._track)
            self._meter = meter_receiver(transceiver.receiver)
        try:
            await pc.setLocalDescription(await pc.createAnswer())
        except (ValueError, TypeError, KeyError, AssertionError) as e:
            raise OfferRejected("offer_invalid", f"the offer cannot be answered: {e}") from None
        sdp = pc.localDescription.sdp
        if clip is not None and "VP8/90000" not in sdp:
            raise OfferRejected("offer_no_vp8", "the offer must allow VP8 video")
        return with_start_bitrate(sdp, start_kbps) if start_kbps else sdp

    def _on_state(self) -> None:
        pc = self._pc
        if pc is None:
            return
        if pc.connectionState == "connected" and self.connected_at is None:
            self.connected_at = time.monotonic()
            self._connected.set()
        elif pc.connectionState in ENDED:
            self._ended.set()

    async def wait_connected(self, within: float) -> bool:
        """Whether the peer connection came up within ``within`` seconds (it may have ended
        since: :attr:`ended`)."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within):
                done = asyncio.ensure_future(self._connected.wait())
                ended = asyncio.ensure_future(self._ended.wait())
                try:
                    await asyncio.wait({done, ended}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    done.cancel()
                    ended.cancel()
        # connected, even if it ended since (a relay check's browser hangs up at once)
        return self._connected.is_set()

    @property
    def ended(self) -> bool:
        """The connection failed or closed."""
        return self._ended.is_set()

    async def sleep_unless_ended(self, seconds: float) -> bool:
        """Wait ``seconds``; False at once if the connection ends meanwhile."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._ended.wait()
        return not self._ended.is_set()

    async def sample(self) -> Sample:
        """The counters of both directions now."""
        pc, meter = self._pc, self._meter
        if pc is None or meter is None:
            raise RuntimeError("only a test with a clip is sampled")
        if self._decoding:
            # the receiver started its decoder when the connection came up; the meter feeds it
            # nothing, so end it
            self._decoding = False
            for t in pc.getTransceivers():
                end_decoder(t.receiver)
        sent_bytes = sent_packets = 0
        remote_lost: int | None = None
        remote_jitter: float | None = None
        rtt: float | None = None
        for t in pc.getTransceivers():
            report = await t.sender.getStats()
            for s in report.values():
                if s.type == "outbound-rtp":
                    sent_bytes += s.bytesSent
                    sent_packets += s.packetsSent
                elif s.type == "remote-inbound-rtp":
                    remote_lost = s.packetsLost
                    remote_jitter = s.jitter / VIDEO_CLOCK_KHZ
                    if s.roundTripTime is not None:
                        rtt = s.roundTripTime * 1000
        return Sample(meter.read(), sent_bytes, sent_packets, remote_lost, remote_jitter, rtt)

    def path(self) -> Path | None:
        """The selected candidate pair, once ICE has chosen one."""
        if self._pc is None:
            return None
        pair = selected_pair(self._pc)
        return None if pair is None else Path(pair.local, pair.remote, pair.protocol)

    async def close(self) -> None:
        """Close the peer connection (and the clip track); safe to call more than once and from
        a task that is being cancelled: the close itself runs to the end in its own task."""
        if self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self._close())
        await asyncio.shield(self._closing)

    async def _close(self) -> None:
        pc, self._pc = self._pc, None
        try:
            if self._track is not None:
                self._track.stop()
            if pc is not None:
                await pc.close()
        except Exception:
            log.exception("closing a connection test's peer connection failed")
        finally:
            if pc is not None:
                self._closed()
