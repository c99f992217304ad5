"""The command line, run as a user runs it."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from dataclasses import fields

import jwt
import pytest

from sessionsvc.settings import PREFIX, Settings
from testkit.ports import free_port
from testkit.session_client import SessionClient
from testkit.settings import JOIN_SECRET


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


@pytest.mark.parametrize(
    ("case", "funding", "remaining"),
    [(None, "credit", 1), ("card-required", "card_required", 0), ("self-pay", "self_pay", None)],
)
async def test_demo_prints_links_that_work(
    case: str | None, funding: str, remaining: int | None
) -> None:
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "sessionsvc",
        "demo",
        "--port",
        str(port),
        *(["--case", case] if case else []),
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
        pro = await SessionClient(url, links["professional"].split("token=")[1]).connect()
        client = await SessionClient(url, links["client"].split("token=")[1]).connect()
        # it says which case it is
        assert f"case '{case or 'last-subsidised'}'" in text, text
        seen = client.last("room")["funding"]
        assert seen["funding"] == funding and seen.get("credits_remaining") == remaining, seen
        snap = await pro.wait_room(lambda r: r["client"]["presence"] == "present")
        if case is None:  # the richest case: the last-subsidised alert and the first-hub reminder
            assert seen["alert"] and snap["funding"]["alert"] and snap["funding"]["reminder"]
            assert snap["hub"] == {"name": "Acme Corp"}
        await pro.close()
        await client.close()
    finally:
        proc.terminate()
        await proc.wait()
