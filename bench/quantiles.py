"""Quantiles of the samples a benchmark takes, and of the service's own handler histograms."""

from __future__ import annotations

import aiohttp


def quantile(samples: list[float], q: float) -> float:
    """The q-quantile (0..1) of ``samples``, nearest rank; NaN when empty."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def handler_histogram(url: str, event: str) -> dict[float, float]:
    """The service's own ``sessionsvc_socket_event_seconds`` buckets for ``event`` (le -> count)."""
    async with aiohttp.ClientSession() as http, http.get(url + "/metrics") as r:
        text = await r.text()
    buckets: dict[float, float] = {}
    prefix = "sessionsvc_socket_event_seconds_bucket{"
    for line in text.splitlines():
        if line.startswith(prefix) and f'event="{event}"' in line:
            le = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float(le)] = float(line.rsplit(" ", 1)[1])
    return buckets


def histogram_quantile(before: dict[float, float], after: dict[float, float], q: float) -> float:
    """The upper bound of the bucket holding the q-quantile of what was observed in between."""
    counts = sorted((le, after[le] - before.get(le, 0.0)) for le in after)
    if not counts or counts[-1][1] <= 0:
        return float("nan")
    for le, n in counts:
        if n >= q * counts[-1][1]:
            return le
    return float("inf")
