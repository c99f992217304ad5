"""Who may signal, remembered on this node between changes of the room, so that relaying a
``signal`` does not read the room from Redis every time.

A connection's check (``rooms.roles.check_signal``: the session is under way, and this
connection holds its role and is present) is read from the store once and then trusted until
this node hears of any change to that room. Every change of a room is announced to its channels
(``room``, ``peer_joined``, ``peer_left``, ``ended``, …; ``signaling.push``), and the client
manager delivers each announcement to every node with a participant of that room: on delivery
the room's checks are forgotten and the next ``signal`` reads the room again. A check is also
forgotten after ``ttl`` seconds, so a lost announcement (the link to Redis cut meanwhile) does
not keep it for long.

Without the sharded manager (one process on the memory store, or python-socketio's broadcast
manager) nothing tells it of changes, and a gate with ``ttl=0`` keeps no check at all.

A check read while an announcement arrived is not kept (each room's changes are counted, and a
check is kept only if the count did not move during its read), so an answer from before a
change never outlives the change's announcement on this node.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from .channels import session_of

# what is sent to a room without changing it: relayed signals, quality grades, fresh TURN
# credentials. Every other event sent to a room's channels means the room changed.
UNCHANGING = frozenset({"signal", "quality", "ice_servers"})
TTL = 5.0


class SignalGate:
    """This node's passed signal checks, by room and connection."""

    def __init__(self, *, ttl: float = TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._passed: dict[str, dict[str, float]] = {}  # room -> sid -> until
        self._changes: dict[str, int] = {}  # room -> changes heard of while it had a connection
        self._room_of: dict[str, str] = {}  # sid -> room, for the connections on this node
        self._members: dict[str, int] = {}  # room -> its connections on this node

    @property
    def rooms(self) -> int:
        """How many rooms it keeps anything for (rooms with a connection on this node)."""
        return len(self._changes)

    def connected(self, room_id: str, sid: str) -> None:
        previous = self._room_of.get(sid)
        if previous == room_id:
            return
        if previous is not None:
            self.disconnected(sid)
        self._room_of[sid] = room_id
        self._members[room_id] = self._members.get(room_id, 0) + 1
        self._changes.setdefault(room_id, 0)

    def disconnected(self, sid: str) -> None:
        room_id = self._room_of.pop(sid, None)
        if room_id is None:
            return
        passed = self._passed.get(room_id)
        if passed is not None:
            passed.pop(sid, None)
            if not passed:
                del self._passed[room_id]
        self._members[room_id] -= 1
        if not self._members[room_id]:
            del self._members[room_id]
            self._changes.pop(room_id, None)
            self._passed.pop(room_id, None)

    def passed(self, room_id: str, sid: str) -> bool:
        """Whether ``sid`` passed the check since the room last changed (and recently)."""
        until = self._passed.get(room_id, {}).get(sid)
        return until is not None and self.clock() < until

    def changes(self, room_id: str) -> int:
        """A count to take before reading the room, and to give back to ``remember``."""
        return self._changes.get(room_id, 0)

    def remember(self, room_id: str, sid: str, changes: int) -> None:
        """``sid`` passed the check on a room read after ``changes()`` said ``changes``."""
        if self._room_of.get(sid) != room_id or self._changes.get(room_id) != changes:
            return  # gone meanwhile, or the room changed during the read
        self._passed.setdefault(room_id, {})[sid] = self.clock() + self.ttl

    def changed(self, room_id: str) -> None:
        """The room changed: its checks are read again."""
        if room_id in self._changes:
            self._changes[room_id] += 1
        self._passed.pop(room_id, None)

    def delivered(self, event: str, to: str | Iterable[str] | None) -> None:
        """The client manager delivers ``event`` to ``to`` (channels or connections) on this
        node: unless it is one of the ``UNCHANGING`` events, the rooms it names changed."""
        if event in UNCHANGING or not (self._changes or self._passed):
            return
        if to is None:  # to everyone on the namespace
            for room_id in list(self._changes):
                self.changed(room_id)
            return
        for target in [to] if isinstance(to, str) else to:
            if target.startswith("r:"):  # a room's channel
                self.changed(session_of(target))
            elif (room := self._room_of.get(target)) is not None:  # a connection here
                self.changed(room)
