"""The shapes of client events, validated before anything happens (docs/events.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import msgspec

T = TypeVar("T")

MAX_SDP = 64 * 1024
Short = Annotated[str, msgspec.Meta(max_length=200)]
Id = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Permission = Literal["granted", "denied", "prompt", "unknown"]
NonNeg = Annotated[float, msgspec.Meta(ge=0, le=1e12)]
Count = Annotated[int, msgspec.Meta(ge=0, le=2**62)]


class InvalidPayload(ValueError):
    """The event's payload does not have the documented shape."""


class Browser(msgspec.Struct, frozen=True):
    name: Short = ""
    version: Short = ""


class Permissions(msgspec.Struct, frozen=True):
    camera: Permission = "unknown"
    microphone: Permission = "unknown"


class Device(msgspec.Struct, frozen=True):
    browser: Browser = Browser()
    permissions: Permissions = Permissions()


class Note(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text: Annotated[str, msgspec.Meta(max_length=280)]


class Admit(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    participant_id: Id
    override: bool = False


class Deny(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    participant_id: Id


class Signal(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    to: Literal["professional", "client"]
    kind: Literal["offer", "answer", "candidate", "restart"]
    payload: dict[str, Any] = {}


class Sdp(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    type: Literal["offer", "answer"]
    sdp: Annotated[str, msgspec.Meta(min_length=3, max_length=MAX_SDP)]


class Candidate(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    candidate: Annotated[str, msgspec.Meta(max_length=1024)]
    sdpMid: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    sdpMLineIndex: Annotated[int, msgspec.Meta(ge=0, le=64)] | None = None
    usernameFragment: Annotated[str, msgspec.Meta(max_length=256)] | None = None


class Restart(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


class Stats(msgspec.Struct, frozen=True, omit_defaults=True):
    bytes_received: Count
    bytes_sent: Count | None = None
    frames_received: Count | None = None
    rtt_ms: NonNeg | None = None
    jitter_ms: NonNeg | None = None
    loss_pct: Annotated[float, msgspec.Meta(ge=0, le=100)] | None = None
    bitrate_in_kbps: NonNeg | None = None
    bitrate_out_kbps: NonNeg | None = None
    fps_in: NonNeg | None = None
    ice_state: Short | None = None
    connection_state: Short | None = None
    local_candidate_type: Short | None = None
    remote_candidate_type: Short | None = None
    quality: Literal["good", "fair", "poor"] | None = None


def parse(data: Any, kind: type[T]) -> T:
    """Convert a decoded event payload into ``kind`` or raise ``InvalidPayload``."""
    if data is None:
        data = {}
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
        return {"type": sdp.type, "sdp": sdp.sdp}
    if msg.kind == "candidate":
        return msgspec.to_builtins(parse(msg.payload, Candidate))  # type: ignore[no-any-return]
    parse(msg.payload, Restart)
    return {}
