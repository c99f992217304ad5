"""ICE servers handed to the browsers on admit, with short-lived TURN credentials per coturn's
REST scheme: username ``expiry:participant``, password ``base64(HMAC-SHA1(secret, username))``."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any


def turn_credentials(secret: str, participant_id: str, now: float, ttl: int) -> tuple[str, str]:
    """The (username, password) pair a TURN server with ``use-auth-secret`` accepts until
    ``now + ttl``."""
    username = f"{int(now) + ttl}:{participant_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(
    *,
    stun_urls: tuple[str, ...],
    turn_urls: tuple[str, ...],
    turn_secret: str,
    turn_ttl: int,
    participant_id: str,
    now: float,
) -> list[dict[str, Any]]:
    """The RTCIceServer list for one participant (empty on loopback-only set-ups)."""
    servers: list[dict[str, Any]] = []
    if stun_urls:
        servers.append({"urls": list(stun_urls)})
    if turn_urls and turn_secret:
        username, credential = turn_credentials(turn_secret, participant_id, now, turn_ttl)
        servers.append({"urls": list(turn_urls), "username": username, "credential": credential})
    return servers
