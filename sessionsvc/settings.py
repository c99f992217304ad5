"""Settings, all from ``SESSIONSVC_*`` environment variables. ``sessionsvc --help`` lists them."""

from __future__ import annotations

import ipaddress
import logging
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .rooms.policy import Policy
from .rooms.retention import RoomRetention

log = logging.getLogger(__name__)

PREFIX = "SESSIONSVC_"


class SettingsError(ValueError):
    """A setting is missing or malformed."""


MIN_SECRET_BYTES = 32
SECRETS = ("booking_secret", "join_secret", "turn_secret")
"""The shared secrets; production refuses any that is set but shorter than ``MIN_SECRET_BYTES``."""


def _int(value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None


def _float(value: str) -> float:
    try:
        number = float(value.strip())
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _port(value: str) -> int:
    port = _int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"{port} is not a port (0 to 65535)")
    return port


def _env(value: str) -> str:
    if value not in ("development", "production"):
        raise ValueError(f"{value!r} is neither development nor production")
    return value


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("", "0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is neither true nor false")


def _networks(value: str) -> tuple[str, ...]:
    networks = _csv(value)
    for network in networks:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ValueError(f"{network!r} is not an address or network") from None
    return networks


CLEAR_PARSERS: dict[Callable[[str], Any], Callable[[str], Any]] = {int: _int, float: _float}
"""Parsers whose errors read as a sentence, in place of Python's own."""


def _csv(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _signaling(value: str) -> str:
    if value not in ("sharded", "broadcast"):
        raise ValueError(f"{value!r} is neither sharded nor broadcast")
    return value


def _contact(value: str) -> str:
    value = value.strip()
    if value and not (
        value.startswith(("https://", "http://", "mailto:"))
        or re.fullmatch(r"[^@\s]+@[^@\s]+", value)
    ):
        raise ValueError(f"{value!r} is neither an email address nor an http(s) URL")
    return value


def _setting(default: Any, help: str, parse: Callable[[str], Any] = str) -> Any:
    return field(default=default, metadata={"help": help, "parse": parse})


@dataclass(frozen=True)
class Settings:
    """Every knob of the service. Field ``foo_bar`` is read from ``SESSIONSVC_FOO_BAR``."""

    env: str = _setting(
        "development",
        "development or production (production refuses to start without strong secrets, a "
        "public URL and a shared store)",
        _env,
    )
    host: str = _setting("127.0.0.1", "address to listen on")
    port: int = _setting(8080, "port to listen on", _port)
    public_url: str = _setting("", "base URL of join links (default http://HOST:PORT)")
    redis_url: str = _setting(
        "",
        "Redis URL (redis://, rediss://, or redis+cluster://HOST:PORT for a Redis Cluster); "
        "empty: the embedded in-memory store, one process",
    )
    signaling: str = _setting(
        "sharded",
        "with Redis: sharded (each message only to the nodes hosting its session) or broadcast "
        "(python-socketio's AsyncRedisManager: every message to every node)",
        _signaling,
    )
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
    event_rate: float = _setting(
        20.0,
        "Socket.IO events per second allowed per connection (burst 2x) before throttling",
        float,
    )
    diagnostics_max_tests: int = _setting(
        60, "connection tests one node runs at once (more get 503 with Retry-After)", int
    )
    diagnostics_duration: float = _setting(
        8.0, "seconds a connection test measures once connected", float
    )
    diagnostics_time_limit: float = _setting(
        30.0, "seconds after which an unfinished connection test is closed", float
    )
    diagnostics_retention: float = _setting(
        30 * 86400.0, "seconds a connection test's report is kept", float
    )
    diagnostics_ip_rate: float = _setting(
        6.0, "connection tests per minute per address without a join token (per node)", float
    )
    stats_samples: int = _setting(
        1800, "media stats samples kept per participant and room (one every 2 s)", int
    )
    stats_retention: float = _setting(
        172800.0, "seconds a participant's media stats are kept after its last report", float
    )
    webhook_url: str = _setting("", "URL the booking service receives webhooks at (empty: none)")
    webhook_secret: str = _setting(
        "", "whsec_<base64> secret(s) signing webhooks; several, space-separated, each sign"
    )
    webhook_timeout: float = _setting(
        10.0, "seconds a webhook request may take before it counts as failed", float
    )
    webhook_lease: float = _setting(
        30.0, "seconds after which another node takes over a dead node's deliveries", float
    )
    statement_country: str = _setting(
        "IS", "country whose public holidays are not working days on statements (empty: none)"
    )
    statement_timezone: str = _setting(
        "Atlantic/Reykjavik", "time zone of statement months and session dates"
    )
    statement_closing_days: tuple[str, ...] = _setting(
        (), "comma-separated extra closing days (YYYY-MM-DD) that are not working days", _csv
    )
    room_retention: float = _setting(
        14 * 86400.0,
        "seconds a finished room (its detail for support, its summary, its booking id) is kept",
        float,
    )
    statement_retention: float = _setting(
        400 * 86400.0, "seconds a Credit session's line in monthly statements is kept", float
    )
    log_level: str = _setting("INFO", "logging level")
    allow_memory_store: bool = _setting(
        False, "production: allow the embedded in-memory store (one process, no restarts)", _flag
    )
    max_connections_per_address: int = _setting(
        200, "Socket.IO connections one client address may hold open on a node", int
    )
    connect_rate_per_address: float = _setting(
        5.0, "Socket.IO connects per second per client address (burst 20x) on a node", float
    )
    connect_rate_per_identity: float = _setting(
        0.2, "connects per second per participant (burst 10) on a node", float
    )
    unauthenticated_timeout: float = _setting(
        5.0, "seconds a Socket.IO connection may stay open without joining a namespace", float
    )
    trusted_proxies: tuple[str, ...] = _setting(
        (),
        "comma-separated addresses or networks of load balancers whose X-Forwarded-For names "
        "the client's address (e.g. 10.0.0.0/8)",
        _networks,
    )
    flood_cooldown: float = _setting(
        30.0, "seconds a participant cut off for flooding must wait to connect again", float
    )
    support_contact: str = _setting(
        "",
        "how participants reach support (an email address or an http(s) URL), shown where a "
        "join link does not work",
        _contact,
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(PREFIX + f.name.upper())
            if raw is None:
                continue
            try:
                parse = CLEAR_PARSERS.get(f.metadata["parse"], f.metadata["parse"])
                values[f.name] = parse(raw)
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

    def check_production(self) -> None:
        """Refuse what production must not run with: weak secrets, no public URL (links would
        name a node's own address), the in-memory store unless explicitly allowed."""
        if not self.production:
            return
        weak = [
            PREFIX + n.upper()
            for n in SECRETS
            if getattr(self, n) and len(getattr(self, n).encode()) < MIN_SECRET_BYTES
        ]
        if weak:
            raise SettingsError(
                f"production needs secrets of at least {MIN_SECRET_BYTES} bytes: "
                f"{', '.join(weak)} is shorter"
            )
        if not self.public_url:
            raise SettingsError("production needs SESSIONSVC_PUBLIC_URL, the base of join links")
        if not self.redis_url and not self.allow_memory_store:
            raise SettingsError(
                "production needs SESSIONSVC_REDIS_URL (or SESSIONSVC_ALLOW_MEMORY_STORE=true "
                "for one process whose state does not survive a restart)"
            )

    @property
    def retention(self) -> RoomRetention:
        return RoomRetention(rooms=self.room_retention, statements=self.statement_retention)

    def with_secrets(self) -> Settings:
        """Fill in development secrets where none are set; refuse in production."""
        missing = [n for n in ("booking_secret", "join_secret") if not getattr(self, n)]
        if missing and self.production:
            names = ", ".join(PREFIX + n.upper() for n in missing)
            raise SettingsError(f"production needs {names}")
        self.check_production()
        if not missing:
            return self
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
