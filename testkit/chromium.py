"""How Debian's Chromium is launched for the browser tests and benchmarks: headless, a fake
camera (640x480, 20 fps, frame counter) and microphone (a tone), permission prompts accepted, and
host candidates not hidden behind mDNS names. Pass ``CHROMIUM`` as Playwright's
``executable_path`` and ``CHROMIUM_ARGS`` as its ``args``."""

from __future__ import annotations

from playwright.async_api import ViewportSize

CHROMIUM = "/usr/bin/chromium"

# One --disable-features switch replaces Playwright's own list (Chromium keeps the last one), so
# the entries of that list that matter here are repeated: PaintHolding (screenshots of fresh
# pages), HttpsUpgrades, MediaRouter, OptimizationHints.
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=WebRtcHideLocalIpsWithMdns,PaintHolding,HttpsUpgrades,MediaRouter,"
    "OptimizationHints",
]

LAPTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
