"""The error a synthetic participant raises when the server refuses it or does not answer."""

from __future__ import annotations


class ParticipantError(Exception):
    """A request was refused or not answered, or the connection was refused."""

    def __init__(self, code: str, message: str, *, fatal: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.fatal = fatal  # the server refused us for good (bad token, room closed, ...)
