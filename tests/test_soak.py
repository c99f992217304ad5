"""The bounded soak of ``bench/bench_soak.py`` (minutes long, so deselected by default: run it
with ``pytest -m soak`` or as ``python -m bench.bench_soak``): every cycle succeeds and the
node's memory per 1,000 cycles is printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.soak
@pytest.mark.timeout(600)
def test_the_soak_runs_every_cycle() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bench.bench_soak"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=500,
    )
    print(run.stdout)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert re.search(r", 0 failed$", run.stdout, re.M), run.stdout
    assert re.search(r"^RESULT soak\.rss_growth_per_1000_cycles = -?\d", run.stdout, re.M)
