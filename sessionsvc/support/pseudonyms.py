"""Stable pseudonyms for participants: the same person reads the same in every room and on every
node, and nothing leads back from the pseudonym to them without the service's secret."""

from __future__ import annotations

import base64
import hashlib
import hmac


class Pseudonyms:
    """``of(participant_id)`` → e.g. ``K7QX-2MPA``: an HMAC of the id under a key derived from a
    secret every node shares (the join secret), so no list of known ids can be hashed to find
    someone."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(b"sessionsvc pseudonyms\0" + secret.encode()).digest()

    def of(self, participant_id: str) -> str:
        digest = hmac.new(self._key, participant_id.encode(), hashlib.sha256).digest()
        code = base64.b32encode(digest).decode()[:8]
        return f"{code[:4]}-{code[4:]}"
