"""What one side of a call on loopback reports in its ``stats`` events (docs/events.md): the
wire payload that Socket.IO clients send, and the same report as the domain receives it.

Both grow with the time into the peer connection: 45 kB/s each way, 20 frames, 50 audio and 30
video packets a second, none lost, a 2 ms round trip over a host-to-host pair. The scorer grades
such a side good.
"""

from __future__ import annotations

from typing import Any

import msgspec

from sessionsvc.rooms.samples import MediaReport


def loopback_stats(t: float, peer: str = "pc1") -> dict[str, Any]:
    """The ``stats`` payload of a loopback call's side ``t`` s into its peer connection."""
    n = int(45_000 * t)
    return {
        "bytes_received": n,
        "bytes_sent": n,
        "frames_received": int(20 * t),
        "peer": peer,
        "clock_ms": t * 1000.0,
        "audio": {"packets_received": int(50 * t), "packets_lost": 0},
        "video": {"packets_received": int(30 * t), "packets_lost": 0},
        "rtt_ms": 2.0,
        "jitter_ms": 3.0,
        "ice_state": "connected",
        "connection_state": "connected",
        "local_candidate_type": "host",
        "remote_candidate_type": "host",
    }


def loopback_report(t: float, peer: str = "pc1") -> MediaReport:
    """The same report as the domain receives it."""
    return msgspec.convert(loopback_stats(t, peer), MediaReport)
