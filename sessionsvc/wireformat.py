"""How times and durations are written on the wire, the same for the HTTP API and signaling."""

from __future__ import annotations

import math
from datetime import UTC, datetime


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z")


def held_display(seconds: float) -> float:
    """Held time to one decimal, rounded down: never more than the held-rule counted."""
    return math.floor(seconds * 10) / 10
