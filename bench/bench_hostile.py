"""What a binary-attachment flood costs a node: the server's memory before and after one joined
participant announces a packet with 9,999,999,999 attachments and sends 200 KiB binary frames.

    python -m bench.bench_hostile [--megabytes 20] [--command "python -m sessionsvc serve"]
                                  [--cwd DIR]

Printed: the bytes sent before the node closed the connection (all of them, if it never did),
and its resident memory (VmRSS) before and after. ``--command`` runs another build of the
service (e.g. an older checkout's) for a before/after comparison in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.targets import BENCH_ENV  # noqa: E402
from testkit.booking import Booking  # noqa: E402
from testkit.engineio_wire import RawEngineIO  # noqa: E402
from testkit.service import SERVE, ServiceProcess  # noqa: E402

FRAME = b"\0" * (200 * 1024)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def flood(node: ServiceProcess, megabytes: int) -> tuple[int, bool]:
    """(bytes the node took, whether it closed the connection)."""
    async with aiohttp.ClientSession() as http:
        room = await Booking(node.url, http).open_room()
        raw = await RawEngineIO(node.url, http).open()
        await raw.join("/session", {"token": room["join"]["client"]["token"]})
        await raw.send('459999999999-/session,["x",{"_placeholder":true,"num":0}]')
        closing = asyncio.create_task(raw.closed_by_server(60))
        sent = 0
        try:
            while sent < megabytes * 1024 * 1024 and not closing.done():
                await raw.send_bytes(FRAME)
                sent += len(FRAME)
                await asyncio.sleep(0.005)
        except (ConnectionError, aiohttp.ClientError):
            pass
        try:
            closed = await asyncio.wait_for(closing, 3)
        except TimeoutError:
            closed = False
        await raw.close()
        return sent, closed


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--command", default=" ".join(SERVE))
    parser.add_argument("--cwd", default=None, help="where to run --command")
    args = parser.parse_args()
    command = shlex.split(args.command)
    node = await ServiceProcess(BENCH_ENV, command=command, cwd=args.cwd).start()
    try:
        await asyncio.sleep(1.0)
        before = rss_kib(node.pid)
        sent, closed = await flood(node, args.megabytes)
        await asyncio.sleep(1.0)
        after = rss_kib(node.pid)
    finally:
        node.stop()
    print(f"command: {args.command}")
    print(f"  sent {sent / 2**20:.1f} MiB of attachments; connection closed by the node: {closed}")
    grown = (after - before) / 1024
    print(f"  node RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB ({grown:+.1f} MiB)")


if __name__ == "__main__":
    asyncio.run(main())
