"""Settings, all from ``SESSIONSVC_*`` environment variables. ``sessionsvc --help`` lists them."""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .rooms.lifecycle import Policy

log = logging.getLogger(__name__)

PREFIX = "SESSIONSVC_"


class SettingsError(ValueError):
    """A setting is missing or malformed."""


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _setting(default: Any, help: str, parse: Callable[[str], Any] = str) -> Any:
    return field(default=default, metadata={"help": help, "parse": parse})


@dataclass(frozen=True)
class Settings:
    """Every knob of the service. Field ``foo_bar`` is read from ``SESSIONSVC_FOO_BAR``."""

    env: str = _setting(
        "development", "development or production (production refuses to start without secrets)"
    )
    host: str = _setting("127.0.0.1", "address to listen on")
    port: int = _setting(8080, "port to listen on", int)
    public_url: str = _setting("", "base URL of join links (default http://HOST:PORT)")
    redis_url: str = _setting("", "Redis URL; empty: the embedded in-memory store, one process")
    booking_secret: str = _setting("", "HS256 secret of booking-service tokens")
    booking_public_key: str = _setting(
        "", "PEM public key (EdDSA or RS256) of booking-service tokens, optional"
    )
    join_secret: str = _setting("", "HS256 secret of join tokens")
    turn_secret: str = _setting(
        "", "shared secret of the TURN server's REST API (coturn use-auth-secret)"
    )
    turn_urls: tuple[str, ...] = _setting((), "comma-separated turn: URLs", _csv)
    stun_urls: tuple[str, ...] = _setting((), "comma-separated stun: URLs", _csv)
    turn_ttl: int = _setting(3600, "lifetime of TURN credentials in seconds", int)
    allowed_origins: tuple[str, ...] = _setting(
        (), "extra origins allowed to open Socket.IO connections (the public URL always is)", _csv
    )
    min_held_seconds: float = _setting(
        60.0, "media must flow both ways this long for a session to count as held", float
    )
    reconnect_grace: float = _setting(20.0, "seconds a dropped participant keeps its place", float)
    departure_timeout: float = _setting(
        60.0, "seconds after everyone left before a session completes by itself", float
    )
    expiry_grace: float = _setting(
        900.0, "seconds after the scheduled end before an unattended room expires", float
    )
    join_token_ttl: int = _setting(
        0, "lifetime of minted join tokens in seconds (0: until scheduled end + expiry grace)", int
    )
    node_ttl: float = _setting(
        15.0, "seconds without a heartbeat before other nodes treat a node as dead", float
    )
    sweep_interval: float = _setting(1.0, "seconds between timeout sweeps", float)
    stats_keep: int = _setting(
        900, "stats samples kept per participant (30 min at one per 2 s)", int
    )
    event_rate: float = _setting(
        20.0,
        "Socket.IO events per second allowed per connection (burst 2x) before throttling",
        float,
    )
    log_level: str = _setting("INFO", "logging level")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            try:
                values[f.name] = f.metadata["parse"](raw)
            except ValueError as e:
                raise SettingsError(f"{PREFIX}{f.name.upper()}: {e}") from None
        return cls(**values)

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def policy(self) -> Policy:
        return Policy(
            min_held_seconds=self.min_held_seconds,
            reconnect_grace=self.reconnect_grace,
            departure_timeout=self.departure_timeout,
            expiry_grace=self.expiry_grace,
        )

    def with_secrets(self) -> Settings:
        """Fill in development secrets where none are set; refuse in production."""
        missing = [n for n in ("booking_secret", "join_secret") if not getattr(self, n)]
        if not missing:
            return self
        if self.production:
            names = ", ".join(PREFIX + n.upper() for n in missing)
            raise SettingsError(f"production needs {names}")
        log.warning(
            "no %s set: using generated development secrets (tokens die with this process)",
            ", ".join(PREFIX + n.upper() for n in missing),
        )
        generated: dict[str, Any] = {n: secrets.token_urlsafe(32) for n in missing}
        return replace(self, **generated)


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, help) for every setting, for ``--help``."""
    rows = []
    for f in fields(Settings):
        default = f.default
        shown = ",".join(default) if isinstance(default, tuple) else str(default)
        rows.append((PREFIX + f.name.upper(), shown, f.metadata["help"]))
    return rows
