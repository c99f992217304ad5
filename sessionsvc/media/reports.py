"""A connection test's report: what is stored (figures, the candidate pair, the relay check),
the short id a person reads out to support, and the view the API returns, graded by
``sessionsvc.quality``. Pure values: no aiortc, no store."""

from __future__ import annotations

import secrets
from typing import Any, Literal

import msgspec

from ..quality import Assessment, Finding, assess
from ..wireformat import iso

#: Letters and digits that cannot be mistaken for one another when read out (no 0/O, 1/I/L, U).
ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"
ID_LENGTH = 8

State = Literal["running", "done", "failed"]
Origin = Literal["test_page", "device_check"]

#: Why a test failed, as a person reads it.
FAILURES = {
    "connect_failed": (
        "We could not set up a video connection to our server — a firewall or VPN may be "
        "blocking video calls; try another network or ask your IT team"
    ),
    "dropped": "The connection dropped during the test — try again, or move closer to the router",
    "time_limit": "The test did not finish in time — please run it again",
    "shutdown": "The test was stopped because the service restarted — please run it again",
}


def new_report_id() -> str:
    """A fresh id, ``XXXX-XXXX`` (about 39 bits): short enough to read out on the phone."""
    raw = "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def parse_report_id(text: str) -> str | None:
    """The canonical id of what a person typed ("k7q4 mxab", "K7Q4-MXAB"), or None."""
    raw = "".join(c for c in text.upper() if c not in " -")
    if len(raw) != ID_LENGTH or any(c not in ID_ALPHABET for c in raw):
        return None
    return f"{raw[:4]}-{raw[4:]}"


class Direction(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One direction of the test's media: bitrate, packet loss and jitter."""

    bitrate_kbps: float | None = None
    loss_pct: float | None = None
    jitter_ms: float | None = None


class Figures(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the test measured. ``upload`` is what the browser sent (the service received);
    ``download`` what the service sent (the browser received, as its reports say)."""

    connect_ms: float | None
    rtt_ms: float | None
    upload: Direction
    download: Direction

    def graded(self) -> dict[str, float | None]:
        """The figures by the names ``sessionsvc.quality`` grades: loss and jitter of the worse
        direction."""
        return {
            "connect_ms": self.connect_ms,
            "rtt_ms": self.rtt_ms,
            "loss_pct": _worse(self.upload.loss_pct, self.download.loss_pct),
            "jitter_ms": _worse(self.upload.jitter_ms, self.download.jitter_ms),
            "bitrate_out_kbps": self.upload.bitrate_kbps,
            "bitrate_in_kbps": self.download.bitrate_kbps,
        }


def _worse(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return max(values) if values else None


class Path(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The selected candidate pair: the service's and the browser's candidate types, and the
    transport protocol."""

    local: str
    remote: str
    protocol: str


class RelayCheck(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Whether a relay-only connection (through the configured TURN server) came up."""

    ok: bool
    connect_ms: float | None = None
    path: Path | None = None


class TestRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A test as stored. ``room_id`` and ``role`` are set when a join token ran it (the device
    check); no name, address or browser detail is ever stored."""

    __test__ = False  # not a pytest test class

    id: str
    state: State
    origin: Origin
    started_at: float
    duration_s: float
    relay_expected: bool
    finished_at: float | None = None
    figures: Figures | None = None
    path: Path | None = None
    failure: str | None = None
    room_id: str | None = None
    role: str | None = None


def path_finding(path: Path) -> Finding:
    """How the kind of connection is graded: direct is good; a TURN relay or TCP is fair."""
    shown = f"{path.remote} to {path.local} over {path.protocol.upper()}"
    if path.protocol != "udp":
        return Finding(
            "path",
            shown,
            "fair",
            "video goes over TCP — your network blocks the faster UDP route; calls may lag "
            "when the connection is busy",
        )
    if "relay" in (path.local, path.remote):
        return Finding(
            "path",
            shown,
            "fair",
            "video goes through our relay server — your network blocks direct connections; "
            "calls work, with a little more delay",
        )
    return Finding("path", shown, "good", "direct connection")


def relay_finding(relay: RelayCheck) -> Finding:
    """A relay-only connection that works is good; one that does not is fair (direct calls
    still work, but a network that later needs the relay would not connect)."""
    if relay.ok:
        return Finding("relay", True, "good", "a connection through our relay server works too")
    return Finding(
        "relay",
        False,
        "fair",
        "a connection through our relay server did not work — on a stricter network calls "
        "may not connect; ask your IT team to allow TURN",
    )


def assessment(record: TestRecord, relay: RelayCheck | None) -> Assessment | None:
    """The grade of a finished test (None while it runs); a failed test is poor."""
    if record.state == "running":
        return None
    if record.state == "failed" or record.figures is None:
        reason = FAILURES.get(record.failure or "", FAILURES["connect_failed"])
        return Assessment("poor", reason, (Finding("connected", False, "poor", reason),))
    extra = [path_finding(record.path)] if record.path else []
    if relay is not None:
        extra.append(relay_finding(relay))
    return assess(record.figures.graded(), extra)


def view(record: TestRecord, relay: RelayCheck | None) -> dict[str, Any]:
    """The report as ``GET /v1/diagnostics/tests/{id}`` returns it (no room id: the id is the
    only key a reader needs)."""
    graded = assessment(record, relay)
    return {
        "id": record.id,
        "state": record.state,
        "origin": record.origin,
        "started_at": iso(record.started_at),
        "finished_at": iso(record.finished_at),
        "duration_s": record.duration_s,
        "figures": msgspec.to_builtins(record.figures) if record.figures else None,
        "path": msgspec.to_builtins(record.path) if record.path else None,
        "relay": (
            msgspec.to_builtins(relay)
            if relay
            else ({"ok": None} if record.relay_expected else None)
        ),
        **(graded.to_builtins() if graded else {"grade": None, "reason": None, "findings": []}),
    }
