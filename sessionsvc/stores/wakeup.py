"""Waiting for a store's "events were written" signal without relying on cancelling the
waiting task: ``asyncio.wait_for`` and ``asyncio.timeout`` time out by cancelling it, and once
some library has swallowed one cancellation of a task, Python 3.11 ignores every later one, so
the wait (and the task's own shutdown) would never end."""

from __future__ import annotations

import asyncio


async def wait_or_timeout(event: asyncio.Event, within: float) -> None:
    """Return when ``event`` is set or after ``within`` seconds, and clear it."""
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({waiter}, timeout=within)
    finally:
        waiter.cancel()
    event.clear()
