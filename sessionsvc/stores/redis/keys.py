"""The Redis key layout, under one prefix.

Every key carries a hash tag, so that each multi-key operation stays in one Redis Cluster slot:
a room, the ledger it consumes from and that ledger's set of live rooms share their client's tag
(``rooms.ids``); the sweeper's keys (deadlines, node heartbeats, each node's rooms) share the
``{timeouts}`` tag; the booking index, the recent-rooms list and the per-professional lists are
each touched by single-key commands.
"""

from __future__ import annotations

from urllib.parse import quote

from ...rooms.ids import client_tag, room_tag


def part(value: str) -> str:
    """A key component: ids may hold ``:`` or braces, which would blur keys or hash tags."""
    return quote(value, safe="")


def text(value: object) -> str:
    """A member or key as text (the client returns bytes; typed as any reply)."""
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    raise TypeError(f"unexpected reply {value!r}")


class Keys:
    """The names of every key, under ``prefix``."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.due = f"{prefix}:{{timeouts}}:due"
        self.due_versions = f"{prefix}:{{timeouts}}:versions"
        self.nodes = f"{prefix}:{{timeouts}}:alive"
        self.recent = f"{prefix}:{{recent}}:rooms"

    def node_rooms(self, node: str) -> str:
        return f"{self.prefix}:{{timeouts}}:node:{part(node)}"

    def room(self, room_id: str) -> str:
        return f"{self.prefix}:{{{part(room_tag(room_id))}}}:room:{part(room_id)}"

    def ledger(self, hub_id: str, client_id: str) -> str:
        tag = part(client_tag(client_id))
        return f"{self.prefix}:{{{tag}}}:ledger:{part(hub_id)}:{part(client_id)}"

    def live(self, hub_id: str, client_id: str) -> str:
        tag = part(client_tag(client_id))
        return f"{self.prefix}:{{{tag}}}:live:{part(hub_id)}:{part(client_id)}"

    def samples(self, room_id: str, role: str) -> str:
        """A participant's media samples: in its room's slot."""
        return f"{self.prefix}:{{{part(room_tag(room_id))}}}:samples:{part(room_id)}:{role}"

    def timeline(self, room_id: str, role: str) -> str:
        """A participant's media timeline: in its room's slot."""
        return f"{self.prefix}:{{{part(room_tag(room_id))}}}:timeline:{part(room_id)}:{role}"

    def booking(self, booking_id: str) -> str:
        return f"{self.prefix}:{{b:{part(booking_id)}}}"

    def professional(self, professional_id: str) -> str:
        return f"{self.prefix}:{{p:{part(professional_id)}}}:rooms"

    def outbox(self, stream: str) -> str:
        """A client tag's outbox stream: in the slot of that client's rooms and ledgers."""
        return f"{self.prefix}:{{{part(stream)}}}:outbox"

    def outbox_tries(self, stream: str) -> str:
        return f"{self.prefix}:{{{part(stream)}}}:outbox:tries"

    def outbox_lease(self, stream: str) -> str:
        return f"{self.prefix}:{{{part(stream)}}}:outbox:lease"

    def outbox_pattern(self) -> str:
        """SCAN pattern of every outbox stream (and of nothing else)."""
        return f"{self.prefix}:{{*}}:outbox"

    @property
    def webhooks_due(self) -> str:
        """The streams with events to deliver (sorted by when), in the ``{webhooks}`` slot."""
        return f"{self.prefix}:{{webhooks}}:streams"

    @property
    def webhooks_log(self) -> str:
        return f"{self.prefix}:{{webhooks}}:log"

    @property
    def webhooks_log_ids(self) -> str:
        return f"{self.prefix}:{{webhooks}}:log-ids"

    @property
    def webhooks_stopped(self) -> str:
        return f"{self.prefix}:{{webhooks}}:stopped"

    def credit_sessions(self, professional_id: str) -> str:
        """A professional's Credit sessions by end time: in the professional's slot."""
        return f"{self.prefix}:{{p:{part(professional_id)}}}:credits"
