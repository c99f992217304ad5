"""Turns room events from the service into Socket.IO messages to the room's two sides.

It emits through the server's client manager, so with Redis the message reaches the sockets on
every node, whichever node made the change (an HTTP call, an event, or the sweeper).
"""

from __future__ import annotations

import logging

import msgspec
import socketio

from ..context import Context
from ..rooms.model import PaymentType, Role
from ..rooms.service import EventKind, FundingState, RoomEvent
from .namespace import NAMESPACE, room_channel
from .views import ice_for, snapshot, summary

log = logging.getLogger(__name__)

SIDES = (Role.PROFESSIONAL, Role.CLIENT)


class RoomPush:
    """The ``Sessions`` listener that keeps both screens of a room up to date."""

    def __init__(self, ctx: Context, sio: socketio.AsyncServer) -> None:
        self.ctx = ctx
        self.sio = sio

    async def _emit(self, event: str, data: object, room: str) -> None:
        await self.sio.emit(event, data, room=room, namespace=NAMESPACE)

    async def _snapshots(self, state: FundingState, roles: tuple[Role, ...] = SIDES) -> None:
        for role in roles:
            await self._emit(
                "room", snapshot(self.ctx, state, role), room_channel(state.room.room_id, role)
            )

    async def _kick(self, sid: str, event: str, message: str) -> None:
        await self.sio.emit(event, {"message": message}, to=sid, namespace=NAMESPACE)
        await self.sio.disconnect(sid, namespace=NAMESPACE)

    async def __call__(self, event: RoomEvent) -> None:
        room, rid = event.room, event.room.room_id
        kind = event.kind
        if kind is EventKind.OPENED:
            return
        state = await self.ctx.sessions.funding_state(room)
        if kind is EventKind.FUNDING:
            for role in SIDES:
                view = msgspec.to_builtins(state.view(role))
                await self._emit("funding", view, room_channel(rid, role))
        elif kind is EventKind.JOINED and event.role is not None:
            if event.conn:
                await self._kick(
                    event.conn, "replaced", "This session was opened in another window."
                )
            resumed = room.admitted_at is not None
            other = room.other(event.role).role
            await self._emit(
                "peer_joined",
                {"role": event.role.value, "resumed": resumed},
                room_channel(rid, other),
            )
        elif kind is EventKind.RECONNECTING and event.role is not None:
            other = room.other(event.role).role
            data = {"role": event.role.value, "grace_s": self.ctx.settings.reconnect_grace}
            await self._emit("peer_reconnecting", data, room_channel(rid, other))
        elif kind is EventKind.LEFT and event.role is not None:
            other = room.other(event.role).role
            await self._emit("peer_left", {"role": event.role.value}, room_channel(rid, other))
        elif kind is EventKind.ADMITTED:
            for role in SIDES:
                admitted = {
                    "ice_servers": ice_for(self.ctx, room.participant(role).id),
                    "offerer": "professional",
                }
                await self._emit("admitted", admitted, room_channel(rid, role))
        elif kind is EventKind.DENIED:
            if event.conn:
                await self._kick(
                    event.conn, "denied", "The professional did not let you in to this session."
                )
        elif kind is EventKind.ENDED:
            if room.outcome is not None:
                self.ctx.metrics.rooms_ended.labels(room.phase.value).inc()
                payment = room.outcome.payment
                if payment is not None and payment.payment_type is PaymentType.CREDIT:
                    self.ctx.metrics.credits_consumed.inc()
            for role in SIDES:
                channel = room_channel(rid, role)
                await self._emit("summary", summary(room, role), channel)
                await self._emit(
                    "ended",
                    {
                        "phase": room.phase.value,
                        "reason": room.outcome.reason if room.outcome else None,
                    },
                    channel,
                )
        if kind is EventKind.JOINED and event.role is not None:
            # the joiner was sent its own snapshot on connect
            await self._snapshots(state, (room.other(event.role).role,))
        else:
            await self._snapshots(state)
