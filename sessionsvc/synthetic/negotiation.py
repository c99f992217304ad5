"""The WebRTC side of a synthetic participant: its aiortc peer connections and the offer/answer
exchange that sets them up over the participant's ``signal`` events (docs/events.md).

The professional offers, each time on a new peer connection; the client answers every offer on a
new peer connection. Answers carry no offer id, so only one offer is in flight at a time: an offer
asked for meanwhile is made when the answer comes. An offer that gets no answer, or whose answer
does not connect, within the answer timeout is made again while the other side is present.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCIceCandidate,
    RTCIceServer,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.sdp import candidate_from_sdp

from .errors import ParticipantError

log = logging.getLogger(__name__)


def ice_configuration(servers: Sequence[Mapping[str, Any]] | None) -> RTCConfiguration:
    """The aiortc configuration for an RTCIceServer list as the server sends it; an empty or
    missing list means host candidates only (never aiortc's default public STUN server)."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
            for s in servers or ()
        ]
    )


def parse_candidate(payload: Mapping[str, Any]) -> RTCIceCandidate | None:
    """An ``RTCIceCandidate`` from a browser's candidate payload; None for end-of-candidates."""
    text = str(payload.get("candidate") or "")
    if not text:
        return None
    candidate = candidate_from_sdp(text.removeprefix("a=").removeprefix("candidate:"))
    candidate.sdpMid = payload.get("sdpMid")
    candidate.sdpMLineIndex = payload.get("sdpMLineIndex")
    return candidate


def other_present(room: Mapping[str, Any] | None, role: str | None) -> bool:
    """Whether the other side of the room is present, from a ``room`` snapshot."""
    other = "client" if role == "professional" else "professional"
    return ((room or {}).get(other) or {}).get("presence") == "present"


@dataclass(frozen=True)
class _Offer:
    reason: str
    # after our own reconnect: an answer to an offer in flight then was lost with the old socket
    fresh: bool = False


@dataclass(frozen=True)
class _Signal:
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class _AnswerTimeout:
    offer: int


@dataclass(frozen=True)
class _ConnectTimeout:
    offer: int


@dataclass(frozen=True)
class _Hangup:
    pass


_Action = _Offer | _Signal | _AnswerTimeout | _ConnectTimeout | _Hangup


@dataclass(eq=False)
class _Peer:
    pc: RTCPeerConnection
    tracks: list[MediaStreamTrack] = field(default_factory=list)


class Side(Protocol):
    """The participant a negotiation speaks for, read at each step as its room changes."""

    @property
    def label(self) -> str: ...

    @property
    def room(self) -> Mapping[str, Any] | None: ...

    @property
    def role(self) -> str | None: ...


class Negotiator:
    """The peer connections of one participant, one of them in use at a time.

    Actions (:meth:`offer`, :meth:`signal`, :meth:`hang_up` and the timers) are queued and
    handled one at a time, in order, by :meth:`run`. ``send_signal`` sends a signal to the other
    side and raises :class:`ParticipantError` when that fails; ``finished`` says the server is
    done with the participant; tasks run through ``spawn`` so that the participant owns them;
    ``local_tracks`` makes the tracks to send on a new peer connection, and ``on_track`` gets
    every remote track.
    """

    def __init__(
        self,
        side: Side,
        *,
        answer_timeout: float,
        send_signal: Callable[[str, Mapping[str, Any]], Awaitable[dict[str, Any]]],
        finished: Callable[[], bool],
        spawn: Callable[[Coroutine[Any, Any, None]], None],
        local_tracks: Callable[[], list[MediaStreamTrack]],
        on_track: Callable[[MediaStreamTrack], None],
    ) -> None:
        self._side = side
        self._answer_timeout = answer_timeout
        self._send_signal = send_signal
        self._finished = finished
        self._spawn = spawn
        self._local_tracks = local_tracks
        self._on_track = on_track

        self.ice_servers: list[dict[str, Any]] = []  # for the next peer connection
        self.peer_connections = 0  # peer connections created
        self.negotiations = 0  # offer/answer exchanges completed

        self._peer: _Peer | None = None
        self._peers: set[_Peer] = set()  # every peer connection not closed yet
        self._closers: set[asyncio.Task[None]] = set()  # closing peer connections
        self._actions: asyncio.Queue[_Action] = asyncio.Queue()
        self._offers = 0
        self._offer_names = secrets.token_hex(4)  # with the count, names each offer
        self._awaiting: int | None = None  # the offer whose answer has not come yet
        self._reoffer = False

    @property
    def pc(self) -> RTCPeerConnection | None:
        """The peer connection in use, if any."""
        return None if self._peer is None else self._peer.pc

    # -- actions -----------------------------------------------------------------------------

    def offer(self, reason: str, *, fresh: bool = False) -> None:
        """(professional) Offer on a new peer connection. ``fresh`` after our own reconnect:
        an answer to an offer in flight then was lost with the old socket."""
        self._actions.put_nowait(_Offer(reason, fresh=fresh))

    def signal(self, payload: Mapping[str, Any]) -> None:
        """Handle a ``signal`` event from the other side."""
        self._actions.put_nowait(_Signal(payload))

    def hang_up(self) -> None:
        """Close the peer connection in use."""
        self._actions.put_nowait(_Hangup())

    async def run(self) -> None:
        """Handle the queued actions, in order, until cancelled."""
        while True:
            action = await self._actions.get()
            try:
                await self._handle(action)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("%s: negotiation step %r failed", self._side.label, action)

    async def close(self) -> None:
        """Close every peer connection, the one in use included."""
        self._peer = None
        for peer in list(self._peers):
            self._closer(peer)
        await asyncio.gather(*self._closers, return_exceptions=True)

    # -- offer and answer --------------------------------------------------------------------

    async def _handle(self, action: _Action) -> None:
        if self._finished() or isinstance(action, _Hangup):
            await self._retire_peer()
            return
        if isinstance(action, _Offer):
            if action.fresh:
                self._awaiting = None
            if self._awaiting is not None:
                self._reoffer = True  # one offer in flight at a time: answers carry no offer id
            else:
                await self._make_offer(action.reason)
        elif isinstance(action, _ConnectTimeout):
            # answers carry no offer id: one that met the wrong offer shows up here
            peer = self._peer
            stuck = peer is not None and peer.pc.connectionState != "connected"
            if (
                action.offer == self._offers
                and self._awaiting is None
                and stuck
                and self._other_present()
            ):
                log.warning(
                    "%s: offer %d did not connect, offering again", self._side.label, action.offer
                )
                await self._make_offer("not connected")
        elif isinstance(action, _AnswerTimeout):
            if self._awaiting == action.offer:
                log.warning("%s: no answer to offer %d", self._side.label, action.offer)
                self._awaiting = None
                if self._reoffer or self._other_present():
                    await self._make_offer("answer timeout")
        else:
            await self._handle_signal(action.payload)

    def _other_present(self) -> bool:
        return other_present(self._side.room, self._side.role)

    async def _handle_signal(self, signal: Mapping[str, Any]) -> None:
        role = self._side.role
        kind = signal.get("kind")
        payload = signal.get("payload") or {}
        log.debug("%s: %s from %s", self._side.label, kind, signal.get("from"))
        offer_id = payload.get("offer_id")
        if kind == "offer" and role == "client":
            await self._answer(str(payload.get("sdp", "")), offer_id)
        elif kind == "answer" and role == "professional":
            await self._accept_answer(str(payload.get("sdp", "")), offer_id)
        elif kind == "restart" and role == "professional":
            log.info("%s: the client asked for a new offer", self._side.label)
            await self._handle(_Offer("restart"))
        elif kind == "candidate" and self._peer is not None:
            pc = self._peer.pc
            if pc.remoteDescription is None:
                log.warning("%s: candidate before any description, dropped", self._side.label)
                return
            try:
                await pc.addIceCandidate(parse_candidate(payload))
            except (ValueError, AssertionError) as e:
                log.warning("%s: bad remote candidate %r: %s", self._side.label, payload, e)
        else:
            log.warning("%s: unexpected signal %r as %s", self._side.label, kind, role)

    async def _make_offer(self, reason: str) -> None:
        self._reoffer = False
        peer = self._create_peer()
        for track in self._local_tracks():
            peer.pc.addTrack(track)
            peer.tracks.append(track)
        await peer.pc.setLocalDescription(await peer.pc.createOffer())
        try:
            sdp = peer.pc.localDescription.sdp
            offer_id = self._offer_id(self._offers + 1)
            await self._send_signal("offer", {"type": "offer", "sdp": sdp, "offer_id": offer_id})
        except ParticipantError as e:
            # keep the connection we have: it may still carry media
            log.warning("%s: offer not sent (%s): %s", self._side.label, reason, e)
            await self._close_peer(peer)
            return
        await self._install(peer)  # the client closes its old connection on this offer too
        self._offers += 1
        self._awaiting = self._offers
        log.debug("%s: offer %d sent (%s)", self._side.label, self._offers, reason)
        self._spawn(self._answer_timer(self._offers))
        await self._end_of_candidates()

    async def _answer_timer(self, offer: int) -> None:
        await asyncio.sleep(self._answer_timeout)
        self._actions.put_nowait(_AnswerTimeout(offer))

    async def _connect_timer(self, offer: int) -> None:
        await asyncio.sleep(self._answer_timeout)
        self._actions.put_nowait(_ConnectTimeout(offer))

    def _offer_id(self, offer: int) -> str:
        return f"{self._offer_names}-{offer}"

    async def _accept_answer(self, sdp: str, offer_id: object) -> None:
        peer = self._peer
        if peer is None or peer.pc.signalingState != "have-local-offer":
            log.warning("%s: answer without an offer in flight, ignored", self._side.label)
            return
        if offer_id is not None and offer_id != self._offer_id(self._offers):
            log.info("%s: answer to an offer since replaced, ignored", self._side.label)
            return
        await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        self._awaiting = None
        self.negotiations += 1
        self._spawn(self._connect_timer(self._offers))
        if self._reoffer:
            await self._make_offer("re-offer")

    async def _answer(self, sdp: str, offer_id: object) -> None:
        peer = self._create_peer()
        await self._install(peer)
        await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        offered = {t.kind for t in peer.pc.getTransceivers()}
        for track in self._local_tracks():
            if track.kind in offered:
                peer.pc.addTrack(track)
                peer.tracks.append(track)
        await peer.pc.setLocalDescription(await peer.pc.createAnswer())
        answer = {"type": "answer", "sdp": peer.pc.localDescription.sdp}
        if isinstance(offer_id, str):
            answer["offer_id"] = offer_id  # says which offer this answers
        await self._send_signal("answer", answer)
        self.negotiations += 1
        await self._end_of_candidates()

    async def _end_of_candidates(self) -> None:
        # aiortc puts all its candidates in the SDP and does not trickle: only say we are done.
        payload = {"candidate": "", "sdpMid": "0", "sdpMLineIndex": 0}
        try:
            await self._send_signal("candidate", payload)
        except ParticipantError as e:
            log.warning("%s: end of candidates not sent: %s", self._side.label, e)

    # -- peer connections --------------------------------------------------------------------

    def _create_peer(self) -> _Peer:
        pc = RTCPeerConnection(configuration=ice_configuration(self.ice_servers))
        peer = _Peer(pc)
        self._peers.add(peer)
        self.peer_connections += 1

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            self._on_track(track)

        return peer

    async def _install(self, peer: _Peer) -> None:
        old = self._peer
        self._peer = peer
        if old is not None:
            await self._close_peer(old)

    async def _retire_peer(self) -> None:
        peer, self._peer = self._peer, None
        if peer is not None:
            await self._close_peer(peer)

    async def _close_peer(self, peer: _Peer) -> None:
        await asyncio.shield(self._closer(peer))

    def _closer(self, peer: _Peer) -> asyncio.Task[None]:
        """Close a peer connection in a task of its own: a cancelled caller must not leave it
        half closed (aiortc may be closing it already, and cancelling that breaks it)."""
        self._peers.discard(peer)
        task = asyncio.get_running_loop().create_task(self._shut(peer))
        self._closers.add(task)
        task.add_done_callback(self._closers.discard)
        return task

    @staticmethod
    async def _shut(peer: _Peer) -> None:
        try:
            await peer.pc.close()
        finally:
            for track in peer.tracks:
                track.stop()
