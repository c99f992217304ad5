"""The baseline of ``bench/bench_connection_test.py``: a plain aiortc echo, the way aiortc's own
server example answers a browser.

``python bench/echo_server.py PORT`` serves ``POST /offer`` ``{sdp, type}`` on 127.0.0.1:PORT
and answers with a peer connection that sends the received video back: aiortc decodes every
frame it receives and encodes it again for the way back (VP8, aiortc's defaults).
``GET /readyz`` answers once it serves.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import web
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription


def create_app() -> web.Application:
    pcs: set[RTCPeerConnection] = set()

    async def offer(request: web.Request) -> web.Response:
        body = await request.json()
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pcs.add(pc)

        @pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            pc.addTrack(track)  # decoded on the way in, encoded again on the way out

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                pcs.discard(pc)
                await pc.close()

        await pc.setRemoteDescription(RTCSessionDescription(sdp=body["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return web.json_response({"sdp": pc.localDescription.sdp, "type": "answer"})

    async def readyz(request: web.Request) -> web.Response:
        return web.json_response({"status": "ready"})

    async def close_all(app: web.Application) -> None:
        await asyncio.gather(*(pc.close() for pc in list(pcs)), return_exceptions=True)

    app = web.Application()
    app.router.add_post("/offer", offer)
    app.router.add_get("/readyz", readyz)
    app.on_shutdown.append(close_all)
    return app


if __name__ == "__main__":
    web.run_app(create_app(), host="127.0.0.1", port=int(sys.argv[1]), print=None)
