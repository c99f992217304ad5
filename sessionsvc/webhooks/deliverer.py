"""The deliverer: on every node, a background loop that works through the outbox. Each due
stream is taken under a lease, so one node at a time delivers it, event by event in order; a
failure defers the whole stream (and so every later event of its rooms) until its retry time.
Nothing here runs in a session's path: a slow, failing or absent receiver only grows the
backlog."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

from ..rooms.clock import Clock
from ..rooms.outbox import OutboxEvent
from ..rooms.store import OutboxStore, Pending, Tries
from .metrics import WebhookMetrics
from .schedule import next_delay
from .sender import Attempt, Sender

log = logging.getLogger(__name__)

LEASE_TTL = 30.0  # seconds a stream's lease lasts unless renewed (a dead holder's runs out)
BATCH = 100  # events read from a stream at a time
ACK_EVERY = 0.1  # seconds between removals of delivered events while a stream is delivered
POLL = 0.05  # seconds between looks at the due index when this node wrote nothing
STREAMS_AT_ONCE = 32  # streams this node delivers concurrently
RECOVER_EVERY = 30.0  # seconds between looks for streams whose writer died before marking them
METRICS_EVERY = 5.0  # seconds between backlog measurements
ENDPOINT_EVERY = 1.0  # seconds between looks at whether another node saw a 410
CLOSE_WAIT = 5.0  # seconds a stopping deliverer waits for its deliveries to end


class _Acks:
    """The delivered events of one stream not removed yet. Every ``ACK_EVERY`` seconds they
    are removed in the background while the next event is sent, all that gathered in one
    call; the last ones go with the call that settles the stream. A node dying before their
    removal sends them again (at least once, same ids): at most ``ACK_EVERY`` seconds'
    worth."""

    def __init__(self, outbox: OutboxStore, stream: str, clock: Clock) -> None:
        self._outbox = outbox
        self._stream = stream
        self._clock = clock
        self._waiting: list[Pending] = []
        self._removing: asyncio.Task[None] | None = None
        self._since = clock.now()

    def add(self, pending: Pending) -> None:
        self._waiting.append(pending)

    def start(self) -> None:
        """Remove the waiting ones in the background if they have waited ``ACK_EVERY``,
        unless a removal is under way."""
        if self._clock.now() - self._since < ACK_EVERY:
            return
        if self._waiting and (self._removing is None or self._removing.done()):
            self._since = self._clock.now()
            if self._removing is not None and self._removing.exception() is not None:
                return  # finish raises it
            batch, self._waiting = self._waiting, []
            self._removing = asyncio.create_task(self._outbox.done(self._stream, batch))

    async def finish(self) -> list[Pending]:
        """Wait for the removal under way (raising its error); returns the ones still
        waiting, for the caller to remove."""
        if self._removing is not None:
            removing, self._removing = self._removing, None
            await removing
        batch, self._waiting = self._waiting, []
        return batch

    def cancel(self) -> None:
        """Stop a removal under way (its events are sent again later), or take its error."""
        removing, self._removing = self._removing, None
        if removing is None:
            return
        if not removing.done():
            removing.cancel()
        elif not removing.cancelled() and removing.exception() is not None:
            log.warning("could not remove delivered webhooks; they are sent again later")


class Deliverer:
    """Delivers the outbox to ``sender`` (None: no endpoint configured; events are only kept
    in the catch-up log)."""

    def __init__(
        self,
        outbox: OutboxStore,
        sender: Sender | None,
        clock: Clock,
        metrics: WebhookMetrics,
        holder: str,
        *,
        poll: float = POLL,
        lease_ttl: float = LEASE_TTL,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._outbox = outbox
        self.sender = sender
        self._clock = clock
        self._metrics = metrics
        self._holder = holder
        self._poll = poll
        self._lease_ttl = lease_ttl
        self._jitter = jitter
        self._active: dict[str, asyncio.Task[None]] = {}
        self._next_recover = 0.0
        self._next_metrics = 0.0
        self._stopping = False
        self._full = False  # due streams were left for want of a free slot, at the last look
        self._stopped = False  # delivery to the endpoint stopped by a 410, as last looked up
        self._endpoint_checked = float("-inf")

    async def run(self) -> None:
        """Deliver until ``stop`` (or cancelled); errors are logged and the loop goes on."""
        try:
            while not self._stopping:
                try:
                    await self.step()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("webhook delivery round failed; trying again")
                # streams left waiting for a free slot: look again soon, as slots free up
                await self._outbox.wait_for_events(self._poll / 10 if self._full else self._poll)
        finally:
            await self.close()

    def stop(self) -> None:
        """End ``run`` at its next turn. Cancelling alone is not enough: redis-py (8.1) can
        swallow a cancellation that lands inside a command, and on Python 3.11 a task that
        swallowed one ignores every later ``cancel``."""
        self._stopping = True

    async def step(self) -> int:
        """One look at the outbox: start delivering every due stream this node is not
        delivering already; returns how many were started."""
        now = self._clock.now()
        if now >= self._next_recover:
            self._next_recover = now + RECOVER_EVERY
            found = await self._outbox.recover(now)
            if found:
                log.info(
                    "%d outbox streams had events but were not due (their writer died, or was "
                    "still opening a room): they are due in a moment",
                    found,
                )
        if now >= self._next_metrics:
            self._next_metrics = now + METRICS_EVERY
            await self.measure()
        if await self._endpoint_stopped(now):
            return 0
        room = STREAMS_AT_ONCE - len(self._active)
        if room <= 0:
            return 0
        started, self._full = 0, False
        for stream in await self._outbox.due_streams(now, STREAMS_AT_ONCE * 2):
            if stream in self._active:
                continue
            if started >= room:
                self._full = True
                break
            task = asyncio.create_task(self._drain(stream), name=f"sessionsvc-webhooks-{stream}")
            self._active[stream] = task
            task.add_done_callback(self._finished(stream))
            started += 1
        return started

    def _finished(self, stream: str) -> Callable[[asyncio.Task[None]], None]:
        def forget(_task: asyncio.Task[None]) -> None:
            self._active.pop(stream, None)

        return forget

    async def _endpoint_stopped(self, now: float) -> bool:
        """Whether a 410 stopped delivery, as the store says at most every ``ENDPOINT_EVERY``
        seconds (every change wakes the deliverer: this keeps that look cheap)."""
        if self.sender is None:
            return False
        if now >= self._endpoint_checked + ENDPOINT_EVERY:
            self._endpoint_checked = now
            self._stopped = await self._outbox.endpoint_stopped(self.sender.url) is not None
        return self._stopped

    async def idle(self) -> None:
        """Wait for the streams being delivered now (for tests and benchmarks)."""
        while self._active:
            await asyncio.gather(*self._active.values(), return_exceptions=True)

    async def measure(self) -> None:
        count, oldest = await self._outbox.backlog()
        self._metrics.backlog.set(count)
        self._metrics.oldest_age.set(0 if oldest is None else self._clock.now() - oldest)

    async def _drain(self, stream: str) -> None:
        outbox, holder = self._outbox, self._holder
        acks = _Acks(outbox, stream, self._clock)
        try:
            batch = await outbox.take(stream, holder, self._clock.now(), self._lease_ttl, BATCH)
            if batch is None:
                return
            settled = False
            try:
                while True:
                    for pending in batch:
                        acks.start()  # the ones before, removed while this one is sent
                        if not await self._deliver(stream, pending, acks):
                            return
                    if len(batch) < BATCH:  # worked through; settle sees what came meanwhile
                        break
                    await outbox.done(stream, await acks.finish())
                    batch = await outbox.take(
                        stream, holder, self._clock.now(), self._lease_ttl, BATCH
                    )
                    if batch is None:  # the lease ran out and another node took the stream
                        return
                await outbox.settle(stream, holder, await acks.finish())
                settled = True
            finally:
                if not settled:
                    await outbox.release(stream, holder)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("delivering outbox stream %s failed; it is tried again later", stream)
        finally:
            acks.cancel()

    async def _deliver(self, stream: str, pending: Pending, acks: _Acks) -> bool:
        """Deliver one event; True to go on with the next one of the stream."""
        if self.sender is None:
            acks.add(pending)
            return True
        event = pending.event
        attempt = await self.sender.send(event)
        self._metrics.attempts.labels(attempt.label).inc()
        now = self._clock.now()
        if attempt.ok:
            acks.add(pending)
            self._metrics.latency.observe(max(now - event.timestamp, 0.0))
            return True
        self._metrics.failures.labels(attempt.label).inc()
        await self._outbox.done(stream, await acks.finish())
        if attempt.gone:
            reason = f"the endpoint answered 410 Gone to {event.id}"
            await self._outbox.stop_endpoint(self.sender.url, reason)
            self._stopped = True
            log.error(
                "webhook endpoint answered 410 Gone: delivery stopped on every node until it is "
                "resumed (POST /v1/webhooks/endpoint/resume); events keep in the outbox"
            )
            # due again at once, for when delivery resumes; the attempt does not count
            await self._outbox.retry_later(stream, event.id, pending.tries, now)
            return False
        return await self._defer(stream, pending, attempt, now, acks)

    async def _defer(
        self, stream: str, pending: Pending, attempt: Attempt, now: float, acks: _Acks
    ) -> bool:
        event, tries = pending.event, pending.tries
        first = tries.first_at if tries.first_at is not None else now
        count = tries.count + 1
        delay = next_delay(count, now - first, attempt.retry_after, self._jitter)
        if delay is None:
            log.error(
                "webhook %s (%s) given up after %d attempts over a day (last: %s); it stays "
                "in the catch-up log",
                event.id,
                event.type.value,
                count,
                attempt.label,
            )
            self._metrics.given_up.inc()
            acks.add(pending)
            return True
        log.info(
            "webhook %s failed (%s); attempt %d in %.0f s",
            event.id,
            attempt.label,
            count + 1,
            delay,
        )
        await self._outbox.retry_later(stream, event.id, Tries(count, first), now + delay)
        return False

    async def redeliver(self, event_id: str) -> Attempt | None:
        """Send one logged event again, now, whatever became of it (None: not in the log)."""
        event = await self._outbox.logged(event_id)
        if event is None:
            return None
        if self.sender is None:
            return Attempt(None, "no_endpoint")
        attempt = await self.sender.send(event)
        self._metrics.attempts.labels(attempt.label).inc()
        if not attempt.ok:
            self._metrics.failures.labels(attempt.label).inc()
        return attempt

    async def events_after(self, after: str | None, limit: int) -> list[OutboxEvent]:
        """The catch-up log after event ``after`` (see ``OutboxStore.log_after``)."""
        return await self._outbox.log_after(after, limit)

    async def stopped(self) -> str | None:
        """Why delivery to the endpoint was stopped (None: it was not, or there is none)."""
        return None if self.sender is None else await self._outbox.endpoint_stopped(self.sender.url)

    async def resume(self) -> None:
        """Deliver to the endpoint again after a 410 stopped it."""
        if self.sender is not None:
            await self._outbox.stop_endpoint(self.sender.url, None)
            self._stopped = False
            log.warning("webhook delivery resumed")

    async def close(self) -> None:
        """Stop the deliveries under way (their events stay in the outbox) and the client."""
        tasks = list(self._active.values())
        for task in tasks:
            task.cancel()
        if tasks:
            # bounded: redis-py can swallow a cancellation that lands inside a command
            _, left = await asyncio.wait(tasks, timeout=CLOSE_WAIT)
            if left:
                log.warning("%d webhook deliveries did not stop in time", len(left))
        if self.sender is not None:
            await self.sender.close()
