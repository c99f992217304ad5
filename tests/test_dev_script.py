"""Cheap checks of the set-up entry points: ./dev, .ci/run and the Dockerfile."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from sessionsvc.web.routes import BUILD_COMMAND

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


def _stages(dockerfile: str) -> list[str]:
    """The instructions of a Dockerfile, one a line (continuations joined, comments dropped)."""
    lines = (raw.strip() for raw in dockerfile.replace("\\\n", " ").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _stage(dockerfile: str, index: int) -> list[str]:
    stages: list[list[str]] = []
    for line in _stages(dockerfile):
        if line.upper().startswith("FROM "):
            stages.append([])
        stages[-1].append(line)
    return stages[index]


def _final_stage(dockerfile: str) -> list[str]:
    return _stage(dockerfile, -1)


def final_build_stage(dockerfile: str) -> list[str]:
    """The stage the runtime image copies its virtualenv from."""
    return _stage(dockerfile, -2)


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

    # Builds from the repository the way `pip wheel .` does anywhere: setup.py's build step
    # runs npm in web/ (the wheel stage is node's image), and the image installs that wheel.
    for source in ("setup.py", "web/", "sessionsvc/"):
        assert re.search(rf"^COPY (\S+ )*{re.escape(source)}", text, re.M), source
    runs = [line for line in _stages(text) if line.upper().startswith("RUN ")]
    assert [line for line in runs if re.search(r"\bpip wheel .*--no-deps .* \.$", line)]
    assert not [line for line in runs if re.search(r"(^|\s)npm\s", line)], "only setup.py runs npm"
    assert re.search(r"^COPY --from=\S+ /wheels/ ", text, re.M)
    assert any("pip install --no-deps /wheels/" in line for line in final_build_stage(text))


def test_dev_builds_the_browser_app_as_setup_py_and_the_service_say() -> None:
    """./dev, the wheel's build step and the service's message name the same two npm steps."""
    dev = DEV.read_text()
    setup_py = (ROOT / "setup.py").read_text()
    assert BUILD_COMMAND == "npm --prefix web ci && npm --prefix web run build"
    assert re.search(r"^\s*npm --prefix web ci\b", dev, re.M)
    assert re.search(r"^\s*npm --prefix web run (--silent )?build$", dev, re.M)
    assert '["ci", "--include=dev"' in setup_py and '["run", "build"]' in setup_py
    # the build's output is ignored by git and kept out of the image's build context
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "sessionsvc/web/static/js/app.js"], cwd=ROOT, timeout=30
    )
    assert ignored.returncode == 0
    assert "sessionsvc/web/static" in (ROOT / ".dockerignore").read_text().splitlines()
