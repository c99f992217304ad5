"""Credit ledgers in Redis: one JSON document per (hub, client), changed by optimistic
transactions."""

from __future__ import annotations

from collections.abc import Callable

from redis.asyncio import Redis
from redis.exceptions import WatchError

from ...rooms.model import Ledger, decode_ledger, encode
from ...rooms.outbox import ledger_changed
from .keys import Keys, text
from .optimistic import Contention, back_off
from .outbox import RedisOutbox


class RedisLedgers:
    def __init__(self, redis: Redis, keys: Keys, outbox: RedisOutbox, *, max_tries: int) -> None:
        self._redis = redis
        self._outbox = outbox
        self._keys = keys
        self._max_tries = max_tries

    async def get_ledger(self, hub_id: str, client_id: str) -> Ledger | None:
        raw = await self._redis.get(self._keys.ledger(hub_id, client_id))
        return None if raw is None else decode_ledger(raw)

    async def update_ledger(
        self, hub_id: str, client_id: str, fn: Callable[[Ledger | None], Ledger]
    ) -> Ledger:
        """Apply ``fn`` to the ledger in one optimistic transaction; if it raises, nothing is
        written."""
        key = self._keys.ledger(hub_id, client_id)
        for conflicts in range(self._max_tries):
            async with self._redis.pipeline(transaction=True) as tx:
                try:
                    await tx.watch(key)
                    raw = await tx.get(key)
                except WatchError:  # the connection broke while watching: a fresh try
                    await back_off(conflicts + 1)
                    continue
                old = None if raw is None else decode_ledger(raw)
                ledger = fn(old)
                tx.multi()  # type: ignore[no-untyped-call]  # redis-py leaves it untyped
                tx.set(key, encode(ledger))
                events = self._outbox.queue(tx, ledger_changed(old, ledger))
                try:
                    await tx.execute()
                except WatchError:
                    await back_off(conflicts + 1)
                    continue
            await self._outbox.committed(events)
            return ledger
        raise Contention(
            f"ledger {hub_id!r}/{client_id!r} kept changing; gave up after {self._max_tries} tries"
        )

    async def live_rooms_for(self, hub_id: str, client_id: str) -> list[str]:
        members = await self._redis.smembers(self._keys.live(hub_id, client_id))
        return sorted(text(m) for m in members)
