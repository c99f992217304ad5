"""``run_probe`` (behind ``sessionsvc probe``) against a real ``sessionsvc serve`` process."""

from __future__ import annotations

import io

from sessionsvc.media.probe import run_probe
from tests.support.servers import BOOKING_SECRET, ServiceProcess


async def test_probe_runs_a_held_session_and_reports_it(service: ServiceProcess) -> None:
    out = io.StringIO()
    code = await run_probe(
        service.url, BOOKING_SECRET, hold_seconds=3.0, out=out, stats_interval=0.5
    )
    report = out.getvalue()
    assert code == 0, report
    steps = (
        "open room",
        "connect professional",
        "connect client",
        "client in the waiting room",
        "admit -> first frame, professional",
        "admit -> first frame, client",
        "end -> summary",
    )
    for step in steps:
        assert f"  {step}  " in report, step
    assert "phase         completed" in report
    assert "payment type  Credit" in report
    assert "OK      the session was held" in report


async def test_probe_self_pay(service: ServiceProcess) -> None:
    out = io.StringIO()
    code = await run_probe(
        service.url, BOOKING_SECRET, hold_seconds=3.0, out=out, hub=False, stats_interval=0.5
    )
    assert code == 0, out.getvalue()
    assert "payment type  Self-pay" in out.getvalue()


async def test_probe_with_a_wrong_secret_fails_clearly(service: ServiceProcess) -> None:
    out = io.StringIO()
    code = await run_probe(service.url, "x" * 40, hold_seconds=1.0, out=out)
    assert code != 0
    assert "FAILED" in out.getvalue() and "401" in out.getvalue()


async def test_probe_of_a_session_too_short_to_count(service: ServiceProcess) -> None:
    out = io.StringIO()
    code = await run_probe(
        service.url, BOOKING_SECRET, hold_seconds=0.0, out=out, stats_interval=0.5
    )
    assert code != 0
    assert "not held" in out.getvalue()
