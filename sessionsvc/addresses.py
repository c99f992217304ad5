"""Which address a request comes from: the peer's, or behind a trusted load balancer, the client
address it forwards. Every per-address limit (Socket.IO connects, connection tests) asks here."""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses or networks as written in a setting (``10.0.0.5``, ``10.0.0.0/8``)."""
    return tuple(ipaddress.ip_network(v, strict=False) for v in values)


def client_address(peer: str | None, forwarded: str, trusted: tuple[Network, ...]) -> str:
    """The peer's address, or when the peer is a trusted proxy, the nearest address in its
    ``X-Forwarded-For`` (``forwarded``) that is not itself a trusted proxy."""
    peer = peer or "unknown"
    if not trusted or not _trusted(peer, trusted):
        return peer
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _trusted(hop, trusted):
            return hop
    return peer


def _trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
