"""How the composition root builds the webhooks and the statement calendar from settings, and
the deliverer's lifetime as an app ``cleanup_ctx`` entry."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from aiohttp import web

from ..metrics import Metrics
from ..rooms.clock import Clock
from ..rooms.errors import InvalidInput
from ..rooms.store import Backend
from ..rooms.workdays import WorkingDays, parse_closing_days
from ..settings import Settings, SettingsError
from .deliverer import Deliverer
from .metrics import WebhookMetrics
from .sender import Sender
from .signing import SecretError, Signer


def create_deliverer(
    settings: Settings, backend: Backend, clock: Clock, metrics: Metrics, node: str
) -> Deliverer:
    """The deliverer of ``backend``'s outbox to ``SESSIONSVC_WEBHOOK_URL`` (none: events are
    kept in the catch-up log only)."""
    sender = None
    if settings.webhook_url:
        if not settings.webhook_secret:
            raise SettingsError("SESSIONSVC_WEBHOOK_URL needs SESSIONSVC_WEBHOOK_SECRET (whsec_…)")
        try:
            signer = Signer(settings.webhook_secret)
        except SecretError as e:
            raise SettingsError(f"SESSIONSVC_WEBHOOK_SECRET: {e}") from None
        sender = Sender(settings.webhook_url, signer, clock, settings.webhook_timeout)
    return Deliverer(
        backend.outbox,
        sender,
        clock,
        WebhookMetrics(metrics.registry),
        node,
        lease_ttl=settings.webhook_lease,
    )


def statement_calendar(settings: Settings | None) -> tuple[WorkingDays, ZoneInfo]:
    """The working days and time zone of statements (None: weekends only, in UTC)."""
    if settings is None:
        return WorkingDays(), ZoneInfo("UTC")
    try:
        zone = ZoneInfo(settings.statement_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"SESSIONSVC_STATEMENT_TIMEZONE: unknown time zone {settings.statement_timezone!r}"
        ) from None
    try:
        closing: tuple[date, ...] = parse_closing_days(settings.statement_closing_days)
        return WorkingDays(settings.statement_country, closing), zone
    except InvalidInput as e:
        raise SettingsError(f"statement settings: {e.message}") from None


def webhooks_lifetime(
    key: web.AppKey[Deliverer],
) -> Callable[[web.Application], contextlib.AbstractAsyncContextManager[None]]:
    """A ``cleanup_ctx`` entry running the deliverer under ``key`` for the app's lifetime."""

    @contextlib.asynccontextmanager
    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        deliverer = app[key]
        task = asyncio.create_task(deliverer.run(), name="sessionsvc-webhooks")
        yield
        deliverer.stop()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return lifetime
