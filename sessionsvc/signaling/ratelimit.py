"""A token bucket per connection, so one flooding connection never slows the other rooms."""

from __future__ import annotations

from dataclasses import dataclass

FLOOD_WINDOW = 10.0  # seconds over which refused events are counted


@dataclass
class Bucket:
    """Allows ``rate`` events per second with bursts of ``burst``.

    Refused events are counted per window: a connection that keeps sending well past its rate
    is flooding, whether its events come in one burst or as a steady stream over the limit.
    """

    rate: float
    burst: float
    tokens: float
    stamp: float
    window_start: float
    refused: int = 0

    @classmethod
    def full(cls, rate: float, now: float) -> Bucket:
        return cls(rate=rate, burst=rate * 2, tokens=rate * 2, stamp=now, window_start=now)

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if now - self.window_start > FLOOD_WINDOW:
            self.window_start, self.refused = now, 0
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        self.refused += 1
        return False

    @property
    def flooding(self) -> bool:
        """Refused more than twice a burst within the window: time to disconnect."""
        return self.refused > self.burst * 2
