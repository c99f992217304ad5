"""The professional's monthly statement: JSON, or CSV with ``Accept: text/csv``."""

from __future__ import annotations

import csv
import io

from aiohttp import web

from ..rooms.errors import InvalidInput
from .auth import booking_service
from .bodies import json_response
from .keys import STATEMENTS
from .views import InvoiceLine, StatementView

CSV_COLUMNS = ("invoice_to", "sessions", "dates", "due_date", "payment_date")


async def statement(request: web.Request) -> web.StreamResponse:
    booking_service(request)
    professional_id = request.match_info["professional_id"]
    month = request.query.get("month", "")
    st = await request.app[STATEMENTS].statement(professional_id, month)
    due, paid = st.due_date.isoformat(), st.payment_date.isoformat()
    asked = request.query.get("format")
    if asked not in (None, "csv", "json"):
        raise InvalidInput("format must be csv or json")
    wants_csv = asked == "csv" or (
        asked is None and "text/csv" in request.headers.get("Accept", "")
    )
    if wants_csv:
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS)
        for line in st.lines:
            writer.writerow([line.invoice_to, line.sessions, " ".join(line.dates), due, paid])
        return web.Response(text=buf.getvalue(), content_type="text/csv")
    return json_response(
        StatementView(
            professional_id=professional_id,
            month=st.month,
            timezone=st.timezone,
            payment_type="Credit",
            due_date=due,
            payment_date=paid,
            invoices=[InvoiceLine(line.invoice_to, line.sessions, line.dates) for line in st.lines],
        )
    )
