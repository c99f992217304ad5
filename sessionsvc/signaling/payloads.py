"""The shapes of client events, validated before anything happens (docs/events.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec

from ..rooms.limits import MAX_NOTE, Id, unencodable
from ..rooms.mediastats import DeviceReport
from ..rooms.samples import MAX_FPS, MAX_KBPS, KindCounters, MediaReport

T = TypeVar("T")

MAX_SDP = 64 * 1024
# an offer's name (letters, digits and _ . : -); its answer repeats it, so an answer that
# crossed a newer offer is told apart
OfferId = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
Short = Annotated[str, msgspec.Meta(max_length=200)]
Permission = Literal["granted", "denied", "prompt", "unknown"]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**62)]


class InvalidPayload(ValueError):
    """The event's payload does not have the documented shape."""


class Browser(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Short = ""
    version: Short = ""


class Permissions(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    camera: Permission = "unknown"
    microphone: Permission = "unknown"


class Device(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A side's browser and its camera and microphone permission states."""

    browser: Browser = Browser()
    permissions: Permissions = Permissions()

    def report(self) -> DeviceReport:
        p = self.permissions
        return DeviceReport(self.browser.name, self.browser.version, p.camera, p.microphone)


class Note(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(max_length=MAX_NOTE)]


class Admit(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    participant_id: Id
    override: bool = False


class Deny(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    participant_id: Id


class Ready(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The device check is done (``ready``), or the page went back to it (``ready: false``)."""

    ready: bool = True


class Watch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """(support) Follow, or stop following, one room live."""

    room_id: Id


class Signal(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    to: Literal["professional", "client"]
    kind: Literal["offer", "answer", "candidate", "restart"]
    payload: dict[str, Any] = {}


class Sdp(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    type: Literal["offer", "answer"]
    sdp: Annotated[str, msgspec.Meta(min_length=3, max_length=MAX_SDP)]
    offer_id: OfferId | None = None


class Candidate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    candidate: Annotated[str, msgspec.Meta(max_length=1024)]
    sdpMid: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    sdpMLineIndex: Annotated[int, msgspec.Meta(ge=0, le=64)] | None = None
    usernameFragment: Annotated[str, msgspec.Meta(max_length=256)] | None = None


class Restart(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


Millis = Annotated[float, msgspec.Meta(ge=0, le=60_000)]
Kbps = Annotated[float, msgspec.Meta(ge=0, le=MAX_KBPS)]
IceState = Literal["new", "checking", "connected", "completed", "disconnected", "failed", "closed"]
PeerState = Literal["new", "connecting", "connected", "disconnected", "failed", "closed"]
CandidateType = Literal["host", "srflx", "prflx", "relay"]


class KindStats(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Cumulative inbound packet counters of one media kind."""

    packets_received: Count = 0
    packets_lost: Count = 0


class Stats(msgspec.Struct, frozen=True, omit_defaults=True, forbid_unknown_fields=True):
    """A side's getStats summary (docs/events.md ``stats``): counters cumulative per peer
    connection, figures as measured now."""

    bytes_received: Count
    bytes_sent: Count | None = None
    frames_received: Count | None = None
    peer: Annotated[str, msgspec.Meta(max_length=64)] = ""
    clock_ms: Annotated[float, msgspec.Meta(ge=0, le=1e13)] | None = None
    audio: KindStats | None = None
    video: KindStats | None = None
    rtt_ms: Millis | None = None
    jitter_ms: Millis | None = None
    loss_pct: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None
    bitrate_in_kbps: Kbps | None = None
    bitrate_out_kbps: Kbps | None = None
    fps_in: Annotated[float, msgspec.Meta(ge=0, le=MAX_FPS)] | None = None
    ice_state: IceState | None = None
    connection_state: PeerState | None = None
    local_candidate_type: CandidateType | None = None
    remote_candidate_type: CandidateType | None = None
    quality: Literal["good", "fair", "poor"] | None = None  # the side's own view; not used

    def report(self) -> MediaReport:
        """The domain's value of this report."""

        def kind(k: KindStats | None) -> KindCounters | None:
            return None if k is None else KindCounters(k.packets_received, k.packets_lost)

        return MediaReport(
            bytes_received=self.bytes_received,
            bytes_sent=self.bytes_sent,
            frames_received=self.frames_received,
            peer=self.peer,
            clock_ms=self.clock_ms,
            audio=kind(self.audio),
            video=kind(self.video),
            rtt_ms=self.rtt_ms,
            jitter_ms=self.jitter_ms,
            loss_pct=self.loss_pct,
            bitrate_in_kbps=self.bitrate_in_kbps,
            bitrate_out_kbps=self.bitrate_out_kbps,
            fps_in=self.fps_in,
            ice_state=self.ice_state,
            connection_state=self.connection_state,
            local_candidate_type=self.local_candidate_type,
            remote_candidate_type=self.remote_candidate_type,
        )


def parse(data: Any, kind: type[T]) -> T:
    """Convert a decoded event payload into ``kind`` or raise ``InvalidPayload``."""
    if data is None:
        data = {}
    where = unencodable(data)
    if where is not None:
        raise InvalidPayload(f"text that cannot be encoded as UTF-8 (a lone surrogate) at {where}")
    try:
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as e:
        raise InvalidPayload(str(e)) from None


def signal_payload(msg: Signal) -> dict[str, Any]:
    """The validated, re-built payload of a ``signal`` event (unknown keys never pass through)."""
    if msg.kind in ("offer", "answer"):
        sdp = parse(msg.payload, Sdp)
        if sdp.type != msg.kind:
            raise InvalidPayload(f"payload.type must be {msg.kind!r}")
        if not sdp.sdp.startswith("v=0"):
            raise InvalidPayload("payload.sdp is not SDP (it must start with v=0)")
        return msgspec.to_builtins(sdp)  # type: ignore[no-any-return]
    if msg.kind == "candidate":
        return msgspec.to_builtins(parse(msg.payload, Candidate))  # type: ignore[no-any-return]
    parse(msg.payload, Restart)
    return {}
