"""Node liveness: every node says it is alive; when one dies, the participants connected
through it get their reconnect grace, exactly as if their connection had dropped, so a session
never waits forever for someone who is not coming back."""

from __future__ import annotations

from .clock import Clock
from .errors import RoomNotFound
from .events import EventKind, Events, RoomEvent
from .lifecycle import node_lost
from .live import state_of
from .model import Ledger, Role, Room
from .policy import Policy
from .store import NodeStore, RoomStore
from .transitions import Transition, apply


class NodeLiveness:
    """Heartbeats of this node, and the reaping of dead ones."""

    def __init__(
        self, nodes: NodeStore, rooms: RoomStore, clock: Clock, policy: Policy, events: Events
    ) -> None:
        self._nodes = nodes
        self._rooms = rooms
        self._clock = clock
        self._policy = policy
        self._events = events

    async def heartbeat(self, node: str, ttl: float) -> None:
        """``node`` is alive for ``ttl`` more seconds."""
        await self._nodes.heartbeat(node, self._clock.now() + ttl)

    async def reap_dead_nodes(self) -> int:
        """Give the participants of every dead node their reconnect grace; returns how many
        dead nodes were handled."""
        now = self._clock.now()
        dead = await self._nodes.dead_nodes(now)
        for node in dead:
            for room_id in await self._nodes.node_rooms(node):
                try:
                    applied = await apply(self._rooms, self._policy, room_id, _lose(node, now))
                except RoomNotFound:
                    continue
                for role in applied.result:
                    await self._events.emit(
                        RoomEvent(EventKind.RECONNECTING, state_of(applied), role)
                    )
            await self._nodes.forget_node(node)
        return len(dead)


def _lose(node: str, now: float) -> Transition[tuple[Role, ...]]:
    def fn(room: Room, ledger: Ledger | None) -> tuple[Room, None, tuple[Role, ...]]:
        new, lost = node_lost(room, node, now)
        return new, None, lost

    return fn
