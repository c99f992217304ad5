"""Routes of the browser app, and the security headers its responses carry.

``/join?token=…`` always serves the single-page app: the app itself connects with the token and
shows the invalid or expired link screen from the server's ``connect_error`` code, so a bad link
and a good one cost the server the same.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
PAGE_PATHS = ("/join",)
STATIC_PREFIX = "/static/"
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


async def join_page(request: web.Request) -> web.FileResponse:
    """The single-page app, whatever the token: the app reports what is wrong with a link."""
    return web.FileResponse(STATIC_DIR / "index.html")


def setup_web(app: web.Application) -> None:
    """Add the browser app's routes and the hook that sets its security headers."""
    app.router.add_get("/join", join_page)
    app.router.add_static("/static", STATIC_DIR, follow_symlinks=False)
    app.on_response_prepare.append(_security_headers)
