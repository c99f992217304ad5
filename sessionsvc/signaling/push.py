"""Turns room events from the domain into Socket.IO messages to the room's two sides.

It emits through the server's client manager, so with Redis the message reaches the sockets on
every node, whichever node made the change (an HTTP call, an event, or the sweeper). Every event
carries the room and its funding as of the change, so pushing reads nothing from the store.
"""

from __future__ import annotations

import msgspec
import socketio

from ..rooms.events import EventKind, RoomEvent
from ..rooms.funding import FundingState
from ..rooms.model import Role
from .channels import NAMESPACE, SIDES, room_channel
from .outcomes import declined
from .views import Views, view_of

TAKEN_OVER = "This session was opened in another window."


class RoomPush:
    """The room-event listener that keeps both screens of a room up to date."""

    def __init__(self, sio: socketio.AsyncServer, views: Views) -> None:
        self.sio = sio
        self.views = views

    async def _emit(self, event: str, data: object, room: str) -> None:
        await self.sio.emit(event, data, room=room, namespace=NAMESPACE)

    async def _snapshots(self, state: FundingState, roles: tuple[Role, ...] = SIDES) -> None:
        for role in roles:
            snapshot = self.views.snapshot(state, role)
            await self._emit("room", snapshot, room_channel(state.room.room_id, role))

    async def _kick(self, sid: str, event: str, data: dict[str, object]) -> None:
        await self.sio.emit(event, data, to=sid, namespace=NAMESPACE)
        await self.sio.disconnect(sid, namespace=NAMESPACE)

    async def __call__(self, event: RoomEvent) -> None:
        room, rid, kind = event.room, event.room.room_id, event.kind
        if kind is EventKind.OPENED:
            return
        if kind is EventKind.FUNDING:
            for role in SIDES:
                view = msgspec.to_builtins(view_of(event.state, role))
                await self._emit("funding", view, room_channel(rid, role))
        elif kind is EventKind.JOINED and event.role is not None:
            if event.conn:
                await self._kick(event.conn, "replaced", {"message": TAKEN_OVER})
            other = room.other(event.role).role
            joined = {"role": event.role.value, "resumed": event.resumed}
            await self._emit("peer_joined", joined, room_channel(rid, other))
        elif kind is EventKind.RECONNECTING and event.role is not None:
            other = room.other(event.role).role
            data = {"role": event.role.value, "grace_s": self.views.reconnect_grace}
            await self._emit("peer_reconnecting", data, room_channel(rid, other))
        elif kind is EventKind.LEFT and event.role is not None:
            other = room.other(event.role).role
            await self._emit("peer_left", {"role": event.role.value}, room_channel(rid, other))
        elif kind is EventKind.READY and event.role is not None:
            other = room.other(event.role).role
            ready = {"role": event.role.value, "ready": room.participant(event.role).ready}
            await self._emit("peer_ready", ready, room_channel(rid, other))
        elif kind is EventKind.ADMITTED:
            for role in SIDES:
                admitted = {
                    "ice_servers": self.views.ice.for_participant(room.participant(role).id),
                    "offerer": "professional",
                }
                await self._emit("admitted", admitted, room_channel(rid, role))
        elif kind is EventKind.DENIED:
            if event.conn:
                texts = declined(room)
                await self._kick(event.conn, "denied", {"message": texts["lines"][0], **texts})
        elif kind is EventKind.ENDED:
            for role in SIDES:
                channel = room_channel(rid, role)
                await self._emit("summary", self.views.summary(room, role), channel)
                reason = room.outcome.reason if room.outcome else None
                await self._emit("ended", {"phase": room.phase.value, "reason": reason}, channel)
        if kind is EventKind.JOINED and event.role is not None:
            # the joiner was sent its own snapshot on connect
            await self._snapshots(event.state, (room.other(event.role).role,))
        else:
            await self._snapshots(event.state)
