"""The connection pool every standalone Redis client of the service uses: it never hands out a
connection the other end reset while it sat idle in the pool.

When Redis restarts, or the network between a node and Redis is cut, the idle pooled sockets are
reset (RST). That leaves each one's stream with an error and no end-of-file; redis-py before 8.2
looks only for the end-of-file before it hands a pooled connection out, so the next command sent on
each such connection failed, and requests kept being answered ``store_unavailable`` for a while
after Redis was back. Here such a connection is reopened before it is used, on every redis-py
version the service supports."""

from __future__ import annotations

import asyncio

from redis.asyncio import ConnectionPool
from redis.asyncio.connection import AbstractConnection


class FreshConnectionPool(ConnectionPool):
    """``redis.asyncio.ConnectionPool`` that reopens a pooled connection the peer has closed or
    reset before handing it out."""

    async def ensure_connection(self, connection: AbstractConnection) -> None:
        if closed_by_peer(connection):
            await connection.disconnect()
        await super().ensure_connection(connection)


def closed_by_peer(connection: AbstractConnection) -> bool:
    """Whether the other end closed (end-of-file) or reset (an error on the stream) this open
    connection."""
    reader: asyncio.StreamReader | None = getattr(connection, "_reader", None)
    return reader is not None and (reader.exception() is not None or reader.at_eof())
