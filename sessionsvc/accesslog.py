"""An access log that never writes query strings (join links carry tokens) nor the ids of the
people a path names (a client's or professional's id may be an e-mail address): those parts of a
route are written as their placeholders, e.g. ``/v1/hubs/acme/members/{client_id}/credits``."""

from __future__ import annotations

from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, Request, StreamResponse

PERSONAL = ("client_id", "professional_id")
"""Route parameters that name a person."""


def logged_path(request: BaseRequest) -> str:
    """The request's path with every personal route parameter replaced by its placeholder."""
    if not isinstance(request, Request):
        return request.path
    try:
        info = request.match_info
    except AssertionError:  # a request aiohttp could not parse never reached the router
        return request.path
    if not any(name in info for name in PERSONAL):
        return request.path
    resource = info.route.resource
    if resource is None:
        return request.path
    values = {k: v for k, v in info.items() if k not in PERSONAL}
    values.update({name: "{" + name + "}" for name in PERSONAL})
    try:
        return resource.canonical.format_map(values)
    except (KeyError, ValueError, IndexError):
        return resource.canonical


class PathOnlyAccessLogger(AbstractAccessLogger):
    """``METHOD /path STATUS BYTES SECONDS``, without the query string, any header or the ids of
    people."""

    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        self.logger.info(
            "%s %s %s %s %.4f",
            request.method,
            logged_path(request),
            response.status,
            response.body_length,
            time,
        )
