"""The join page's other paths in real Chromium: cancelled while waiting, a blocked camera and
microphone, a denied client (by keyboard only), another browser than Chrome, and a dropped tab
coming back to the call."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Page, expect

from testkit.booking import Booking
from testkit.chromium import PHONE
from testkit.service import ServiceProcess
from tests.support.browser import PeopleFactory, Person, Screenshot, video_plays
from tests.support.servers import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

CLIENT_NAME = "Sam Jordan"

# What Chrome does when the person (or a policy) blocks the camera and microphone.
BLOCKED_MEDIA = """
(() => {
  const refuse = () => Promise.reject(new DOMException("Permission denied", "NotAllowedError"));
  navigator.mediaDevices.getUserMedia = refuse;
  const query = navigator.permissions.query.bind(navigator.permissions);
  navigator.permissions.query = (d) =>
    d && (d.name === "camera" || d.name === "microphone")
      ? Promise.resolve({state: "denied", addEventListener() {}, removeEventListener() {}})
      : query(d);
})();
"""

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
NO_CLIENT_HINTS = (
    "Object.defineProperty(Navigator.prototype, 'userAgentData', {get: () => undefined});"
)


@pytest_asyncio.fixture(loop_scope="session")
async def server(service_factory: ServiceFactory) -> ServiceProcess:
    return await service_factory()


@pytest_asyncio.fixture(loop_scope="session")
async def booking(server: ServiceProcess) -> AsyncIterator[Booking]:
    async with aiohttp.ClientSession() as http:
        yield Booking(server.url, http)


async def to_waiting(person: Person, url: str) -> None:
    await person.page.goto(url)
    await person.page.get_by_role("button", name=re.compile("^Continue to")).click()
    await person.page.locator('[data-screen="waiting"]').wait_for()


async def focus_by_tab(page: Page, name: str, limit: int = 25) -> None:
    """Press Tab until the focused element is the button called ``name``."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        label = await page.evaluate("() => document.activeElement?.textContent?.trim()")
        if label == name:
            return
    raise AssertionError(f"{name!r} cannot be reached with the Tab key")


async def test_cancelled_while_waiting(
    booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.hub_room(remaining=2)
    pro = await people("professional")
    client = await people("client", viewport=PHONE)
    await to_waiting(pro, room["join"]["professional"]["url"])
    await to_waiting(client, room["join"]["client"]["url"])
    await expect(pro.page.locator("h1")).to_have_text(f"{CLIENT_NAME} is ready and waiting")

    status, _ = await booking.call("DELETE", f"/v1/rooms/{room['room_id']}")
    assert status in (200, 204)

    for person in (pro, client):
        await expect(person.page.locator("h1")).to_have_text("This session was cancelled")
        await screenshot(person.page, f"{person.role}-cancelled")
    await expect(client.page.locator("main")).to_contain_text("No credit was used")
    await expect(pro.page.locator("main")).to_contain_text("nothing to invoice")
    # The camera is released once the session is over.
    live = await client.page.evaluate(
        "() => [...document.querySelectorAll('video')].filter(v => v.srcObject).length"
    )
    assert live == 0


async def test_blocked_camera_and_microphone_get_step_by_step_help(
    booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.hub_room(remaining=2)
    client = await people("client", media=False, init_script=BLOCKED_MEDIA)
    await client.page.goto(room["join"]["client"]["url"])
    page = client.page
    for label in ("Camera", "Microphone"):
        row = page.locator(".check", has_text=label)
        await expect(row).to_have_attribute("data-state", "bad")
        await expect(row).to_contain_text("Blocked by the browser")
    help_box = page.get_by_role("region", name="Allow your camera and microphone")
    await expect(help_box).to_contain_text("Set Camera and Microphone to “Allow”")
    await expect(help_box.locator("ol > li")).to_have_count(3)
    await screenshot(page, "device-check-blocked")
    await expect(page.get_by_role("button", name="Try again")).to_be_visible()

    # One can still go on to the waiting room (and be told what the professional will miss).
    await page.get_by_role("button", name="Continue without camera and microphone").click()
    await expect(page.locator("h1")).to_have_text("Waiting for Dr. Alex Rivera to let you in")
    await expect(page.locator(".self-text")).to_contain_text("you won’t be seen or heard")
    await screenshot(page, "waiting-without-media")
    assert not client.errors, client.errors


async def test_professional_denies_by_keyboard(
    booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.hub_room(remaining=2)
    pro = await people("professional")
    client = await people("client")
    await to_waiting(pro, room["join"]["professional"]["url"])
    await to_waiting(client, room["join"]["client"]["url"])
    await expect(pro.page.locator("h1")).to_have_text(f"{CLIENT_NAME} is ready and waiting")

    await focus_by_tab(pro.page, "Decline")
    await screenshot(pro.page, "deny-focused")
    await pro.page.keyboard.press("Enter")
    dialog = pro.page.get_by_role("dialog")
    await expect(dialog).to_contain_text(f"Decline {CLIENT_NAME}?")
    # It shows what the client will read.
    await expect(dialog).to_contain_text("This session won’t go ahead")
    await expect(dialog).to_contain_text("No credit was used")
    # The safe choice has the focus; Shift+Tab reaches the confirmation.
    await expect(dialog.get_by_role("button", name="Not now")).to_be_focused()
    await pro.page.keyboard.press("Shift+Tab")
    await expect(dialog.get_by_role("button", name="Decline")).to_be_focused()
    await pro.page.keyboard.press("Enter")

    await expect(client.page.locator("h1")).to_have_text("This session won’t go ahead")
    await expect(client.page.locator("main")).to_contain_text(
        "Dr. Alex Rivera wasn’t able to see you in this session."
    )
    await screenshot(client.page, "denied")
    await expect(pro.page.locator("h1")).not_to_have_text(f"{CLIENT_NAME} is ready and waiting")


async def test_other_browsers_get_a_friendly_banner(
    booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.hub_room(remaining=2)
    client = await people("client", user_agent=FIREFOX, init_script=NO_CLIENT_HINTS)
    await client.page.goto(room["join"]["client"]["url"])
    banner = client.page.locator(".banner-browser")
    await expect(banner).to_contain_text("For the best experience, use Google Chrome.")
    await expect(banner).to_contain_text("You are using Firefox.")
    row = client.page.locator(".check", has_text="Browser")
    await expect(row).to_have_attribute("data-state", "warn")
    await screenshot(client.page, "device-check-firefox")


async def test_a_dropped_tab_and_a_leave_both_come_back(
    booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.open_room()
    pro = await people("professional")
    client = await people("client")
    await to_waiting(pro, room["join"]["professional"]["url"])
    await to_waiting(client, room["join"]["client"]["url"])
    await pro.page.get_by_role("button", name=f"Admit {CLIENT_NAME}").click()
    for person in (pro, client):
        await person.page.locator('[data-remote="playing"]').wait_for(timeout=15_000)

    await client.page.close()
    banner = pro.page.locator(".call-banner")
    await expect(banner).to_contain_text(re.compile(f"Reconnecting.*{CLIENT_NAME}.s connection"))
    await screenshot(pro.page, "reconnecting")

    page = await client.context.new_page()
    await page.goto(room["join"]["client"]["url"])
    await page.locator('[data-remote="playing"]').wait_for(timeout=15_000)
    await expect(banner).to_be_hidden(timeout=15_000)
    await pro.page.locator('[data-remote="playing"]').wait_for(timeout=15_000)
    for p in (pro.page, page):
        await video_plays(p)
    await screenshot(page, "client-back")

    # Leaving is not the end: the client can rejoin while the session is open.
    await page.get_by_role("button", name="Leave").click()
    await expect(page.locator("h1")).to_have_text("You left the call")
    await expect(pro.page.locator(".remote-placeholder")).to_contain_text("left the call")
    await screenshot(page, "client-left")
    await screenshot(pro.page, "professional-after-client-left")
    await page.get_by_role("button", name="Rejoin the call").click()
    await page.locator('[data-remote="playing"]').wait_for(timeout=15_000)
    await pro.page.locator('[data-remote="playing"]').wait_for(timeout=15_000)
    for p in (pro.page, page):
        await video_plays(p)


async def test_a_session_ended_at_once_is_not_counted(
    booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.hub_room(remaining=2)
    pro = await people("professional")
    client = await people("client")
    await to_waiting(pro, room["join"]["professional"]["url"])
    await to_waiting(client, room["join"]["client"]["url"])
    await pro.page.get_by_role("button", name=f"Admit {CLIENT_NAME}").click()
    await pro.page.locator('[data-screen="call"]').wait_for()
    await pro.page.get_by_role("button", name="End session").click()
    await pro.page.get_by_role("dialog").get_by_role("button", name="End session").click()

    for person in (pro, client):
        await expect(person.page.locator("h1")).to_have_text("This session was not counted")
        await expect(person.page.locator("[data-testid=reason]")).not_to_be_empty()
        await screenshot(person.page, f"{person.role}-not-counted")
    await expect(pro.page.locator("main")).to_contain_text("nothing to invoice")
    await expect(client.page.locator("main")).to_contain_text("No credit was used")
    status, credits = await booking.call(
        "GET", f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits"
    )
    assert status == 200 and credits["credits_remaining"] == 2, credits
