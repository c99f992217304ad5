"""The access log of a real ``sessionsvc serve``: paths without query strings and without the
ids of people (a client's or a professional's id may be an e-mail address)."""

from __future__ import annotations

import aiohttp

from testkit.booking import Booking
from tests.support.servers import ServiceFactory


async def test_the_access_log_names_no_one(
    service_factory: ServiceFactory, http: aiohttp.ClientSession
) -> None:
    service = await service_factory(SESSIONSVC_LOG_LEVEL="INFO")
    booking = Booking(service.url, http)
    await booking.put_credits("hub-acme", "sam.jordan@example.com")
    status, _ = await booking.call(
        "GET", "/v1/professionals/alex.rivera@clinic.example/statement?month=2026-11"
    )
    assert status == 200
    log = service.output()
    assert "sam.jordan" not in log and "alex.rivera" not in log and "month=" not in log, log
    assert "PUT /v1/hubs/hub-acme/members/{client_id}/credits 200" in log
    assert "GET /v1/professionals/{professional_id}/statement 200" in log
