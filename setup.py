"""Build step of sessionsvc's wheel: the browser app in ``web/`` is built with npm before the
package's files are collected, so every wheel carries a working join page.

Everything else about the package is declared in pyproject.toml. An editable install
(``pip install -e .``) skips the npm step: the source tree is then built by ``./dev`` (or by
hand, with the command named below) and served from where it is.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.errors import ExecError

ROOT = Path(__file__).resolve().parent
WEB = ROOT / "web"
STEPS = (["ci", "--include=dev", "--no-audit", "--no-fund"], ["run", "build"])


def build_browser_app() -> None:
    """``npm --prefix web ci && npm --prefix web run build``: writes sessionsvc/web/static/."""
    if not (WEB / "package-lock.json").is_file():
        raise ExecError(f"{WEB}/package-lock.json is missing: the browser app cannot be built")
    npm = shutil.which("npm")
    if npm is None:
        raise ExecError(
            "building sessionsvc needs npm (Node.js >= 18) to build its browser app from web/: "
            "install Node.js and npm (Debian: apt-get install nodejs npm) and build again"
        )
    for step in STEPS:
        print(f"sessionsvc: building the browser app: npm {' '.join(step)} (in {WEB})", flush=True)
        done = subprocess.run([npm, *step], cwd=WEB, check=False)
        if done.returncode != 0:
            raise ExecError(f"npm {' '.join(step)} in {WEB} failed (exit {done.returncode})")


class BuildPyWithBrowserApp(build_py):
    """``build_py`` that first builds the browser app (not for editable installs)."""

    def run(self) -> None:
        if not self.editable_mode:
            build_browser_app()
            # the package-data globs must see the files the build just wrote
            self.__dict__.pop("data_files", None)
        super().run()


setup(cmdclass={"build_py": BuildPyWithBrowserApp})
