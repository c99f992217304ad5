"""Optimistic transactions: WATCH what is read, commit with MULTI/EXEC, and on a concurrent write
run the pure function again on fresh values, backing off with full jitter after a few
conflicts."""

from __future__ import annotations

import asyncio
import random

MAX_TRIES = 200  # optimistic attempts before a mutation gives up
CALM_TRIES = 3  # conflicts retried at once, before backing off
BACKOFF_BASE = 0.001  # seconds; doubles per further conflict, with full jitter
BACKOFF_CAP = 0.05


class Contention(RuntimeError):
    """A room or ledger kept changing under an optimistic transaction; it gave up."""


async def back_off(conflicts: int) -> None:
    """Wait before the next attempt, after ``conflicts`` conflicts in a row."""
    if conflicts > CALM_TRIES:
        ceiling = min(BACKOFF_BASE * 2 ** (conflicts - CALM_TRIES), BACKOFF_CAP)
        await asyncio.sleep(random.uniform(0, ceiling))
