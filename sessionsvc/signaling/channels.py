"""The Socket.IO namespace of the sessions, and the Socket.IO rooms ("channels") its messages go
to: one per session, and one per role in it. Channels work across nodes."""

from __future__ import annotations

from ..rooms.model import Role

NAMESPACE = "/session"
SIDES = (Role.PROFESSIONAL, Role.CLIENT)


def room_channel(room_id: str, role: Role | None = None) -> str:
    """The channel of a session, or of one role in it."""
    return f"r:{room_id}" if role is None else f"r:{room_id}:{role.value}"


def session_of(channel: str) -> str:
    """The session a channel belongs to (any other name stands for itself): the channels of one
    session are one group for the client manager, so a node subscribes to a session once."""
    if channel.startswith("r:"):
        return channel[2:].split(":", 1)[0]
    return channel
