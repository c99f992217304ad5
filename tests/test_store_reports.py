"""The report store's contract, on every backend: parts written once or replaced, read back
together, and gone once the report expires."""

from __future__ import annotations

import asyncio
import time

from sessionsvc.rooms.store import Backend
from sessionsvc.stores.reports import MemoryReports


async def test_a_part_is_added_once_and_replaced_on_purpose(backend: Backend) -> None:
    reports, now = backend.reports, time.time()
    later = now + 3600
    assert await reports.get_report("ABCD-EFGH", now) == {}
    assert await reports.add_report_part("ABCD-EFGH", "test", b"one", now=now, expires_at=later)
    assert not await reports.add_report_part("ABCD-EFGH", "test", b"two", now=now, expires_at=later)
    assert await reports.get_report("ABCD-EFGH", now) == {"test": b"one"}
    await reports.put_report_part("ABCD-EFGH", "test", b"three", now=now, expires_at=later)
    await reports.put_report_part("ABCD-EFGH", "relay", b'{"ok":true}', now=now, expires_at=later)
    assert await reports.get_report("ABCD-EFGH", now) == {
        "test": b"three",
        "relay": b'{"ok":true}',
    }
    assert await reports.get_report("ABCD-EFGK", now) == {}


async def test_a_report_is_gone_after_its_retention(backend: Backend) -> None:
    reports, now = backend.reports, time.time()
    await reports.add_report_part("SHRT-LIVD", "test", b"x", now=now, expires_at=now + 0.3)
    await reports.add_report_part("LONG-LIVD", "test", b"y", now=now, expires_at=now + 3600)
    await asyncio.sleep(0.5)  # Redis expires by its own clock
    after = time.time()
    assert await reports.get_report("SHRT-LIVD", after) == {}
    assert await reports.get_report("LONG-LIVD", after) == {"test": b"y"}
    # an id whose report expired can be used again
    assert await reports.add_report_part("SHRT-LIVD", "test", b"z", now=after, expires_at=after + 9)


async def test_the_memory_store_keeps_a_bounded_number_of_reports() -> None:
    reports, now = MemoryReports(max_reports=3), time.time()
    for i in range(5):
        await reports.add_report_part(f"ID{i}", "test", b"x", now=now, expires_at=now + 10 + i)
    await reports.get_report("ID0", now)
    kept = [i for i in range(5) if await reports.get_report(f"ID{i}", now)]
    assert kept == [2, 3, 4]  # the soonest to expire went first
