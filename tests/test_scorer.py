"""The in-call scorer: calibrated on the shared thresholds, loss weighted by media kind, bitrate
judged against what the other side sends, quick to fall and slow to recover."""

from __future__ import annotations

import pytest

from sessionsvc.quality import grade as figure_grade
from sessionsvc.rooms import scorer
from sessionsvc.rooms.scorer import KindWindow, Window, update, window_score

LOOPBACK = Window(
    rtt_ms=2.0,
    jitter_ms=3.0,
    kinds=(KindWindow("audio", 100, 0), KindWindow("video", 90, 0)),
    bitrate_in_kbps=350.0,
    expected_kbps=352.0,
    connected=True,
)


def raw(w: Window) -> float:
    result = window_score(w)
    assert result is not None
    return result[0]


def test_a_loopback_call_is_good_whatever_its_bitrate() -> None:
    verdict = update(None, LOOPBACK)
    assert verdict is not None
    assert verdict.grade == "good" and verdict.score > 95 and verdict.reason is None
    # a still picture needs little: what counts is that what is sent arrives
    low = update(None, Window(rtt_ms=1.0, bitrate_in_kbps=60.0, expected_kbps=61.0, connected=True))
    assert low is not None and low.grade == "good"


@pytest.mark.parametrize("figure", ["rtt_ms", "jitter_ms", "loss_pct"])
def test_each_figure_alone_grades_as_the_shared_thresholds_do(figure: str) -> None:
    fair, poor = scorer.bounds(figure)

    def alone(value: float) -> Window:
        if figure == "loss_pct":
            lost = round(value * 10)
            return Window(kinds=(KindWindow("video", 1000, lost),), connected=True)
        return Window(connected=True, **{figure: value})

    for value in (0.5 * fair, 0.95 * fair, fair, (fair + poor) / 2, poor, 2 * poor):
        verdict = update(None, alone(value))
        assert verdict is not None
        assert verdict.grade == figure_grade(**{figure: value}), (figure, value, verdict)


def test_small_impairments_add_up() -> None:
    """Each figure at 60 % of its fair bound is good alone; together they are not."""
    f = {name: scorer.bounds(name)[0] for name in ("rtt_ms", "jitter_ms", "loss_pct")}
    alone = [
        Window(rtt_ms=0.6 * f["rtt_ms"], connected=True),
        Window(jitter_ms=0.6 * f["jitter_ms"], connected=True),
        Window(kinds=(KindWindow("video", 1000, round(6 * f["loss_pct"])),), connected=True),
    ]
    assert all(raw(w) > scorer.GOOD_ABOVE for w in alone)
    together = Window(
        rtt_ms=0.6 * f["rtt_ms"],
        jitter_ms=0.6 * f["jitter_ms"],
        kinds=(KindWindow("video", 1000, round(6 * f["loss_pct"])),),
        connected=True,
    )
    assert raw(together) <= scorer.GOOD_ABOVE


def test_audio_hides_more_loss_than_video() -> None:
    lost = round(10 * scorer.bounds("loss_pct")[0])  # the fair bound, of 1000 packets
    video = update(None, Window(kinds=(KindWindow("video", 1000, lost),), connected=True))
    audio = update(None, Window(kinds=(KindWindow("audio", 1000, lost),), connected=True))
    assert video is not None and audio is not None
    assert video.grade == "fair" and video.reason == "loss"
    assert audio.grade == "good"
    # the worse kind counts
    both = update(
        None,
        Window(
            kinds=(KindWindow("audio", 1000, 0), KindWindow("video", 1000, lost)), connected=True
        ),
    )
    assert both is not None and both.grade == "fair"


def test_a_kind_with_few_packets_is_not_judged_on_loss() -> None:
    few = Window(rtt_ms=5.0, kinds=(KindWindow("audio", 10, 3),), connected=True)
    assert raw(few) > scorer.GOOD_ABOVE


def test_bitrate_is_judged_against_what_the_other_side_sends() -> None:
    sent = 800.0
    assert raw(Window(bitrate_in_kbps=800.0, expected_kbps=sent, connected=True)) == 100.0
    assert (
        scorer.grade_of(raw(Window(bitrate_in_kbps=250.0, expected_kbps=sent, connected=True)))
        == "fair"
    )
    nothing = window_score(Window(bitrate_in_kbps=0.0, expected_kbps=sent, connected=True))
    assert nothing == (0.0, "bitrate")
    # the other side sends nothing (camera and microphone off): nothing to expect
    assert raw(Window(rtt_ms=3.0, bitrate_in_kbps=0.0, expected_kbps=2.0, connected=True)) > 95


def test_falls_fast_and_recovers_slowly() -> None:
    bad = Window(kinds=(KindWindow("video", 1000, 150),), connected=True)  # 15 % loss
    first = update(None, LOOPBACK)
    assert first is not None
    after_bad = update(first.score, bad)
    assert after_bad is not None and after_bad.grade != "good"
    score, windows = after_bad.score, 0
    while scorer.grade_of(score) != "good":
        verdict = update(score, LOOPBACK)
        assert verdict is not None
        score, windows = verdict.score, windows + 1
    assert windows >= 2  # one good window does not undo a bad one
    assert after_bad.reason == "loss"


def test_a_connection_that_is_down_is_judged_on_what_still_arrives() -> None:
    # the other side reloads: nothing is sent, nothing arrives, nothing to judge
    quiet = update(
        97.0, Window(rtt_ms=900.0, bitrate_in_kbps=0.0, expected_kbps=0.0, connected=False)
    )
    assert quiet is not None and quiet.score == 97.0
    # the other side sends and nothing arrives: that is judged
    lost = update(97.0, Window(bitrate_in_kbps=0.0, expected_kbps=350.0, connected=False))
    assert lost is not None and lost.grade != "good" and lost.reason == "bitrate"
    lost = update(lost.score, Window(bitrate_in_kbps=0.0, expected_kbps=350.0, connected=False))
    assert lost is not None and lost.grade == "poor"


def test_a_connecting_side_is_not_judged_yet() -> None:
    assert update(None, Window(connected=None)) is None
    kept = update(90.0, Window())
    assert kept is not None and kept.score == 90.0
