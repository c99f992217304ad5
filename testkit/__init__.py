"""Real parts on loopback for sessionsvc's tests and benchmarks.

One copy of each thing both ``tests/`` and ``bench/`` start or drive:

- ``ports``: a free TCP port on 127.0.0.1;
- ``processes``: a child process stopped by its pid, with its output captured, and one that
  serves HTTP on a loopback port;
- ``redis_server``: a private ``redis-server`` (nothing on disk, or append-only in a given
  folder), restartable on the same port;
- ``service``: ``sessionsvc serve`` processes;
- ``settings``: the secrets and settings those processes run with;
- ``booking``: the booking service's side of the HTTP API;
- ``session_client``: a protocol-level client of the ``/session`` Socket.IO namespace;
- ``counting_store``: a store backend that counts the calls made to it;
- ``stats_reports``: what a side of a loopback call reports in its ``stats`` events;
- ``chromium``: how Debian's Chromium is launched for the browser tests and benchmarks.

Everything listens on and connects to 127.0.0.1 only. The package is not part of the wheel.
"""
