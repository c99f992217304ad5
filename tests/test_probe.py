"""``run_probe`` (behind ``sessionsvc probe``) against a real ``sessionsvc serve`` process."""

from __future__ import annotations

import io
import re

from sessionsvc.synthetic.probe import run_probe
from testkit.service import ServiceProcess
from testkit.settings import BOOKING_SECRET


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
    # both sides' figures as the service measured them: media flowed both ways on both
    lines = {line.split()[0]: line for line in report.splitlines() if "kbps" in line}
    assert set(lines) == {"professional", "client"}, report
    for role, line in lines.items():
        rates = re.findall(r"(in|out)\s+([\d.]+) kbps", line)
        assert len(rates) == 2 and all(float(v) > 0 for _, v in rates), (role, line)
        assert "n/a" not in line and re.search(r"\b(good|fair) \(\d+\)", line), line


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
