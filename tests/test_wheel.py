"""The package as a user gets it: a wheel built with ``pip wheel`` from a clean clone of the
committed tree (so the build step runs npm), installed into a fresh virtualenv outside the
repository. It serves the join page and everything the page loads, refuses to start without its
built browser app, and runs a whole session in real Chromium. The sdist carries the browser
app's sources, and a wheel built from it carries the same app.

One wheel and one virtualenv serve the whole module (``installed``)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import aiohttp
import pytest
import pytest_asyncio

from testkit.booking import Booking
from testkit.ports import free_port
from testkit.service import ServiceProcess
from testkit.settings import TEST_ENV
from tests.support.browser import PeopleFactory, Screenshot
from tests.test_browser_session import CASES, whole_session

ROOT = Path(__file__).resolve().parents[1]
#: What the browser app's build writes into the package (web/build.mjs).
BUILT = {
    "sessionsvc/web/static/index.html",
    "sessionsvc/web/static/js/app.js",
    "sessionsvc/web/static/js/app.js.map",
    "sessionsvc/web/static/test.html",
    "sessionsvc/web/static/js/testpage.js",
    "sessionsvc/web/static/js/testpage.js.map",
    "sessionsvc/web/static/css/app.css",
    "sessionsvc/web/static/img/icon.svg",
    "sessionsvc/web/static/support.html",
    "sessionsvc/web/static/js/support.js",
    "sessionsvc/web/static/js/support.js.map",
    "sessionsvc/web/static/js/support.css",
    "sessionsvc/web/static/js/support.css.map",
}
CONTENT_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".svg": {"image/svg+xml"},
    ".map": {"application/json"},
}
NOT_BUILT = (
    "sessionsvc: the browser app is not built (web/ → {static} has no index.html, js/app.js, "
    "test.html, js/testpage.js, support.html, js/support.js): "
    'run "npm --prefix web ci && npm --prefix web run build"'
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
session_loop = pytest.mark.asyncio(loop_scope="session")


def run(*command: str | Path, cwd: Path | None = None) -> str:
    """Run a build or install step; its output goes into the failure if it fails."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run(
        [str(c) for c in command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=480,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Installed:
    """A clean clone, the wheel ``pip wheel`` built from it, and a virtualenv that has it."""

    clone: Path
    wheel: Path
    venv: Path
    home: Path  # a working directory outside the repository and the virtualenv
    static: Path  # where the installed package serves the browser app from

    @property
    def sessionsvc(self) -> Path:
        return self.venv / "bin" / "sessionsvc"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("wheel")
    clone, dist, venv, home = (base / name for name in ("clone", "dist", "venv", "home"))
    home.mkdir()
    run("git", "clone", "--quiet", ROOT, clone)
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", dist, clone)
    (wheel,) = dist.glob("sessionsvc-*.whl")
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel)
    where = run(
        venv / "bin" / "python",
        "-c",
        "import sessionsvc.web.routes as r; print(r.STATIC_DIR)",
        cwd=home,
    )
    return Installed(clone, wheel, venv, home, Path(where.strip()))


def test_the_wheel_carries_the_built_app_and_no_sources(installed: Installed) -> None:
    with zipfile.ZipFile(installed.wheel) as wheel:
        names = set(wheel.namelist())
    assert names >= BUILT
    assert not [n for n in names if n.startswith(("web/", "tests/")) or "node_modules" in n]
    # the service runs from the virtualenv, not from a source tree
    assert installed.static.is_relative_to(installed.venv), installed.static
    assert (installed.static / "js" / "app.js").is_file()


class _References(HTMLParser):
    """Every ``src`` and ``href`` in a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]


@pytest_asyncio.fixture(loop_scope="session")
async def wheel_service(installed: Installed) -> AsyncIterator[ServiceProcess]:
    """``sessionsvc serve`` of the installed wheel, started outside the repository."""
    proc = ServiceProcess(
        {"SESSIONSVC_RECONNECT_GRACE": "20"},
        command=[str(installed.sessionsvc), "serve"],
        cwd=installed.home,
    )
    await proc.start()
    yield proc
    proc.stop()


@session_loop
async def test_the_installed_service_serves_join_and_everything_it_loads(
    wheel_service: ServiceProcess,
) -> None:
    async with aiohttp.ClientSession() as http:
        page_url = wheel_service.url + "/join?token=x"
        async with http.get(page_url) as r:
            assert r.status == 200
            assert r.content_type == "text/html"
            page = await r.text()
        parser = _References()
        parser.feed(page)
        assets = [urljoin(page_url, u) for u in parser.urls if not u.startswith("#")]
        assert len(assets) >= 3, parser.urls  # the bundle, the styles, the icon

        fetched: dict[str, str] = {}
        pending = list(dict.fromkeys(assets))
        while pending:
            url = pending.pop(0)
            async with http.get(url) as r:
                assert r.status == 200, url
                suffix = Path(url).suffix
                assert r.content_type in CONTENT_TYPES[suffix], (url, r.content_type)
                fetched[url] = await r.text()
            if suffix == ".js":
                maps = re.findall(r"^//# sourceMappingURL=(\S+)$", fetched[url], re.M)
                assert maps, f"{url} names no source map"
                pending += [urljoin(url, m) for m in maps]

    scripts = [u for u in fetched if u.endswith(".js")]
    assert len(scripts) == 1, scripts  # one bundled entry, nothing else to fetch
    (source_map,) = (json.loads(text) for u, text in fetched.items() if u.endswith(".map"))
    sources = source_map["sources"]
    assert any(s.endswith("web/src/js/app.js") for s in sources), sources
    assert any("node_modules/socket.io-client/" in s for s in sources), sources
    assert len(source_map["sourcesContent"]) == len(sources)


def test_the_installed_service_refuses_to_start_without_its_built_app(
    installed: Installed,
) -> None:
    away = installed.static.with_name("static.away")
    installed.static.rename(away)
    try:
        done = subprocess.run(
            [installed.sessionsvc, "serve", "--port", str(free_port())],
            cwd=installed.home,
            env={**os.environ, **TEST_ENV},
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
    finally:
        away.rename(installed.static)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == NOT_BUILT.format(static=installed.static)


@pytest.mark.browser
@session_loop
async def test_a_whole_session_in_chromium_against_the_installed_service(
    wheel_service: ServiceProcess, people: PeopleFactory, screenshot: Screenshot
) -> None:
    (case,) = (c for c in CASES if c.name == "credit")
    async with aiohttp.ClientSession() as http:
        await whole_session(case, Booking(wheel_service.url, http), people, screenshot)


def test_a_wheel_build_without_npm_says_what_to_install(
    installed: Installed, tmp_path: Path
) -> None:
    clone = tmp_path / "clone"
    run("git", "clone", "--quiet", installed.clone, clone)
    no_npm = tmp_path / "bin"  # PATH without npm (pip runs the backend with its own python)
    no_npm.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", tmp_path / "dist", clone],
        env={**os.environ, "PATH": str(no_npm)},
        capture_output=True,
        text=True,
        timeout=480,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    assert (
        "error: building sessionsvc needs npm (Node.js >= 18) to build its browser app from web/: "
        "install Node.js and npm (Debian: apt-get install nodejs npm) and build again"
    ) in done.stdout + done.stderr
    assert not list(tmp_path.glob("dist/*.whl"))


def test_the_sdist_carries_the_app_sources_and_builds_the_same_wheel(
    installed: Installed, tmp_path: Path
) -> None:
    run(sys.executable, "-m", "build", "--sdist", "--outdir", tmp_path, installed.clone)
    (sdist,) = tmp_path.glob("sessionsvc-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {
        "setup.py",
        "web/package.json",
        "web/package-lock.json",
        "web/build.mjs",
        "web/src/index.html",
        "web/src/js/app.js",
    } <= names
    assert not [n for n in names if "node_modules" in n or n.startswith("sessionsvc/web/static")]

    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp_path, sdist)
    (wheel,) = tmp_path.glob("sessionsvc-*.whl")
    with zipfile.ZipFile(wheel) as from_sdist, zipfile.ZipFile(installed.wheel) as from_tree:
        assert {n for n in from_sdist.namelist() if n.startswith("sessionsvc/web/static/")} == BUILT
        for name in BUILT:
            assert from_sdist.read(name) == from_tree.read(name), name
