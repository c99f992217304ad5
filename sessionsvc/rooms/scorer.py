"""The in-call connection-quality scorer: one side's stats window in, a score from 0 to 100 and
a grade out. Modelled on LiveKit's connection-quality scorer (``pkg/sfu/connectionquality``):

- impairments subtract from 100, as in a simplified E-model: *delay* (round-trip time and
  jitter) and *loss*, the loss of each media kind weighted for that kind (audio carries in-band
  forward error correction and hides more loss than video), the worst kind counting;
- *bitrate* is judged against what is expected: what the other side says it sends. A call's
  encoder sends what its picture needs (a still picture on a loopback call needs a few hundred
  kbit/s), so an absolute bitrate bound would call a perfect call weak; what matters is how much
  of what was sent arrives;
- the score follows each window's raw score quickly down and slowly up, so a glitch shows at
  once and a recovery has to last before the grade comes back.

It is built on the shared thresholds (``sessionsvc.quality``): each figure's impairment is
calibrated so that a figure alone at its ``fair`` bound scores exactly the good/fair edge and
alone at its ``poor`` bound exactly the fair/poor edge, so the scorer and the per-figure grading
agree on any single figure, and several mildly bad figures add up as they do for a listener.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..quality import THRESHOLDS, Grade

Kind = Literal["audio", "video"]

MAX_SCORE = 100.0
MIN_SCORE = 20.0  # a floor, so that a score can climb back within a few windows
GOOD_ABOVE = 80.0  # a score above this is good; above FAIR_ABOVE fair; else poor
FAIR_ABOVE = 40.0
UP = 0.4  # weight of a better raw score: recover slowly
DOWN = 0.7  # weight of a worse raw score: show a drop at once

KIND_LOSS_WEIGHT: dict[str, float] = {"video": 1.0, "audio": 0.55}
"""How much 1 % loss of each kind hurts, relative to video. LiveKit weighs Opus with in-band FEC
(which Chrome and aiortc negotiate) at 16/3 and video at 10."""

MIN_PACKETS = 20
"""A kind with fewer packets in a window is not judged on loss: 1 of 10 lost is not 10 %."""

MIN_EXPECTED_KBPS = 8.0
"""Below this the other side sends next to nothing (camera and microphone off): nothing to
expect."""


@dataclass(frozen=True)
class KindWindow:
    """One media kind over one window: packets expected (received + lost) and lost."""

    kind: Kind
    expected: int
    lost: int

    @property
    def loss_pct(self) -> float:
        return 100.0 * self.lost / self.expected if self.expected > 0 else 0.0


@dataclass(frozen=True)
class Window:
    """What one side measured over one stats window (None: not measured)."""

    rtt_ms: float | None = None
    jitter_ms: float | None = None
    kinds: tuple[KindWindow, ...] = ()
    loss_pct: float | None = None  # as reported, when there are no per-kind counters
    bitrate_in_kbps: float | None = None
    expected_kbps: float | None = None  # what the other side says it sends
    connected: bool | None = None  # None: not yet (or unknown); False: down (disconnected, …)


@dataclass(frozen=True)
class Verdict:
    """A side's score after a window, its grade, and what limits it (None when good)."""

    score: float
    grade: Grade
    reason: str | None


def bounds(figure: str) -> tuple[float, float]:
    """(fair, poor) bounds of a figure in the shared thresholds."""
    threshold = THRESHOLDS[figure]
    return float(threshold.fair), float(threshold.poor)


def impairment(value: float, figure: str) -> float:
    """Points a figure takes off 100: linear up to its fair bound (where it reaches the
    good/fair edge), steeper from there (reaching the fair/poor edge at its poor bound), and on
    at that slope beyond."""
    if value <= 0:
        return 0.0
    fair, poor = bounds(figure)
    to_fair = MAX_SCORE - GOOD_ABOVE
    if value <= fair:
        return to_fair * value / fair
    return to_fair + (GOOD_ABOVE - FAIR_ABOVE) * (value - fair) / (poor - fair)


def grade_of(score: float) -> Grade:
    if score > GOOD_ABOVE:
        return "good"
    if score > FAIR_ABOVE:
        return "fair"
    return "poor"


def bitrate_score(actual_kbps: float, expected_kbps: float) -> float:
    """LiveKit's bitrate score: 100 while what arrives is near what is sent, fair when less than
    about a third of it arrives (1/e), poor below a twentieth (1/e**3)."""
    if expected_kbps < MIN_EXPECTED_KBPS:
        return MAX_SCORE
    if actual_kbps <= 0:
        return 0.0
    return max(0.0, min(MAX_SCORE, MAX_SCORE - 20.0 * math.log(expected_kbps / actual_kbps)))


def window_score(w: Window) -> tuple[float, str | None] | None:
    """The raw score of one window and its main impairment, or None when the window gives
    nothing to judge (not connected yet, nothing measured).

    A connection that is down (ICE disconnected, failed or closed: the other side reloading, a
    network change) is judged only on what still arrives of what the other side sends: its
    delay and loss figures are those of before, and the call screen says "reconnecting" anyway.
    """
    if w.connected is False:
        if w.bitrate_in_kbps is None or w.expected_kbps is None:
            return None
        score = bitrate_score(w.bitrate_in_kbps, w.expected_kbps)
        return (score, "bitrate") if score < MAX_SCORE else None
    delay = impairment(w.rtt_ms or 0.0, "rtt_ms") + impairment(w.jitter_ms or 0.0, "jitter_ms")
    judged = w.rtt_ms is not None or w.jitter_ms is not None
    losses = [
        impairment(k.loss_pct * KIND_LOSS_WEIGHT[k.kind], "loss_pct")
        for k in w.kinds
        if k.expected >= MIN_PACKETS
    ]
    if not w.kinds and w.loss_pct is not None:
        losses.append(impairment(w.loss_pct * KIND_LOSS_WEIGHT["video"], "loss_pct"))
    loss = max(losses, default=0.0)
    judged = judged or bool(losses)
    packet = max(0.0, MAX_SCORE - delay - loss)
    bitrate = MAX_SCORE
    if w.bitrate_in_kbps is not None and w.expected_kbps is not None:
        bitrate = bitrate_score(w.bitrate_in_kbps, w.expected_kbps)
        judged = True
    if not judged:
        return None
    if w.connected is None and not (w.bitrate_in_kbps or 0) > 0:
        return None  # still connecting: nothing arrives yet
    if bitrate < packet:
        return bitrate, "bitrate"
    return packet, ("loss" if loss > delay else "delay")


def update(previous: float | None, w: Window) -> Verdict | None:
    """The score after window ``w``, smoothed from ``previous`` (None: the first window counts
    as it is). None while there is nothing to judge and no score yet."""
    raw = window_score(w)
    if raw is None:
        return None if previous is None else Verdict(previous, grade_of(previous), None)
    score, reason = raw
    if score > GOOD_ABOVE:
        reason = "recovering"  # only the smoothing keeps it down, if anything
    if previous is not None:
        factor = DOWN if score < previous else UP
        score = factor * score + (1.0 - factor) * previous
    score = max(MIN_SCORE, min(MAX_SCORE, score))
    grade = grade_of(score)
    return Verdict(round(score, 1), grade, None if grade == "good" else reason)
