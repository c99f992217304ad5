"""The settings ``sessionsvc`` runs with under test: known secrets (so tests and benchmarks can
mint and check tokens), a held-rule of 2 s and a fast sweeper."""

from __future__ import annotations

BOOKING_SECRET = "test-booking-secret-0123456789abcdef"
JOIN_SECRET = "test-join-secret-0123456789abcdef"
TEST_ENV = {
    "SESSIONSVC_BOOKING_SECRET": BOOKING_SECRET,
    "SESSIONSVC_JOIN_SECRET": JOIN_SECRET,
    "SESSIONSVC_MIN_HELD_SECONDS": "2",
    "SESSIONSVC_SWEEP_INTERVAL": "0.2",
    "SESSIONSVC_LOG_LEVEL": "WARNING",
    # every client of a test or benchmark comes from the one loopback address
    "SESSIONSVC_MAX_CONNECTIONS_PER_ADDRESS": "100000",
    "SESSIONSVC_CONNECT_RATE_PER_ADDRESS": "100000",
}
