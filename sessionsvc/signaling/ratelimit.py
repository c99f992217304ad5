"""A token bucket per connection, so one flooding connection never slows the other rooms."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Bucket:
    """Allows ``rate`` events per second with bursts of ``burst``; counts refusals in a row."""

    rate: float
    burst: float
    tokens: float
    stamp: float
    refused: int = 0

    @classmethod
    def full(cls, rate: float, now: float) -> Bucket:
        return cls(rate=rate, burst=rate * 2, tokens=rate * 2, stamp=now)

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            self.refused = 0
            return True
        self.refused += 1
        return False

    @property
    def flooding(self) -> bool:
        """Still sending after many refusals in a row: time to disconnect."""
        return self.refused > self.burst * 2
