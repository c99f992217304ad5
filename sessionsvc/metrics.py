"""Prometheus metrics of one service instance, in its own registry (no module-level globals)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from .rooms.events import EventKind, RoomEvent
from .rooms.model import PaymentType


class Metrics:
    """The counters, gauges and histograms the service exports at ``/metrics``."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter(
            "sessionsvc_http_requests", "HTTP requests", ["method", "route", "status"], registry=r
        )
        self.rooms_opened = Counter("sessionsvc_rooms_opened", "Rooms opened", registry=r)
        self.rooms_ended = Counter(
            "sessionsvc_rooms_ended", "Rooms ended, by final phase", ["phase"], registry=r
        )
        self.credits_consumed = Counter(
            "sessionsvc_credits_consumed", "Company credits consumed by held sessions", registry=r
        )
        self.connections = Gauge(
            "sessionsvc_socket_connections", "Open Socket.IO connections on this node", registry=r
        )
        self.events = Counter(
            "sessionsvc_socket_events", "Socket.IO events handled", ["event", "ok"], registry=r
        )
        self.rate_limited = Counter(
            "sessionsvc_socket_rate_limited",
            "Socket.IO events refused by rate limiting",
            registry=r,
        )
        self.event_seconds = Histogram(
            "sessionsvc_socket_event_seconds",
            "Time to handle a Socket.IO event",
            ["event"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=r,
        )

    async def on_room_event(self, event: RoomEvent) -> None:
        """Count what the domain reports, whichever path made the change (the API, the demo,
        the sweeper or a participant)."""
        if event.kind is EventKind.OPENED:
            self.rooms_opened.inc()
        elif event.kind is EventKind.ENDED:
            self.rooms_ended.labels(event.room.phase.value).inc()
            outcome = event.room.outcome
            if outcome and outcome.payment and outcome.payment.payment_type is PaymentType.CREDIT:
                self.credits_consumed.inc()

    def render(self) -> bytes:
        return bytes(generate_latest(self.registry))
