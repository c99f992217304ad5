"""The least a Socket.IO relay can do: the baseline of ``bench/bench_signaling.py``.

``python bench/bare_relay_server.py PORT [REDIS_URL]`` serves a bare python-socketio AsyncServer on
aiohttp at 127.0.0.1:PORT with a ``/session`` namespace. A connection names its pair and role in
its auth (``{"pair": "p1", "role": "professional"}``); ``signal`` acks ``{ok: true}`` and emits
``{from, kind, payload}`` to the other member of the pair, with no validation and no state.
Engine.IO settings (ping interval and timeout, message size) are the service's own, so a
difference measured against ``sessionsvc serve`` is the service's code. With REDIS_URL, several
of these processes relay through one Redis (``AsyncRedisManager``), like a multi-node deployment.
"""

from __future__ import annotations

import sys
from typing import Any

import socketio
from aiohttp import web

NS = "/session"


def create_app(redis_url: str | None = None) -> web.Application:
    manager = None
    if redis_url:
        manager = socketio.AsyncRedisManager(
            redis_url, redis_options={"single_connection_client": True}
        )
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=[],
        max_http_buffer_size=256 * 1024,
        ping_interval=10,
        ping_timeout=10,
    )
    roles: dict[str, tuple[str, str]] = {}  # sid -> (pair, role)

    async def connect(sid: str, environ: dict[str, Any], auth: Any) -> None:
        pair, role = str(auth["pair"]), str(auth["role"])
        roles[sid] = (pair, role)
        await sio.enter_room(sid, f"{pair}:{role}", namespace=NS)

    async def disconnect(sid: str, reason: Any = None) -> None:
        roles.pop(sid, None)

    async def signal(sid: str, data: dict[str, Any]) -> dict[str, bool]:
        pair, role = roles[sid]
        await sio.emit(
            "signal",
            {"from": role, "kind": data["kind"], "payload": data["payload"]},
            room=f"{pair}:{data['to']}",
            namespace=NS,
        )
        return {"ok": True}

    async def stats(sid: str, data: Any) -> dict[str, bool]:
        return {"ok": True}

    sio.on("connect", connect, namespace=NS)
    sio.on("disconnect", disconnect, namespace=NS)
    sio.on("signal", signal, namespace=NS)
    sio.on("stats", stats, namespace=NS)

    async def ready(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/readyz", ready)
    sio.attach(app)
    return app


def main() -> None:
    port = int(sys.argv[1])
    redis_url = sys.argv[2] if len(sys.argv) > 2 else None
    web.run_app(create_app(redis_url), host="127.0.0.1", port=port, access_log=None, print=None)


if __name__ == "__main__":
    main()
