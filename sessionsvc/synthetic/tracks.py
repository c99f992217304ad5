"""Synthetic media tracks for the synthetic participants: a moving test pattern that carries a
frame counter, and an optional tone. Frames are built from prebuilt buffers, so a track costs
little more than the encoder it feeds."""

from __future__ import annotations

import asyncio
import fractions
import math
import time
from array import array

from aiortc import AudioStreamTrack, VideoStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import AudioFrame, VideoFrame

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
COUNTER_BITS = 20  # the counter band: one 16x16 block per bit, most significant first
BLOCK = 16
BAR_PERIOD = 64  # pixels between the moving bars
BAR_STEP = 4  # pixels the bars move per frame
AUDIO_RATE = 48_000
AUDIO_PTIME = 0.020
TONE_HZ = 400  # 120 samples per period: a 20 ms frame holds exactly four, so one buffer repeats


def _padded(row: bytes, line_size: int) -> bytes:
    return row + bytes(line_size - len(row))


def _bar_strip(width: int) -> bytes:
    """One row of the moving pattern, twice as wide as the frame so any offset can be sliced."""
    return bytes(
        235 if (x % BAR_PERIOD) < BAR_PERIOD // 4 else 16 + (x * 160 // (2 * width))
        for x in range(2 * width)
    )


def _counter_row(number: int, width: int) -> bytes:
    """One row of the counter band: bit i of ``number`` as a white or black block."""
    row = bytearray(width)
    for i in range(min(COUNTER_BITS, width // BLOCK)):
        bit = (number >> (COUNTER_BITS - 1 - i)) & 1
        row[i * BLOCK : (i + 1) * BLOCK] = bytes([235 if bit else 16]) * BLOCK
    return bytes(row)


def frame_number(frame: VideoFrame) -> int | None:
    """The counter a :class:`PatternVideoTrack` drew into a (decoded) frame, or None when the
    frame is too small to carry one. Reads the centre of each block, so encoding loss does not
    flip bits."""
    if frame.format.name not in ("yuv420p", "yuvj420p") or frame.width < COUNTER_BITS * BLOCK:
        return None
    plane = frame.planes[0]
    data = bytes(plane)
    row = (BLOCK // 2) * plane.line_size
    number = 0
    for i in range(COUNTER_BITS):
        number = (number << 1) | (data[row + i * BLOCK + BLOCK // 2] > 128)
    return number


class PatternVideoTrack(VideoStreamTrack):
    """Video frames (yuv420p) with vertical bars that move one step per frame and the frame
    number drawn as a row of blocks along the top (see :func:`frame_number`)."""

    def __init__(self, width: int = 320, height: int = 240, fps: float = 15.0) -> None:
        super().__init__()
        if width % 2 or height % 2 or height <= BLOCK:
            raise ValueError("width and height must be even, and height above 16")
        self.width = width
        self.height = height
        self.fps = fps
        self.frames_sent = 0
        self._strip = _bar_strip(width)
        probe = VideoFrame(width=width, height=height, format="yuv420p")
        self._line_sizes = [p.line_size for p in probe.planes]
        self._chroma = [bytes([128]) * p.buffer_size for p in probe.planes[1:]]
        self._t0: float | None = None

    async def _pace(self) -> int:
        """Wait for the next frame's slot; returns its presentation timestamp."""
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        due = self._t0 + self.frames_sent / self.fps
        if due > now:
            await asyncio.sleep(due - now)
        return int(self.frames_sent * VIDEO_CLOCK_RATE / self.fps)

    def _luma(self, number: int) -> bytes:
        line = self._line_sizes[0]
        offset = (number * BAR_STEP) % self.width
        bars = _padded(self._strip[offset : offset + self.width], line)
        band = _padded(_counter_row(number, self.width), line)
        return band * BLOCK + bars * (self.height - BLOCK)

    async def recv(self) -> VideoFrame:
        pts = await self._pace()
        frame = VideoFrame(width=self.width, height=self.height, format="yuv420p")
        frame.planes[0].update(self._luma(self.frames_sent))
        for plane, data in zip(frame.planes[1:], self._chroma, strict=True):
            plane.update(data)
        frame.pts = pts
        frame.time_base = VIDEO_TIME_BASE
        self.frames_sent += 1
        return frame


class ToneAudioTrack(AudioStreamTrack):
    """A 400 Hz tone, 48 kHz mono, in 20 ms frames. Audio is costly in aiortc (the audio level
    is computed in Python): tests and benchmarks use video only."""

    def __init__(self, amplitude: float = 0.2) -> None:
        super().__init__()
        samples = int(AUDIO_RATE * AUDIO_PTIME)
        tone = array(
            "h",
            (
                int(32767 * amplitude * math.sin(2 * math.pi * TONE_HZ * i / AUDIO_RATE))
                for i in range(samples)
            ),
        )
        self._samples = samples
        self._pcm = tone.tobytes()
        self._sent = 0
        self._t0: float | None = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        due = self._t0 + self._sent * AUDIO_PTIME
        if due > now:
            await asyncio.sleep(due - now)
        frame = AudioFrame(format="s16", layout="mono", samples=self._samples)
        frame.planes[0].update(self._pcm)
        frame.pts = self._sent * self._samples
        frame.sample_rate = AUDIO_RATE
        frame.time_base = fractions.Fraction(1, AUDIO_RATE)
        self._sent += 1
        return frame
