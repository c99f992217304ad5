"""What happened to a room, as the services record it, and the listeners that hear it (live
pushes to the waiting room, metrics, …), wired in by the composition root."""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from .funding import FundingState
from .model import Role, Room

log = logging.getLogger(__name__)


class EventKind(enum.StrEnum):
    OPENED = "opened"
    UPDATED = "updated"  # times, names or the waiting-room note changed
    FUNDING = "funding"  # the client's ledger changed
    JOINED = "joined"
    READY = "ready"  # a participant finished its device check, or went back to it
    RECONNECTING = "reconnecting"
    LEFT = "left"
    ADMITTED = "admitted"
    ADMIT_PENDING = "admit_pending"  # admitted while still checking: let in once ready
    HELD = "held"  # the session has just become long enough to count as held
    DENIED = "denied"
    ENDED = "ended"  # completed, not held, cancelled or expired


@dataclass(frozen=True)
class RoomEvent:
    """One change of one room, with the room's funding as of that change."""

    kind: EventKind
    state: FundingState
    role: Role | None = None  # who joined, dropped or left
    conn: str | None = None  # DENIED / JOINED: a connection to close (declined, or taken over)
    resumed: bool = False  # JOINED: came back to a session under way

    @property
    def room(self) -> Room:
        return self.state.room


Listener = Callable[[RoomEvent], Awaitable[None]]


class Events:
    """Hands each room event to every listener, in the order they subscribed. A failing
    listener is logged and does not stop the others, nor the change that was already made."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def emit(self, event: RoomEvent) -> None:
        for listener in self._listeners:
            try:
                await listener(event)
            except Exception:
                log.exception("room event listener failed for %s", event.kind)
