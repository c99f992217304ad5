"""A professional's monthly statement (DESIGN §2): per invoice target (the hub's company, or
the platform), the Credit sessions held in the month and their dates, never a client's name;
and when the invoice is due (the 3rd working day of the next month) and paid (the 7th).

Months and dates are those of the configured time zone, so a session at 00:30 local time on
the 1st belongs to the month the professional would say. The sessions come from the index
each completion writes (``StatementStore.credit_sessions``), never from a scan of rooms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .errors import InvalidInput
from .store import StatementStore
from .workdays import WorkingDays

DUE_WORKING_DAY = 3  # of the following month: the invoice is due by then
PAYMENT_WORKING_DAY = 7  # of the following month: invoices due by then are paid by then


@dataclass(frozen=True)
class StatementLine:
    invoice_to: str  # the hub company's name, or "platform"
    sessions: int
    dates: list[str]  # ISO dates in the statement's time zone, oldest first


@dataclass(frozen=True)
class Statement:
    professional_id: str
    month: str  # YYYY-MM
    timezone: str
    due_date: date
    payment_date: date
    lines: list[StatementLine]


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The first instant of ``month`` (YYYY-MM) in ``zone`` and of the month after."""
    try:
        first = datetime.strptime(month, "%Y-%m").replace(tzinfo=zone)
    except ValueError:
        raise InvalidInput("month must be YYYY-MM") from None
    year, mon = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
    return first, first.replace(year=year, month=mon)


@dataclass(frozen=True)
class InvoiceCalendar:
    """When a Credit session's platform invoice is due and paid: the month a session counts in
    (in the statement's time zone) decides both."""

    calendar: WorkingDays
    zone: ZoneInfo

    def dates(self, held_at: float) -> tuple[date, date]:
        """(due date, payment date) of the statement a session started at ``held_at`` is on."""
        start = datetime.fromtimestamp(held_at, self.zone)
        year, mon = (start.year + 1, 1) if start.month == 12 else (start.year, start.month + 1)
        return (
            self.calendar.nth_working_day(year, mon, DUE_WORKING_DAY),
            self.calendar.nth_working_day(year, mon, PAYMENT_WORKING_DAY),
        )


class Statements:
    """Monthly statements of professionals."""

    def __init__(self, statements: StatementStore, calendar: WorkingDays, zone: ZoneInfo) -> None:
        self._statements = statements
        self._calendar = calendar
        self._zone = zone

    async def statement(self, professional_id: str, month: str) -> Statement:
        """The statement of ``month`` (YYYY-MM)."""
        start, end = month_bounds(month, self._zone)
        sessions = await self._statements.credit_sessions(
            professional_id, start.timestamp(), end.timestamp()
        )
        lines: dict[str, list[str]] = {}
        for s in sessions:
            day = datetime.fromtimestamp(s.held_at, self._zone).date().isoformat()
            lines.setdefault(s.invoice_to, []).append(day)
        due, paid = InvoiceCalendar(self._calendar, self._zone).dates(start.timestamp())
        return Statement(
            professional_id=professional_id,
            month=start.strftime("%Y-%m"),
            timezone=self._zone.key,
            due_date=due,
            payment_date=paid,
            lines=[
                StatementLine(invoice_to=k, sessions=len(v), dates=sorted(v))
                for k, v in sorted(lines.items())
            ],
        )
