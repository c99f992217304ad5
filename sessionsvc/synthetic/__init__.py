"""Synthetic participants: aiortc clients of the ``/session`` namespace that play a professional
or a client with generated video (and optionally audio), for tests, benchmarks and ``sessionsvc
probe``. This is a client kit: it runs wherever a session is driven from, not inside the
service. Nothing it receives is recorded."""
