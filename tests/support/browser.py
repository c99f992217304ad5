"""Real Chromium for the end-to-end tests (pytest plugin).

- ``chromium``: one headless Chromium per test session, launched as ``testkit.chromium`` says
  (Debian's ``/usr/bin/chromium``, a fake camera and microphone, prompts auto-accepted).
- ``people``: a factory of browser contexts, one per person (professional, client), each with a
  page whose console and uncaught errors are collected.
- ``screenshot``: saves ``test-artifacts/screenshots/<test>-<step>.png``.

Everything runs on pytest-asyncio's session loop: browser tests mark themselves with
``pytestmark = pytest.mark.asyncio(loop_scope="session")``.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    ViewportSize,
    async_playwright,
)

from testkit.chromium import CHROMIUM, CHROMIUM_ARGS, LAPTOP

SCREENSHOTS = Path("test-artifacts/screenshots")

# Frames advancing on a <video>: currentTime moves, and new frames are decoded and presented.
VIDEO_ADVANCING = """async (selector) => {
  const v = document.querySelector(selector);
  if (!v || !v.srcObject) return {ok: false, why: "no stream"};
  const before = {t: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames};
  const presented = await new Promise((resolve) => {
    let seen = 0;
    const timer = setTimeout(() => resolve(seen), 8000);
    const tick = () => {
      seen += 1;
      if (seen >= 6) { clearTimeout(timer); resolve(seen); } else v.requestVideoFrameCallback(tick);
    };
    v.requestVideoFrameCallback(tick);
  });
  const after = {t: v.currentTime, frames: v.getVideoPlaybackQuality().totalVideoFrames};
  return {ok: presented >= 6 && after.t > before.t && after.frames > before.frames,
          presented, before, after, width: v.videoWidth, paused: v.paused};
}"""


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium() -> AsyncIterator[Browser]:
    """One real Chromium for the whole test session."""
    _require_chromium()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        await browser.close()


def _require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package (./dev does)")


@dataclass
class Person:
    """One person at their own browser: a context, its page, and what the page said."""

    role: str
    context: BrowserContext
    page: Page
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def said(self, text: str) -> bool:
        """Whether ``text`` appeared in this page's console output."""
        return any(text in line for line in self.console)


PeopleFactory = Callable[..., Awaitable[Person]]


@pytest_asyncio.fixture(loop_scope="session")
async def people(chromium: Browser) -> AsyncIterator[PeopleFactory]:
    """``await people("client", viewport=PHONE, media=False, init_script=…, user_agent=…,
    permissions=("notifications",))``.

    ``media=False`` gives a context without camera/microphone permission; pages that must see a
    refusal use an ``init_script`` that makes getUserMedia reject as the browser does.
    """
    contexts: list[BrowserContext] = []

    async def make(
        role: str,
        *,
        viewport: ViewportSize | None = None,
        media: bool = True,
        init_script: str | None = None,
        user_agent: str | None = None,
        permissions: tuple[str, ...] = (),
    ) -> Person:
        options: dict[str, Any] = {"viewport": viewport or LAPTOP}
        if media or permissions:
            options["permissions"] = [*(["camera", "microphone"] if media else []), *permissions]
        if user_agent:
            options["user_agent"] = user_agent
        context = await chromium.new_context(**options)
        contexts.append(context)
        if init_script:
            await context.add_init_script(init_script)
        page = await context.new_page()
        person = Person(role, context, page)
        page.on("console", lambda m: person.console.append(_console_line(m)))
        page.on("pageerror", lambda e: person.errors.append(str(e)))
        return person

    yield make
    for context in contexts:
        await context.close()


def _console_line(message: ConsoleMessage) -> str:
    return f"{message.type}: {message.text}"


Screenshot = Callable[[Page, str], Awaitable[Path]]


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Screenshot:
    """``await screenshot(page, "waiting")`` → test-artifacts/screenshots/<test>-waiting.png."""
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    async def take(page: Page, step: str) -> Path:
        path = SCREENSHOTS / f"{test}-{step}.png"
        await page.screenshot(path=str(path), full_page=True, animations="disabled")
        return path

    return take


async def video_plays(page: Page, selector: str = "#remote-video") -> dict[str, Any]:
    """Assert that the <video> at ``selector`` is playing: frames decoded and presented, and
    ``currentTime`` advancing. Returns the measurements."""
    result: dict[str, Any] = await page.evaluate(VIDEO_ADVANCING, selector)
    assert result["ok"], result
    assert result["width"] > 0, result
    return result
