"""The ``/session`` namespace: connect with a join token, then the waiting room and the call.

Connection bookkeeping here (which socket is which participant, rate buckets) is per process and
dies with the socket; everything that matters lives in the store, through ``Sessions``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import msgspec
import socketio

from ..context import Context
from ..rooms.errors import DomainError, Forbidden, InvalidTransition
from ..rooms.model import Phase, Presence, Role
from . import payloads as p
from .ratelimit import Bucket
from .views import snapshot, summary

log = logging.getLogger(__name__)

NAMESPACE = "/session"
Ack = dict[str, Any]


def room_channel(room_id: str, role: Role | None = None) -> str:
    """The Socket.IO room of a session, or of one role in it (works across nodes)."""
    return f"r:{room_id}" if role is None else f"r:{room_id}:{role.value}"


@dataclass
class Conn:
    room_id: str
    role: Role
    participant_id: str
    bucket: Bucket


def _error(code: str, message: str) -> Ack:
    return {"ok": False, "error": {"code": code, "message": message}}


def _refused(code: str, message: str) -> Exception:
    """A refusal the client sees as ``connect_error`` with ``data: {code, message}``."""
    error: Exception = socketio.exceptions.ConnectionRefusedError(
        message, {"code": code, "message": message}
    )
    return error


def _origin_allowed(environ: dict[str, Any], allowed: tuple[str, ...]) -> bool:
    origin = environ.get("HTTP_ORIGIN")
    if not origin:
        return True  # not a browser: the token alone decides
    parts = urlsplit(origin)
    if parts.netloc and parts.netloc == environ.get("HTTP_HOST"):
        return True  # same origin
    return origin.rstrip("/") in allowed


class SessionNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """Handlers of the participants' events. Every event is validated and acknowledged."""

    def __init__(self, ctx: Context) -> None:
        super().__init__(NAMESPACE)
        self.ctx = ctx
        self.conns: dict[str, Conn] = {}
        base = urlsplit(ctx.settings.base_url)
        self.allowed_origins = (
            f"{base.scheme}://{base.netloc}",
            *(o.rstrip("/") for o in ctx.settings.allowed_origins),
        )

    # -- connection --------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        if not _origin_allowed(environ, self.allowed_origins):
            raise _refused("bad_origin", "this page's origin may not connect")
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            claims = self.ctx.tokens.verify_join(token)  # type: ignore[arg-type]
            if claims.role is Role.SUPPORT or claims.room is None:
                raise Forbidden("support tokens do not join sessions")
            room_id, role = claims.room, claims.role
            await self.enter_room(sid, room_channel(room_id))
            await self.enter_room(sid, room_channel(room_id, role))
            self.conns[sid] = Conn(
                room_id, role, claims.sub, Bucket.full(self._rate, time.monotonic())
            )
            await self.ctx.sessions.join(room_id, role, claims.sub, sid, self.ctx.node)
        except DomainError as e:
            self.conns.pop(sid, None)
            raise _refused(e.code, e.message) from None
        except Exception:
            self.conns.pop(sid, None)
            log.exception("connect failed")
            raise _refused("internal_error", "something went wrong on our side") from None
        self.ctx.metrics.connections.inc()
        room = await self.ctx.sessions.get_room(room_id)
        state = await self.ctx.sessions.funding_state(room)
        await self.emit("room", snapshot(self.ctx, state, role), to=sid)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        conn = self.conns.pop(sid, None)
        if conn is None:
            return
        self.ctx.metrics.connections.dec()
        try:
            await self.ctx.sessions.drop(conn.room_id, conn.role, sid)
        except DomainError:
            pass
        except Exception:
            log.exception("disconnect bookkeeping failed")

    @property
    def _rate(self) -> float:
        return self.ctx.settings.event_rate

    # -- dispatch ----------------------------------------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Every client event goes through here: rate limit, validate, run, acknowledge."""
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid = args[0]
        conn = self.conns.get(sid)
        if conn is None:
            return _error("not_connected", "connect with a join token first")
        if not conn.bucket.take(time.monotonic()):
            self.ctx.metrics.rate_limited.inc()
            if conn.bucket.flooding:
                await self.emit(
                    "error",
                    {"code": "rate_limited", "message": "too many events; disconnecting"},
                    to=sid,
                )
                await self.disconnect(sid)
            return _error("rate_limited", "too many events; slow down")
        handler = self._handlers.get(event)
        if handler is None:
            return _error("unknown_event", f"unknown event {event!r}")
        data = args[1] if len(args) > 1 else None
        started = time.perf_counter()
        try:
            result = await handler(self, conn, sid, data)
            ack: Ack = {"ok": True, **(result or {})}
        except p.InvalidPayload as e:
            ack = _error("invalid_payload", str(e))
        except DomainError as e:
            ack = _error(e.code, e.message)
        except Exception:
            log.exception("event %s failed", event)
            ack = _error("internal_error", "something went wrong on our side")
        metrics = self.ctx.metrics
        metrics.events.labels(event, str(ack["ok"]).lower()).inc()
        metrics.event_seconds.labels(event).observe(time.perf_counter() - started)
        return ack

    # -- events ------------------------------------------------------------------------

    async def _device(self, conn: Conn, sid: str, data: Any) -> None:
        device = p.parse(data, p.Device)
        await self.ctx.sessions.record_device(
            conn.room_id, conn.role, {"kind": "device", **msgspec.to_builtins(device)}
        )

    async def _note(self, conn: Conn, sid: str, data: Any) -> None:
        note = p.parse(data, p.Note)
        await self.ctx.sessions.set_note(conn.room_id, conn.role, note.text.strip())

    async def _admit(self, conn: Conn, sid: str, data: Any) -> None:
        msg = p.parse(data, p.Admit)
        await self.ctx.sessions.admit(conn.room_id, conn.role, msg.participant_id, msg.override)

    async def _deny(self, conn: Conn, sid: str, data: Any) -> None:
        msg = p.parse(data, p.Deny)
        await self.ctx.sessions.deny(conn.room_id, conn.role, msg.participant_id)

    async def _signal(self, conn: Conn, sid: str, data: Any) -> None:
        msg = p.parse(data, p.Signal)
        if msg.to == conn.role.value:
            raise p.InvalidPayload("a participant cannot signal itself")
        payload = p.signal_payload(msg)
        room = await self.ctx.sessions.get_room(conn.room_id)
        me = room.participant(conn.role)
        if (
            room.phase is not Phase.IN_SESSION
            or me.conn != sid
            or me.presence is not Presence.PRESENT
        ):
            raise InvalidTransition("signaling is only open between the two admitted participants")
        await self.emit(
            "signal",
            {"from": conn.role.value, "kind": msg.kind, "payload": payload},
            room=room_channel(conn.room_id, Role(msg.to)),
        )

    async def _stats(self, conn: Conn, sid: str, data: Any) -> None:
        stats = p.parse(data, p.Stats)
        sample = {"kind": "stats", **msgspec.to_builtins(stats)}
        await self.ctx.sessions.record_stats(conn.room_id, conn.role, stats.bytes_received, sample)

    async def _end(self, conn: Conn, sid: str, data: Any) -> Ack:
        await self.ctx.sessions.end(conn.room_id, conn.role)
        room = await self.ctx.sessions.get_room(conn.room_id)
        return {"summary": summary(room, conn.role)}

    async def _leave(self, conn: Conn, sid: str, data: Any) -> None:
        await self.ctx.sessions.leave(conn.room_id, conn.role, sid)
        self.conns.pop(sid, None)
        self.ctx.metrics.connections.dec()
        self.server.start_background_task(self.disconnect, sid)  # once the ack is out

    _handlers: ClassVar[
        dict[str, Callable[[SessionNamespace, Conn, str, Any], Awaitable[Ack | None]]]
    ] = {
        "device": _device,
        "note": _note,
        "admit": _admit,
        "deny": _deny,
        "signal": _signal,
        "stats": _stats,
        "end": _end,
        "leave": _leave,
    }
