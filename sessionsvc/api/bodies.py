"""Reading JSON request bodies into typed structs, with clear errors."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from aiohttp import web

from ..rooms.errors import DomainError

T = TypeVar("T")


class MalformedJson(DomainError):
    code = "malformed_json"
    status = 400


class InvalidBody(DomainError):
    code = "invalid_body"
    status = 422


async def read_json(request: web.Request, kind: type[T]) -> T:
    """Decode the body as ``kind``; unknown fields, missing fields and wrong types are refused."""
    raw = await request.read()
    if not raw.strip():
        raise MalformedJson("the request body is empty; send a JSON object")
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.ValidationError as e:
        raise InvalidBody(str(e)) from None
    except msgspec.DecodeError as e:
        raise MalformedJson(f"the request body is not valid JSON: {e}") from None


def json_response(value: object, status: int = 200) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(value), status=status, content_type="application/json"
    )
