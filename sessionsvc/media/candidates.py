"""The candidate pair a peer connection selected: what kind of path the media takes (direct on
the local network, through a NAT, or through a TURN relay) and over which protocol.

aiortc reports no candidate-pair statistics; its ICE agent (aioice) keeps the nominated pair,
so this reads it there and gives up quietly if that changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiortc import RTCPeerConnection


@dataclass(frozen=True)
class CandidatePair:
    """The selected pair: the service's candidate type, the browser's candidate type (``host``,
    ``srflx``, ``prflx`` or ``relay``) and the transport protocol (``udp`` or ``tcp``)."""

    local: str
    remote: str
    protocol: str

    @property
    def relayed(self) -> bool:
        return "relay" in (self.local, self.remote)


def selected_pair(pc: RTCPeerConnection) -> CandidatePair | None:
    """The nominated pair of the first transport, or None before ICE has nominated one."""
    try:
        for transceiver in pc.getTransceivers():
            connection = transceiver.receiver.transport.transport._connection
            for pair in connection._nominated.values():
                local, remote = pair.local_candidate, pair.remote_candidate
                return CandidatePair(
                    str(local.type), str(remote.type), str(remote.transport).lower()
                )
    except AttributeError:
        pass
    return None
