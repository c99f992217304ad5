"""The connection test's pure parts: figures from samples, the inbound meter's counts and
jitter, report ids, and how a report is graded and shown."""

from __future__ import annotations

from aiortc.rtp import RtpPacket

from sessionsvc.media.clip import encode_clip
from sessionsvc.media.inbound import Inbound, InboundMeter
from sessionsvc.media.measure import Sample, figures
from sessionsvc.media.reports import (
    Direction,
    Figures,
    Path,
    RelayCheck,
    TestRecord,
    new_report_id,
    parse_report_id,
    view,
)


def sample(t: float, up_bytes: int, up_packets: int, up_lost: int, sent: int, lost: int) -> Sample:
    return Sample(
        inbound=Inbound(t, up_packets, up_bytes, up_lost, 2.0),
        sent_bytes=sent * 1000,
        sent_packets=sent,
        remote_lost=lost,
        remote_jitter_ms=1.0,
        rtt_ms=40.0 + t,
    )


def test_figures_leave_out_the_first_seconds_and_rate_the_rest() -> None:
    samples = [
        sample(0, 0, 0, 0, 0, 0),
        sample(1, 50_000, 50, 0, 30, 0),  # the ramp: left out
        sample(2, 200_000, 190, 0, 60, 0),
        sample(3, 350_000, 330, 5, 90, 3),
        sample(4, 500_000, 470, 10, 120, 6),
    ]
    f = figures(samples, connect_ms=120.0)
    assert f.connect_ms == 120.0
    assert f.upload.bitrate_kbps == 8 * 300_000 / 2 / 1000  # bytes 200k → 500k over 2 s
    assert f.upload.loss_pct == round(100 * 10 / (280 + 10), 2)
    assert f.download.loss_pct == round(100 * 6 / 60, 2)
    assert f.download.bitrate_kbps == round(8 * 60_000 * 0.9 / 2 / 1000, 1)
    assert f.rtt_ms == 43.0  # the mean of the window's samples
    graded = f.graded()
    assert graded["loss_pct"] == f.download.loss_pct  # the worse direction
    assert graded["bitrate_out_kbps"] == f.upload.bitrate_kbps


def test_figures_of_too_few_samples_have_no_rates() -> None:
    f = figures([sample(0, 0, 0, 0, 0, 0)], connect_ms=None)
    assert f.upload == Direction() and f.download == Direction()


def _packet(seq: int, ts: int, payload: bytes) -> RtpPacket:
    p = RtpPacket(payload_type=96, sequence_number=seq, timestamp=ts, ssrc=1234)
    p.payload = payload
    if not payload:
        p.padding_size = 200
    return p


async def test_the_meter_counts_loss_from_sequence_numbers_and_jitter_of_media_only() -> None:
    streams: dict = {}
    meter = InboundMeter(streams)
    for seq in range(10):
        if seq == 4:
            continue  # lost
        await meter.handle(_packet(seq, 3000 * seq, b"x" * 1000))
    # padding probes: their own timestamps would read as seconds of jitter
    for seq in range(10, 15):
        await meter.handle(_packet(seq, 3_000_000_000, b""))
    read = meter.read()
    assert (read.packets, read.lost) == (14, 1)
    assert read.bytes == 9 * 1000 + 5 * 200
    assert read.jitter_ms is not None and read.jitter_ms < 1000


def test_report_ids_are_short_unambiguous_and_read_back_as_typed() -> None:
    ids = {new_report_id() for _ in range(200)}
    assert len(ids) == 200
    for i in ids:
        assert len(i) == 9 and i[4] == "-"
        assert not set(i) & set("01OIL")
        assert parse_report_id(i.lower().replace("-", " ")) == i
    assert parse_report_id("ABCD-EFG") is None
    assert parse_report_id("ABCD-EFG0") is None


def _record(**kw: object) -> TestRecord:
    base: dict[str, object] = {
        "id": "ABCD-EFGH",
        "state": "done",
        "origin": "test_page",
        "started_at": 1_800_000_000.0,
        "duration_s": 8.0,
        "relay_expected": False,
        "figures": Figures(30.0, 20.0, Direction(1500.0, 0.0, 2.0), Direction(280.0, 0.0, 1.0)),
        "path": Path("host", "srflx", "udp"),
    }
    base.update(kw)
    return TestRecord(**base)  # type: ignore[arg-type]


def test_a_relay_path_a_failed_relay_check_and_a_failed_test_are_graded_with_reasons() -> None:
    assert view(_record(), None)["grade"] == "good"
    relayed = view(_record(path=Path("host", "relay", "udp")), None)
    assert relayed["grade"] == "fair" and "relay server" in relayed["reason"]
    tcp = view(_record(path=Path("host", "relay", "tcp")), None)
    assert tcp["grade"] == "fair" and "TCP" in tcp["reason"]
    no_relay = view(_record(relay_expected=True), RelayCheck(ok=False))
    assert no_relay["grade"] == "fair" and no_relay["relay"] == {
        "ok": False,
        "connect_ms": None,
        "path": None,
    }
    assert view(_record(relay_expected=True), None)["relay"] == {"ok": None}
    failed = view(_record(state="failed", failure="connect_failed", figures=None), None)
    assert failed["grade"] == "poor" and failed["reason"].startswith("We could not set up")
    running = view(_record(state="running", figures=None), None)
    assert running["grade"] is None and running["findings"] == []
    assert "room_id" not in view(_record(room_id="r-1", role="client"), None)


def test_the_clip_loops_on_a_keyframe_and_carries_one_every_second() -> None:
    clip = encode_clip(seconds=2.0, fps=15.0, keyframe_every=15)
    assert clip.keyframes[0] and sum(clip.keyframes) == 2
    assert 150 < clip.bitrate_kbps < 500
