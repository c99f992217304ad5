"""Connection-test reports in Redis: one hash per report (a field per part) that Redis expires
by itself. Each report's key carries its own hash tag; every command touches that one key."""

from __future__ import annotations

from redis.asyncio import Redis

from .keys import Keys, part, text


class RedisReports:
    """``ReportStore`` in Redis."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._prefix = keys.prefix

    def _key(self, report_id: str) -> str:
        return f"{self._prefix}:{{t:{part(report_id)}}}:report"

    async def add_report_part(
        self, report_id: str, part: str, body: bytes, *, now: float, expires_at: float
    ) -> bool:
        key = self._key(report_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hsetnx(key, part, body)
            pipe.pexpireat(key, int(expires_at * 1000))
            added, _ = await pipe.execute()
        return bool(added)

    async def put_report_part(
        self, report_id: str, part: str, body: bytes, *, now: float, expires_at: float
    ) -> None:
        key = self._key(report_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, part, body)
            pipe.pexpireat(key, int(expires_at * 1000))
            await pipe.execute()

    async def get_report(self, report_id: str, now: float) -> dict[str, bytes]:
        raw = await self._redis.hgetall(self._key(report_id))
        return {text(k): v if isinstance(v, bytes) else v.encode() for k, v in raw.items()}
