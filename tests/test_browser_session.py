"""Whole sessions in real Chromium: a professional and a client, each in their own browser
context with a fake camera and microphone, from the device check through the waiting room (with a
live funding change made over the HTTP API) and the call (video both ways, a reload mid-call) to
the summary, for each funding case."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

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

HUB = "hub-acme"
COMPANY = "Acme Corp"
CLIENT_NAME = "Sam Jordan"
PRO_NAME = "Dr. Alex Rivera"


@pytest_asyncio.fixture(loop_scope="session")
async def server(service_factory: ServiceFactory) -> ServiceProcess:
    return await service_factory(SESSIONSVC_RECONNECT_GRACE="20")


@pytest_asyncio.fixture(loop_scope="session")
async def booking(server: ServiceProcess) -> AsyncIterator[Booking]:
    async with aiohttp.ClientSession() as http:
        yield Booking(server.url, http)


@dataclass
class Case:
    """One funding case: the ledger before, the change made while waiting, and what each side
    must read before and after it, then in the summary."""

    name: str
    hub: bool = True
    ledger: dict[str, Any] = field(default_factory=dict)
    change: dict[str, Any] | None = None
    change_method: str = "PATCH"
    client_before: list[str] = field(default_factory=list)
    pro_before: list[str] = field(default_factory=list)
    client_after: list[str] = field(default_factory=list)
    pro_after: list[str] = field(default_factory=list)
    override: bool = False
    reloader: str = "client"
    client_phone: bool = False
    pro_summary: list[str] = field(default_factory=list)
    client_summary: list[str] = field(default_factory=list)
    payment_type: str = ""


CASES = [
    Case(
        name="credit",
        ledger={"remaining": 4, "card": False, "invoice_to": "company"},
        change={"credits_remaining": 3},
        client_before=[
            "This session uses 1 of your 4 employer-paid sessions remaining from Acme Corp."
        ],
        pro_before=[
            "Client has a company credit available",
            f"Invoice {COMPANY} directly for this session.",
            f"you might check with them that they work for {COMPANY}.",
        ],
        client_after=["This session uses 1 of your 3 employer-paid sessions remaining"],
        pro_after=[
            "Client has a company credit available",
            "This session uses 1 of the client’s 3 employer-paid sessions remaining.",
        ],
        reloader="client",
        payment_type="Credit",
        pro_summary=[f"{COMPANY}, directly"],
        client_summary=["You have 2 employer-paid sessions left."],
    ),
    Case(
        name="last-subsidised",
        ledger={"remaining": 0, "card": False, "invoice_to": "platform"},
        change={
            "credits_total": 6,
            "credits_remaining": 1,
            "card_on_file": False,
            "invoice_to": "platform",
        },
        change_method="PUT",
        client_before=["Add a payment card to continue"],
        pro_before=["make sure the client adds a card"],
        client_after=[
            "This session uses your last employer-paid session",
            "This is your last session covered by your employer.",
        ],
        pro_after=[
            "Client has a company credit available",
            "This is the client’s last subsidised session.",
            "month-end invoice to the platform",
        ],
        reloader="professional",
        payment_type="Credit",
        pro_summary=["The platform, in your month-end invoice"],
        client_summary=["This session used your last credit from your employer."],
    ),
    Case(
        name="card",
        ledger={"remaining": 0, "card": False, "invoice_to": "company"},
        change={"card_on_file": True},
        client_before=["Add a payment card to continue"],
        pro_before=["No company credits and no card on file — make sure the client adds a card."],
        client_after=["Your company credits are used up; your card on file will be charged"],
        pro_after=["No company credits left — client pays by card on file"],
        reloader="client",
        client_phone=True,
        payment_type="Card",
        client_summary=["your card on file will be charged"],
    ),
    Case(
        name="card-required-override",
        ledger={"remaining": 0, "card": False, "invoice_to": "company"},
        client_before=["Add a payment card to continue"],
        pro_before=["No company credits and no card on file — make sure the client adds a card."],
        override=True,
        reloader="professional",
        payment_type="Self-pay",
        client_summary=["Payment is arranged directly with your professional."],
    ),
    Case(
        name="self-pay",
        hub=False,
        pro_before=["Own client — arrange payment yourself"],
        reloader="client",
        payment_type="Self-pay",
        client_summary=["Payment is arranged directly with your professional."],
    ),
]


async def see(page: Page, texts: list[str]) -> None:
    for text in texts:
        await expect(page.locator("main")).to_contain_text(text, timeout=10_000)


async def device_check(person: Person, shot: Screenshot) -> None:
    page = person.page
    await page.locator('[data-screen="devicecheck"]').wait_for()
    await page.wait_for_function(
        "() => { const v = document.querySelector('.preview-video');"
        " return v && v.readyState >= 2 && v.videoWidth > 0; }"
    )
    for label in ("Browser", "Camera", "Microphone"):
        row = page.locator(".check", has_text=label)
        await expect(row).to_have_attribute("data-state", "ok", timeout=10_000)
    # the connection test runs against the service for about ten seconds and its grade measures
    # the machine (a starved one reads fair or poor: a true answer); the grade on loopback is
    # asserted by tests/test_browser_connection_test.py. Here the step must finish with a report.
    connection = page.locator(".check", has_text="Connection")
    await expect(connection).to_have_attribute(
        "data-state", re.compile(r"^(ok|warn|bad)$"), timeout=30_000
    )
    await expect(connection).to_contain_text("Test ID")
    mic = page.locator(".check", has_text="Microphone")
    await expect(mic).to_contain_text("we can hear you", timeout=15_000)
    await shot(page, f"{person.role}-1-device-check")
    await page.get_by_role("button", name=re.compile("^Continue to")).click()
    await page.locator('[data-screen="waiting"]').wait_for()


async def wait_held(booking: Booking, room_id: str, seconds: float) -> None:
    for _ in range(200):
        status, room = await booking.call("GET", f"/v1/rooms/{room_id}")
        assert status == 200
        if room["held_seconds"] >= seconds:
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"the session was never held for {seconds}s: {room}")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_whole_session(
    case: Case, booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    await whole_session(case, booking, people, screenshot)


async def whole_session(
    case: Case, booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    """One whole session of ``case`` against the service ``booking`` talks to."""
    if case.hub:
        room = await booking.hub_room(
            remaining=case.ledger["remaining"],
            card=case.ledger["card"],
            invoice_to=case.ledger["invoice_to"],
            hub_id=HUB,
            payment_url="https://pay.example.test/card",
        )
    else:
        room = await booking.open_room()
    room_id = room["room_id"]
    client_id = room["client"]["id"]
    pro = await people("professional")
    client = await people("client", viewport=PHONE if case.client_phone else None)

    # Device check, then each one's waiting screen.
    await pro.page.goto(room["join"]["professional"]["url"])
    await device_check(pro, screenshot)
    await see(pro.page, [f"Waiting for {CLIENT_NAME} to arrive"])
    await client.page.goto(room["join"]["client"]["url"])
    await device_check(client, screenshot)
    await see(client.page, [f"Waiting for {PRO_NAME} to let you in"])
    await see(pro.page, [f"{CLIENT_NAME} is ready and waiting"])

    # The professional leaves a note; the client reads it.
    await pro.page.get_by_label("Note to the waiting room").fill("Running 5 minutes late")
    await pro.page.get_by_role("button", name="Send note").click()
    await see(client.page, [f"Note from {PRO_NAME}", "Running 5 minutes late"])

    # What each side reads about funding before the change.
    await see(client.page, case.client_before)
    await see(pro.page, case.pro_before)
    if not case.hub:
        await expect(client.page.locator("[data-testid=funding]")).to_have_count(0)
        await expect(client.page.locator("main")).not_to_contain_text("credit")
    if "Add a payment card to continue" in case.client_before:
        link = client.page.get_by_role("link", name="Add a payment card")
        await expect(link).to_have_attribute("href", "https://pay.example.test/card")
    await screenshot(client.page, "client-2-waiting")
    await screenshot(pro.page, "professional-2-waiting")

    # A live funding change through the API while both wait.
    if case.change is not None:
        status, body = await booking.call(
            case.change_method, f"/v1/hubs/{HUB}/members/{client_id}/credits", case.change
        )
        assert status == 200, body
        await see(client.page, case.client_after)
        await see(pro.page, case.pro_after)
        await screenshot(client.page, "client-3-waiting-after-change")
        await screenshot(pro.page, "professional-3-waiting-after-change")

    # Admit; with no credits and no card the server refuses until the professional overrides.
    await pro.page.get_by_role("button", name=f"Admit {CLIENT_NAME}").click()
    if case.override:
        dialog = pro.page.get_by_role("dialog")
        await expect(dialog).to_contain_text("Admit without a payment card?")
        await screenshot(pro.page, "professional-3-override")
        await expect(client.page.locator('[data-screen="waiting"]')).to_be_visible()
        await dialog.get_by_role("button", name="Admit anyway").click()

    # Both see the other's video playing.
    for person in (pro, client):
        await person.page.locator('[data-screen="call"][data-remote="playing"]').wait_for(
            timeout=15_000
        )
        await video_plays(person.page)
    await screenshot(pro.page, "professional-4-call")
    await screenshot(client.page, "client-4-call")

    # Mute and camera are toggle buttons; the quality indicators come from the service.
    call = client.page.locator('[data-screen="call"]')
    await client.page.get_by_role("button", name="Mute").click()
    unmute = client.page.get_by_role("button", name="Unmute")
    await expect(unmute).to_have_attribute("aria-pressed", "true")
    await client.page.get_by_role("button", name="Camera off").click()
    await expect(call).to_have_attribute("data-camera", "off")
    await screenshot(client.page, "client-4-muted-camera-off")
    await unmute.click()
    await client.page.get_by_role("button", name="Camera on").click()
    await expect(call).to_have_attribute("data-camera", "on")
    await expect(pro.page.locator('.quality[data-side="you"]')).to_have_attribute(
        "data-quality", re.compile("good|fair|poor"), timeout=10_000
    )

    # A reload mid-call resumes the call without a new admit.
    reloader = client if case.reloader == "client" else pro
    other = pro if reloader is client else client
    await reloader.page.reload()
    try:
        await reloader.page.locator('[data-screen="call"][data-remote="playing"]').wait_for(
            timeout=15_000
        )
    except Exception:
        print("RELOADER", reloader.console, "OTHER", other.console)
        raise
    for person in (reloader, other):
        await expect(person.page.locator('[data-screen="call"] .call-banner')).to_be_hidden(
            timeout=15_000
        )
        await video_plays(person.page)
    await screenshot(reloader.page, f"{reloader.role}-5-after-reload")

    # Held long enough to count, then the professional ends it (after confirming).
    await wait_held(booking, room_id, 3.0)
    await pro.page.get_by_role("button", name="End session").click()
    dialog = pro.page.get_by_role("dialog")
    await expect(dialog).to_contain_text("End the session for both of you?")
    await screenshot(pro.page, "professional-6-end-confirm")
    await dialog.get_by_role("button", name="End session").click()

    for person in (pro, client):
        await person.page.locator('[data-screen="summary"]').wait_for(timeout=10_000)
    status, summary = await booking.call("GET", f"/v1/rooms/{room_id}/summary")
    assert status == 200, summary
    assert summary["outcome"]["phase"] == "completed", summary
    payment_type = summary["outcome"]["payment"]["payment_type"]
    if case.payment_type:
        assert payment_type == case.payment_type, summary
    await expect(pro.page.locator("[data-testid=payment-type]")).to_have_text(payment_type)
    await see(pro.page, ["Session complete", *case.pro_summary])
    await see(client.page, ["Thank you for your session", *case.client_summary])
    await screenshot(pro.page, "professional-7-summary")
    await screenshot(client.page, "client-7-summary")

    for person in (pro, client):
        assert not person.errors, person.errors
        assert not person.said(CLIENT_NAME), "the client's name went to the console"
        assert not [line for line in person.console if "Content Security Policy" in line]
