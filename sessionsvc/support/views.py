"""How rooms and their media read to support (docs/api.md "Support"): pseudonymous by
construction. Only these functions turn a room into what support is sent, and they copy no
participant's name or id into it: a participant is its role and its pseudonym."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..rooms.model import Participant, Phase, Role, Room
from ..rooms.samples import MediaSample, TimelineEntry
from ..signaling.texts import reason_text
from ..wireformat import held_display, iso
from .pseudonyms import Pseudonyms

LIVE_PHASES = frozenset({Phase.WAITING, Phase.IN_SESSION})
ROLES = (Role.PROFESSIONAL, Role.CLIENT)
SAMPLE_FIGURES = (
    "rtt_ms",
    "jitter_ms",
    "loss_pct",
    "bitrate_in_kbps",
    "bitrate_out_kbps",
    "fps_in",
    "ice_state",
    "connection_state",
    "score",
    "grade",
    "reason",
)
Latest = Mapping[Role, MediaSample | None]


def is_live(room: Room) -> bool:
    """Someone is in the room and it has not ended: waiting or in session."""
    return room.phase in LIVE_PHASES


def _first_joined(room: Room) -> float | None:
    times = [p.joined_at for p in (room.professional, room.client) if p.joined_at is not None]
    return min(times) if times else None


def _seconds(start: float | None, end: float | None) -> float:
    if start is None or end is None:
        return 0.0
    return round(max(end - start, 0.0), 1)


def outcome_view(room: Room) -> dict[str, Any] | None:
    o = room.outcome
    if o is None:
        return None
    return {
        "phase": o.phase.value,
        "reason": o.reason,
        "reason_text": reason_text(o.reason) if o.reason else None,
        "ended_at": iso(o.ended_at),
        "held_seconds": held_display(o.held_seconds),
        "payment_type": o.payment.payment_type.value if o.payment else None,
    }


def person(p: Participant, pseudonyms: Pseudonyms) -> dict[str, Any]:
    """A participant as support reads it: role, pseudonym and presence, nothing else."""
    return {"role": p.role.value, "pseudonym": pseudonyms.of(p.id), "presence": p.presence.value}


def grade_view(sample: MediaSample | None) -> dict[str, Any] | None:
    if sample is None or sample.grade is None:
        return None
    return {
        "grade": sample.grade,
        "score": sample.score,
        "reason": sample.reason,
        "at": iso(sample.at),
    }


def room_row(
    room: Room, latest: Latest | None, pseudonyms: Pseudonyms, now: float
) -> dict[str, Any]:
    """One room in a list: where it is, how long each part took, and each side's grade
    (``quality``; left out when ``latest`` is None: a change that says nothing of grades)."""
    joined = _first_joined(room)
    ended = room.outcome.ended_at if room.outcome else None
    admitted = room.admitted_at
    return {
        "room_id": room.room_id,
        "booking_id": room.booking_id,
        "hub": {"id": room.hub.id, "name": room.hub.name} if room.hub else None,
        "phase": room.phase.value,
        "live": is_live(room),
        "scheduled_start": iso(room.scheduled_start),
        "scheduled_end": iso(room.scheduled_end),
        "opened_at": iso(room.created_at),
        "first_joined_at": iso(joined),
        "admitted_at": iso(admitted),
        "ended_at": iso(ended),
        "waiting_seconds": _seconds(joined, admitted or ended or (now if joined else None)),
        "in_session_seconds": _seconds(admitted, ended or now) if admitted else 0.0,
        "held_seconds": held_display(room.held_seconds),
        "participants": [_side(room.participant(role), latest, pseudonyms) for role in ROLES],
        "outcome": outcome_view(room),
    }


def _side(p: Participant, latest: Latest | None, pseudonyms: Pseudonyms) -> dict[str, Any]:
    side = person(p, pseudonyms)
    if latest is not None:
        side["quality"] = grade_view(latest.get(p.role))
    return side


def sample_view(sample: MediaSample) -> dict[str, Any]:
    view: dict[str, Any] = {"at": iso(sample.at)}
    for name in SAMPLE_FIGURES:
        view[name] = getattr(sample, name)
    return view


def entry_view(entry: TimelineEntry) -> dict[str, Any]:
    view: dict[str, Any] = {"at": iso(entry.at), "event": entry.event, "value": entry.value}
    if entry.detail:
        view["detail"] = dict(entry.detail)
    return view


def participant_diagnostics(
    p: Participant,
    samples: Sequence[MediaSample],
    entries: Sequence[TimelineEntry],
    pseudonyms: Pseudonyms,
) -> dict[str, Any]:
    """Everything support may know of one side's media in one room."""
    if p.joined_at is not None:  # a first arrival is kept on the room, not the timeline
        first = TimelineEntry(p.joined_at, "joined")
        entries = sorted([first, *entries], key=lambda e: e.at)
    device = next((e for e in reversed(entries) if e.event == "device"), None)
    detail = device.detail or {} if device else {}
    last = samples[-1] if samples else None
    counts = {"good": 0, "fair": 0, "poor": 0}
    for s in samples:
        if s.grade in counts:
            counts[s.grade] += 1
    reconnects: list[dict[str, Any]] = []
    for e in entries:
        if e.event == "reconnecting":
            reconnects.append({"at": iso(e.at), "back_at": None})
        elif e.event == "resumed" and reconnects and reconnects[-1]["back_at"] is None:
            reconnects[-1]["back_at"] = iso(e.at)
    with_pair = next(
        (s for s in reversed(samples) if s.local_candidate or s.remote_candidate), None
    )
    return {
        **person(p, pseudonyms),
        "joined_at": iso(p.joined_at),
        "left_at": iso(p.left_at),
        "browser": (
            {"name": detail.get("browser", ""), "version": detail.get("version", "")}
            if device
            else None
        ),
        "permissions": (
            {
                "camera": detail.get("camera", "unknown"),
                "microphone": detail.get("microphone", "unknown"),
            }
            if device
            else None
        ),
        "candidates": (
            {"local": with_pair.local_candidate, "remote": with_pair.remote_candidate}
            if with_pair
            else None
        ),
        "quality": grade_view(last),
        "grades": counts,
        "reconnects": reconnects,
        "timeline": [entry_view(e) for e in entries],
        "samples": [sample_view(s) for s in samples],
    }
