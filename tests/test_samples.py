"""Reports into samples: figures over windows of at least a second of one peer connection,
totals across peer connections, and what cannot be true refused."""

from __future__ import annotations

import pytest

from sessionsvc.rooms.samples import (
    ImplausibleStats,
    KindCounters,
    MediaReport,
    MediaSample,
    changes,
    measure,
)

T = 1_800_000_000.0


def report(at_s: float, kbytes: float, peer: str = "a", **kw: object) -> MediaReport:
    """A report at ``at_s`` s of its own clock, with ``kbytes`` received and sent so far."""
    n = int(kbytes * 1000)
    return MediaReport(
        bytes_received=n,
        bytes_sent=n,
        frames_received=int(at_s * 20),
        peer=peer,
        clock_ms=at_s * 1000.0,
        **kw,  # type: ignore[arg-type]
    )


def series(*reports: tuple[float, MediaReport]) -> list[MediaSample]:
    out: list[MediaSample] = []
    for now, r in reports:
        out.append(measure(out, r, now).sample)
    return out


def test_the_first_report_of_a_peer_connection_gives_its_own_figures() -> None:
    m = measure([], report(1.0, 50.0, bitrate_in_kbps=300.0, rtt_ms=4.0), T)
    assert m.sample.bitrate_in_kbps == 300.0 and m.sample.rtt_ms == 4.0
    assert m.sample.total_in == 50_000 and m.kinds == ()


def test_rates_are_measured_over_the_reports_clock() -> None:
    s = series((T, report(0.0, 0.0)), (T + 2.0, report(2.0, 100.0)))
    assert s[-1].bitrate_in_kbps == 400.0 and s[-1].bitrate_out_kbps == 400.0
    assert s[-1].fps_in == 20.0


def test_two_reports_a_moment_apart_do_not_read_as_zero_kbps() -> None:
    """The probe's last report came right after the periodic one: the window must still be a
    real one (the cause of "out 0 kbps" while frames flowed)."""
    s = series(
        (T, report(0.0, 0.0)),
        (T + 2.0, report(2.0, 100.0)),
        (T + 2.004, MediaReport(100_000, 100_000, 40, "a", 2004.0)),  # nothing sent in 4 ms
    )
    assert s[-1].bitrate_out_kbps is not None and s[-1].bitrate_out_kbps > 390
    assert s[-1].bitrate_in_kbps is not None and s[-1].bitrate_in_kbps > 390


def test_loss_per_kind_over_the_window() -> None:
    s = series(
        (T, report(0.0, 0.0, video=KindCounters(0, 0), audio=KindCounters(0, 0))),
        (T + 2.0, report(2.0, 100.0, video=KindCounters(95, 5), audio=KindCounters(100, 0))),
    )
    m = measure(
        s,
        report(4.0, 200.0, video=KindCounters(190, 10), audio=KindCounters(200, 0)),
        T + 4.0,
    )
    assert {k.kind: (k.expected, k.lost) for k in m.kinds} == {"audio": (100, 0), "video": (100, 5)}
    assert m.sample.loss_pct == 2.5


def test_a_new_peer_connection_starts_its_counters_again_and_totals_go_on() -> None:
    s = series((T, report(0.0, 0.0)), (T + 2.0, report(2.0, 100.0)))
    m = measure(s, report(0.5, 10.0, peer="b"), T + 3.0)
    assert m.sample.total_in == 110_000
    assert m.sample.bitrate_in_kbps is None  # no window of this peer connection yet
    assert [e.event for e in changes(s[-1], m.sample)] == ["peer"]


@pytest.mark.parametrize(
    ("later", "why"),
    [
        (MediaReport(90_000, 100_000, 40, "a", 3000.0), "bytes_received went backwards"),
        (MediaReport(100_000, 90_000, 40, "a", 3000.0), "bytes_sent went backwards"),
        (MediaReport(100_000, 100_000, 10, "a", 3000.0), "frames_received went backwards"),
        (MediaReport(100_000, 100_000, 40, "a", 1000.0), "clock_ms went backwards"),
        (MediaReport(100_000, 100_000, 40, "a", 90_000.0), "ran ahead of real time"),
        (MediaReport(10**12, 100_000, 40, "a", 4000.0), "more than any call carries"),
        (MediaReport(100_000, 100_000, 10**6, "a", 4000.0), "more than any call carries"),
    ],
)
def test_what_cannot_be_true_is_refused(later: MediaReport, why: str) -> None:
    s = series((T, report(0.0, 0.0)), (T + 2.0, report(2.0, 100.0)))
    with pytest.raises(ImplausibleStats, match=why):
        measure(s, later, T + 4.0)


def test_packets_going_backwards_are_refused() -> None:
    s = series((T, report(0.0, 0.0, video=KindCounters(100, 0))))
    with pytest.raises(ImplausibleStats, match=r"video\.packets_received"):
        measure(s, report(2.0, 50.0, video=KindCounters(50, 0)), T + 2.0)


def test_a_client_without_a_clock_is_measured_on_the_services() -> None:
    s = series((T, MediaReport(0)), (T + 2.0, MediaReport(100_000)))
    assert s[-1].bitrate_in_kbps == 400.0
    assert s[-1].total_in == 100_000
