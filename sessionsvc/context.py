"""What the edges share, built once by the composition root and kept under one ``web.AppKey``."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from .metrics import Metrics
from .rooms.clock import Clock
from .rooms.service import Sessions
from .settings import Settings
from .tokens import TokenService


@dataclass(frozen=True)
class Context:
    settings: Settings
    sessions: Sessions
    tokens: TokenService
    metrics: Metrics
    clock: Clock
    node: str  # this process's id among the service nodes


CONTEXT = web.AppKey("context", Context)
