"""TURN with Debian's coturn, started with the deployment's own config file
(``deploy/coturn/turnserver.conf``): our short-lived credentials allocate, forged and expired ones
are refused by coturn, peers in denied ranges are refused; and a call between two real Chromium
pages forced to relay-only connects through it, and connects again after its first credentials
expired (the server hands fresh ones to the page in time)."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aioice.stun import TransactionFailed
from aioice.turn import create_turn_endpoint

from sessionsvc.rooms.clock import SystemClock
from sessionsvc.signaling.ice import IceServers, turn_credentials
from testkit.booking import Booking
from testkit.ports import LOOPBACK
from testkit.service import ServiceProcess
from testkit.turn_server import TurnServer
from tests.support.browser import PeopleFactory, Person, Screenshot, video_plays
from tests.support.servers import ServiceFactory
from tests.test_browser_session import device_check, see

SECRET = secrets.token_hex(16)
TTL = 8  # seconds: short, so the call outlives its first credentials within the test


@pytest.fixture(scope="module")
def turn() -> Iterator[TurnServer]:
    with TurnServer(SECRET) as server:
        yield server


async def allocate(turn: TurnServer, username: str, password: str) -> Any:
    transport, _ = await asyncio.wait_for(
        create_turn_endpoint(
            asyncio.DatagramProtocol, (LOOPBACK, turn.port), username, password, lifetime=60
        ),
        10,
    )
    return transport


async def test_coturn_takes_our_credentials_and_refuses_forged_or_expired_ones(
    turn: TurnServer,
) -> None:
    ice = IceServers(SystemClock(), turn_urls=(turn.url,), turn_secret=SECRET, turn_ttl=60)
    (server,) = ice.for_participant("pro-1")
    assert server["urls"] == [turn.url]
    transport = await allocate(turn, server["username"], server["credential"])
    relayed = transport.get_extra_info("related_address") or transport.get_extra_info("sockname")
    assert relayed[0] == LOOPBACK
    transport.close()

    forged = turn_credentials("not-our-secret", "pro-1", time.time(), 60)
    expired = turn_credentials(SECRET, "pro-1", time.time() - 120, 60)
    for username, password in (forged, expired, (server["username"], "x" + server["credential"])):
        with pytest.raises(TransactionFailed, match="401"):
            await allocate(turn, username, password)


async def test_coturn_relays_to_loopback_only_as_allowed_and_never_to_denied_ranges(
    turn: TurnServer,
) -> None:
    username, password = turn_credentials(SECRET, "pro-1", time.time(), 60)
    transport = await allocate(turn, username, password)
    try:
        # aioice keeps its TURN client protocol private; channel binding is the permission check
        client = transport._TurnTransport__inner_protocol
        await client.channel_bind(0x4000, (LOOPBACK, 9))  # 127.0.0.1 is allowed for the tests
        with pytest.raises(TransactionFailed, match="403"):
            await client.channel_bind(0x4001, ("127.0.0.2", 9))  # the rest of 127/8 is denied
    finally:
        transport.close()


# -- a relay-only call in real Chromium ------------------------------------------------------

# Every peer connection of the call (it has TURN servers) is relay-only. The device check's
# connection test is left alone: its peer is the service's own aiortc, whose addresses here are
# in ranges the deployment's coturn config refuses to relay to (its relay check then fails and
# the check reads fair, which the device check allows). The connections are kept for getStats.
RELAY_ONLY = """(() => {
  const Native = window.RTCPeerConnection;
  window.__pcs = [];
  const isTurn = (server) => [].concat(server.urls).some((u) => u.startsWith("turn:"));
  const relay = (config) => {
    const turn = (config?.iceServers ?? []).some(isTurn);
    const checking = document.body?.dataset.page === "devicecheck";
    return turn && !checking ? { ...config, iceTransportPolicy: "relay" } : config;
  };
  class RelayOnly extends Native {
    constructor(config, ...rest) {
      super(relay(config), ...rest);
      window.__pcs.push(this);
    }
    setConfiguration(config) {
      return super.setConfiguration(relay(config));
    }
  }
  window.RTCPeerConnection = RelayOnly;
})();"""

SELECTED_PAIRS = """async () => {
  const out = [];
  for (const pc of window.__pcs) {
    if (pc.connectionState !== "connected") continue;
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type !== "transport" || !s.selectedCandidatePairId) return;
      const pair = stats.get(s.selectedCandidatePairId);
      out.push({
        policy: pc.getConfiguration().iceTransportPolicy,
        local: stats.get(pair.localCandidateId).candidateType,
        remote: stats.get(pair.remoteCandidateId).candidateType,
      });
    });
  }
  return out;
}"""


# When the TURN credentials the call's current peer connection holds expire (unix seconds).
CREDENTIALS_EXPIRY = """() => {
  const pc = window.__pcs.at(-1);
  const server = (pc?.getConfiguration().iceServers ?? []).find((s) => s.username);
  return server ? Number(server.username.split(":")[0]) : null;
}"""


async def in_call(person: Person) -> None:
    """The other person's video plays. On a busy machine a fresh connection can take a while to
    show frames: three tries of ``video_plays`` (8 s each)."""
    await person.page.locator('[data-screen="call"][data-remote="playing"]').wait_for(
        timeout=30_000
    )
    for attempt in range(3):
        try:
            await video_plays(person.page)
            return
        except AssertionError:
            if attempt == 2:
                raise


@pytest_asyncio.fixture(loop_scope="session")
async def turn_service(service_factory: ServiceFactory, turn: TurnServer) -> ServiceProcess:
    return await service_factory(
        SESSIONSVC_TURN_URLS=turn.url,
        SESSIONSVC_TURN_SECRET=SECRET,
        SESSIONSVC_TURN_TTL=str(TTL),
    )


@pytest_asyncio.fixture(loop_scope="session")
async def booking(turn_service: ServiceProcess) -> AsyncIterator[Booking]:
    async with aiohttp.ClientSession() as http:
        yield Booking(turn_service.url, http)


async def relayed(page: Any) -> list[dict[str, str]]:
    for _ in range(50):
        pairs: list[dict[str, str]] = await page.evaluate(SELECTED_PAIRS)
        if pairs:
            return pairs
        await asyncio.sleep(0.2)
    return []


async def in_relayed_call(person: Person) -> None:
    """The other person's video plays, over a peer connection whose selected pair is relayed at
    both ends."""
    await in_call(person)
    pairs = await relayed(person.page)
    assert pairs and all(
        p == {"policy": "relay", "local": "relay", "remote": "relay"} for p in pairs
    ), pairs


async def relayed_call(
    room: dict[str, Any], people: PeopleFactory, screenshot: Screenshot
) -> tuple[Person, Person]:
    """The professional and the client of ``room`` in Chromium forced to relay-only, through the
    device check and the waiting room into a relayed call."""
    pro = await people("professional", init_script=RELAY_ONLY)
    client = await people("client", init_script=RELAY_ONLY)
    await pro.page.goto(room["join"]["professional"]["url"])
    await device_check(pro, screenshot)
    await client.page.goto(room["join"]["client"]["url"])
    await device_check(client, screenshot)
    await see(pro.page, ["is ready and waiting"])
    await pro.page.get_by_role("button", name="Admit").click()
    for person in (pro, client):
        await in_relayed_call(person)
    return pro, client


@pytest.mark.browser
@pytest.mark.timeout(600)
@pytest.mark.asyncio(loop_scope="session")
async def test_relay_only_call_connects_and_outlives_its_credentials(
    booking: Booking, people: PeopleFactory, screenshot: Screenshot
) -> None:
    room = await booking.open_room()
    pro, client = await relayed_call(room, people, screenshot)
    await screenshot(pro.page, "professional-relay-call")
    await screenshot(client.page, "client-relay-call")

    # the first credentials expire during the call; the server has handed both pages fresh
    # ones by then (a quiet call gets no room snapshot that would carry them)
    await asyncio.sleep(TTL + 2)
    for person in (pro, client):
        expiry = await person.page.evaluate(CREDENTIALS_EXPIRY)
        assert expiry is not None and expiry > time.time(), (person.role, expiry, time.time())
    # a new peer connection now needs valid credentials: the client reloads, the professional
    # offers on a new connection, and both allocate on coturn again
    await client.page.reload()
    for person in (client, pro):
        await in_relayed_call(person)
    await screenshot(pro.page, "professional-relay-after-expiry")
    for person in (pro, client):
        assert not person.errors, person.errors
