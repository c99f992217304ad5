"""The connection test's outgoing video: a short clip encoded once per node (for its first
test) and replayed to every test as encoded packets.

aiortc's ``RTCRtpSender`` packetizes an ``av.Packet`` that a track returns without encoding it
(the path ``MediaPlayer(decode=False)`` takes), so a test costs the service packetization and
encryption only, never an encoder. A keyframe request from the browser cannot be honoured on
that path, so the clip carries a keyframe every second: a browser that lost one recovers within
a second.
"""

from __future__ import annotations

import asyncio
import fractions
import random
import time
from dataclasses import dataclass
from typing import Any

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
BAR = 32  # pixels between the moving bars


@dataclass(frozen=True)
class Clip:
    """Encoded VP8 frames, each a whole frame; the first is a keyframe, so the clip loops."""

    frames: tuple[bytes, ...]
    keyframes: tuple[bool, ...]
    width: int
    height: int
    fps: float

    @property
    def bitrate_kbps(self) -> float:
        """The clip's average bitrate as replayed."""
        total = sum(len(f) for f in self.frames)
        return 8 * total * self.fps / len(self.frames) / 1000


def _texture(width: int, height: int) -> bytes:
    """A fixed grain of 4x4 blocks (seeded, so every node replays the same clip), twice as wide
    as the frame so that any shift of it can be sliced: detail that keeps the encoder busy, as
    a camera's picture does."""
    rng = random.Random(20_240_601)
    cells = [[rng.randrange(70, 190) for _ in range(2 * width // 4)] for _ in range(height // 4)]
    return b"".join(bytes(v for v in row for _ in range(4)) * 4 for row in cells)


def _luma(texture: bytes, width: int, height: int, n: int, rng: random.Random) -> bytes:
    """The grain moved ``4 * n`` pixels to the left with a bright bar every 32 pixels, and a band
    of fresh grain that moves down the picture: what changes from frame to frame, as a person
    moving in front of a camera does."""
    shift = (4 * n) % width
    band = (16 * n) % height
    rows = []
    for y in range(height):
        if band <= y < band + 32:
            if y % 4 == 0:
                fresh = bytes(v for _ in range(width // 4) for v in [rng.randrange(70, 190)] * 4)
            rows.append(fresh)
            continue
        start = y * 2 * width + shift
        row = bytearray(texture[start : start + width])
        for x in range((BAR - shift % BAR) % BAR, width, BAR):
            row[x : x + 4] = b"\xeb\xeb\xeb\xeb"
        rows.append(bytes(row[:width]))
    return b"".join(rows)


def encode_clip(
    width: int = 320,
    height: int = 240,
    fps: float = 15.0,
    seconds: float = 2.0,
    bitrate: int = 320_000,
    keyframe_every: int = 15,
) -> Clip:
    """Encode the test clip with libvpx (VP8, real-time, constant bitrate): ``seconds`` of a
    moving pattern, a keyframe every ``keyframe_every`` frames. Takes a fraction of a second;
    run it off the event loop."""
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.time_base = fractions.Fraction(1, round(fps))
    codec.bit_rate = bitrate
    codec.gop_size = keyframe_every
    codec.options = {
        "deadline": "realtime",
        "cpu-used": "8",
        "lag-in-frames": "0",
        "minrate": str(bitrate),
        "maxrate": str(bitrate),
        "bufsize": str(bitrate),
        "undershoot-pct": "100",
        "overshoot-pct": "15",
        # keyframes at most three times a frame's share: no bursts that a slow link would drop
        "max-intra-rate": "300",
    }
    texture = _texture(width, height)
    rng = random.Random(7)
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    frames: list[bytes] = []
    keys: list[bool] = []
    count = round(fps * seconds)
    for n in range(count):
        frame = av.VideoFrame(width=width, height=height, format="yuv420p")
        luma = _luma(texture, width, height, n, rng)
        frame.planes[0].update(_padded_plane(luma, width, frame.planes[0]))
        for plane in frame.planes[1:]:
            plane.update(_padded_plane(chroma, width // 2, plane))
        frame.pts = n
        # the first frame of every group is a keyframe, so the clip can loop at any group
        frame.pict_type = (
            av.video.frame.PictureType.I
            if n % keyframe_every == 0
            else av.video.frame.PictureType.NONE
        )
        for packet in codec.encode(frame):
            frames.append(bytes(packet))
            keys.append(bool(packet.is_keyframe))
    for packet in codec.encode(None):
        frames.append(bytes(packet))
        keys.append(bool(packet.is_keyframe))
    if not frames or not keys[0]:
        raise RuntimeError("the test clip did not start with a keyframe")
    return Clip(tuple(frames), tuple(keys), width, height, fps)


def _padded_plane(data: bytes, width: int, plane: av.video.plane.VideoPlane) -> bytes:
    """``data`` (rows of ``width`` bytes) laid out at the plane's line size."""
    line = plane.line_size
    if line == width:
        return data
    pad = bytes(line - width)
    return b"".join(data[i : i + width] + pad for i in range(0, len(data), width))


class ClipTrack(MediaStreamTrack):
    """A video track that replays a :class:`Clip` as encoded packets at the clip's frame rate,
    looping, with timestamps that keep rising."""

    kind = "video"

    def __init__(self, clip: Clip) -> None:
        super().__init__()
        self._clip = clip
        self._sent = 0
        self._t0: float | None = None

    @property
    def frames_sent(self) -> int:
        return self._sent

    async def recv(self) -> av.Packet[Any]:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        due = self._t0 + self._sent / self._clip.fps
        if due > now:
            await asyncio.sleep(due - now)
        clip = self._clip
        packet = av.Packet(clip.frames[self._sent % len(clip.frames)])
        packet.pts = round(self._sent * VIDEO_CLOCK_RATE / clip.fps)
        packet.time_base = VIDEO_TIME_BASE
        self._sent += 1
        return packet
