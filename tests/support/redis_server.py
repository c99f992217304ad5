"""A pytest plugin that runs one private ``redis-server`` (``testkit.redis_server``) for the test
session, keeping nothing on disk; the machine's own Redis is never touched."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
import redis

from testkit.redis_server import RedisServer


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str]:
    """The URL of a private redis-server, e.g. ``redis://127.0.0.1:41234/0``."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is missing: install Debian's redis-server package (./dev does)")
    with RedisServer() as server:
        yield server.url


@pytest.fixture
def redis_url(redis_server: str) -> str:
    """The private server's URL, emptied before the test."""
    with redis.Redis.from_url(redis_server) as client:
        client.flushall()
    return redis_server
