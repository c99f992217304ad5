"""Redis being unreachable, said in the domain's terms: every store method that fails because
the connection to Redis is down (refused, reset, timed out, still loading its data, a cluster
without a quorum) raises ``StoreUnavailable``, which every edge answers as a retryable refusal."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar, cast

from redis import exceptions as rx

from ...rooms.errors import StoreUnavailable

S = TypeVar("S")
R = TypeVar("R")
P = ParamSpec("P")

UNREACHABLE: tuple[type[Exception], ...] = (
    rx.ConnectionError,  # also BusyLoadingError: a restarted Redis reading its append-only file
    rx.TimeoutError,
    rx.ClusterDownError,
    rx.TryAgainError,
    OSError,
)
MESSAGE = "the store cannot be reached right now; try again in a moment"


def guard(method: Callable[P, Awaitable[R]]) -> Callable[P, Coroutine[Any, Any, R]]:
    """``method``, raising ``StoreUnavailable`` when Redis cannot be reached."""

    @functools.wraps(method)
    async def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return await method(*args, **kwargs)
        except UNREACHABLE as e:
            raise StoreUnavailable(MESSAGE) from e

    return guarded


class _Guarded:
    """``inner`` with each of its coroutine methods guarded."""

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._inner, name)
        if inspect.iscoroutinefunction(value):
            return guard(value)
        return value


def guarded(store: S) -> S:
    """``store``, raising ``StoreUnavailable`` whenever Redis cannot be reached."""
    return cast(S, _Guarded(store))
