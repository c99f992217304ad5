"""Signing checked by the spec's own implementation (``standardwebhooks``), with one secret and
with several during a rotation; the retry schedule and ``Retry-After`` as pure functions."""

from __future__ import annotations

import base64
import time
from email.utils import formatdate

import pytest
from standardwebhooks import Webhook
from standardwebhooks.exceptions import WebhookVerificationError

from sessionsvc.webhooks.schedule import DELAYS, KEEP_TRYING, next_delay, parse_retry_after
from sessionsvc.webhooks.signing import SecretError, Signer
from testkit.webhook_receiver import make_secret

OLD = make_secret(b"the-old-key-of-the-booking-svc!!")
NEW = make_secret(b"the-new-key-of-the-booking-svc!!")
BODY = b'{"type":"room.opened","timestamp":"2026-11-24T10:00:00Z","data":{"room_id":"r1"}}'


def test_every_configured_secret_signs_so_keys_can_rotate() -> None:
    headers = Signer(f"{OLD} {NEW}").headers("evt_1", int(time.time()), BODY)
    assert headers["webhook-id"] == "evt_1"
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (OLD, NEW):
        assert Webhook(secret).verify(BODY, headers)["data"] == {"room_id": "r1"}
    with pytest.raises(WebhookVerificationError):
        Webhook(make_secret(b"someone-else-entirely-0123456789")).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(OLD).verify(BODY.replace(b"r1", b"r2"), headers)


@pytest.mark.parametrize(
    "secrets",
    ["", "secret", "whsec_not base64!", "whsec_" + base64.b64encode(b"short").decode()],
)
def test_a_bad_secret_is_refused(secrets: str) -> None:
    with pytest.raises(SecretError):
        Signer(secrets)


def test_the_schedule_keeps_trying_for_a_day() -> None:
    assert DELAYS == (0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0)
    assert sum(DELAYS) >= KEEP_TRYING
    waited, attempts = 0.0, 1
    while (delay := next_delay(attempts, waited, jitter=lambda: 0.0)) is not None:
        waited += delay
        attempts += 1
    assert attempts == len(DELAYS) and waited >= KEEP_TRYING
    # a retry burst made by Retry-After does not end it sooner
    assert next_delay(len(DELAYS), 600.0, retry_after=1.0, jitter=lambda: 0.0) == 1.0
    assert next_delay(3, 0.0, jitter=lambda: 1.0) == pytest.approx(1800.0 * 1.1)


def test_retry_after_is_read_as_seconds_or_a_date() -> None:
    now = time.time()
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after(formatdate(now + 60, usegmt=True), now) == pytest.approx(60, abs=1)
    assert parse_retry_after(formatdate(now - 60, usegmt=True), now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert next_delay(1, 0.0, retry_after=10 * 86400.0, jitter=lambda: 0.0) == DELAYS[-1]
