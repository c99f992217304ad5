"""How a refusal reads on the wire: ``{ok: false, error: {code, message}}`` in an ack, or
``connect_error`` with ``data: {code, message}``. Typed errors keep their own code; anything
else is an internal error and is never described to the client."""

from __future__ import annotations

from typing import Any

import socketio

from ..rooms.errors import DomainError
from ..tokens import TokenError
from .payloads import InvalidPayload

Ack = dict[str, Any]
INTERNAL = ("internal_error", "something went wrong on our side")


def reason(error: Exception) -> tuple[str, str]:
    """(code, message) of a refusal: typed errors speak for themselves, nothing else does."""
    if isinstance(error, InvalidPayload):
        return "invalid_payload", str(error)
    if isinstance(error, (DomainError, TokenError)):
        return error.code, error.message
    return INTERNAL


def refusal(code: str, message: str) -> Ack:
    return {"ok": False, "error": {"code": code, "message": message}}


def connect_refusal(code: str, message: str, extra: dict[str, Any] | None = None) -> Exception:
    """A refusal the client sees as ``connect_error`` with ``data: {code, message, …extra}``."""
    error: Exception = socketio.exceptions.ConnectionRefusedError(
        message, {"code": code, "message": message, **(extra or {})}
    )
    return error
