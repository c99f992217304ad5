"""The join page in real Chromium: how long people wait.

Two timings, per run in a fresh room with fresh browser contexts (Debian's Chromium, fake camera
and microphone, everything on 127.0.0.1, one ``sessionsvc serve`` node on the embedded store):

- open → waiting: from the navigation to the client's join link to the waiting screen, with
  the device check's "Continue" clicked as soon as it shows (the professional already waits);
- admit → video: from the professional's Admit click to the first remote video frame presented
  on the client's screen (``requestVideoFrameCallback``), through the admit, the offer/answer
  relay, ICE and DTLS, and the first decoded frame.

Both are read from the pages' own clocks (``performance`` marks the app sets), not from this
process. Baselines measured in the same run, for the ratios: the invalid-link screen (the page,
its modules and a refused socket connection: the floor of "open → waiting"), and two peer
connections inside one page sending the fake camera to each other (the floor of "admit →
video": WebRTC in this browser with no server at all).

    python -m bench.bench_browser [--runs 20] [--budget 240]
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from playwright.async_api import Browser, async_playwright

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.quantiles import quantile  # noqa: E402
from testkit.booking import Booking  # noqa: E402
from testkit.chromium import CHROMIUM, CHROMIUM_ARGS, LAPTOP  # noqa: E402
from testkit.service import ServiceProcess  # noqa: E402

RUN_TIMEOUT = 30.0

# Epoch milliseconds of a performance mark, comparable across the pages of one machine.
MARK_AT = """(name) => {
  const m = performance.getEntriesByName(name).at(-1);
  return m ? performance.timeOrigin + m.startTime : null;
}"""

# Two peer connections in one page: fake camera → pc1 → pc2 → <video>, to the first frame.
DIRECT_PAIR = """async () => {
  const stream = await navigator.mediaDevices.getUserMedia({video: true, audio: true});
  const t0 = performance.now();
  const a = new RTCPeerConnection({iceServers: []});
  const b = new RTCPeerConnection({iceServers: []});
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const video = document.createElement("video");
  video.muted = true;
  document.body.append(video);
  const frame = new Promise((resolve) => {
    b.ontrack = (e) => {
      if (e.track.kind !== "video") return;
      video.srcObject = e.streams[0];
      video.play();
      video.requestVideoFrameCallback(() => resolve(performance.now()));
    };
  });
  for (const t of stream.getTracks()) a.addTrack(t, stream);
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  const t1 = await frame;
  a.close(); b.close();
  for (const t of stream.getTracks()) t.stop();
  return t1 - t0;
}"""


@dataclass
class Series:
    name: str
    ms: list[float] = field(default_factory=list)
    failures: int = 0


async def session_run(browser: Browser, booking: Booking) -> tuple[float, float]:
    """One room: (open → waiting, admit → first remote frame on the client), in ms."""
    room = await booking.hub_room(remaining=3)
    pro_ctx = await browser.new_context(viewport=LAPTOP, permissions=["camera", "microphone"])
    client_ctx = await browser.new_context(viewport=LAPTOP, permissions=["camera", "microphone"])
    try:
        pro = await pro_ctx.new_page()
        await pro.goto(room["join"]["professional"]["url"])
        await pro.get_by_role("button", name=re.compile("^Continue to")).click()
        admit = pro.get_by_role("button", name=re.compile("^Admit"))

        client = await client_ctx.new_page()
        await client.goto(room["join"]["client"]["url"], wait_until="commit")
        await client.get_by_role("button", name=re.compile("^Continue to")).click()
        await client.locator('[data-screen="waiting"]').wait_for()
        waiting = await client.evaluate(
            "() => performance.getEntriesByName('sessionsvc:waiting').at(-1).startTime"
        )

        await admit.click(trial=True)  # enabled once the client is seen waiting
        await admit.click()
        await client.locator('[data-screen="call"][data-remote="playing"]').wait_for()
        admitted_at = await pro.evaluate(MARK_AT, "sessionsvc:admit")
        frame_at = await client.evaluate(MARK_AT, "sessionsvc:remote-frame")
        return float(waiting), float(frame_at - admitted_at)
    finally:
        await pro_ctx.close()
        await client_ctx.close()


async def invalid_link_run(browser: Browser, url: str) -> float:
    context = await browser.new_context(viewport=LAPTOP)
    try:
        page = await context.new_page()
        await page.goto(url + "/join?token=not-a-token", wait_until="commit")
        await page.locator('[data-screen="invalid"]').wait_for()
        return float(await page.evaluate("() => performance.now()"))
    finally:
        await context.close()


async def direct_pair_run(browser: Browser, url: str) -> float:
    context = await browser.new_context(viewport=LAPTOP, permissions=["camera", "microphone"])
    try:
        page = await context.new_page()
        await page.goto(url + "/static/index.html")  # no token: no socket, a quiet page
        return float(await page.evaluate(DIRECT_PAIR))
    finally:
        await context.close()


async def repeat(
    runs: int, deadline: float, name: str, run: Callable[[], Awaitable[object]]
) -> list[object]:
    results: list[object] = []
    for _ in range(runs):
        if time.monotonic() > deadline:
            print(f"  {name}: time budget spent after {len(results)} runs")
            break
        try:
            async with asyncio.timeout(RUN_TIMEOUT):
                results.append(await run())
        except Exception as e:  # a failed run is counted and reported, the bench goes on
            print(f"  {name}: a run failed: {e!r}")
            results.append(None)
    return results


async def main(runs: int, budget: float) -> None:
    deadline = time.monotonic() + budget
    node = await ServiceProcess({"SESSIONSVC_LOG_LEVEL": "ERROR"}).start()
    open_base = Series("invalid-link screen (baseline)")
    open_wait = Series("open link -> waiting screen")
    admit_base = Series("two peer connections in one page (baseline)")
    admit_video = Series("admit -> client's remote video playing")
    try:
        async with aiohttp.ClientSession() as http, async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            booking = Booking(node.url, http)
            await session_run(browser, booking)  # warm-up: caches, codecs, first process
            for result in await repeat(
                runs, deadline, open_base.name, lambda: invalid_link_run(browser, node.url)
            ):
                _record(open_base, result)
            for result in await repeat(
                runs, deadline, admit_base.name, lambda: direct_pair_run(browser, node.url)
            ):
                _record(admit_base, result)
            for result in await repeat(
                runs, deadline, "session", lambda: session_run(browser, booking)
            ):
                if isinstance(result, tuple):
                    _record(open_wait, result[0])
                    _record(admit_video, result[1])
                else:
                    open_wait.failures += 1
                    admit_video.failures += 1
            await browser.close()
    finally:
        node.stop()
    report([(open_wait, open_base), (admit_video, admit_base)])


def _record(series: Series, result: object) -> None:
    if isinstance(result, float):
        series.ms.append(result)
    else:
        series.failures += 1


def report(pairs: list[tuple[Series, Series]]) -> None:
    print()
    print("join page in real Chromium (fake camera and microphone, loopback), in ms")
    print(f"  {'':<46}{'p50':>8}{'p95':>8}{'max':>8}{'runs':>6}{'fail':>5}{'x base':>8}")
    for measured, base in pairs:
        b50 = quantile(base.ms, 0.5)
        for s in (measured, base):
            ratio = quantile(s.ms, 0.5) / b50 if b50 > 0 else float("nan")
            print(
                f"  {s.name:<46}{quantile(s.ms, 0.5):8.0f}{quantile(s.ms, 0.95):8.0f}"
                f"{max(s.ms, default=float('nan')):8.0f}{len(s.ms):6d}{s.failures:5d}"
                f"{ratio:8.2f}"
            )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs of each timing (default 20)")
    parser.add_argument(
        "--budget", type=float, default=240.0, help="seconds for the whole bench (default 240)"
    )
    args = parser.parse_args()
    if not 1 <= args.runs <= 200:
        parser.error("--runs must be between 1 and 200")
    asyncio.run(main(args.runs, args.budget))


if __name__ == "__main__":
    cli()
