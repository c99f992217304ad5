"""Connection quality: the one set of thresholds that grades media figures good, fair or poor,
and the plain words that say why. The connection test (``sessionsvc.media``), the in-call
grading, the synthetic participants and (sent in the ``room`` snapshot) the browser app all
grade with it.

The levels follow the range the industry's pre-call tests use (Daily's call-quality test: packet
loss under 5 %, round trip under 300 ms and a send bitrate of at least 1.1 Mbps is good; 5 to 10 %,
300 to 600 ms and 0.7 to 1.1 Mbps is fair; anything worse is poor). A grade is the worst any figure
earns; a figure that was not measured earns nothing.

Public names, kept stable: ``Grade``, ``GRADES``, ``worst``, ``Threshold``, ``THRESHOLDS``,
``IN_CALL_FIGURES``, ``grade_figure``, ``Finding``, ``Assessment``, ``assess``,
``thresholds_for_browser`` and ``grade``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Grade = Literal["good", "fair", "poor"]
GRADES: tuple[Grade, ...] = ("good", "fair", "poor")
"""Best first."""


def worst(grades: Iterable[Grade]) -> Grade:
    """The worst of ``grades`` (good when there are none)."""
    return max(grades, key=GRADES.index, default="good")


@dataclass(frozen=True)
class Threshold:
    """How one figure is graded, and what a person is told when it is not good.

    ``fair`` and ``poor`` are the bounds from which the figure is that bad: at or above them when
    ``higher_is_worse`` (a delay, a loss), below them otherwise (a bitrate). ``advice`` holds the
    sentence for each grade worse than good; ``{value}`` is the figure as ``unit`` shows it.
    """

    figure: str
    label: str
    unit: str
    fair: float
    poor: float
    higher_is_worse: bool
    advice: Mapping[str, str]

    def grade(self, value: float) -> Grade:
        """The grade of ``value`` (a value that is not a finite number is poor)."""
        if not math.isfinite(value):
            return "poor"
        if self.higher_is_worse:
            return "poor" if value >= self.poor else "fair" if value >= self.fair else "good"
        return "poor" if value < self.poor else "fair" if value < self.fair else "good"

    def show(self, value: float) -> str:
        """The figure as a person reads it: "6 %", "420 ms", "0.8 Mbps"."""
        if self.unit == "kbps" and value >= 1000:
            return f"{value / 1000:.1f} Mbps"
        if self.unit == "%":
            return f"{value:.0f} %" if value >= 1 or value == 0 else f"{value:.1f} %"
        return f"{value:.0f} {self.unit}"

    def reason(self, value: float, grade: Grade) -> str:
        """The plain-words reason for ``value`` at ``grade``: "packet loss 6 % — video may
        freeze; try a wired connection or move closer to the router"."""
        head = f"{self.label} {self.show(value)}"
        advice = self.advice.get(grade)
        return f"{head} — {advice}" if advice else head


_WIRED = "try a wired connection or move closer to the router"
_OTHERS = "ask others on your network to pause downloads and streaming"

THRESHOLDS: Mapping[str, Threshold] = {
    t.figure: t
    for t in (
        Threshold(
            "loss_pct",
            "packet loss",
            "%",
            fair=5.0,
            poor=10.0,
            higher_is_worse=True,
            advice={
                "fair": f"video may freeze now and then; {_WIRED}",
                "poor": f"video will freeze and sound will break up; {_WIRED}",
            },
        ),
        Threshold(
            "rtt_ms",
            "round trip",
            "ms",
            fair=300.0,
            poor=600.0,
            higher_is_worse=True,
            advice={
                "fair": f"you may talk over each other a little; {_OTHERS}",
                "poor": f"conversation will lag noticeably; {_WIRED}",
            },
        ),
        Threshold(
            "jitter_ms",
            "jitter",
            "ms",
            fair=30.0,
            poor=60.0,
            higher_is_worse=True,
            advice={
                "fair": f"sound may be choppy at times; {_WIRED}",
                "poor": f"sound and video will stutter; {_WIRED}",
            },
        ),
        Threshold(
            "bitrate_out_kbps",
            "upload",
            "kbps",
            fair=1100.0,
            poor=700.0,
            higher_is_worse=False,
            advice={
                "fair": f"others may see you less sharply; {_OTHERS}",
                "poor": f"others will see you blurred or frozen; {_OTHERS} or {_WIRED}",
            },
        ),
        Threshold(
            "bitrate_in_kbps",
            "download",
            "kbps",
            fair=200.0,
            poor=120.0,
            higher_is_worse=False,
            advice={
                "fair": f"you may see the other person less sharply; {_OTHERS}",
                "poor": f"you will see the other person blurred or frozen; {_OTHERS}",
            },
        ),
        Threshold(
            "connect_ms",
            "time to connect",
            "ms",
            fair=3000.0,
            poor=8000.0,
            higher_is_worse=True,
            advice={
                "fair": "joining may take a few seconds",
                "poor": "your network is slow to set up video; a firewall may be in the way",
            },
        ),
    )
}
"""Every graded figure by name: packet loss, round-trip time, jitter, upload (what this side
sends) and download (what it receives) bitrate, and the time a connection takes to set up."""

IN_CALL_FIGURES: tuple[str, ...] = ("rtt_ms", "loss_pct", "jitter_ms")
"""The figures the call screen grades from its own stats: a call's bitrate follows what the
camera and the other side's screen ask for, so it is judged against what is expected, not
against these absolute levels."""


def grade_figure(figure: str, value: float | None) -> Grade | None:
    """The grade of one figure by its threshold; None when it was not measured (or is not one
    of :data:`THRESHOLDS`)."""
    threshold = THRESHOLDS.get(figure)
    if threshold is None or value is None:
        return None
    return threshold.grade(value)


@dataclass(frozen=True)
class Finding:
    """One figure (or fact) and its grade, with the sentence a person reads about it."""

    figure: str
    value: float | str | bool | None
    grade: Grade
    reason: str


@dataclass(frozen=True)
class Assessment:
    """The grade of a set of figures, the worst of its findings, and the reason for it: the
    reason of the worst finding (the first such in the order of :data:`THRESHOLDS`), or a line
    that says all is well."""

    grade: Grade
    reason: str
    findings: tuple[Finding, ...]

    def to_builtins(self) -> dict[str, Any]:
        """A JSON-ready form: grade, reason and each finding."""
        return {
            "grade": self.grade,
            "reason": self.reason,
            "findings": [
                {"figure": f.figure, "value": f.value, "grade": f.grade, "reason": f.reason}
                for f in self.findings
            ],
        }


ALL_GOOD = "Your connection looks good for video sessions."


def assess(figures: Mapping[str, float | None], extra: Iterable[Finding] = ()) -> Assessment:
    """Grade every measured figure of ``figures`` that has a threshold; ``extra`` findings (facts
    that are not numbers, such as the kind of connection) count too."""
    findings = [
        Finding(name, value, t.grade(value), t.reason(value, t.grade(value)))
        for name, t in THRESHOLDS.items()
        if (value := figures.get(name)) is not None
    ]
    findings.extend(extra)
    overall = worst(f.grade for f in findings)
    reason = next((f.reason for f in findings if f.grade == overall), ALL_GOOD)
    return Assessment(overall, ALL_GOOD if overall == "good" else reason, tuple(findings))


def thresholds_for_browser(figures: Iterable[str] = IN_CALL_FIGURES) -> dict[str, Any]:
    """The thresholds of ``figures`` as a client reads them (the ``room`` snapshot's
    ``quality_thresholds``): ``{figure: {fair, poor, higher_is_worse}}``."""
    return {
        name: {"fair": t.fair, "poor": t.poor, "higher_is_worse": t.higher_is_worse}
        for name in figures
        if (t := THRESHOLDS.get(name)) is not None
    }


def grade(
    rtt_ms: float | None = None, loss_pct: float | None = None, jitter_ms: float | None = None
) -> Grade:
    """good, fair or poor: the worst grade any of these figures earns (a figure not measured
    is fine)."""
    figures = {"rtt_ms": rtt_ms, "loss_pct": loss_pct, "jitter_ms": jitter_ms}
    return worst(g for name, v in figures.items() if (g := grade_figure(name, v)) is not None)
