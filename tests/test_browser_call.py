"""The call and what comes after, in real Chromium: the elapsed time and the scheduled end, a
quiet note until the session counts (from the server's own figures), the funding folded away for
the professional, an End dialog that warns when the session would not count, a summary to
invoice from (copied to the clipboard), a finished link that shows what happened, and bad links
that point to the configured support contact. Every screen is read by axe-core."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping

import aiohttp
import pytest
from playwright.async_api import WebSocketRoute, expect

from testkit.booking import Booking
from testkit.chromium import PHONE
from tests.support.browser import PeopleFactory, Person, Screenshot
from tests.support.servers import ServiceFactory
from tests.test_browser_presence import continue_to_waiting, look
from tests.test_browser_session import wait_held

# two calls' worth of video on a shared machine, and axe-core reading every screen
pytestmark = [
    pytest.mark.browser,
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.timeout(300),
]

CLIENT = "Sam Jordan"
SOCKET_IO = re.compile(r"/socket\.io/")
SocketRoute = Callable[[WebSocketRoute], Awaitable[None]]
SUPPORT = "help@sessions.example"


async def in_call(
    room: dict[str, str | dict[str, dict[str, str]]],
    people: PeopleFactory,
    routes: Mapping[str, SocketRoute] | None = None,
) -> tuple[Person, Person]:
    """Both people through the device check and the waiting room, admitted, both videos playing.
    ``routes`` (by role) route that page's Socket.IO WebSocket through a handler."""
    join = room["join"]
    assert isinstance(join, dict)
    pro = await people("professional", permissions=("clipboard-read", "clipboard-write"))
    client = await people("client")
    for person in (pro, client):
        if routes and person.role in routes:
            await person.page.route_web_socket(SOCKET_IO, routes[person.role])
    await pro.page.goto(join["professional"]["url"])
    await continue_to_waiting(pro)
    await client.page.goto(join["client"]["url"])
    await continue_to_waiting(client)
    await pro.page.get_by_role("button", name=f"Admit {CLIENT}").click()
    for person in (pro, client):
        await person.page.locator('[data-screen="call"][data-remote="playing"]').wait_for(
            timeout=20_000
        )
    return pro, client


async def test_ending_too_early_is_warned_and_the_finished_link_says_why(
    service_factory: ServiceFactory, people: PeopleFactory, screenshot: Screenshot
) -> None:
    server = await service_factory(SESSIONSVC_MIN_HELD_SECONDS="600")
    async with aiohttp.ClientSession() as http:
        booking = Booking(server.url, http)
        room = await booking.hub_room(remaining=2)
        pro, client = await in_call(room, people)
        page = pro.page
        # time in session, the scheduled end and the quiet note, from the server's figures
        await expect(page.locator("[data-testid=elapsed]")).to_have_text(re.compile(r"^\d+:\d\d$"))
        await expect(page.locator("[data-testid=ends-at]")).to_have_text(re.compile(r"^ends \d"))
        note = page.locator("[data-testid=held-note]")
        await expect(note).to_have_text(re.compile("counts once you have talked for 10 minutes"))
        await expect(client.page.locator("[data-testid=held-note]")).to_be_visible()
        # the mute button (the call's primary action) has the focus
        await expect(page.get_by_role("button", name="Mute")).to_be_focused()
        # the professional can unfold the funding and the hub
        funding = page.locator("[data-testid=call-funding]")
        await expect(funding.locator(".funding-headline")).to_be_hidden()
        await funding.locator("summary").click()
        await expect(funding).to_contain_text("Client has a company credit available")
        await expect(funding).to_contain_text("Acme Corp")
        await look(page, screenshot, "professional-call-funding-open")
        await look(client.page, screenshot, "client-call")

        # media has gone both ways for a while: what keeps it from counting is its length alone
        await wait_held(booking, room["room_id"], 1.0)
        await page.get_by_role("button", name="End session").click()
        dialog = page.get_by_role("dialog")
        warning = dialog.locator("[data-testid=dialog-warning]")
        await expect(warning).to_contain_text(
            re.compile(r"This session will not be counted: it has lasted (1 second|\d+ seconds),")
        )
        await look(page, screenshot, "professional-end-warning")
        await dialog.get_by_role("button", name="End session").click()

        for person in (pro, client):
            await expect(person.page.locator("h1")).to_have_text("This session was not counted")
            await look(person.page, screenshot, f"{person.role}-not-counted")
        await expect(page.locator("[data-testid=booking]")).to_have_text(room["booking_id"])
        await expect(page.locator("main")).to_contain_text("What to do next")
        await expect(page.get_by_role("link", name=SUPPORT)).to_have_count(0)  # none configured

        # Reopening the link shows what actually happened, and why.
        again = await client.context.new_page()
        await again.goto(room["join"]["client"]["url"])
        await expect(again.locator("h1")).to_have_text("This session was not counted")
        await expect(again.locator("[data-testid=reopened]")).to_have_text(
            "This session has finished, so its link no longer opens it."
        )
        await expect(again.locator("[data-testid=reason]")).to_have_text(
            "The call was too short to count."
        )
        await look(again, screenshot, "client-reopened")


async def test_the_summary_is_something_to_invoice_from(
    service_factory: ServiceFactory, people: PeopleFactory, screenshot: Screenshot
) -> None:
    server = await service_factory()
    async with aiohttp.ClientSession() as http:
        booking = Booking(server.url, http)
        room = await booking.hub_room(remaining=2, invoice_to="company")
        pro, client = await in_call(room, people)
        page = pro.page
        # the session counts after the server's two seconds: the note gives way, and says so
        await expect(page.locator("[data-testid=held-note]")).to_be_hidden(timeout=20_000)
        await expect(page.locator('[data-screen="call"]')).to_have_attribute("data-held", "true")
        await page.get_by_role("button", name="End session").click()
        dialog = page.get_by_role("dialog")
        await expect(dialog.locator("[data-testid=dialog-warning]")).to_have_count(0)
        await dialog.get_by_role("button", name="End session").click()

        await expect(page.locator("h1")).to_have_text("Session complete")
        facts = {
            key: page.locator(f"[data-testid={key}]")
            for key in ("date", "time", "length", "booking", "payment-type", "invoice-to")
        }
        for locator in facts.values():
            await expect(locator).not_to_be_empty()
        await expect(facts["time"]).to_have_text(re.compile(r"\d.* – \d"))
        await expect(facts["booking"]).to_have_text(room["booking_id"])
        await expect(facts["payment-type"]).to_have_text("Credit")
        await expect(facts["invoice-to"]).to_have_text("Acme Corp, directly")
        await expect(page.locator("main")).to_contain_text("Send Acme Corp an invoice")
        await expect(page.locator("main")).not_to_contain_text("You can close this window")
        copy = page.get_by_role("button", name="Copy these details")
        await expect(copy).to_be_focused()
        await copy.click()
        await expect(page.locator(".copy-status")).to_have_text(re.compile("^Copied"))
        copied = await page.evaluate("() => navigator.clipboard.readText()")
        assert f"Booking reference: {room['booking_id']}" in copied, copied
        assert "Payment type: Credit" in copied and "Invoice: Acme Corp, directly" in copied
        assert CLIENT not in copied
        await look(page, screenshot, "professional-summary")
        await expect(client.page.locator("main")).to_contain_text(
            "You have 1 employer-paid session left."
        )
        await look(client.page, screenshot, "client-summary")

        again = await pro.context.new_page()
        await again.goto(room["join"]["professional"]["url"])
        await expect(again.locator("h1")).to_have_text("Session complete")
        await expect(again.locator("[data-testid=invoice-to]")).to_have_text("Acme Corp, directly")
        await look(again, screenshot, "professional-reopened")
        for person in (pro, client):
            assert not person.errors, person.errors


@pytest.mark.parametrize(
    ("case", "title"),
    [("missing", "This link is incomplete"), ("garbled", "This link doesn’t work")],
)
async def test_bad_links_point_to_the_support_contact(
    service_factory: ServiceFactory,
    people: PeopleFactory,
    screenshot: Screenshot,
    case: str,
    title: str,
) -> None:
    server = await service_factory(SESSIONSVC_SUPPORT_CONTACT=SUPPORT)
    client = await people("client", viewport=PHONE)
    query = "" if case == "missing" else "?token=eyJhbGciOi.garbled"
    await client.page.goto(f"{server.url}/join{query}")
    await expect(client.page.locator("h1")).to_have_text(title)
    link = client.page.get_by_role("link", name=SUPPORT)
    await expect(link).to_have_attribute("href", f"mailto:{SUPPORT}")
    await expect(client.page.locator("#status")).to_have_text(title)
    await look(client.page, screenshot, case)
