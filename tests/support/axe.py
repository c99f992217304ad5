"""Accessibility checks in real Chromium with axe-core (web/'s npm dev dependency): injected
through ``page.evaluate`` (the page's CSP would block a script tag), then ``axe.run``."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from playwright.async_api import Page

AXE = Path(__file__).resolve().parents[2] / "web" / "node_modules" / "axe-core" / "axe.min.js"
SEVERE = ("serious", "critical")
# "no-autoplay-audio" is about recorded sound that plays by itself; in a call the other person's
# live voice is the point of the page, and axe waits for such media's duration, which a live
# stream never has (the run would not finish). The <video> elements themselves (live pictures,
# labelled) are left out: measuring what lies under them is what makes a run slow in a call.


@cache
def _axe_source() -> str:
    if not AXE.is_file():
        raise AssertionError(f"{AXE} is missing: run `npm --prefix web ci` (./dev does)")
    return AXE.read_text(encoding="utf-8")


async def severe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        await page.evaluate(_axe_source())
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => {
          const result = await axe.run({exclude: [["video"]]}, {
            resultTypes: ["violations"],
            preload: false,
            rules: {"no-autoplay-audio": {enabled: false}},
          });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5),
          }));
        }"""
    )
    return [v for v in found if v["impact"] in SEVERE]


async def assert_accessible(page: Page) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    severe = await severe_violations(page)
    assert not severe, severe
