"""The one set of limits on the text that enters the service: ids, names and free text, as
annotated types that the HTTP bodies and the Socket.IO payloads both use (so an id the API takes
is always one the session accepts), and the rule that text must be encodable as UTF-8: a lone
surrogate, which JSON's ``\\ud800`` escape can carry, is not, and no store or answer could hold it.
The HTTP bodies' decoder (msgspec) refuses such JSON itself; the Socket.IO payloads, decoded by
the standard library, are checked with ``unencodable``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

MAX_ID = 200
MAX_NAME = 120
MAX_NOTE = 280
MAX_URL = 2048

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_ID)]
"""A room's, booking's, hub's or person's id."""
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME)]
"""A person's or a hub's name."""
Url = Annotated[str, msgspec.Meta(max_length=MAX_URL)]


def unencodable(value: Any) -> str | None:
    """Where in a decoded JSON value (dicts, lists, strings, numbers) a string cannot be
    encoded as UTF-8, as a path like ``client.name`` or ``a[1]``; None when every one can."""
    stack: list[tuple[_Path, Any]] = [(None, value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return _render(path)
        elif isinstance(item, dict):
            for key, inner in item.items():
                step = (path, f".{key}")
                if isinstance(key, str) and not _encodable(key):
                    return _render(step)
                stack.append((step, inner))
        elif isinstance(item, list | tuple):
            stack.extend(((path, f"[{i}]"), inner) for i, inner in enumerate(item))
    return None


_Path = tuple[Any, str] | None  # (parent, step): built only when a path is reported


def _render(path: _Path) -> str:
    steps: list[str] = []
    while path is not None:
        path, step = path
        steps.append(step)
    text = "".join(reversed(steps)).removeprefix(".") or "the value"
    return text.encode("utf-8", "backslashreplace").decode()


def _encodable(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
