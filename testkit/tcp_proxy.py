"""A loopback TCP proxy that can cut its connections and come back: a network fault between a
service node and Redis (or anything else it talks to over TCP), on demand."""

from __future__ import annotations

import asyncio
import contextlib
from types import TracebackType
from typing import Self

from testkit.ports import LOOPBACK

CHUNK = 64 * 1024


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``target_host:target_port`` while it is up.

    ``cut()`` resets every connection it carries and refuses new ones (they are accepted and
    reset at once, the way a peer that went away looks); ``restore()`` lets new connections
    through again. Runs on the caller's event loop; ``async with`` starts and closes it.
    """

    def __init__(self, target_port: int, target_host: str = LOOPBACK) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.up = True
        self.connections = 0  # connections forwarded so far
        self._server: asyncio.Server | None = None
        self._pipes: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def url(self, scheme: str = "redis", path: str = "/0") -> str:
        return f"{scheme}://{LOOPBACK}:{self.port}{path}"

    async def start(self) -> Self:
        self._server = await asyncio.start_server(self._accept, LOOPBACK, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return self

    def cut(self) -> None:
        """Reset every connection and refuse new ones until ``restore()``."""
        self.up = False
        for writer in list(self._pipes):
            writer.transport.abort()
        self._pipes.clear()

    def restore(self) -> None:
        self.up = True

    async def close(self) -> None:
        """Reset every connection, stop listening, and leave no socket or task behind."""
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        # a connection accepted just before the listener closed has its handler scheduled but not
        # yet run: one turn of the loop lets it start (and reset its connection, as it is cut)
        await asyncio.sleep(0)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.transport.abort()
            return
        # a cut while the upstream side opens resets this connection too
        self._pipes.add(writer)
        handler = asyncio.current_task()
        if handler is not None:
            self._tasks.add(handler)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            self._pipes.discard(writer)
            writer.transport.abort()
            return
        except asyncio.CancelledError:  # the proxy closes
            self._pipes.discard(writer)
            writer.transport.abort()
            raise
        finally:
            if handler is not None:
                self._tasks.discard(handler)
        if writer not in self._pipes:  # cut meanwhile
            up_writer.transport.abort()
            return
        self.connections += 1
        self._pipes.add(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(self._pump(source, sink, (writer, up_writer)))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        pair: tuple[asyncio.StreamWriter, asyncio.StreamWriter],
    ) -> None:
        try:
            while data := await source.read(CHUNK):
                sink.write(data)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            for writer in pair:
                self._pipes.discard(writer)
                writer.transport.abort()
