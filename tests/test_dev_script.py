"""Cheap checks of the set-up entry points: ./dev, .ci/run and the Dockerfile."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "dev"


def run_dev(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DEV), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )


def test_dev_is_an_executable_bash_script() -> None:
    assert os.access(DEV, os.X_OK)
    text = DEV.read_text()
    assert text.startswith("#!/usr/bin/env bash\n") or text.startswith("#!/bin/bash\n")
    assert "set -euo pipefail" in text
    subprocess.run(["bash", "-n", str(DEV)], check=True, timeout=30)


def test_dev_help_prints_usage(tmp_path: Path) -> None:
    for args in (("help",), ()):
        result = run_dev(*args, cwd=tmp_path)  # works from any cwd
        assert result.returncode == 0, result.stderr
        assert "usage: ./dev" in result.stdout
        for command in ("demo", "serve", "test", "lint", "bench"):
            assert re.search(rf"^\s+{command}\b", result.stdout, re.M), command


def test_dev_unknown_command_fails_clearly() -> None:
    result = run_dev("nosuchcommand")
    assert result.returncode != 0
    assert "unknown command: nosuchcommand" in result.stderr
    assert "usage: ./dev" in result.stderr


def test_ci_runs_the_readme_test_command() -> None:
    ci = ROOT / ".ci" / "run"
    text = ci.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    commands = [line.strip() for line in text.splitlines() if not line.lstrip().startswith("#")]
    assert commands[-1] == "exec ./dev test"
    subprocess.run(["bash", "-n", str(ci)], check=True, timeout=30)


def _final_stage(dockerfile: str) -> list[str]:
    lines: list[str] = []
    for raw in dockerfile.replace("\\\n", " ").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.upper().startswith("FROM "):
            lines = []
        lines.append(line)
    return lines


def test_dockerfile_runs_as_non_root_with_healthcheck() -> None:
    text = (ROOT / "Dockerfile").read_text()
    final = _final_stage(text)
    assert final[0].startswith("FROM python:3.11-slim-bookworm")

    users = [line.split(None, 1)[1] for line in final if line.upper().startswith("USER ")]
    assert users, "final stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")

    health = [line for line in final if line.upper().startswith("HEALTHCHECK ")]
    assert health and "/healthz" in health[-1] and "urllib" in health[-1]
    assert any(line.startswith("EXPOSE 8080") for line in final)
    assert 'CMD ["sessionsvc", "serve"]' in final

    # Builds from the repository, with the front end from a node stage.
    assert re.search(r"^COPY sessionsvc/ ", text, re.M)
    assert re.search(r"^COPY --from=\S+ \S*sessionsvc/web/static/vendor", text, re.M)
    assert "npm ci" in text and "npm run build" in text
