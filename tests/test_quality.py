"""The one set of quality thresholds: per-figure grades at the anchors' bounds, the worst grade
wins, and the plain-words reason names the figure that decided it."""

from __future__ import annotations

import math

import pytest

from sessionsvc.quality import (
    ALL_GOOD,
    THRESHOLDS,
    Finding,
    assess,
    grade,
    grade_figure,
    thresholds_for_browser,
    worst,
)


@pytest.mark.parametrize(
    ("figure", "value", "expected"),
    [
        ("loss_pct", 0.0, "good"),
        ("loss_pct", 4.9, "good"),
        ("loss_pct", 5.0, "fair"),
        ("loss_pct", 9.9, "fair"),
        ("loss_pct", 10.0, "poor"),
        ("rtt_ms", 299.0, "good"),
        ("rtt_ms", 300.0, "fair"),
        ("rtt_ms", 600.0, "poor"),
        ("bitrate_out_kbps", 1100.0, "good"),
        ("bitrate_out_kbps", 1099.0, "fair"),
        ("bitrate_out_kbps", 700.0, "fair"),
        ("bitrate_out_kbps", 699.0, "poor"),
        ("jitter_ms", 29.0, "good"),
        ("jitter_ms", 60.0, "poor"),
        ("connect_ms", 500.0, "good"),
        ("connect_ms", 9000.0, "poor"),
        ("rtt_ms", math.nan, "poor"),
    ],
)
def test_each_figure_is_graded_at_the_anchors_bounds(
    figure: str, value: float, expected: str
) -> None:
    assert grade_figure(figure, value) == expected


def test_a_figure_not_measured_or_unknown_has_no_grade() -> None:
    assert grade_figure("rtt_ms", None) is None
    assert grade_figure("fps", 3.0) is None


def test_the_worst_figure_wins_and_its_reason_is_given_in_plain_words() -> None:
    a = assess({"rtt_ms": 40.0, "loss_pct": 6.0, "bitrate_out_kbps": 1500.0, "jitter_ms": None})
    assert a.grade == "fair"
    assert a.reason == (
        "packet loss 6 % — video may freeze now and then; "
        "try a wired connection or move closer to the router"
    )
    assert [f.figure for f in a.findings] == ["loss_pct", "rtt_ms", "bitrate_out_kbps"]
    poor = assess({"rtt_ms": 700.0, "loss_pct": 6.0})
    assert poor.grade == "poor"
    assert poor.reason.startswith("round trip 700 ms — conversation will lag")


def test_all_good_says_so_and_extra_findings_count() -> None:
    good = assess({"rtt_ms": 10.0, "bitrate_out_kbps": 1200.0})
    assert (good.grade, good.reason) == ("good", ALL_GOOD)
    relay = Finding("relay", False, "fair", "a relay connection did not work")
    assert assess({"rtt_ms": 10.0}, [relay]).reason == "a relay connection did not work"


def test_bitrates_read_as_a_person_reads_them() -> None:
    t = THRESHOLDS["bitrate_out_kbps"]
    assert t.reason(650.0, "poor").startswith("upload 650 kbps — others will see you blurred")
    assert t.show(1250.0) == "1.2 Mbps"


def test_worst_and_the_in_call_grade() -> None:
    assert worst([]) == "good"
    assert worst(["good", "poor", "fair"]) == "poor"
    assert grade(rtt_ms=10.0, loss_pct=0.0, jitter_ms=2.0) == "good"
    assert grade(rtt_ms=350.0) == "fair"


def test_the_browser_gets_the_in_call_figures_in_one_shape() -> None:
    sent = thresholds_for_browser()
    assert set(sent) == {"rtt_ms", "loss_pct", "jitter_ms"}
    assert sent["rtt_ms"] == {"fair": 300.0, "poor": 600.0, "higher_is_worse": True}
    assert thresholds_for_browser(["bitrate_out_kbps"])["bitrate_out_kbps"] == {
        "fair": 1100.0,
        "poor": 700.0,
        "higher_is_worse": False,
    }
