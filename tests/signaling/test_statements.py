"""The professional's monthly statement after real sessions: credit sessions by whom to
invoice, no client names, JSON and CSV."""

from __future__ import annotations

import time

from testkit.booking import Booking
from tests.signaling.steps import admitted, hold
from tests.support.servers import AppServer


async def test_monthly_statement_lists_credit_sessions_without_names(
    app_server: AppServer, app_booking: Booking
) -> None:
    company = await app_booking.hub_room(remaining=2, invoice_to="company", professional_id="pro-s")
    platform = await app_booking.hub_room(
        remaining=2, invoice_to="platform", professional_id="pro-s"
    )
    own = await app_booking.open_room(professional_id="pro-s")
    for room in (company, platform, own):
        pro, client = await admitted(app_server, room)
        await hold(app_server, pro, client, 3)
        assert (await pro.call("end"))["ok"]
        await pro.close()
        await client.close()
    month = time.strftime("%Y-%m", time.gmtime(app_server.clock.now()))
    status, statement = await app_booking.call(
        "GET", f"/v1/professionals/pro-s/statement?month={month}"
    )
    assert status == 200
    lines = {line["invoice_to"]: line for line in statement["invoices"]}
    assert set(lines) == {"Acme Corp", "platform"}  # the self-pay session is not a Credit one
    assert lines["Acme Corp"]["sessions"] == 1 and len(lines["Acme Corp"]["dates"]) == 1
    assert "Sam Jordan" not in str(statement)
    status, text = await app_booking.call(
        "GET", f"/v1/professionals/pro-s/statement?month={month}", headers={"Accept": "text/csv"}
    )
    assert (
        status == 200 and text.splitlines()[0] == "invoice_to,sessions,dates,due_date,payment_date"
    )
    assert "Acme Corp,1," in text and "Sam" not in text
    status, bad = await app_booking.call("GET", "/v1/professionals/pro-s/statement?month=11-2026")
    assert status == 422 and bad["error"]["code"] == "invalid_input"
