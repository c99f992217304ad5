"""Statement dates: the invoice is due on the 3rd working day of the next month and paid on the
7th; working days skip weekends, the configured country's public holidays and extra closing
days; months and session dates are those of the configured time zone. The sessions come from
the index each completion writes."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from sessionsvc.rooms.credits import Grant
from sessionsvc.rooms.errors import InvalidInput
from sessionsvc.rooms.model import InvoiceTo, Role
from sessionsvc.rooms.statements import Statements
from sessionsvc.rooms.store import Backend
from sessionsvc.rooms.workdays import WorkingDays
from tests.support.backends import HUB, Domain, make_domain, make_room

ICELAND = WorkingDays("IS")


@pytest.mark.parametrize(
    ("calendar", "year", "month", "due", "paid"),
    [
        # 1 Aug 2026 is a Saturday and Monday the 3rd is Iceland's Commerce Day
        (ICELAND, 2026, 8, date(2026, 8, 6), date(2026, 8, 12)),
        (WorkingDays(), 2026, 8, date(2026, 8, 5), date(2026, 8, 11)),
        # New Year's Day on a Thursday, then a weekend
        (ICELAND, 2026, 1, date(2026, 1, 6), date(2026, 1, 12)),
        # Easter: Maundy Thursday, Good Friday and Easter Monday
        (ICELAND, 2026, 4, date(2026, 4, 8), date(2026, 4, 14)),
        (WorkingDays("IS", [date(2026, 4, 9)]), 2026, 4, date(2026, 4, 8), date(2026, 4, 15)),
    ],
)
def test_due_and_payment_dates_are_working_days(
    calendar: WorkingDays, year: int, month: int, due: date, paid: date
) -> None:
    assert calendar.nth_working_day(year, month, 3) == due
    assert calendar.nth_working_day(year, month, 7) == paid
    assert calendar.is_working_day(due) and calendar.is_working_day(paid)


def test_an_unknown_country_is_refused() -> None:
    with pytest.raises(InvalidInput):
        WorkingDays("XX")


async def held_session(d: Domain, booking: str, client: str, at: datetime) -> None:
    """A Credit session admitted at ``at`` and held long enough."""
    d.clock.set(at.timestamp() - 60)
    room = make_room(booking=booking, client=client, start=at.timestamp())
    await d.backend.rooms.create_room(room, booking, None)
    live = d.services.live
    await live.join(room.room_id, Role.CLIENT, client, "c")
    await live.join(room.room_id, Role.PROFESSIONAL, "pro-1", "p")
    d.clock.set(at.timestamp())
    await live.admit(room.room_id, Role.PROFESSIONAL, client, False)
    for n in range(1, 40):
        await live.record_stats(room.room_id, Role.CLIENT, n * 1000, n * 1000)
        await live.record_stats(room.room_id, Role.PROFESSIONAL, n * 1000, n * 1000)
        d.clock.advance(2)
    await live.end(room.room_id, Role.PROFESSIONAL)


async def test_a_statement_in_local_time_with_its_dates(backend: Backend) -> None:
    d = make_domain(backend)
    berlin = ZoneInfo("Europe/Berlin")
    await d.services.credits.put_ledger(HUB.id, "cl-1", Grant(9, 9, False, InvoiceTo.COMPANY))
    await d.services.credits.put_ledger(HUB.id, "cl-2", Grant(9, 9, False, InvoiceTo.PLATFORM))
    # 00:30 on 1 August in Berlin is still 31 July in UTC
    await held_session(d, "bk-1", "cl-1", datetime(2026, 7, 31, 22, 30, tzinfo=UTC))
    await held_session(d, "bk-2", "cl-1", datetime(2026, 7, 15, 9, 0, tzinfo=UTC))
    await held_session(d, "bk-3", "cl-2", datetime(2026, 8, 3, 9, 0, tzinfo=UTC))
    statements = Statements(backend.statements, ICELAND, berlin)
    july = await statements.statement("pro-1", "2026-07")
    assert [(line.invoice_to, line.dates) for line in july.lines] == [(HUB.name, ["2026-07-15"])]
    assert (july.due_date, july.payment_date) == (date(2026, 8, 6), date(2026, 8, 12))
    august = await statements.statement("pro-1", "2026-08")
    assert [(line.invoice_to, line.sessions, line.dates) for line in august.lines] == [
        (HUB.name, 1, ["2026-08-01"]),
        ("platform", 1, ["2026-08-03"]),
    ]
    assert august.timezone == "Europe/Berlin"
    assert august.due_date == date(2026, 9, 3)  # 1 September 2026 is a Tuesday
    in_utc = await Statements(backend.statements, ICELAND, ZoneInfo("UTC")).statement(
        "pro-1", "2026-07"
    )
    assert in_utc.lines[0].dates == ["2026-07-15", "2026-07-31"]
    assert "Cli Ent" not in str(august) and "Dr Pro" not in str(august)
    assert (await statements.statement("pro-2", "2026-08")).lines == []
    with pytest.raises(InvalidInput):
        await statements.statement("pro-1", "2026-13")
