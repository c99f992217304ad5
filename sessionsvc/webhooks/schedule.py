"""When a failed delivery is tried again: the Standard Webhooks / Svix schedule (immediately,
5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h) with jitter, for at least a day; a receiver's
``Retry-After`` on 429 or 503 takes the place of the schedule's wait."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC
from email.utils import parsedate_to_datetime

DELAYS = (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
"""Seconds before each attempt, the first one included."""
KEEP_TRYING = 24 * 3600.0  # an event is given up no sooner than this after its first attempt
JITTER = 0.1  # up to this share of a wait is added at random, so retries do not bunch up
MAX_RETRY_AFTER = DELAYS[-1]


def next_delay(
    attempts: int,
    since_first: float,
    retry_after: float | None = None,
    jitter: Callable[[], float] = random.random,
) -> float | None:
    """Seconds to wait after ``attempts`` failed attempts, the first ``since_first`` seconds
    ago; None when the event is given up."""
    if attempts < len(DELAYS):
        delay = DELAYS[attempts]
    elif since_first < KEEP_TRYING:
        delay = DELAYS[-1]
    else:
        return None
    if retry_after is not None:
        delay = min(max(retry_after, 0.0), MAX_RETRY_AFTER)
    return delay + delay * JITTER * jitter()


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds from a ``Retry-After`` header (a number of seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when.timestamp() - now, 0.0)
