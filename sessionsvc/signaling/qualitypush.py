"""Sends both sides of a call their own connection grade and the other side's (the ``quality``
event of docs/events.md), each time either side's stats report is graded. It emits through the
server's client manager, so with Redis it reaches the sockets on every node."""

from __future__ import annotations

from typing import Any

import socketio

from ..rooms.mediastats import QualityUpdate
from ..rooms.samples import MediaSample
from ..wireformat import iso
from .channels import NAMESPACE, room_channel

FIGURES = (
    "rtt_ms",
    "jitter_ms",
    "loss_pct",
    "bitrate_in_kbps",
    "bitrate_out_kbps",
    "fps_in",
)


def quality_view(sample: MediaSample | None) -> dict[str, Any] | None:
    """A graded sample as a side reads it: grade, score, what limits it, and its figures."""
    if sample is None or sample.grade is None:
        return None
    view: dict[str, Any] = {
        "grade": sample.grade,
        "score": sample.score,
        "reason": sample.reason,
        "at": iso(sample.at),
    }
    for name in FIGURES:
        view[name] = getattr(sample, name)
    return view


class QualityPush:
    """The quality listener that keeps both call screens' indicators up to date."""

    def __init__(self, sio: socketio.AsyncServer) -> None:
        self.sio = sio

    async def __call__(self, update: QualityUpdate) -> None:
        room, role = update.room, update.role
        if room.phase.is_terminal:
            return
        mine, theirs = quality_view(update.sample), quality_view(update.other)
        if mine is None and theirs is None:
            return  # nothing graded yet: nothing to show
        other = room.other(role).role
        for to, you, them in ((role, mine, theirs), (other, theirs, mine)):
            await self.sio.emit(
                "quality",
                {"you": you, "other": them},
                room=room_channel(room.room_id, to),
                namespace=NAMESPACE,
            )
