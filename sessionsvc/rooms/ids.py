"""Identifiers. A room id starts with its client's tag, so that a Redis store can keep a room and
the ledger it consumes from in one Cluster hash slot (both keys carry the tag in ``{…}``).
"""

from __future__ import annotations

import hashlib
import secrets


def client_tag(client_id: str) -> str:
    """A short stable tag for a client id."""
    return hashlib.sha1(client_id.encode(), usedforsecurity=False).hexdigest()[:8]


def new_room_id(client_id: str) -> str:
    return f"{client_tag(client_id)}-{secrets.token_urlsafe(12)}"


def room_tag(room_id: str) -> str:
    """The tag a room id carries (its client's); the whole id when it has none."""
    tag, sep, _ = room_id.partition("-")
    return tag if sep else room_id
