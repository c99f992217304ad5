"""New offers that follow each other closely, in real Chromium: when the professional's page
makes a second offer before the answer to the first has come back (both people come back from a
node that stopped, the client asks for a restart twice), the call connects on the newest offer
and both videos play again."""

from __future__ import annotations

import aiohttp
import pytest
from playwright.async_api import WebSocketRoute

from testkit.booking import Booking
from tests.support.browser import PeopleFactory, video_plays
from tests.support.servers import ServiceFactory
from tests.test_browser_call import in_call

pytestmark = [pytest.mark.browser, pytest.mark.asyncio(loop_scope="session")]

# what the client's page would send to ask for a new offer: a Socket.IO event on /session
RESTART = '42/session,["signal",{"to":"professional","kind":"restart","payload":{}}]'


async def test_two_offers_in_flight_connect_on_the_newest(
    service_factory: ServiceFactory, people: PeopleFactory
) -> None:
    server = await service_factory()
    async with aiohttp.ClientSession() as http:
        room = await Booking(server.url, http).hub_room(remaining=2)
    client_to_server: list[WebSocketRoute] = []
    offers: list[str] = []

    async def client_socket(ws: WebSocketRoute) -> None:
        client_to_server.append(ws.connect_to_server())

    async def pro_socket(ws: WebSocketRoute) -> None:
        upstream = ws.connect_to_server()

        def outgoing(message: str | bytes) -> None:
            if isinstance(message, str) and '"kind":"offer"' in message:
                offers.append(message)
            upstream.send(message)

        ws.on_message(outgoing)

    routes = {"professional": pro_socket, "client": client_socket}
    pro, client = await in_call(room, people, routes)
    assert len(offers) == 1
    # two requests for a new offer, back to back, through the real server's relay: the second
    # offer leaves before the answer to the first comes back
    for _ in range(2):
        client_to_server[-1].send(RESTART)
    for _ in range(100):
        if len(offers) == 3:
            break
        await pro.page.wait_for_timeout(50)
    assert len(offers) == 3, len(offers)

    for person in (pro, client):
        await person.page.locator('[data-screen="call"][data-remote="playing"]').wait_for(
            timeout=20_000
        )
        await video_plays(person.page)
    connected = await pro.page.locator('[data-screen="call"]').get_attribute("data-peer")
    assert connected == "connected"
    assert not pro.errors and not client.errors, (pro.errors, client.errors)
