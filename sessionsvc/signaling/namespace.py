"""The ``/session`` namespace: connect with a join token, then the waiting room and the call.

Connection bookkeeping here (which socket is which participant, rate buckets) is per process and
dies with the socket; everything that matters lives in the store, through ``LiveSession``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlsplit

import socketio

from ..metrics import Metrics
from ..rooms.errors import DomainError, RoomClosed
from ..rooms.live import LiveSession
from ..rooms.mediastats import MediaStats
from ..rooms.model import Role
from ..rooms.roles import Action, authorize, check_signal
from ..tokens import TokenError, TokenService
from . import payloads as p
from .channels import NAMESPACE, room_channel
from .errors import INTERNAL, Ack, connect_refusal, reason, refusal
from .gate import SignalGate
from .ratelimit import Bucket, Cooldowns, KeyedBuckets
from .views import Views

log = logging.getLogger(__name__)

IDENTITY_BURST = 10.0  # connects a participant may make at once (page reloads, a tab take-over)


@dataclass
class Conn:
    room_id: str
    role: Role
    participant_id: str
    bucket: Bucket


def identity(room_id: str, role: Role, participant_id: str) -> str:
    """The key of one participant of one room, for its connect rate and cool-down."""
    return f"{room_id} {role.value} {participant_id}"


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

    def __init__(
        self,
        live: LiveSession,
        tokens: TokenService,
        views: Views,
        metrics: Metrics,
        media: MediaStats,
        *,
        node: str,
        allowed_origins: tuple[str, ...],
        event_rate: float,
        connect_rate: float = 0.2,
        flood_cooldown: float = 30.0,
        gate: SignalGate | None = None,
    ) -> None:
        super().__init__(NAMESPACE)
        self.live = live
        self.tokens = tokens
        self.views = views
        self.metrics = metrics
        self.media = media
        self.node = node
        self.allowed_origins = allowed_origins
        self.event_rate = event_rate
        self.conns: dict[str, Conn] = {}
        # passed signal checks, kept until the room changes (signaling/gate.py); by default none
        # is kept (one process on the memory store, where reading the room costs nothing)
        self.gate = gate or SignalGate(ttl=0.0)
        self._connects = KeyedBuckets(connect_rate, IDENTITY_BURST)
        self._cooldowns = Cooldowns(flood_cooldown)
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def idle(self, within: float) -> bool:
        """Wait until no event is being handled (at most ``within`` seconds); whether it is."""
        try:
            await asyncio.wait_for(self._idle.wait(), within)
        except TimeoutError:
            return False
        return True

    # -- connection --------------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        if not _origin_allowed(environ, self.allowed_origins):
            raise connect_refusal("bad_origin", "this page's origin may not connect")
        token = auth.get("token") if isinstance(auth, dict) else None
        try:
            claims = self.tokens.verify_join(token)  # type: ignore[arg-type]
            authorize(claims.role, Action.JOIN)
            assert claims.room is not None  # a participant's token always names its room
            room_id, role = claims.room, claims.role
            self._check_connect_rate(identity(room_id, role, claims.sub))
            await self.enter_room(sid, room_channel(room_id))
            await self.enter_room(sid, room_channel(room_id, role))
            self.conns[sid] = Conn(
                room_id, role, claims.sub, Bucket.full(self.event_rate, time.monotonic())
            )
            self.gate.connected(room_id, sid)
            checking = isinstance(auth, dict) and auth.get("checking") is True
            arrival = await self.live.join(
                room_id, role, claims.sub, sid, self.node, ready=not checking
            )
        except RoomClosed as e:
            self._forget(sid)
            raise connect_refusal(*reason(e), await self._ended(claims.room, claims.role)) from None
        except (DomainError, TokenError) as e:
            self._forget(sid)
            raise connect_refusal(*reason(e)) from None
        except socketio.exceptions.ConnectionRefusedError:
            raise
        except Exception:
            self._forget(sid)
            log.exception("connect failed")
            raise connect_refusal(*INTERNAL) from None
        self.metrics.connections.inc()
        await self.emit("room", self.views.snapshot(arrival.state, role), to=sid)

    def _check_connect_rate(self, who: str) -> None:
        """A participant cut off for flooding waits out its cool-down; connecting again and
        again is rate limited (each connect is news to the other side of the room)."""
        now = time.monotonic()
        wait = self._cooldowns.remaining(who, now)
        if wait:
            raise connect_refusal(
                "rate_limited", f"disconnected for flooding; try again in {math.ceil(wait)} s"
            )
        if not self._connects.take(who, now):
            self.metrics.rate_limited.inc()
            raise connect_refusal("rate_limited", "connecting too often; wait a little")

    async def _ended(self, room_id: str | None, role: Role) -> dict[str, Any]:
        """What a finished room's own participant is told when its link is opened again: how
        the session ended (``summary``), so the page shows what actually happened."""
        try:
            room = await self.live.get_room(room_id or "")
        except DomainError:
            return {}
        return {"summary": self.views.summary(room, role)} if room.phase.is_terminal else {}

    def _forget(self, sid: str) -> Conn | None:
        self.gate.disconnected(sid)
        return self.conns.pop(sid, None)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        conn = self._forget(sid)
        if conn is None:
            return
        self.metrics.connections.dec()
        try:
            await self.live.drop(conn.room_id, conn.role, sid)
        except DomainError:
            pass
        except Exception:
            log.exception("disconnect bookkeeping failed")

    # -- dispatch ----------------------------------------------------------------------

    async def trigger_event(self, event: str, *args: Any) -> Any:
        """Every client event goes through here: rate limit, validate, run, acknowledge."""
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid = args[0]
        conn = self.conns.get(sid)
        if conn is None:
            return refusal("not_connected", "connect with a join token first")
        if not conn.bucket.take(time.monotonic()):
            self.metrics.rate_limited.inc()
            if conn.bucket.flooding:
                await self.emit(
                    "error",
                    {"code": "rate_limited", "message": "too many events; disconnecting"},
                    to=sid,
                )
                self._cooldowns.start(
                    identity(conn.room_id, conn.role, conn.participant_id), time.monotonic()
                )
                await self.disconnect(sid)
            return refusal("rate_limited", "too many events; slow down")
        handler = self._handlers.get(event)
        if handler is None:
            return refusal("unknown_event", f"unknown event {event!r}")
        data = args[1] if len(args) > 1 else None
        started = time.perf_counter()
        self._in_flight += 1
        self._idle.clear()
        try:
            result = await handler(self, conn, sid, data)
            ack: Ack = {"ok": True, **(result or {})}
        except (p.InvalidPayload, DomainError, TokenError) as e:
            ack = refusal(*reason(e))
        except Exception as e:
            log.exception("event %s failed", event)
            ack = refusal(*reason(e))
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
        self.metrics.events.labels(event, str(ack["ok"]).lower()).inc()
        self.metrics.event_seconds.labels(event).observe(time.perf_counter() - started)
        return ack

    # -- events ------------------------------------------------------------------------

    async def _device(self, conn: Conn, sid: str, data: Any) -> None:
        device = p.parse(data, p.Device)
        await self.media.device(conn.room_id, conn.role, device.report())

    async def _note(self, conn: Conn, sid: str, data: Any) -> None:
        note = p.parse(data, p.Note)
        await self.live.set_note(conn.room_id, conn.role, note.text.strip())

    async def _admit(self, conn: Conn, sid: str, data: Any) -> None:
        msg = p.parse(data, p.Admit)
        await self.live.admit(conn.room_id, conn.role, msg.participant_id, msg.override)

    async def _ready(self, conn: Conn, sid: str, data: Any) -> None:
        msg = p.parse(data if data is not None else {}, p.Ready)
        await self.live.set_ready(conn.room_id, conn.role, sid, msg.ready)

    async def _deny(self, conn: Conn, sid: str, data: Any) -> None:
        msg = p.parse(data, p.Deny)
        await self.live.deny(conn.room_id, conn.role, msg.participant_id)

    async def _signal(self, conn: Conn, sid: str, data: Any) -> None:
        msg = p.parse(data, p.Signal)
        if msg.to == conn.role.value:
            raise p.InvalidPayload("a participant cannot signal itself")
        payload = p.signal_payload(msg)
        if not self.gate.passed(conn.room_id, sid):
            changes = self.gate.changes(conn.room_id)
            room = await self.live.get_room(conn.room_id)
            check_signal(room, conn.role, sid)
            self.gate.remember(conn.room_id, sid, changes)
        await self.emit(
            "signal",
            {"from": conn.role.value, "kind": msg.kind, "payload": payload},
            room=room_channel(conn.room_id, Role(msg.to)),
        )

    async def _stats(self, conn: Conn, sid: str, data: Any) -> None:
        stats = p.parse(data, p.Stats)
        await self.media.record(conn.room_id, conn.role, stats.report())

    async def _end(self, conn: Conn, sid: str, data: Any) -> Ack:
        ended = await self.live.end(conn.room_id, conn.role)
        return {"summary": self.views.summary(ended.room, conn.role)}

    async def _leave(self, conn: Conn, sid: str, data: Any) -> None:
        await self.live.leave(conn.room_id, conn.role, sid)
        self._forget(sid)
        self.metrics.connections.dec()
        self.server.start_background_task(self.disconnect, sid)  # once the ack is out

    _handlers: ClassVar[
        dict[str, Callable[[SessionNamespace, Conn, str, Any], Awaitable[Ack | None]]]
    ] = {
        "device": _device,
        "note": _note,
        "admit": _admit,
        "ready": _ready,
        "deny": _deny,
        "signal": _signal,
        "stats": _stats,
        "end": _end,
        "leave": _leave,
    }
