"""A synthetic participant: a Socket.IO client of the ``/session`` namespace (docs/events.md) with
an aiortc peer that sends a synthetic video track and counts the frames it decodes.

Tests, benchmarks and ``sessionsvc probe`` use it as the professional or the client of a room.
The professional is always the offerer: on ``admitted``, on ``peer_joined`` with ``resumed``,
after its own reconnect into a running session, and on ``restart``. The client answers every
offer on a new peer connection. A dropped connection is retried on the next of the given base
URLs (another node), so a call survives the loss of the node it was on; so is the connection
a stopping node closes after ``restarting``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

import aiortc
import socketio
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError
from av import VideoFrame

from .errors import ParticipantError
from .eventlog import Event, EventLog
from .negotiation import Negotiator
from .stats import StatsCollector
from .tracks import PatternVideoTrack, ToneAudioTrack, frame_number

log = logging.getLogger(__name__)

__all__ = ["Event", "ParticipantError", "SyntheticParticipant", "refusal_reason"]

NAMESPACE = "/session"
# Events after which the server is done with this connection: never reconnect after them.
FINAL_EVENTS = frozenset({"ended", "denied", "replaced"})


# -- pure helpers ----------------------------------------------------------------------------


def refusal_reason(error: Any) -> tuple[str, str] | None:
    """(code, message) of a ``connect_error``: the server's ``err.data`` (docs/events.md) as
    python-socketio hands it over, ``{"message": ..., "data": {"code", "message"}}``."""
    data = error.get("data") if isinstance(error, dict) else None
    if isinstance(data, dict) and "code" in data:
        return str(data["code"]), str(data.get("message", ""))
    return None


# -- the participant ---------------------------------------------------------------------------


class SyntheticParticipant:
    """One side of a room, speaking docs/events.md with a real aiortc peer.

    ``base_url`` is one base URL, or several (nodes of one deployment): a dropped connection is
    retried on the next one. Use as ``async with SyntheticParticipant(url, token) as p:``, or
    call :meth:`connect` and :meth:`close`.
    """

    def __init__(
        self,
        base_url: str | Sequence[str],
        token: str,
        *,
        label: str = "",
        video: bool = True,
        audio: bool = False,
        width: int = 320,
        height: int = 240,
        fps: float = 15.0,
        stats_interval: float = 2.0,
        request_timeout: float = 10.0,
        answer_timeout: float = 5.0,
        reconnect_timeout: float = 30.0,
    ) -> None:
        self._urls = [base_url] if isinstance(base_url, str) else list(base_url)
        if not self._urls:
            raise ValueError("at least one base URL is needed")
        self._token = token
        self.label = label
        self._video = video
        self._audio = audio
        self._size = (width, height, fps)
        self._stats_interval = stats_interval
        self._request_timeout = request_timeout
        self._reconnect_timeout = reconnect_timeout

        self.log = EventLog(lambda: self.label or str(self.role))
        self.room: dict[str, Any] | None = None
        self.url: str | None = None  # the base URL of the current connection
        self.connections = 0  # successful connects, the first one included
        self.first_frame_at: float | None = None  # monotonic time of the first decoded frame
        self.frames_received = 0
        self.last_frame_number: int | None = None
        self.stats_sent = 0
        self.last_stats: dict[str, Any] | None = None

        self._url_index = 0
        self._sio: Any = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._frame_waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._started = False
        self._closed = False
        self._finished = False  # the server ended this participation: do not reconnect
        self._restarting = False  # the server is stopping and asked us to reconnect elsewhere
        self._fresh = False  # the next `room` snapshot is the first of a new connection
        self._stats = StatsCollector()
        self._reporting = asyncio.Lock()  # reports go out one at a time, in order
        self._negotiator = Negotiator(
            self,
            answer_timeout=answer_timeout,
            send_signal=self._send_signal,
            finished=lambda: self._finished,
            spawn=self._spawn,
            local_tracks=self._local_tracks,
            on_track=self._on_track,
        )

    # -- public view -----------------------------------------------------------------------

    @property
    def role(self) -> str | None:
        return None if self.room is None else str(self.room.get("role"))

    @property
    def participant_id(self) -> str | None:
        me = (self.room or {}).get("me") or {}
        return me.get("id")

    @property
    def phase(self) -> str | None:
        return None if self.room is None else str(self.room.get("phase"))

    @property
    def connected(self) -> bool:
        return self._sio is not None and bool(self._sio.connected)

    @property
    def connection_state(self) -> str | None:
        pc = self._negotiator.pc
        return None if pc is None else str(pc.connectionState)

    @property
    def peer_connections(self) -> int:
        """Peer connections created."""
        return self._negotiator.peer_connections

    @property
    def negotiations(self) -> int:
        """Offer/answer exchanges completed."""
        return self._negotiator.negotiations

    @property
    def events(self) -> list[Event]:
        """Every server event of this participant, oldest first."""
        return self.log.events

    def mark(self) -> int:
        """A position in :attr:`events`, for ``wait_for(..., since=mark)``."""
        return self.log.mark()

    async def __aenter__(self) -> SyntheticParticipant:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- lifecycle ------------------------------------------------------------------------

    async def connect(self) -> None:
        """Connect (trying each base URL in turn) and wait for the first ``room`` snapshot.
        Raises :class:`ParticipantError` when refused or unreachable."""
        if self._closed:
            raise ParticipantError("closed", "this participant is closed")
        if not self._started:
            self._started = True
            self._spawn(self._negotiator.run())
            self._spawn(self._report_stats())
        since = self.mark()
        error: ParticipantError | None = None
        for i in range(len(self._urls)):
            try:
                await self._open(i)
                break
            except ParticipantError as e:
                error = e
                if e.fatal:
                    raise
        else:
            assert error is not None
            raise error
        await self.wait_for("room", since=since, timeout=self._request_timeout)

    async def close(self) -> None:
        """Close the peer connection and the socket and stop every task. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._finished = True
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._negotiator.close()
        sio, self._sio = self._sio, None
        if sio is not None:
            with contextlib.suppress(Exception):
                await sio.disconnect()
        self.log.cancel_waits()
        for _, fut in self._frame_waiters:
            fut.cancel()

    # -- requests --------------------------------------------------------------------------

    async def request(self, event: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Send a client → server event and return its ack (``ok`` true or false)."""
        sio = self._sio
        if sio is None:
            raise ParticipantError("not_connected", f"cannot send {event}: not connected")
        try:
            ack = await sio.call(
                event, dict(data), namespace=NAMESPACE, timeout=self._request_timeout
            )
        except socketio.exceptions.TimeoutError:
            raise ParticipantError("timeout", f"no ack for {event}") from None
        except socketio.exceptions.SocketIOError as e:
            raise ParticipantError("not_connected", f"cannot send {event}: {e}") from None
        if not isinstance(ack, dict):
            raise ParticipantError("bad_ack", f"{event} ack is not an object: {ack!r}")
        return ack

    async def admit(
        self, participant_id: str | None = None, override: bool = False
    ) -> dict[str, Any]:
        """(professional) Admit the client; by default the room's client."""
        if participant_id is None:
            participant_id = ((self.room or {}).get("client") or {}).get("id")
        data: dict[str, Any] = {"participant_id": participant_id}
        if override:
            data["override"] = True
        return await self.request("admit", data)

    async def deny(self, participant_id: str) -> dict[str, Any]:
        return await self.request("deny", {"participant_id": participant_id})

    async def note(self, text: str) -> dict[str, Any]:
        return await self.request("note", {"text": text})

    async def device(self) -> dict[str, Any]:
        """Report the synthetic "browser" and its (always granted) permissions."""
        return await self.request(
            "device",
            {
                "browser": {"name": "aiortc", "version": aiortc.__version__},
                "permissions": {"camera": "granted", "microphone": "granted"},
            },
        )

    async def end(self) -> dict[str, Any]:
        """(professional) End the session; the ack carries the summary."""
        return await self.request("end", {})

    async def leave(self) -> dict[str, Any]:
        """Leave the room; the server then disconnects this participant."""
        self._finished = True
        return await self.request("leave", {})

    async def restart(self) -> dict[str, Any]:
        """(client) Ask the professional for a new offer."""
        return await self._send_signal("restart", {})

    # -- waiting ---------------------------------------------------------------------------

    async def wait_for(
        self,
        name: str,
        predicate: Callable[[Any], bool] | None = None,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109 (a test helper: a bound per call reads best)
        since: int = 0,
    ) -> Any:
        """The payload of the first event ``name`` (at or after position ``since``) for which
        ``predicate`` holds, waiting up to ``timeout`` seconds for it."""
        return await self.log.wait_for(name, predicate, timeout=timeout, since=since)

    async def wait_frames(self, count: int = 1, *, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until ``count`` remote video frames have been decoded in all."""
        if self.frames_received >= count:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (count, fut)
        self._frame_waiters.append(entry)
        try:
            await asyncio.wait_for(fut, timeout)
        except TimeoutError:
            raise TimeoutError(
                f"{self.label or self.role}: {self.frames_received} of {count} frames in {timeout}s"
            ) from None
        finally:
            with contextlib.suppress(ValueError):
                self._frame_waiters.remove(entry)

    # -- socket ----------------------------------------------------------------------------

    async def _open(self, index: int) -> None:
        url = self._urls[index]
        sio = socketio.AsyncClient(reconnection=False)
        refusal: list[Any] = []
        self._bind(sio, refusal)
        self._fresh = True
        self._sio = sio
        try:
            await sio.connect(
                url,
                auth={"token": self._token},
                transports=["websocket"],
                namespaces=[NAMESPACE],
                wait_timeout=self._request_timeout,
            )
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await sio.disconnect()
            raise
        except socketio.exceptions.ConnectionError as e:
            if self._sio is sio:
                self._sio = None
            with contextlib.suppress(Exception):
                await sio.disconnect()
            reason = refusal_reason(refusal[-1] if refusal else None)
            if reason is not None:
                raise ParticipantError(*reason, fatal=True) from None
            raise ParticipantError("unreachable", f"{url}: {e}") from None
        self._url_index = index
        self.url = url
        self.connections += 1

    def _bind(self, sio: Any, refusal: list[Any]) -> None:
        # Events that arrive before the namespace's CONNECT (a server may emit from its connect
        # handler) wait for it, as socket.io-client buffers them: until then nothing can be sent.
        early: list[tuple[str, Any]] | None = []

        def on_connect() -> None:
            nonlocal early
            pending, early = early or [], None
            for event, data in pending:
                on_event(event, data)

        def on_connect_error(data: Any = None) -> None:
            refusal.append(data)
            self._record("connect_error", data)

        def on_disconnect(reason: Any = None) -> None:
            if sio is not self._sio:
                return
            self._record("disconnect", str(reason))
            transport_drop = reason not in (
                sio.reason.CLIENT_DISCONNECT,
                sio.reason.SERVER_DISCONNECT,
            )
            moved, self._restarting = self._restarting, False
            if (transport_drop or moved) and not self._finished and not self._closed:
                self._spawn(self._reconnect())

        def on_event(event: str, data: Any = None, *_: Any) -> None:
            if early is not None:
                early.append((event, data))
            elif sio is self._sio:
                self._dispatch(event, data)

        sio.on("connect", on_connect, namespace=NAMESPACE)
        sio.on("connect_error", on_connect_error, namespace=NAMESPACE)
        sio.on("disconnect", on_disconnect, namespace=NAMESPACE)
        sio.on("*", on_event, namespace=NAMESPACE)

    async def _reconnect(self) -> None:
        deadline = time.monotonic() + self._reconnect_timeout
        delay = 0.05
        index = self._url_index
        while not self._closed and time.monotonic() < deadline:
            index = (index + 1) % len(self._urls)  # another node first
            try:
                await self._open(index)
            except ParticipantError as e:
                if e.fatal:
                    self._record("reconnect_failed", {"code": e.code, "message": e.message})
                    return
                log.debug("%s: reconnect to %s failed: %s", self.label, self._urls[index], e)
            else:
                self._record("reconnected", {"url": self._urls[index]})
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 1.0)
        self._record("reconnect_failed", {"code": "timeout", "message": "gave up reconnecting"})

    def _dispatch(self, event: str, data: Any) -> None:
        """Handle one server event. Synchronous, so events are handled in arrival order."""
        if event != "room":
            log.debug("%s: event %s %s", self.label, event, str(data)[:80])
        if event in FINAL_EVENTS:
            self._finished = True
        if event == "restarting":
            self._restarting = True  # the disconnect that follows is a move to another node
        if event == "room" and isinstance(data, dict):
            self.room = data
            if data.get("ice_servers"):
                self._negotiator.ice_servers = list(data["ice_servers"])
            if self._fresh:
                self._fresh = False
                self._on_fresh_room(data)
        elif event == "admitted" and isinstance(data, dict):
            self._negotiator.ice_servers = list(data.get("ice_servers") or [])
            if self.role == "professional":
                self._negotiator.offer("admitted")
        elif event == "peer_joined" and isinstance(data, dict):
            if data.get("resumed") and self.role == "professional" and self.phase == "in_session":
                self._negotiator.offer("peer resumed")
        elif event == "signal" and isinstance(data, dict):
            self._negotiator.signal(data)
        elif event == "ended":
            self._negotiator.hang_up()
        self._record(event, data)

    def _on_fresh_room(self, room: Mapping[str, Any]) -> None:
        if room.get("phase") != "in_session":
            return
        if room.get("role") == "professional":
            self._negotiator.offer("reconnected", fresh=True)
        elif self.connection_state in (None, "failed", "closed"):
            self._spawn(self._ask_restart())

    async def _ask_restart(self) -> None:
        try:
            await self.restart()
        except ParticipantError as e:
            log.warning("%s: restart not sent: %s", self.label, e)

    def _record(self, name: str, payload: Any) -> None:
        self.log.record(name, payload)

    # -- media -------------------------------------------------------------------------------

    async def _send_signal(self, kind: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        to = "client" if self.role == "professional" else "professional"
        ack = await self.request("signal", {"to": to, "kind": kind, "payload": dict(payload)})
        if not ack.get("ok"):
            error = ack.get("error") or {}
            raise ParticipantError(str(error.get("code")), str(error.get("message")))
        return ack

    def _local_tracks(self) -> list[MediaStreamTrack]:
        width, height, fps = self._size
        tracks: list[MediaStreamTrack] = []
        if self._audio:
            tracks.append(ToneAudioTrack())
        if self._video:
            tracks.append(PatternVideoTrack(width, height, fps))
        return tracks

    def _on_track(self, track: MediaStreamTrack) -> None:
        self._spawn(self._consume(track))

    async def _consume(self, track: MediaStreamTrack) -> None:
        try:
            while True:
                frame = await track.recv()
                if track.kind != "video":
                    continue
                if self.first_frame_at is None:
                    self.first_frame_at = time.monotonic()
                self.frames_received += 1
                if isinstance(frame, VideoFrame):
                    self.last_frame_number = frame_number(frame)
                for count, fut in self._frame_waiters:
                    if self.frames_received >= count and not fut.done():
                        fut.set_result(None)
        except MediaStreamError:
            return

    # -- stats -----------------------------------------------------------------------------

    async def collect_stats(self) -> dict[str, Any] | None:
        """The ``stats`` payload for now, or None without a peer connection. Counters are those
        of the peer connection in use (``peer`` names it)."""
        pc = self._negotiator.pc
        if pc is None:
            return None
        return await self._stats.collect(pc, self.frames_received)

    @property
    def quality(self) -> dict[str, Any] | None:
        """The latest ``quality`` event: this side's grade and figures as the service measured
        them (``you``), and the other side's (``other``)."""
        latest: dict[str, Any] | None = self.log.latest("quality")
        return latest

    async def report_stats(self) -> dict[str, Any] | None:
        """Send a ``stats`` report now (the loop sends one every ``stats_interval``); returns
        the ack, or None when there is no peer connection to report on."""
        async with self._reporting:
            payload = await self.collect_stats()
            if payload is None:
                return None
            ack = await self.request("stats", payload)
        self.last_stats = payload
        if ack.get("ok"):
            self.stats_sent += 1
        else:
            log.warning("%s: stats refused: %s", self.label, ack.get("error"))
        return ack

    async def _report_stats(self) -> None:
        while True:
            await asyncio.sleep(self._stats_interval)
            if self.phase != "in_session" or not self.connected or self._finished:
                continue
            try:
                await self.report_stats()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                log.warning("%s: stats not sent: %s", self.label, e)

    # -- tasks -----------------------------------------------------------------------------

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        if self._closed:
            coro.close()
            return
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._reap)

    def _reap(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: task failed", self.label, exc_info=task.exception())
