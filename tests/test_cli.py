"""The command line, run as a user runs it."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from dataclasses import fields

import jwt

from sessionsvc.settings import PREFIX, Settings
from tests.support.peers import Peer
from tests.support.servers import JOIN_SECRET, free_port


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sessionsvc", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def test_help_lists_every_setting() -> None:
    out = _run("--help")
    assert out.returncode == 0
    for f in fields(Settings):
        assert PREFIX + f.name.upper() in out.stdout
    for command in ("serve", "demo", "probe", "support-token"):
        assert command in out.stdout


def test_production_refuses_to_start_without_secrets() -> None:
    out = _run("serve", "--port", str(free_port()), env={"SESSIONSVC_ENV": "production"})
    assert out.returncode == 2
    assert "SESSIONSVC_BOOKING_SECRET" in out.stderr and "Traceback" not in out.stderr


def test_bad_setting_is_a_clear_error() -> None:
    out = _run("serve", env={"SESSIONSVC_PORT": "eighty"})
    assert out.returncode == 2 and "SESSIONSVC_PORT" in out.stderr and "Traceback" not in out.stderr


def test_support_token() -> None:
    out = _run(
        "support-token", "--name", "Kim", "--ttl", "60", env={"SESSIONSVC_JOIN_SECRET": JOIN_SECRET}
    )
    assert out.returncode == 0
    claims = jwt.decode(
        out.stdout.strip(), JOIN_SECRET, algorithms=["HS256"], audience="sessionsvc-join"
    )
    assert (
        claims["role"] == "support" and "room" not in claims and claims["exp"] - claims["iat"] <= 61
    )


async def test_demo_prints_links_that_work() -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sessionsvc",
        "demo",
        "--port",
        str(port),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "SESSIONSVC_LOG_LEVEL": "WARNING"},
    )
    assert proc.stdout is not None
    text = ""
    try:
        async with asyncio.timeout(30):
            while "listening on" not in text:
                text += (await proc.stdout.readline()).decode()
        links = dict(re.findall(r"(professional|client):\s+(http://\S+)", text))
        assert set(links) == {"professional", "client"}, text
        assert all(
            link.startswith(f"http://127.0.0.1:{port}/join?token=") for link in links.values()
        )
        assert "in-memory" in text  # it says that state does not survive a restart
        url = f"http://127.0.0.1:{port}"
        pro = await Peer(url, links["professional"].split("token=")[1]).connect()
        client = await Peer(url, links["client"].split("token=")[1]).connect()
        funding = client.last("room")["funding"]
        assert funding["funding"] == "credit" and funding["credits_remaining"] == 2
        snap = await pro.wait_room(lambda r: r["client"]["presence"] == "present")
        assert snap["hub"] == {"name": "Acme Corp"}
        await pro.close()
        await client.close()
    finally:
        proc.terminate()
        await proc.wait()
