"""The join page's own screens for links that cannot open a session, and its security headers."""

from __future__ import annotations

import re
import time
from pathlib import Path

import aiohttp
import pytest

from sessionsvc.rooms.model import Role
from sessionsvc.tokens import TokenService
from testkit.booking import Booking
from testkit.chromium import PHONE
from testkit.service import ServiceProcess
from testkit.settings import BOOKING_SECRET, JOIN_SECRET
from tests.support.browser import PeopleFactory, Screenshot

pytestmark = [pytest.mark.browser]
session_loop = pytest.mark.asyncio(loop_scope="session")


@session_loop
async def test_security_headers_allow_exactly_what_the_page_uses(service: ServiceProcess) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(service.url + "/join?token=x") as r:
            assert r.status == 200
            assert r.headers["Content-Type"].startswith("text/html")
            csp = r.headers["Content-Security-Policy"]
            policy = r.headers["Permissions-Policy"]
            assert r.headers["Referrer-Policy"] == "no-referrer"
            assert r.headers["Cache-Control"] == "no-store"
        async with http.get(service.url + "/static/js/app.js") as r:
            assert r.status == 200
            assert "javascript" in r.headers["Content-Type"]
            assert r.headers["Content-Security-Policy"] == csp
        async with http.get(service.url + "/static/js/app.js.map") as r:
            assert r.status == 200, "run `npm --prefix web run build` (./dev does)"
            assert r.content_type == "application/json"
            assert r.headers["Content-Security-Policy"] == csp
        async with http.get(service.url + "/static/js/nothing.js.map") as r:
            assert r.status == 404 and r.content_type != "application/json"
        async with http.get(service.url + "/static/../routes.py") as r:
            assert r.status in (403, 404)
        async with http.get(service.url + "/healthz") as r:
            assert "Content-Security-Policy" not in r.headers
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    host = service.url.removeprefix("http://")
    assert directives["connect-src"] == f"'self' wss://{host} ws://{host}"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp
    features = dict(f.strip().split("=", 1) for f in policy.split(","))
    assert features.pop("camera") == "(self)"
    assert features.pop("microphone") == "(self)"
    assert features.pop("autoplay") == "(self)"
    assert set(features.values()) == {"()"}
    assert {"geolocation", "display-capture", "payment", "usb"} <= set(features)


@session_loop
@pytest.mark.parametrize(
    ("case", "title"),
    [
        ("garbage", "This link doesn’t work"),
        ("missing", "This link is incomplete"),
        ("forged", "This link doesn’t work"),
        ("expired", "This link has expired"),
        ("finished", "This session was cancelled"),
    ],
    ids=["garbage", "missing", "forged", "expired", "finished"],
)
async def test_links_that_cannot_open_a_session_say_so(
    service: ServiceProcess,
    people: PeopleFactory,
    screenshot: Screenshot,
    case: str,
    title: str,
) -> None:
    async with aiohttp.ClientSession() as http:
        booking = Booking(service.url, http)
        room = await booking.open_room()
        if case == "finished":
            status, _ = await booking.call("DELETE", f"/v1/rooms/{room['room_id']}")
            assert status in (200, 204)
    now = time.time()
    minted = {
        "garbage": "not-a-token",
        "missing": None,
        "forged": TokenService(BOOKING_SECRET, "another-join-secret-0123456789abcdef").mint_join(
            sub="cl-x", role=Role.CLIENT, room=room["room_id"], expires_at=now + 600
        ),
        "expired": TokenService(BOOKING_SECRET, JOIN_SECRET).mint_join(
            sub="cl-x",
            role=Role.CLIENT,
            room=room["room_id"],
            expires_at=now - 600,  # past the leeway that absorbs clock skew
            now=now - 3600,
        ),
        "finished": room["join"]["client"]["token"],
    }[case]
    client = await people("client", viewport=PHONE if case == "expired" else None)
    url = service.url + "/join" + (f"?token={minted}" if minted else "")
    await client.page.goto(url)
    heading = client.page.locator("h1")
    await heading.filter(has_text=title).wait_for()
    await screenshot(client.page, "screen")
    assert await client.page.locator("main").get_attribute("aria-busy") is None
    assert not client.errors


def test_the_page_loads_one_bundled_module_built_from_npm_packages() -> None:
    """The page names one module, the bundle of web/src/js/app.js; the sources import each other
    and npm packages, never a copied file."""
    web = Path(__file__).resolve().parent.parent / "web" / "src"
    html = (web / "index.html").read_text()
    assert re.findall(r"<script[^>]*>", html) == ['<script type="module" src="/static/js/app.js">']
    assert "modulepreload" not in html
    assert "<script>" not in html and "style=" not in html and "<style" not in html
    imports = set()
    for source in (web / "js").glob("*.js"):
        imports |= set(re.findall(r'^import .*? from "([^"]+)";$', source.read_text(), re.M | re.S))
    relative = {name for name in imports if name.startswith("./")}
    assert imports - relative == {"socket.io-client"}
    assert {(web / "js" / name).is_file() for name in relative} == {True}
