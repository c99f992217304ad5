"""Connection-test reports in memory (the embedded default): each report's parts and when it
expires; expired reports are dropped as time passes, and past ``max_reports`` the soonest to
expire go first, so a busy node's memory stays bounded. Each call is atomic on the event
loop."""

from __future__ import annotations

import heapq


class MemoryReports:
    """``ReportStore`` in one process's memory."""

    def __init__(self, max_reports: int = 100_000) -> None:
        self._max = max_reports
        self._reports: dict[str, tuple[float, dict[str, bytes]]] = {}
        self._expiries: list[tuple[float, str]] = []  # a heap: (expires at, report id)

    def _prune(self, now: float) -> None:
        while self._expiries and (self._expiries[0][0] <= now or len(self._reports) > self._max):
            when, report_id = heapq.heappop(self._expiries)
            entry = self._reports.get(report_id)
            if entry is not None and entry[0] == when:  # not a stale heap entry
                del self._reports[report_id]

    def _parts(self, report_id: str, now: float, expires_at: float) -> dict[str, bytes]:
        self._prune(now)
        entry = self._reports.get(report_id)
        parts = entry[1] if entry else {}
        if entry is None or entry[0] != expires_at:
            self._reports[report_id] = (expires_at, parts)
            heapq.heappush(self._expiries, (expires_at, report_id))
        return parts

    async def add_report_part(
        self, report_id: str, part: str, body: bytes, *, now: float, expires_at: float
    ) -> bool:
        parts = self._parts(report_id, now, expires_at)
        if part in parts:
            return False
        parts[part] = body
        return True

    async def put_report_part(
        self, report_id: str, part: str, body: bytes, *, now: float, expires_at: float
    ) -> None:
        self._parts(report_id, now, expires_at)[part] = body

    async def get_report(self, report_id: str, now: float) -> dict[str, bytes]:
        self._prune(now)
        entry = self._reports.get(report_id)
        return dict(entry[1]) if entry else {}
