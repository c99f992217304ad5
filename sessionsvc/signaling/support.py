"""The ``/support`` namespace: the support dashboard's live view. Connect with a support token;
the live rooms arrive at once and every change of one follows (``room``; a row without
``quality`` leaves the grades as they were); ``watch`` a room to
receive each of its graded stats samples as they come (``sample``). Every read is audited by the
support desk; nothing here names a participant (see ``support.views``).

Pushes go through the server's client manager, so with Redis a change on any node reaches the
dashboards on every node.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import socketio

from ..rooms.errors import DomainError
from ..rooms.events import RoomEvent
from ..rooms.mediastats import QualityUpdate
from ..support.desk import SupportDesk
from ..support.views import sample_view
from ..tokens import TokenError, TokenService
from . import payloads as p
from .errors import INTERNAL, Ack, connect_refusal, reason, refusal
from .namespace import _origin_allowed
from .ratelimit import Bucket

log = logging.getLogger(__name__)

SUPPORT_NAMESPACE = "/support"
LIVE = "support:live"


def watch_channel(room_id: str) -> str:
    """The channel of the dashboards that follow one room."""
    return f"support:room:{room_id}"


@dataclass
class Viewer:
    who: str  # the support identity, for the audit log
    bucket: Bucket
    watching: set[str] = field(default_factory=set)


class SupportNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Handlers of the support dashboard's connection. Every event is validated and
    acknowledged."""

    def __init__(
        self,
        desk: SupportDesk,
        tokens: TokenService,
        *,
        allowed_origins: tuple[str, ...],
        event_rate: float,
    ) -> None:
        super().__init__(SUPPORT_NAMESPACE)
        self.desk = desk
        self.tokens = tokens
        self.allowed_origins = allowed_origins
        self.event_rate = event_rate
        self.viewers: dict[str, Viewer] = {}

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        if not _origin_allowed(environ, self.allowed_origins):
            raise connect_refusal("bad_origin", "this page's origin may not connect")
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            who = self.tokens.verify_support(token).sub  # type: ignore[arg-type]
            rooms = await self.desk.live_rooms(who)
        except (DomainError, TokenError) as e:
            raise connect_refusal(*reason(e)) from None
        except Exception:
            log.exception("support connect failed")
            raise connect_refusal(*INTERNAL) from None
        self.viewers[sid] = Viewer(who, Bucket.full(self.event_rate, time.monotonic()))
        await self.enter_room(sid, LIVE)
        await self.emit("live", {"rooms": rooms}, to=sid)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        self.viewers.pop(sid, None)

    async def trigger_event(self, event: str, *args: Any) -> Any:
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid = args[0]
        viewer = self.viewers.get(sid)
        if viewer is None:
            return refusal("not_connected", "connect with a support token first")
        if not viewer.bucket.take(time.monotonic()):
            return refusal("rate_limited", "too many events; slow down")
        handler = self._handlers.get(event)
        if handler is None:
            return refusal("unknown_event", f"unknown event {event!r}")
        data = args[1] if len(args) > 1 else None
        try:
            return {"ok": True, **(await handler(self, viewer, sid, data) or {})}
        except (p.InvalidPayload, DomainError, TokenError) as e:
            return refusal(*reason(e))
        except Exception as e:
            log.exception("support event %s failed", event)
            return refusal(*reason(e))

    async def _watch(self, viewer: Viewer, sid: str, data: Any) -> Ack:
        msg = p.parse(data, p.Watch)
        row = await self.desk.watch(viewer.who, msg.room_id)
        viewer.watching.add(msg.room_id)
        await self.enter_room(sid, watch_channel(msg.room_id))
        return {"room": row}

    async def _unwatch(self, viewer: Viewer, sid: str, data: Any) -> None:
        msg = p.parse(data, p.Watch)
        viewer.watching.discard(msg.room_id)
        await self.leave_room(sid, watch_channel(msg.room_id))

    _handlers: ClassVar[
        dict[str, Callable[[SupportNamespace, Viewer, str, Any], Awaitable[Ack | None]]]
    ] = {"watch": _watch, "unwatch": _unwatch}


class SupportPush:
    """Room events and graded samples → the dashboards: a room's row whenever it changes (or a
    side's grade does), and each sample to those who follow that room."""

    def __init__(self, sio: socketio.AsyncServer, desk: SupportDesk) -> None:
        self.sio = sio
        self.desk = desk

    async def _emit(self, event: str, data: object, room: str) -> None:
        await self.sio.emit(event, data, room=room, namespace=SUPPORT_NAMESPACE)

    async def _row(self, row: dict[str, Any]) -> None:
        await self._emit("room", row, LIVE)
        await self._emit("room", row, watch_channel(row["room_id"]))

    async def on_room_event(self, event: RoomEvent) -> None:
        """A room changed: its row, without grades (a join reads nothing more for it)."""
        await self._row(self.desk.change(event.room))

    async def on_quality(self, update: QualityUpdate) -> None:
        room, role = update.room, update.role
        sample = {
            "room_id": room.room_id,
            "role": role.value,
            "pseudonym": self.desk.pseudonyms.of(room.participant(role).id),
            "sample": sample_view(update.sample),
        }
        await self._emit("sample", sample, watch_channel(room.room_id))
        if update.sample.grade != update.previous_grade:
            await self._row((await self.desk.rows([room]))[0])
