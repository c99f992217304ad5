"""Routes of the browser app, and the security headers its responses carry.

``/join?token=…`` always serves the single-page app: the app itself connects with the token and
shows the invalid or expired link screen from the server's ``connect_error`` code, so a bad link
and a good one cost the server the same.

The app's sources live in the repository's ``web/`` (its own npm project); its build
(``web/build.mjs``) writes the page, one bundled module and its assets into ``static/`` here,
which the wheel ships. Without them the page would never open a session, so the routes refuse
to be set up.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from ..signaling.texts import REASONS

STATIC_DIR = Path(__file__).parent / "static"
#: How a source tree builds ``STATIC_DIR`` from ``web/``.
BUILD_COMMAND = "npm --prefix web ci && npm --prefix web run build"
#: What that build writes and the pages cannot do without: each page and its bundled module.
BUILT_FILES = (
    "index.html",
    "js/app.js",
    "test.html",
    "js/testpage.js",
    "support.html",
    "js/support.js",
)
PAGE_PATHS = ("/join", "/test", "/support")
STATIC_PREFIX = "/static/"
#: Types that Python's ``mimetypes`` does not know (aiohttp would send application/octet-stream).
CONTENT_TYPES = {".map": "application/json"}
_HOST = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")

#: The page uses the camera and the microphone of its own origin, and nothing else.
PERMISSIONS_POLICY = ", ".join(
    [
        "camera=(self)",
        "microphone=(self)",
        "autoplay=(self)",
        "display-capture=()",
        "fullscreen=()",
        "geolocation=()",
        "gyroscope=()",
        "accelerometer=()",
        "magnetometer=()",
        "midi=()",
        "payment=()",
        "usb=()",
        "serial=()",
        "hid=()",
        "picture-in-picture=()",
        "publickey-credentials-get=()",
        "screen-wake-lock=()",
        "browsing-topics=()",
    ]
)


class BrowserAppNotBuilt(Exception):
    """The browser app's built files are missing from the package: ``web/`` was never built."""


def check_built(static_dir: Path = STATIC_DIR) -> None:
    """Raise :class:`BrowserAppNotBuilt`, naming the build command, unless the build ran."""
    missing = [name for name in BUILT_FILES if not (static_dir / name).is_file()]
    if missing:
        raise BrowserAppNotBuilt(
            f"the browser app is not built (web/ → {static_dir} has no {', '.join(missing)}): "
            f'run "{BUILD_COMMAND}"'
        )


def content_security_policy(host: str) -> str:
    """Scripts, styles and images from this origin only; sockets to this host only.

    ``connect-src`` names the WebSocket origins of the host the page was served from (``wss``
    behind a TLS-terminating proxy, ``ws`` on a plain deployment); media come from
    ``getUserMedia`` and ``RTCPeerConnection`` streams, which no fetch directive governs.
    """
    sockets = f" wss://{host} ws://{host}" if _HOST.fullmatch(host) else ""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "font-src 'none'",
            "media-src 'none'",
            f"connect-src 'self'{sockets}",
            "object-src 'none'",
            "frame-src 'none'",
            "worker-src 'none'",
            "manifest-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _is_ours(path: str) -> bool:
    return path in PAGE_PATHS or path.startswith(STATIC_PREFIX)


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    if not _is_ours(request.path):
        return
    h = response.headers
    h["Content-Security-Policy"] = content_security_policy(request.host)
    h["Permissions-Policy"] = PERMISSIONS_POLICY
    # The join token is in the page's URL: never send it on to another site (e.g. payment_url).
    h["Referrer-Policy"] = "no-referrer"
    h["X-Content-Type-Options"] = "nosniff"
    h["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.path in PAGE_PATHS:
        h["Cache-Control"] = "no-store"
    else:
        h["Cache-Control"] = "no-cache"
        content_type = CONTENT_TYPES.get(Path(request.path).suffix)
        if content_type and response.status in (200, 206):
            response.content_type = content_type


SUPPORT_META = '<meta name="support-contact" content="">'


def join_page_html(support_contact: str, static_dir: Path = STATIC_DIR) -> str:
    """The join page with the support contact (``SESSIONSVC_SUPPORT_CONTACT``) in its
    ``support-contact`` meta tag, where the app reads it for the screens of links that do not
    work: those screens open before any connection, so the page itself carries it."""
    page = (static_dir / "index.html").read_text(encoding="utf-8")
    filled = f'<meta name="support-contact" content="{html.escape(support_contact)}">'
    return page.replace(SUPPORT_META, filled, 1)


def join_handler(support_contact: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    """The single-page app, whatever the token: the app reports what is wrong with a link."""
    body = join_page_html(support_contact)

    async def join_page(request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    return join_page


async def test_page(request: web.Request) -> web.FileResponse:
    """The connection test page: anyone may open it (the tests it runs are rate limited)."""
    return web.FileResponse(STATIC_DIR / "test.html")


REASONS_META = '<meta name="not-held-reasons" content="{}">'


def support_page_html(static_dir: Path = STATIC_DIR) -> str:
    """The support dashboard with the not-held reasons in words (the same sentences every
    other screen and response uses) in its ``not-held-reasons`` meta tag, for the outcome
    filter that is drawn before any search."""
    page = (static_dir / "support.html").read_text(encoding="utf-8")
    reasons = json.dumps({reason.value: text for reason, text in REASONS.items()})
    return page.replace(REASONS_META, REASONS_META.replace("{}", html.escape(reasons)), 1)


def support_handler() -> Callable[[web.Request], Awaitable[web.Response]]:
    """The support dashboard; it asks for a support token and the API checks it."""
    body = support_page_html()

    async def support_page(request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="text/html", charset="utf-8")

    return support_page


def setup_web(app: web.Application, *, support_contact: str = "") -> None:
    """Add the browser app's routes and the hook that sets its security headers; raise
    :class:`BrowserAppNotBuilt` if the app's built files are missing."""
    check_built()
    app.router.add_get("/join", join_handler(support_contact))
    app.router.add_get("/test", test_page)
    app.router.add_get("/support", support_handler())
    app.router.add_static("/static", STATIC_DIR, follow_symlinks=False)
    app.on_response_prepare.append(_security_headers)
