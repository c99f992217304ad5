"""Working days for invoicing: not a weekend, not a public holiday of the configured country
(the ``holidays`` package's calendar), not one of the configured extra closing days."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import holidays

from .errors import InvalidInput


class WorkingDays:
    """The working-day calendar of one country (empty: weekends and closing days only)."""

    def __init__(self, country: str = "", closing_days: Iterable[date] = ()) -> None:
        try:
            self._holidays = holidays.country_holidays(country) if country else None
        except NotImplementedError:
            raise InvalidInput(f"no public holiday calendar for country {country!r}") from None
        self._closed = frozenset(closing_days)

    def is_working_day(self, day: date) -> bool:
        if day.weekday() >= 5 or day in self._closed:
            return False
        return self._holidays is None or day not in self._holidays

    def nth_working_day(self, year: int, month: int, n: int) -> date:
        """The ``n``-th working day (1-based) of a month."""
        day = date(year, month, 1)
        seen = 0
        while True:
            if self.is_working_day(day):
                seen += 1
                if seen == n:
                    return day
            day += timedelta(days=1)


def parse_closing_days(values: Iterable[str]) -> tuple[date, ...]:
    """Extra closing days given as ISO dates."""
    try:
        return tuple(date.fromisoformat(v) for v in values)
    except ValueError as e:
        raise InvalidInput(f"a closing day is not an ISO date: {e}") from None
