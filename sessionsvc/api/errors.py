"""One error shape for every failure: ``{"error": {"code", "message"}}``, never a stack trace.
The HTTP status of each typed error is decided here, in one table."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping

import msgspec
from aiohttp import web

from ..rooms.errors import (
    BookingConflict,
    CardRequired,
    DomainError,
    Forbidden,
    InvalidInput,
    InvalidTransition,
    NotFound,
    RoomClosed,
    StoreUnavailable,
)
from ..tokens import TokenError
from .bodies import BodyError, InvalidBody, MalformedJson

log = logging.getLogger(__name__)

ENGINEIO_PATH = "/socket.io/"
RETRY_AFTER = "2"  # seconds a client waits before retrying while the store is unreachable

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

STATUS: Mapping[type[Exception], int] = {
    NotFound: 404,
    StoreUnavailable: 503,
    BookingConflict: 409,
    RoomClosed: 409,
    InvalidTransition: 409,
    CardRequired: 409,
    Forbidden: 403,
    InvalidInput: 422,
    DomainError: 400,
    TokenError: 401,
    MalformedJson: 400,
    InvalidBody: 422,
    BodyError: 400,
}
"""The status of each typed error; a subclass takes the status of its nearest listed base."""

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_body",
    429: "rate_limited",
}


def status_of(error: Exception) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def error_response(status: int, code: str, message: str) -> web.Response:
    body = msgspec.json.encode({"error": {"code": code, "message": message}})
    return web.Response(status=status, body=body, content_type="application/json")


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except (DomainError, TokenError, BodyError) as e:
        response = error_response(status_of(e), e.code, e.message)
        if isinstance(e, StoreUnavailable):
            response.headers["Retry-After"] = RETRY_AFTER
        return response
    except web.HTTPException as e:
        if e.status < 400:
            raise
        if e.status == 413:
            return error_response(413, "payload_too_large", "the request body is over 64 KiB")
        code = _HTTP_CODES.get(e.status, "http_error")
        response = error_response(e.status, code, e.reason or code)
        if "Allow" in e.headers:  # a 405 names the methods that are allowed (RFC 9110)
            response.headers["Allow"] = e.headers["Allow"]
        return response
    except ConnectionResetError:
        # the client went away mid-request (e.g. before its whole body came): its doing, and
        # nobody is left to read an answer
        log.info("client went away during %s %s", request.method, request.path)
        return error_response(400, "incomplete_request", "the connection closed mid-request")
    except ValueError as e:
        if not request.path.startswith(ENGINEIO_PATH):
            log.exception("unhandled error on %s %s", request.method, request.path)
            return error_response(500, "internal_error", "something went wrong on our side")
        # engine.io raises on a frame it cannot decode (e.g. an empty one): the client's error
        log.warning("malformed engine.io frame from %s: %s", request.remote, e)
        return error_response(400, "bad_request", "malformed engine.io frame")
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "something went wrong on our side")
