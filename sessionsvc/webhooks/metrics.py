"""The webhooks' figures at ``/metrics``, in the service's registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class WebhookMetrics:
    """Backlog, age of the oldest undelivered event, attempts and failures by status, and the
    time from an event to its delivery."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.backlog = Gauge(
            "sessionsvc_webhook_backlog", "Webhook events not delivered yet", registry=r
        )
        self.oldest_age = Gauge(
            "sessionsvc_webhook_oldest_undelivered_seconds",
            "Age of the oldest webhook event not delivered yet",
            registry=r,
        )
        self.attempts = Counter(
            "sessionsvc_webhook_attempts", "Webhook delivery attempts", ["status"], registry=r
        )
        self.failures = Counter(
            "sessionsvc_webhook_failures",
            "Webhook delivery attempts that failed",
            ["status"],
            registry=r,
        )
        self.given_up = Counter(
            "sessionsvc_webhook_given_up", "Webhook events given up after a day", registry=r
        )
        self.latency = Histogram(
            "sessionsvc_webhook_delivery_seconds",
            "Time from a change to the delivery of its webhook",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 10.0, 60.0, 600.0, 3600.0),
            registry=r,
        )
