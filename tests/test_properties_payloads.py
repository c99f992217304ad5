"""Property tests (hypothesis) of what clients send: every Socket.IO event payload, the
``signal`` payloads (SDP and ICE candidates) and the connection test's offer guard. Whatever
arrives is either accepted as the documented shape or refused with the guard's own error; the
guards never fail in any other way, and nothing unknown passes through."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sessionsvc.media.offers import MAX_OFFER_BYTES, OfferRejected, check_offer
from sessionsvc.signaling import payloads as p

EVENTS: dict[str, type[msgspec.Struct]] = {
    "device": p.Device,
    "note": p.Note,
    "admit": p.Admit,
    "deny": p.Deny,
    "signal": p.Signal,
    "stats": p.Stats,
    "watch": p.Watch,
}
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

text = st.text(st.characters(codec="utf-8"), max_size=40) | st.text(max_size=8)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | text
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


def _valid(kind: type[msgspec.Struct]) -> dict[str, Any]:
    """A payload of ``kind`` that is accepted (the docs' examples)."""
    return {
        p.Device: {"browser": {"name": "Chrome", "version": "131"}, "permissions": {}},
        p.Note: {"text": "One moment"},
        p.Admit: {"participant_id": "cl-1", "override": False},
        p.Deny: {"participant_id": "cl-1"},
        p.Signal: {"to": "client", "kind": "restart", "payload": {}},
        p.Stats: {"bytes_received": 1000, "rtt_ms": 12.0, "ice_state": "connected"},
        p.Watch: {"room_id": "r-1"},
    }[kind]


def _accepts_or_refuses(data: Any, kind: type[msgspec.Struct]) -> msgspec.Struct | None:
    try:
        return p.parse(data, kind)
    except p.InvalidPayload as e:
        assert str(e)  # a refusal says what is wrong
        return None


@FUZZ
@given(st.sampled_from(sorted(EVENTS)), json_values)
def test_any_payload_is_accepted_or_refused(event: str, data: Any) -> None:
    parsed = _accepts_or_refuses(data, EVENTS[event])
    if parsed is not None:
        assert isinstance(parsed, EVENTS[event])
        # what was accepted is the documented shape: it encodes back to plain JSON
        msgspec.json.encode(parsed)


@FUZZ
@given(st.sampled_from(sorted(EVENTS)), st.data())
def test_one_field_changed_is_accepted_or_refused(event: str, data: st.DataObject) -> None:
    payload = _valid(EVENTS[event])
    field = data.draw(st.sampled_from([*payload, "unknown_field"]))
    payload[field] = data.draw(json_values)
    parsed = _accepts_or_refuses(payload, EVENTS[event])
    if field == "unknown_field":
        assert parsed is None  # unknown fields are refused, never carried along


@FUZZ
@given(
    st.integers(min_value=0, max_value=2**62),
    st.floats(min_value=0, max_value=60_000),
    st.sampled_from(["new", "checking", "connected", "completed", "disconnected", "failed"]),
)
def test_documented_stats_are_accepted(received: int, rtt: float, ice: str) -> None:
    stats = p.parse({"bytes_received": received, "rtt_ms": rtt, "ice_state": ice}, p.Stats)
    report = stats.report()
    assert (report.bytes_received, report.rtt_ms, report.ice_state) == (received, rtt, ice)


SDP_LINE = st.one_of(
    st.just("v=0"),
    st.builds(lambda s: f"o=- {s} 2 IN IP4 127.0.0.1", st.integers(0, 2**64)),
    st.sampled_from(["s=-", "t=0 0", "a=group:BUNDLE 0", "m=audio 9 UDP/TLS/RTP/SAVPF 111"]),
    st.builds(
        lambda h: "a=fingerprint:sha-256 " + ":".join([h] * 32), st.sampled_from(["AB", "0f"])
    ),
    st.builds(lambda t: f"a=candidate:1 1 udp 2122260223 127.0.0.1 {t} typ host", st.integers()),
    st.builds(lambda x: f"a={x}", text),
    text,
)
sdps = st.builds(lambda lines: "\r\n".join(lines), st.lists(SDP_LINE, max_size=80)) | text


@FUZZ
@given(sdps)
def test_the_offer_guard_accepts_or_refuses_with_a_reason(sdp: str) -> None:
    try:
        check_offer(sdp)
    except OfferRejected as e:
        assert e.code.startswith("offer_") and e.message
    else:
        assert sdp.replace("\r\n", "\n").split("\n")[0].strip() == "v=0"
        assert len(sdp.encode()) <= MAX_OFFER_BYTES


@FUZZ
@given(st.sampled_from(["offer", "answer", "candidate", "restart"]), json_values)
def test_signal_payloads_pass_only_their_own_fields(kind: str, payload: Any) -> None:
    message = {"to": "client", "kind": kind, "payload": payload}
    try:
        relayed = p.signal_payload(p.parse(message, p.Signal))
    except p.InvalidPayload:
        return
    allowed = {
        "offer": {"type", "sdp"},
        "answer": {"type", "sdp"},
        "candidate": {"candidate", "sdpMid", "sdpMLineIndex", "usernameFragment"},
        "restart": set(),
    }[kind]
    assert set(relayed) <= allowed
    if kind in ("offer", "answer"):
        assert relayed["type"] == kind and relayed["sdp"].startswith("v=0")


@FUZZ
@given(
    st.fixed_dictionaries(
        {"candidate": text},
        optional={
            "sdpMid": json_values,
            "sdpMLineIndex": json_values,
            "usernameFragment": json_values,
        },
    )
)
def test_candidates_are_bounded(candidate: dict[str, Any]) -> None:
    message = {"to": "professional", "kind": "candidate", "payload": candidate}
    try:
        relayed = p.signal_payload(p.parse(message, p.Signal))
    except p.InvalidPayload:
        return
    assert len(relayed["candidate"]) <= 1024
    index = relayed.get("sdpMLineIndex")
    assert index is None or 0 <= index <= 64
