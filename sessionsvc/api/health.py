"""Liveness, readiness (the store answers) and Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from .bodies import json_response
from .errors import error_response
from .keys import BACKEND, METRICS
from .views import Status

log = logging.getLogger(__name__)


async def healthz(request: web.Request) -> web.Response:
    return json_response(Status("ok"))


async def readyz(request: web.Request) -> web.Response:
    try:
        await asyncio.wait_for(request.app[BACKEND].ping(), timeout=2.0)
    except Exception as e:
        log.warning("store not reachable: %s", type(e).__name__)
        return error_response(503, "store_unavailable", "the store is not reachable")
    return json_response(Status("ready"))


async def metrics(request: web.Request) -> web.Response:
    body = request.app[METRICS].render()
    return web.Response(
        body=body, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"}
    )
