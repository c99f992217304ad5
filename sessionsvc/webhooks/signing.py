"""Standard Webhooks signatures: ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature: v1,<base64 HMAC-SHA256(key, "id.timestamp.body")>``, one signature per
configured secret (space-separated), so that a receiver can move to a new key."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

PREFIX = "whsec_"


class SecretError(ValueError):
    """A webhook secret is not ``whsec_`` followed by base64."""


def parse_secrets(value: str) -> tuple[bytes, ...]:
    """The keys of space-separated ``whsec_<base64>`` secrets."""
    keys = []
    for secret in value.split():
        if not secret.startswith(PREFIX):
            raise SecretError("each webhook secret must start with whsec_")
        try:
            key = base64.b64decode(secret[len(PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise SecretError("a webhook secret is not valid base64 after whsec_") from None
        if len(key) < 16:
            raise SecretError("a webhook secret must hold at least 16 bytes")
        keys.append(key)
    if not keys:
        raise SecretError("no webhook secret given")
    return tuple(keys)


class Signer:
    """Signs webhook requests with every configured key."""

    def __init__(self, secrets: str) -> None:
        self._keys = parse_secrets(secrets)

    def headers(self, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
        """The Standard Webhooks headers of one request."""
        signed = f"{event_id}.{timestamp}.".encode() + body
        signatures = " ".join(
            "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
            for key in self._keys
        )
        return {
            "webhook-id": event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signatures,
        }
