"""A synthetic browser for the connection test: an aiortc client that runs ``POST
/v1/diagnostics/offer`` against a deployment as the ``/test`` page does, sending a replayed
clip as its camera and counting (never decoding) what the service sends back. Tests and the
capacity bench use it; like the rest of this kit it runs outside the service."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
from aiortc import RTCPeerConnection, RTCRtpSender, RTCSessionDescription

from ..media.clip import Clip, ClipTrack, encode_clip
from ..media.inbound import end_decoder, meter_receiver
from .negotiation import ice_configuration


def upload_clip() -> Clip:
    """What the synthetic browser sends: 640x480 at 25 fps, about 1.5 Mbps (what Chrome sends
    at that size on a good link). Takes a few seconds to encode; make it once per process."""
    return encode_clip(640, 480, fps=25.0, bitrate=1_800_000)


class TestRefused(Exception):
    """The service refused a test: ``status`` and the error ``code`` it answered with."""

    __test__ = False

    def __init__(self, status: int, code: str, retry_after: str | None) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code
        self.retry_after = retry_after


class ConnectionTestClient:
    """Runs connection tests against ``base_url`` over ``http``; ``token`` (a join token) is
    sent as a bearer token, as the device check does."""

    def __init__(
        self,
        base_url: str,
        http: aiohttp.ClientSession,
        clip: Clip,
        *,
        token: str | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._http = http
        self._clip = clip
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._poll = poll_interval
        self.pcs: list[RTCPeerConnection] = []

    async def _json(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        async with self._http.request(
            method, self._base + path, json=body, headers=self._headers
        ) as r:
            data: dict[str, Any] = await r.json()
            if r.status >= 400:
                raise TestRefused(r.status, data["error"]["code"], r.headers.get("Retry-After"))
            return data

    async def ice_servers(self) -> dict[str, Any]:
        return await self._json("GET", "/v1/diagnostics/ice-servers")

    async def start(self, ice_servers: Sequence[Mapping[str, Any]] = ()) -> str:
        """Offer a test and apply the answer; returns the report id. The peer connection keeps
        running (in :attr:`pcs`) until :meth:`close`."""
        pc = RTCPeerConnection(configuration=ice_configuration(ice_servers))
        self.pcs.append(pc)
        pc.addTrack(ClipTrack(self._clip))
        transceiver = pc.getTransceivers()[0]
        codecs = RTCRtpSender.getCapabilities("video").codecs
        transceiver.setCodecPreferences([c for c in codecs if c.mimeType == "video/VP8"])
        meter_receiver(transceiver.receiver)

        @pc.on("connectionstatechange")
        def on_state() -> None:
            if pc.connectionState == "connected":
                # after the receiver started its decoder: the meter feeds it nothing
                asyncio.get_running_loop().call_soon(end_decoder, transceiver.receiver)

        await pc.setLocalDescription(await pc.createOffer())
        answer = await self._json(
            "POST", "/v1/diagnostics/offer", {"type": "offer", "sdp": pc.localDescription.sdp}
        )
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        return str(answer["test_id"])

    async def report(self, test_id: str) -> dict[str, Any]:
        return await self._json("GET", f"/v1/diagnostics/tests/{test_id}")

    async def wait_report(self, test_id: str, within: float = 60.0) -> dict[str, Any]:
        """Poll the report until the test is over."""
        deadline = time.monotonic() + within
        while True:
            report = await self.report(test_id)
            if report["state"] != "running" or time.monotonic() > deadline:
                return report
            await asyncio.sleep(self._poll)

    async def run(self, within: float = 60.0) -> dict[str, Any]:
        """A whole test, as the page runs it: ICE servers, offer, wait, report."""
        config = await self.ice_servers()
        try:
            test_id = await self.start(config["ice_servers"])
            return await self.wait_report(test_id, within)
        finally:
            await self.close()

    async def close(self) -> None:
        pcs, self.pcs = self.pcs, []
        for pc in pcs:
            with contextlib.suppress(Exception):
                await pc.close()
