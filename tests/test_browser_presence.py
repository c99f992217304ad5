"""The waiting room as a therapist and a client live it, in real Chromium: honest presence
(checking devices vs ready, with a dot and words), a client admitted while still checking who
joins the moment they continue, the arrival noticed (chime, title, desktop notification, a
remembered mute), the phone layout; every screen read by axe-core and for its typography."""

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
from tests.support.axe import assert_accessible
from tests.support.browser import PeopleFactory, Person, Screenshot
from tests.support.servers import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

CLIENT = "Sam Jordan"
PRO = "Dr. Alex Rivera"

# Notifications as the page creates them, and a professional whose window is in the background.
RECORD_NOTIFICATIONS = """
(() => {
  window.__notifications = [];
  const Real = window.Notification;
  class Recorded extends Real {
    constructor(title, options) { super(title, options); window.__notifications.push(title); }
  }
  Object.defineProperty(window, "Notification", {value: Recorded});
  document.hasFocus = () => false;
})();
"""


@pytest_asyncio.fixture(loop_scope="session")
async def server(service_factory: ServiceFactory) -> ServiceProcess:
    return await service_factory()


@pytest_asyncio.fixture(loop_scope="session")
async def booking(server: ServiceProcess) -> AsyncIterator[Booking]:
    async with aiohttp.ClientSession() as http:
        yield Booking(server.url, http)


async def look(page: Page, screenshot: Screenshot, step: str) -> None:
    """What a person sees on this screen: saved, accessible, and typeset (no straight
    apostrophes in any text on it)."""
    await screenshot(page, step)
    await assert_accessible(page)
    text = await page.locator("body").inner_text()
    assert "'" not in text, text


async def continue_to_waiting(person: Person) -> None:
    await person.page.get_by_role("button", name=re.compile("^Continue to")).click()
    await person.page.locator('[data-screen="waiting"]').wait_for()


async def test_presence_is_honest_and_an_early_admit_waits_for_the_check(
    booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.hub_room(remaining=2)
    pro = await people("professional")
    client = await people("client")
    await pro.page.goto(room["join"]["professional"]["url"])
    await pro.page.locator('[data-screen="devicecheck"]').wait_for()
    # the primary action of the device check has the focus
    await expect(
        pro.page.get_by_role("button", name="Continue to your waiting room")
    ).to_be_focused()
    await look(pro.page, screenshot, "professional-device-check")
    await continue_to_waiting(pro)
    title = pro.page.locator("h1")
    badge = pro.page.locator("[data-testid=presence]")
    await expect(title).to_have_text(f"Waiting for {CLIENT} to arrive")
    await expect(badge).to_have_attribute("data-state", "absent")
    await expect(badge).to_have_text("Not here yet")
    await look(pro.page, screenshot, "professional-waiting-absent")

    # The client opens the link: on the device check, they are not ready yet.
    await client.page.goto(room["join"]["client"]["url"])
    await client.page.locator('[data-screen="devicecheck"]').wait_for()
    await expect(title).to_have_text(f"{CLIENT} is checking camera and microphone")
    await expect(badge).to_have_attribute("data-state", "checking")
    await expect(badge).to_have_text("Checking devices")
    await expect(pro.page.locator("#status")).to_contain_text("is checking camera and microphone")
    await expect(pro.page.locator("main")).to_contain_text(
        "they’ll join as soon as they’ve finished"
    )
    await look(pro.page, screenshot, "professional-waiting-checking")

    # Admitting now does not pull the client out of the check: they are let in when they continue.
    await pro.page.get_by_role("button", name=f"Admit {CLIENT}").click()
    await expect(title).to_have_text(f"{CLIENT} will join as soon as they’ve finished their check")
    await expect(badge).to_have_attribute("data-state", "pending")
    await expect(pro.page.locator('[data-screen="waiting"]')).to_be_visible()
    await look(pro.page, screenshot, "professional-waiting-pending")
    let_in = client.page.locator("[data-testid=let-in]")
    await expect(let_in).to_contain_text(f"{PRO} is ready to let you in")
    await expect(client.page.locator('[data-screen="devicecheck"]')).to_be_visible()
    join = client.page.get_by_role("button", name="Join the session")
    await expect(join).to_be_visible()
    await look(client.page, screenshot, "client-device-check-let-in")

    await join.click()
    for person in (pro, client):
        await person.page.locator('[data-screen="call"][data-remote="playing"]').wait_for(
            timeout=20_000
        )
    assert not pro.errors and not client.errors, (pro.errors, client.errors)


async def test_a_ready_client_is_noticed_from_another_tab(
    booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.hub_room(remaining=2)
    pro = await people(
        "professional", permissions=("notifications",), init_script=RECORD_NOTIFICATIONS
    )
    client = await people("client")
    await pro.page.goto(room["join"]["professional"]["url"])
    await continue_to_waiting(pro)
    page = pro.page
    # the permission is asked only when the professional chooses to
    assert await page.evaluate("() => window.__notifications.length") == 0
    ask = page.get_by_role("button", name="Notify me on my desktop")
    if await ask.count():
        await ask.click()
    await expect(page.locator("[data-testid=notify-state]")).to_have_text(
        "Desktop notifications are on."
    )
    chime = page.locator("[data-testid=chime]")
    await expect(chime).to_have_text("Chime on")
    await expect(chime).to_have_attribute("aria-pressed", "true")
    base_title = await page.title()

    await client.page.goto(room["join"]["client"]["url"])
    await continue_to_waiting(client)
    await expect(page).to_have_title("● Sam is waiting")
    await expect(page.locator("body")).to_have_attribute("data-chimes", "1")
    notes = await page.evaluate("() => window.__notifications")
    assert notes == ["Sam is ready and waiting"], notes
    await expect(page.locator("#status")).to_contain_text(f"{CLIENT} is ready and waiting.")
    await look(page, screenshot, "professional-waiting-ready")
    # the client reads that the professional is there and ready
    await expect(client.page.locator("main")).to_contain_text(
        f"{PRO} knows you’re here and will let you in shortly."
    )
    await expect(client.page.locator("main")).to_contain_text(
        "If you leave, your professional will see"
    )
    await look(client.page, screenshot, "client-waiting")

    # A muted chime stays muted in this browser, across a reload.
    await chime.click()
    await expect(chime).to_have_text("Chime off")
    await expect(chime).to_have_attribute("aria-pressed", "false")
    await page.reload()
    await page.locator('[data-screen="waiting"]').wait_for()
    await expect(page.locator("[data-testid=chime]")).to_have_text("Chime off")
    await expect(page.locator("body")).to_have_attribute("data-chime", "off")
    await expect(page).to_have_title("● Sam is waiting")
    await expect(page.locator("body")).not_to_have_attribute("data-chimes", re.compile("."))

    # Admitted: the title is the page's own again.
    await page.get_by_role("button", name=f"Admit {CLIENT}").click()
    await page.locator('[data-screen="call"]').wait_for()
    await expect(page).to_have_title(base_title)


async def test_the_phone_layout_keeps_the_privacy_line_and_centres_the_preview(
    booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.hub_room(remaining=2)
    client = await people("client", viewport=PHONE)
    await client.page.goto(room["join"]["client"]["url"])
    await look(client.page, screenshot, "phone-device-check")
    await continue_to_waiting(client)
    page = client.page
    privacy = page.get_by_text("Private and secure · nothing is recorded")
    await expect(privacy).to_be_visible()
    frame = await page.locator(".waiting-foot .self-frame").bounding_box()
    card = await page.locator(".waiting-card").bounding_box()
    assert frame is not None and card is not None
    centre, middle = frame["x"] + frame["width"] / 2, card["x"] + card["width"] / 2
    assert abs(centre - middle) <= 2, (frame, card)
    assert frame["width"] >= 200, frame
    await look(page, screenshot, "phone-waiting")

    # Leaving says what it did and how to come back.
    await page.get_by_role("button", name="Leave the waiting room").click()
    await expect(page.locator("h1")).to_have_text("You left the waiting room")
    await expect(page.locator("main")).to_contain_text("Your professional no longer sees you")
    await expect(page.get_by_role("button", name="Return to the waiting room")).to_be_focused()
    await look(page, screenshot, "phone-left")
