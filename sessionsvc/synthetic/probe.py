"""``sessionsvc probe URL``: a synthetic professional and client run one whole session against a
deployment (open the room as the booking service, wait, admit, media both ways, hold, end, read
the summary) and a readable report says how long each step took and how the media did."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO, TypeVar

import aiohttp

from ..tokens import TokenService
from .participant import ParticipantError, SyntheticParticipant

T = TypeVar("T")

HUB_ID = "sessionsvc-probe"
HUB_NAME = "sessionsvc probe"


class ProbeFailed(Exception):
    """A step of the probe did not succeed; the message says which and why."""


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.0f} ms"


def _figure(value: Any, unit: str, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    return f"{float(value):.{digits}f} {unit}"


def media_line(role: str, participant: SyntheticParticipant) -> str:
    """One line of media figures for one side, as the service measured and graded them (the
    ``quality`` event: the same figures the support dashboard shows)."""
    s = (participant.quality or {}).get("you") or {}
    own = participant.last_stats or {}
    candidates = f"{own.get('local_candidate_type', '?')}/{own.get('remote_candidate_type', '?')}"
    score = s.get("score")
    grade = f"{s.get('grade', '?')}" + (f" ({score:.0f})" if score is not None else "")
    return (
        f"  {role:<13} frames {participant.frames_received:>5}"
        f"  in {_figure(s.get('bitrate_in_kbps'), 'kbps', 0):>9}"
        f"  out {_figure(s.get('bitrate_out_kbps'), 'kbps', 0):>9}"
        f"  rtt {_figure(s.get('rtt_ms'), 'ms'):>8}"
        f"  jitter {_figure(s.get('jitter_ms'), 'ms'):>8}"
        f"  loss {_figure(s.get('loss_pct'), '%'):>6}"
        f"  {grade:<10} {candidates}"
    )


class _Report:
    """Prints the steps as they finish, each with its duration."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    async def step(self, name: str, work: Awaitable[T], *, within: float, detail: str = "") -> T:
        started = time.monotonic()
        try:
            async with asyncio.timeout(within):
                result = await work
        except TimeoutError:
            raise ProbeFailed(f"{name}: nothing after {within:.0f} s") from None
        except ParticipantError as e:
            raise ProbeFailed(f"{name}: {e.code}: {e.message}") from None
        self.timing(name, time.monotonic() - started, detail)
        return result

    def timing(self, name: str, seconds: float, detail: str = "") -> None:
        self.line(f"  {name:<34}{_ms(seconds)}  {detail}".rstrip())


class _Booking:
    """The booking service's side of the HTTP API."""

    def __init__(self, http: aiohttp.ClientSession, base: str, secret: str) -> None:
        self._http = http
        self._base = base
        self._tokens = TokenService(secret, "")

    async def call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._tokens.mint_booking(ttl=120)}"}
        try:
            async with self._http.request(
                method, self._base + path, json=body, headers=headers
            ) as r:
                data = await r.json(content_type=None) if r.content_length != 0 else None
                if r.status >= 400:
                    error = (data or {}).get("error", {}) if isinstance(data, dict) else {}
                    hint = " (is the booking secret right?)" if r.status == 401 else ""
                    raise ProbeFailed(
                        f"{method} {path}: HTTP {r.status} {error.get('code', '')}: "
                        f"{error.get('message', '')}{hint}"
                    )
                return dict(data or {})
        except aiohttp.ClientError as e:
            raise ProbeFailed(f"{method} {path}: {e}") from None
        except ValueError:
            raise ProbeFailed(f"{method} {path}: the answer is not JSON") from None


async def run_probe(
    base_url: str,
    booking_secret: str,
    *,
    hold_seconds: float,
    out: TextIO,
    hub: bool = True,
    stats_interval: float = 2.0,
    step_timeout: float = 20.0,
) -> int:
    """Run one synthetic session against ``base_url`` and print a report to ``out``.

    With ``hub`` the client has one company credit (invoiced to the platform); without, the room
    is self-pay. Returns 0 when the session was held (phase ``completed``), 1 otherwise. The hold
    must outlast the deployment's ``SESSIONSVC_MIN_HELD_SECONDS`` for the session to count.
    """
    report = _Report(out)
    base = base_url.rstrip("/")
    report.line(f"sessionsvc probe of {base}")
    report.line("steps")
    timeout = aiohttp.ClientTimeout(total=step_timeout)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            return await _session(
                report,
                _Booking(http, base, booking_secret),
                base,
                hold_seconds=hold_seconds,
                hub=hub,
                stats_interval=stats_interval,
                within=step_timeout,
            )
    except ProbeFailed as e:
        report.line(f"FAILED  {e}")
        return 1


async def _session(
    report: _Report,
    booking: _Booking,
    base: str,
    *,
    hold_seconds: float,
    hub: bool,
    stats_interval: float,
    within: float,
) -> int:
    run = uuid.uuid4().hex[:10]
    client_id = f"probe-client-{run}"
    if hub:
        credits = {
            "credits_total": 1,
            "credits_remaining": 1,
            "card_on_file": False,
            "invoice_to": "platform",
        }
        path = f"/v1/hubs/{HUB_ID}/members/{client_id}/credits"
        await report.step("grant a credit", booking.call("PUT", path, credits), within=within)
    now = datetime.now(UTC)
    body = {
        "booking_id": f"probe-{run}",
        "hub": {"id": HUB_ID, "name": HUB_NAME} if hub else None,
        "professional": {"id": "probe-professional", "name": "Probe Professional"},
        "client": {"id": client_id, "name": "Probe Client"},
        "scheduled_start": _iso(now),
        "scheduled_end": _iso(now + timedelta(minutes=30)),
    }
    started = time.monotonic()
    room = await booking.call("POST", "/v1/rooms", body)
    room_id = str(room.get("room_id"))
    funding = (room.get("funding") or {}).get("kind", "?")
    report.timing("open room", time.monotonic() - started, f"room {room_id}, funding {funding}")
    join = room.get("join") or {}
    try:
        pro_token, client_token = join["professional"]["token"], join["client"]["token"]
    except (KeyError, TypeError):
        raise ProbeFailed("open room: the answer has no join tokens") from None

    pro = SyntheticParticipant(base, pro_token, label="professional", stats_interval=stats_interval)
    client = SyntheticParticipant(base, client_token, label="client", stats_interval=stats_interval)
    try:
        await report.step("connect professional", pro.connect(), within=within)
        waiting = pro.mark()
        await report.step("connect client", client.connect(), within=within)
        await report.step(
            "client in the waiting room",
            pro.wait_for("room", _client_present, since=waiting, timeout=within),
            within=within,
        )
        admitted_at = time.monotonic()
        ack = await report.step("admit", pro.admit(), within=within)
        if not ack.get("ok"):
            raise ProbeFailed(f"admit refused: {_error(ack)}")
        first_frames = asyncio.gather(
            pro.wait_frames(1, timeout=within), client.wait_frames(1, timeout=within)
        )
        await report.step("media both ways", first_frames, within=within)
        for who, p in (("professional", pro), ("client", client)):
            assert p.first_frame_at is not None
            report.timing(f"admit -> first frame, {who}", p.first_frame_at - admitted_at)
        # a report from each side now and just before the end, so the held time the
        # deployment counts covers the whole hold, not only whole stats intervals
        await report.step("first stats reports", _report_both(pro, client), within=within)
        await report.step(
            f"hold {hold_seconds:g} s", asyncio.sleep(hold_seconds), within=hold_seconds + within
        )
        await report.step("last stats reports", _report_both(pro, client), within=within)
        ending = time.monotonic()
        ended = await report.step("end", pro.end(), within=within)
        if not ended.get("ok"):
            raise ProbeFailed(f"end refused: {_error(ended)}")
        summary = await report.step(
            "read summary", booking.call("GET", f"/v1/rooms/{room_id}/summary"), within=within
        )
        report.timing("end -> summary", time.monotonic() - ending)
    finally:
        await client.close()
        await pro.close()

    report.line("media, as the service measured and graded it")
    report.line(media_line("professional", pro))
    report.line(media_line("client", client))
    return _verdict(report, summary)


async def _report_both(*participants: SyntheticParticipant) -> None:
    """A report from each side, and each side's graded figures back from the service."""
    for p in participants:
        since = p.mark()
        ack = await p.report_stats()
        if ack is None or not ack.get("ok"):
            raise ProbeFailed(f"stats from the {p.label} refused: {_error(ack or {})}")
        await p.wait_for("quality", _graded, since=since)


def _graded(quality: Mapping[str, Any]) -> bool:
    return bool((quality.get("you") or {}).get("grade"))


def _client_present(room: Mapping[str, Any]) -> bool:
    return (room.get("client") or {}).get("presence") == "present"


def _error(ack: Mapping[str, Any]) -> str:
    error = ack.get("error") or {}
    return f"{error.get('code')}: {error.get('message')}"


def _verdict(report: _Report, summary: Mapping[str, Any]) -> int:
    outcome = summary.get("outcome") or {}
    phase = outcome.get("phase") or summary.get("phase")
    payment = outcome.get("payment") or {}
    report.line("outcome")
    report.line(f"  phase         {phase}  (held {outcome.get('held_seconds', 0)} s)")
    if payment:
        extra = ", ".join(f"{k} {v}" for k, v in payment.items() if k != "payment_type")
        report.line(f"  payment type  {payment.get('payment_type')}  {extra}".rstrip())
    if phase == "completed":
        report.line("OK      the session was held")
        return 0
    reason = outcome.get("reason")
    hint = (
        " (hold longer than the deployment's SESSIONSVC_MIN_HELD_SECONDS)"
        if reason == "too_short"
        else ""
    )
    report.line(f"FAILED  the session was not held: {reason}{hint}")
    return 1
