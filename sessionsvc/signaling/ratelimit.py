"""Token buckets: per connection, so one flooding connection never slows the other rooms; per
client address and per participant, for connecting; and cool-downs after a flood."""

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


class KeyedBuckets:
    """A bucket per key (a client address, a participant): ``rate`` per second with bursts of
    ``burst``. Idle keys are forgotten once there are many, so the map stays bounded."""

    def __init__(self, rate: float, burst: float, *, max_keys: int = 10_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[str, Bucket] = {}

    def take(self, key: str, now: float) -> bool:
        """Whether one more is allowed for ``key`` now."""
        if len(self._buckets) >= self.max_keys:
            idle = self.burst / self.rate if self.rate > 0 else FLOOD_WINDOW
            self._buckets = {k: b for k, b in self._buckets.items() if now - b.stamp < idle}
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(
                self.rate, self.burst, self.burst, stamp=now, window_start=now
            )
        return bucket.take(now)


class Cooldowns:
    """Keys refused until a moment: a participant cut off for flooding waits before it may
    connect again."""

    def __init__(self, seconds: float, *, max_keys: int = 10_000) -> None:
        self.seconds = seconds
        self.max_keys = max_keys
        self._until: dict[str, float] = {}

    def start(self, key: str, now: float) -> None:
        if len(self._until) >= self.max_keys:
            self._until = {k: t for k, t in self._until.items() if t > now}
        self._until[key] = now + self.seconds

    def remaining(self, key: str, now: float) -> float:
        """Seconds ``key`` must still wait (0: none)."""
        until = self._until.get(key)
        if until is None:
            return 0.0
        if until <= now:
            del self._until[key]
            return 0.0
        return until - now
