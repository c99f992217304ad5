"""An access log that never writes query strings: join links carry tokens, and tokens carry
names, which must never reach the logs."""

from __future__ import annotations

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse


class PathOnlyAccessLogger(AbstractAccessLogger):
    """``METHOD /path STATUS BYTES SECONDS``, without the query string or any header."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %.4f",
            request.method,
            request.path,
            response.status,
            response.body_length,
            time,
        )
