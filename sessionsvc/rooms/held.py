"""The held-rule (DESIGN §2): a session counts as held only if, while it was under way, both
participants were connected and media flowed both ways for at least ``min_held_seconds``.

What the rule trusts, and what it does not: each side reports how many media bytes it has
received and sent (cumulative, over all its peer connections). One side's word is not enough:
the bytes a side says it received count only once the other side has said it sent at least
about as many (``corroborated``). A side that invents received bytes is caught by the other
side's sent count; a side that invents sent bytes cannot make the other side's received count
grow. So media counts as flowing into a side only while that side's received count grows *and*
the other side's sent count covers it. Held time grows only while both directions flow and both
sides stay connected to the service on the same connections from one tick to the next (a drop
and return in between does not count).
"""

from __future__ import annotations

from msgspec.structs import replace

from .model import Participant, Phase, Presence, Role, Room
from .policy import Policy


def corroborated(received: int, sent: int, policy: Policy) -> bool:
    """Whether ``received`` bytes (one side's word) are covered by ``sent`` (the other side's):
    at most ``sent`` times ``1 + media_tolerance`` plus ``media_slack_bytes``. The tolerance
    absorbs the two sides counting at different layers (payload or transport bytes); a
    receiver always gets less than was sent, never more."""
    return received <= sent * (1.0 + policy.media_tolerance) + policy.media_slack_bytes


def _confirm(receiver: Participant, sender: Participant, policy: Policy) -> Participant:
    """The receiver with its latest received count confirmed, if the sender's sent count
    covers it: its media counts as arriving as of its report."""
    if receiver.bytes_in <= receiver.verified_in:
        return receiver
    if not corroborated(receiver.bytes_in, sender.bytes_out, policy):
        return receiver
    return replace(receiver, verified_in=receiver.bytes_in, media_at=receiver.reported_at)


def record_media(
    room: Room, role: Role, bytes_in: int, bytes_out: int, now: float, policy: Policy
) -> Room:
    """A stats report from one side: the bytes it has received and sent in all. Its own
    received count is checked against the other side's latest sent count, and the other side's
    received count against its new sent count (whichever report came later settles it)."""
    if room.phase.is_terminal:
        return room
    me = room.participant(role)
    arriving = bytes_in > me.bytes_in
    me = replace(
        me,
        bytes_in=max(bytes_in, me.bytes_in),
        bytes_out=max(bytes_out, me.bytes_out),
        reported_at=now,
        media_at=me.media_at if arriving else None,  # nothing new arrived: not flowing now
    )
    other = room.other(role)
    me, other = _confirm(me, other, policy), _confirm(other, me, policy)
    room = room.with_participant(me).with_participant(other)
    if room.phase is not Phase.IN_SESSION:
        return room
    conns = (room.professional.conn, room.client.conn)
    if media_both_ways(room, now, policy):
        if room.held_tick is not None and room.held_conns == conns:
            gained = min(max(now - room.held_tick, 0.0), policy.stats_stale)
            room = replace(room, held_seconds=room.held_seconds + gained)
        return replace(room, held_tick=now, held_conns=conns)
    return replace(room, held_tick=None, held_conns=None)


def media_both_ways(room: Room, now: float, policy: Policy) -> bool:
    """Both sides are present and media arriving at each, as the other side's sent count
    confirms, was reported recently enough."""
    for p in (room.professional, room.client):
        if p.presence is not Presence.PRESENT or p.media_at is None:
            return False
        if now - p.media_at > policy.stats_stale:
            return False
    return True


def is_held(room: Room, policy: Policy) -> bool:
    """Whether the session, if it ended now, would count as held."""
    return room.admitted_at is not None and room.held_seconds >= policy.min_held_seconds
