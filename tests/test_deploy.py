"""The deployment of ``deploy/compose.yaml`` without a container engine: Debian's Caddy and coturn
run with the very files the compose file mounts (``deploy/caddy/Caddyfile``,
``deploy/coturn/turnserver.conf``), in front of two real ``sessionsvc serve`` nodes in production
mode and a real Redis. Whole sessions in real Chromium go through that load balancer, one of them
relay-only through coturn while both nodes are restarted in turn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio

from testkit.booking import Booking
from testkit.caddy_server import CaddyServer
from testkit.ports import LOOPBACK, free_port
from testkit.service import ServiceProcess
from testkit.turn_server import TurnServer
from tests.support.browser import PeopleFactory, Screenshot
from tests.test_browser_session import CASES, wait_held, whole_session
from tests.test_graceful_restart import terminate
from tests.test_turn import SECRET, in_relayed_call, relayed_call

READY_ANSWERED = 'sessionsvc_http_requests_total{method="GET",route="/readyz",status="200"}'

pytestmark = [pytest.mark.browser, pytest.mark.redis, pytest.mark.asyncio(loop_scope="session")]


@dataclass
class Deployment:
    caddy: CaddyServer
    nodes: list[ServiceProcess]
    turn: TurnServer
    booking: Booking


@pytest_asyncio.fixture(loop_scope="session")
async def deployment(redis_url: str) -> AsyncIterator[Deployment]:
    ports = [free_port(), free_port()]
    caddy = CaddyServer([f"{LOOPBACK}:{p}" for p in ports])
    turn = TurnServer(SECRET).start()
    env = {
        # what deploy/compose.yaml sets, pointed at this machine's loopback
        "SESSIONSVC_ENV": "production",
        "SESSIONSVC_PUBLIC_URL": caddy.url,
        "SESSIONSVC_REDIS_URL": redis_url,
        "SESSIONSVC_TURN_SECRET": SECRET,
        "SESSIONSVC_TURN_URLS": turn.url,
        "SESSIONSVC_RECONNECT_GRACE": "20",
        # Caddy's address: the client's address is read from its X-Forwarded-For
        "SESSIONSVC_TRUSTED_PROXIES": "127.0.0.1/32",
    }
    nodes = [ServiceProcess(env, port) for port in ports]
    try:
        for node in nodes:
            await node.start(ready_within=90)
        await caddy.start(ready_within=90)
        async with aiohttp.ClientSession() as http:
            yield Deployment(caddy, nodes, turn, Booking(caddy.url, http))
    finally:
        caddy.stop()
        for node in nodes:
            node.stop()
        turn.stop()


async def health_checked(node: ServiceProcess) -> None:
    """Wait until the load balancer's health check has found ``node`` ready again (its
    ``/readyz`` answered once more after the node's own start-up check), so it is back in
    rotation: a fixed pause raced Caddy's check on a loaded machine, and stopping the other
    node then left no node to reconnect to."""
    async with aiohttp.ClientSession() as http:

        async def answered() -> float:
            async with http.get(f"{node.url}/metrics") as response:
                text = await response.text()
            return sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith(READY_ANSWERED)
            )

        started = await answered()
        for _ in range(600):  # Caddy checks every 2 s; a minute covers a slow machine
            if await answered() > started:
                return
            await asyncio.sleep(0.1)
    raise AssertionError("Caddy's health check never reached the restarted node")


@pytest.mark.timeout(600)
async def test_whole_session_through_the_load_balancer(
    deployment: Deployment, people: PeopleFactory, screenshot: Screenshot
) -> None:
    await whole_session(CASES[0], deployment.booking, people, screenshot)
    for node in deployment.nodes:
        assert "Traceback" not in node.output()


@pytest.mark.timeout(600)
async def test_rolling_restart_through_the_load_balancer_during_a_relayed_call(
    deployment: Deployment, people: PeopleFactory, screenshot: Screenshot
) -> None:
    booking = deployment.booking
    room = await booking.hub_room(remaining=2)
    pro, client = await relayed_call(room, people, screenshot)

    node_a, node_b = deployment.nodes
    assert await terminate(node_a) == 0  # everyone on A is told to reconnect: Caddy sends them to B
    for person in (pro, client):
        await in_relayed_call(person)
    await screenshot(pro.page, "professional-after-first-restart")
    await node_a.start(ready_within=90)
    await health_checked(node_a)  # Caddy sends new connections to A again
    assert await terminate(node_b) == 0
    for person in (pro, client):
        await in_relayed_call(person)
    await screenshot(client.page, "client-after-second-restart")
    await node_b.start(ready_within=90)

    await wait_held(booking, room["room_id"], 3.0)
    await pro.page.get_by_role("button", name="End session").click()
    await pro.page.get_by_role("dialog").get_by_role("button", name="End session").click()
    for person in (pro, client):
        await person.page.locator('[data-screen="summary"]').wait_for(timeout=10_000)
    await screenshot(pro.page, "professional-summary")
    status, summary = await booking.call("GET", f"/v1/rooms/{room['room_id']}/summary")
    assert status == 200, summary
    assert summary["outcome"]["payment"] == {
        "payment_type": "Credit",
        "invoice_to": "Acme Corp",
        "credits_remaining": 1,
    }
    status, ledger = await booking.call(
        "GET", f"/v1/hubs/hub-acme/members/{room['client']['id']}/credits"
    )
    assert status == 200 and ledger["credits_remaining"] == 1, ledger  # charged once
    for person in (pro, client):
        assert not person.errors, person.errors
    for node in deployment.nodes:
        assert "Traceback" not in node.output()
