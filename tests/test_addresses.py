"""The client address behind trusted proxies."""

from sessionsvc.addresses import client_address, parse_networks

PROXIES = parse_networks(("10.0.0.0/8", "192.0.2.1"))


def test_a_trusted_proxy_s_forwarded_client_is_the_address() -> None:
    forwarded = "6.6.6.6, 203.0.113.9, 10.0.0.7"
    assert client_address("10.0.0.5", forwarded, PROXIES) == "203.0.113.9"
    assert client_address("192.0.2.1", "203.0.113.9", PROXIES) == "203.0.113.9"


def test_without_a_trusted_proxy_the_header_is_ignored() -> None:
    assert client_address("198.51.100.1", "203.0.113.9", PROXIES) == "198.51.100.1"
    assert client_address("10.0.0.5", "203.0.113.9", ()) == "10.0.0.5"
    assert client_address(None, "", PROXIES) == "unknown"


def test_a_header_of_only_proxies_leaves_the_peer() -> None:
    assert client_address("10.0.0.5", "10.0.0.6, 10.1.1.1", PROXIES) == "10.0.0.5"
