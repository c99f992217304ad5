"""The timing rules of a session, set from the service's settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Policy:
    """The timing rules of a session (all in seconds)."""

    min_held_seconds: float = 60.0
    reconnect_grace: float = 20.0
    departure_timeout: float = 60.0
    expiry_grace: float = 900.0
    stats_stale: float = 6.0  # a stats report older than this no longer proves media flows
    media_tolerance: float = 1.0  # a side may say it received up to 2x what the other sent
    media_slack_bytes: int = 8 * 1024  # ... plus this much (counting differences)
