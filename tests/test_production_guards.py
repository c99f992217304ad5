"""Production refuses weak secrets, a missing public URL and the in-memory store (unless allowed);
a malformed setting is one clear line that names its variable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sessionsvc.settings import Settings, SettingsError
from testkit.ports import free_port

STRONG = "s" * 32
PRODUCTION = {
    "SESSIONSVC_ENV": "production",
    "SESSIONSVC_BOOKING_SECRET": STRONG,
    "SESSIONSVC_JOIN_SECRET": STRONG,
    "SESSIONSVC_PUBLIC_URL": "https://sessions.example.com",
    "SESSIONSVC_REDIS_URL": "redis://127.0.0.1:1/0",
}


def _checked(env: dict[str, str]) -> Settings:
    return Settings.from_env(env).with_secrets()


def test_production_with_strong_secrets_a_public_url_and_redis_starts() -> None:
    assert _checked(PRODUCTION).production


@pytest.mark.parametrize(
    "name", ["SESSIONSVC_BOOKING_SECRET", "SESSIONSVC_JOIN_SECRET", "SESSIONSVC_TURN_SECRET"]
)
def test_production_refuses_a_weak_secret(name: str) -> None:
    with pytest.raises(SettingsError, match=name):
        _checked({**PRODUCTION, name: "s" * 31})


def test_production_refuses_a_missing_public_url() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SESSIONSVC_PUBLIC_URL"}
    with pytest.raises(SettingsError, match="SESSIONSVC_PUBLIC_URL"):
        _checked(env)


def test_production_refuses_the_memory_store_unless_allowed() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SESSIONSVC_REDIS_URL"}
    with pytest.raises(SettingsError, match="SESSIONSVC_ALLOW_MEMORY_STORE"):
        _checked(env)
    assert not _checked({**env, "SESSIONSVC_ALLOW_MEMORY_STORE": "true"}).redis_url


def test_development_keeps_generating_secrets() -> None:
    settings = _checked({"SESSIONSVC_BOOKING_SECRET": "short"})
    assert settings.booking_secret == "short" and len(settings.join_secret) >= 32


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("SESSIONSVC_PORT", "abc", "'abc' is not a whole number"),
        ("SESSIONSVC_PORT", "70000", "not a port"),
        ("SESSIONSVC_MIN_HELD_SECONDS", "soon", "'soon' is not a number"),
        ("SESSIONSVC_MIN_HELD_SECONDS", "nan", "not a finite number"),
        ("SESSIONSVC_ENV", "prod", "neither development nor production"),
        ("SESSIONSVC_ALLOW_MEMORY_STORE", "maybe", "neither true nor false"),
    ],
)
def test_a_bad_setting_names_its_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({name: value})
    assert str(raised.value).startswith(f"{name}: ") and says in str(raised.value)


def _serve(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("SESSIONSVC_")}
    return subprocess.run(
        [sys.executable, "-m", "sessionsvc", "serve"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**inherited, "SESSIONSVC_PORT": str(free_port()), **env},
    )


def test_serve_says_one_line_for_a_bad_port() -> None:
    out = _serve({"SESSIONSVC_PORT": "abc"})
    assert out.returncode == 2
    assert out.stderr.strip() == "sessionsvc: SESSIONSVC_PORT: 'abc' is not a whole number"


def test_serve_in_production_refuses_the_memory_store_in_one_line() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SESSIONSVC_REDIS_URL"}
    out = _serve(env)
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "SESSIONSVC_REDIS_URL" in lines[0]
