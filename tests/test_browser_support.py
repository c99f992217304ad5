"""The support dashboard in real Chromium, driven by a support token, against a real service in
which two synthetic participants (aiortc) hold a session: their stats appear live, the room's
detail charts both sides, the session moves to the past when it ends, a test report is looked
up by the id a person reads out, and a participant's token does not sign in. Every support
response, page, pushed message and the service's log are searched for the people's names, ids
and addresses."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Page, Response, WebSocket, expect

from sessionsvc.media.clip import encode_clip
from sessionsvc.rooms.model import NotHeldReason
from sessionsvc.signaling.texts import REASONS
from sessionsvc.synthetic.connection_test import ConnectionTestClient
from sessionsvc.synthetic.participant import SyntheticParticipant
from sessionsvc.tokens import TokenService
from testkit.booking import Booking
from testkit.service import ServiceProcess
from testkit.settings import BOOKING_SECRET, JOIN_SECRET
from tests.support.browser import PeopleFactory, Screenshot
from tests.support.servers import ServiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

STAFF = "support:kim.staff"
CLIENT_ID = "sam.jordan@example.com"
PRO_ID = "alex.rivera@clinic.example"
SECRETS = ("Sam Jordan", "Dr. Alex Rivera", "Jordan", "Rivera", CLIENT_ID, PRO_ID, "example")


@pytest_asyncio.fixture(loop_scope="session")
async def server(service_factory: ServiceFactory) -> ServiceProcess:
    return await service_factory(
        SESSIONSVC_LOG_LEVEL="INFO",
        SESSIONSVC_MIN_HELD_SECONDS="2",
        SESSIONSVC_DIAGNOSTICS_DURATION="3",
    )


@pytest_asyncio.fixture(loop_scope="session")
async def booking(server: ServiceProcess) -> AsyncIterator[Booking]:
    async with aiohttp.ClientSession() as http:
        yield Booking(server.url, http)


class Seen:
    """Everything the support page was sent: API bodies, Socket.IO frames, page HTML."""

    def __init__(self, page: Page) -> None:
        self.texts: list[str] = []
        self._pending: list[Response] = []
        page.on("response", self._response)
        page.on("websocket", self._socket)

    def _response(self, response: Response) -> None:
        if "/v1/support/" in response.url:
            self._pending.append(response)

    def _socket(self, ws: WebSocket) -> None:
        ws.on("framereceived", lambda frame: self.texts.append(str(frame)))

    async def collect(self, page: Page) -> str:
        for r in self._pending:
            with contextlib.suppress(Exception):  # a download the page already consumed
                self.texts.append(await r.text())
        self._pending.clear()
        self.texts.append(await page.content())
        return "\n".join(self.texts)


def no_one_in(text: str, where: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} in {where}"
    assert not re.search(r"\b127\.0\.0\.1\b|\b10\.\d+\.\d+\.\d+\b", text), where


async def test_the_support_dashboard_with_a_live_session(
    server: ServiceProcess, booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.hub_room(client_id=CLIENT_ID, professional_id=PRO_ID)
    rid = room["room_id"]
    pro = SyntheticParticipant(
        server.url, room["join"]["professional"]["token"], stats_interval=1.0
    )
    client = SyntheticParticipant(server.url, room["join"]["client"]["token"], stats_interval=1.0)
    token = TokenService(BOOKING_SECRET, JOIN_SECRET).mint_support(STAFF, 3600)
    staff = await people("support")
    page = staff.page
    seen = Seen(page)
    try:
        await pro.connect()
        await client.connect()
        for p in (pro, client):
            assert (await p.device())["ok"]
        assert (await pro.admit())["ok"]
        await pro.wait_frames(10, timeout=20)
        await client.wait_frames(10, timeout=20)

        # the live rooms: the session, its durations running, both grades as they come
        await page.goto(f"{server.url}/support#token={token}")
        assert "token=" not in page.url  # the token left the address bar
        row = page.locator(f'tr[data-room="{rid}"]')
        await expect(row).to_contain_text("In session", timeout=15_000)
        # graded as they come (good on a quiet machine; this one is shared, so any grade)
        graded = row.locator('.grade:not([data-grade="none"])')
        await expect(graded).to_have_count(2, timeout=20_000)
        await expect(row).to_contain_text("Acme Corp")
        await screenshot(page, "1-live-rooms")

        # its detail: both sides' devices and routes, four charts, samples arriving live
        await row.get_by_role("link").click()
        detail = page.locator('[data-view="room"]')
        await expect(detail.locator(".side")).to_have_count(2)
        await expect(detail.locator("figure.chart canvas")).to_have_count(4)
        await expect(detail.locator('.side[data-role="client"]')).to_contain_text("aiortc")
        await expect(detail.locator('.side[data-role="client"]')).to_contain_text("host → host")
        await page.wait_for_function(
            "() => Number(document.querySelector('[data-view=room]').dataset.samples || 0) >= 6",
            timeout=20_000,
        )
        first = int(await detail.get_attribute("data-samples") or 0)
        await page.wait_for_function(
            f"() => Number(document.querySelector('[data-view=room]').dataset.samples) > {first}",
            timeout=10_000,
        )
        await expect(detail.locator(".timeline")).to_contain_text("Device check: aiortc")
        await screenshot(page, "2-room-live")

        # the professional ends it: it leaves the live list and is found among past sessions
        assert (await pro.end())["ok"]
        await page.get_by_role("link", name="Live rooms", exact=True).click()
        await expect(page.locator(f'tr[data-room="{rid}"]')).to_have_count(0, timeout=10_000)
        await expect(page.locator('[data-view="live"]')).to_contain_text("No one is in a room")
        await screenshot(page, "3-live-empty")
        await page.get_by_role("link", name="Past sessions").click()
        past = page.locator(f'[data-view="past"] tr[data-room="{rid}"]')
        await expect(past).to_contain_text("Completed", timeout=10_000)
        await screenshot(page, "4-past-sessions")
        outcome = page.locator('[data-view="past"] select[name="outcome"]')
        # the not-held reasons read as the service words them everywhere else
        await expect(outcome.locator('option[value="client_no_show"]')).to_have_text(
            f"Not held: {REASONS[NotHeldReason.CLIENT_NO_SHOW]}"
        )
        await page.locator('[data-view="past"] select[name="outcome"]').select_option("not_held")
        await page.get_by_role("button", name="Search").click()
        await expect(past).to_have_count(0)
        await page.locator('[data-view="past"] select[name="outcome"]').select_option("completed")
        await page.get_by_role("button", name="Search").click()
        await expect(past).to_have_count(1)
        await past.get_by_role("link").click()
        await expect(page.locator('[data-view="room"] .kv').first).to_contain_text("completed")
        async with page.expect_download() as download:
            await page.get_by_role("button", name="Export JSON").click()
        exported = json.loads((await (await download.value).path()).read_text())
        assert (
            exported["format"] == "sessionsvc.room-export/1" and exported["room"]["room_id"] == rid
        )
        no_one_in(json.dumps(exported), "the export")
        await screenshot(page, "5-room-ended")

        # a connection-test report by its id, as a person reads it out; and an id that is none
        tested = await ConnectionTestClient(server.url, booking.http, encode_clip()).run()
        assert tested["state"] == "done", tested
        await page.get_by_role("link", name="Connection tests").click()
        await page.get_by_label("Test id").fill(tested["id"].replace("-", " ").lower())
        await page.get_by_role("button", name="Look up").click()
        result = page.locator(".test-result")
        await expect(result).to_contain_text(tested["id"])
        await expect(result).to_contain_text(re.compile(re.escape(tested["reason"]), re.I))
        grade = tested["grade"]
        await expect(result.get_by_role("heading", name=f"Connection {grade}")).to_be_visible()
        await expect(result.locator("table.figures")).to_contain_text("Upload")
        await expect(result).not_to_contain_text("{")  # laid out, not raw JSON
        await screenshot(page, "6-test-found")
        await page.get_by_label("Test id").fill("K7QX-2MPA")
        await page.get_by_role("button", name="Look up").click()
        await expect(result).to_contain_text("No connection-test report")
        await screenshot(page, "7-test-not-found")

        everything = await seen.collect(page)
    finally:
        await client.close()
        await pro.close()

    no_one_in(everything, "what the support page was sent")
    log = server.output()
    # on loopback the participants' address is the service's own, which its start line names
    no_one_in("\n".join(x for x in log.splitlines() if "listening on" not in x), "the log")
    audited = [
        json.loads(line.split("support read ", 1)[1])
        for line in log.splitlines()
        if "support read " in line
    ]
    reads = {(a["who"], a["read"], a["room"]) for a in audited}
    assert {(STAFF, "diagnostics", rid), (STAFF, "live", rid), (STAFF, "export", rid)} <= reads
    assert {(STAFF, "rooms", None), (STAFF, "test_report", None)} <= reads
    assert sum(1 for a in audited if a["read"] == "test_report") == 2
    assert not staff.errors, staff.errors
    assert not [c for c in staff.console if "Content Security Policy" in c], staff.console


async def test_a_participants_token_does_not_open_the_dashboard(
    server: ServiceProcess, booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.open_room()
    person = await people("support")
    page = person.page
    await page.goto(f"{server.url}/support")
    await expect(page.get_by_role("heading", name="Support dashboard")).to_be_visible()
    await screenshot(page, "sign-in")
    await page.get_by_label("Support token").fill(room["join"]["client"]["token"])
    await page.get_by_role("button", name="Open the dashboard").click()
    await expect(page.get_by_role("alert")).to_contain_text("does not open the support dashboard")
    await screenshot(page, "refused")
    headers: dict[str, Any] = (await page.request.get(f"{server.url}/support")).headers
    assert "unsafe-inline" not in headers["content-security-policy"]
    assert headers["referrer-policy"] == "no-referrer"
