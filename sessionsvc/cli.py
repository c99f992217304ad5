"""The ``sessionsvc`` command: serve, demo, probe and support-token."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
import textwrap
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from .accesslog import PathOnlyAccessLogger
from .logtext import configure_logging
from .settings import Settings, SettingsError, describe
from .web import BrowserAppNotBuilt


def _settings_epilog() -> str:
    lines = ["settings (environment variables):"]
    for name, default, help_text in describe():
        shown = f" (default: {default})" if default not in ("", "()") else ""
        lines.append(f"  {name}{shown}")
        lines.extend(
            textwrap.wrap(help_text, 76, initial_indent="      ", subsequent_indent="      ")
        )
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sessionsvc",
        description="In-platform video sessions for a wellbeing marketplace.",
        epilog=_settings_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in (
        ("serve", "run the service"),
        ("demo", "run on the embedded store with a demo booking and print both join links"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("--host", help="address to listen on (SESSIONSVC_HOST)")
        p.add_argument("--port", type=int, help="port to listen on (SESSIONSVC_PORT)")
        if name == "serve":
            p.add_argument(
                "--workers",
                type=int,
                default=1,
                help="processes sharing the port (SO_REUSEPORT), one per core; more than one "
                "needs SESSIONSVC_REDIS_URL",
            )
            p.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
        else:
            p.add_argument(
                "--case",
                choices=sorted(DEMO_CASES),
                default=DEFAULT_DEMO_CASE,
                help="how the demo booking is funded (default: %(default)s, which shows the "
                "most: the last employer-paid session, its alert and the first-hub reminder)",
            )
    probe = sub.add_parser(
        "probe",
        help="run a whole synthetic session against a deployment and print a report",
        description="Two synthetic participants (aiortc) run a session against URL, opening the "
        "room with SESSIONSVC_BOOKING_SECRET, and print what happened and how long each step took.",
    )
    probe.add_argument("url", help="base URL of the deployment, e.g. http://127.0.0.1:8080")
    probe.add_argument("--hold", type=float, default=None, help="seconds to hold the call")
    token = sub.add_parser("support-token", help="mint a support token (SESSIONSVC_JOIN_SECRET)")
    token.add_argument("--name", required=True, help="the staff member's name")
    token.add_argument("--ttl", type=int, default=8 * 3600, help="lifetime in seconds")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command is None:
        _parser().print_help()
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as e:
        print(f"sessionsvc: {e}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    try:
        if args.command in ("serve", "demo"):
            return _serve(settings, args)
        if args.command == "probe":
            return _probe(settings, args)
        return _support_token(settings, args)
    except (SettingsError, BrowserAppNotBuilt) as e:
        print(f"sessionsvc: {e}", file=sys.stderr)
        return 2


def _overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    from dataclasses import replace

    if args.host:
        settings = replace(settings, host=args.host)
    if args.port is not None:
        settings = replace(settings, port=args.port)
    return settings


HARD_STOP = 45.0  # seconds after a stop begins: the process exits even if a task hangs


async def _hard_stop(app: web.Application) -> None:
    """Once a stop begins, a watchdog makes sure the process ends: after the drain and the
    shutdown grace a node that is still running (a task that swallowed its cancellation)
    says so and exits, so a rolling restart never waits on it."""

    def stop() -> None:
        logging.getLogger(__name__).error(
            "still running %.0f s after the stop began: exiting now", HARD_STOP
        )
        logging.shutdown()
        os._exit(0)

    watchdog = threading.Timer(HARD_STOP, stop)
    watchdog.daemon = True
    watchdog.start()


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from .bootstrap import SHUTDOWN_GRACE, create_app

    settings = _overrides(settings, args)
    if args.command == "demo":
        from dataclasses import replace

        settings = replace(settings, redis_url="").with_secrets()
    workers = getattr(args, "workers", 1)
    if workers != 1:
        return _supervise(settings, workers)
    app = create_app(settings)
    if args.command == "demo":
        app.on_startup.append(_demo_booking(args.case))
    app.on_shutdown.insert(0, _hard_stop)
    _tune_gc()
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=_announce(settings),
        access_log_class=PathOnlyAccessLogger,
        reuse_port=getattr(args, "reuse_port", False) or None,
        shutdown_timeout=SHUTDOWN_GRACE,
    )
    return 0


def _supervise(settings: Settings, workers: int) -> int:
    from .settings import PREFIX
    from .workers import Supervisor, shared_environment, worker_command

    if workers < 1:
        raise SettingsError("--workers must be at least 1")
    if not settings.redis_url:
        raise SettingsError(
            "--workers above 1 needs SESSIONSVC_REDIS_URL: the workers share rooms through Redis"
        )
    shared = settings.with_secrets()
    secrets = {
        PREFIX + name.upper(): getattr(shared, name) for name in ("booking_secret", "join_secret")
    }
    print(
        f"sessionsvc: {workers} workers on {settings.host}:{settings.port} (SO_REUSEPORT)",
        flush=True,
    )
    command = worker_command(settings.host, settings.port)
    return Supervisor(command, workers, shared_environment(secrets)).run()


def _tune_gc() -> None:
    """Keep the garbage collector from stalling the event loop. With thousands of connections
    the heap holds hundreds of thousands of tracked objects (mostly aiohttp and engine.io state)
    and a full collection takes hundreds of milliseconds: freeze what start-up made, and collect
    the young generation less often (docs/benchmarks.md, Signaling)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def _announce(settings: Settings) -> Callable[[str], None]:
    def say(_: str) -> None:
        print(f"sessionsvc listening on {settings.base_url} (Ctrl+C to stop)", flush=True)

    return say


DEMO_CASES: dict[str, tuple[str, tuple[int, bool, str] | None]] = {
    "last-subsidised": (
        "a client of the Acme Corp hub with 1 of 5 employer-paid sessions left: the "
        "last-subsidised alert and the first-hub reminder show",
        (1, False, "company"),
    ),
    "credit": (
        "a client of the Acme Corp hub with 3 of 5 employer-paid sessions left, invoiced to the "
        "platform at month end",
        (3, False, "platform"),
    ),
    "card": ("an Acme Corp client with no credits left and a card on file", (0, True, "company")),
    "card-required": (
        "an Acme Corp client with no credits left and no card on file: admitting asks for an "
        "override",
        (0, False, "company"),
    ),
    "self-pay": ("the professional's own client, no hub: they arrange payment themselves", None),
}
"""The funding cases ``sessionsvc demo --case`` opens: what it shows, and (credits left, card on
file, invoice to) of the client's ledger, or None for a room with no hub."""
DEFAULT_DEMO_CASE = "last-subsidised"


def _demo_booking(case: str) -> Callable[[web.Application], Awaitable[None]]:
    async def open_demo(app: web.Application) -> None:
        await _open_demo(app, case)

    return open_demo


async def _open_demo(app: web.Application, case: str) -> None:
    """Open the demo booking of ``case`` and print both join links and what the case shows."""
    from .api.keys import BOOKINGS, CREDITS, LINKS
    from .rooms.bookings import Booking
    from .rooms.credits import Grant
    from .rooms.model import Hub, InvoiceTo, Person, Role

    what, ledger = DEMO_CASES[case]
    hub = Hub(id="demo-hub", name="Acme Corp") if ledger else None
    if ledger:
        left, card, invoice_to = ledger
        grant = Grant(5, left, card_on_file=card, invoice_to=InvoiceTo(invoice_to))
        await app[CREDITS].put_ledger("demo-hub", "demo-client", grant)
    now = datetime.now(UTC)
    state, _ = await app[BOOKINGS].open_room(
        Booking(
            booking_id=f"demo-{case}",
            hub=hub,
            professional=Person(id="demo-professional", name="Dr. Alex Rivera"),
            client=Person(id="demo-client", name="Sam Jordan"),
            scheduled_start=now.timestamp(),
            scheduled_end=(now + timedelta(minutes=50)).timestamp(),
        )
    )
    links = {
        role: app[LINKS].link(state.room, role)["url"] for role in Role if role is not Role.SUPPORT
    }
    others = ", ".join(c for c in sorted(DEMO_CASES) if c != case)
    print(
        f"\nDemo booking opened, case {case!r}: {what}.\n"
        f"(Other cases: sessionsvc demo --case {{{others}}})\n"
        "Open each link in its own Chrome window:\n\n"
        f"  professional: {links[Role.PROFESSIONAL]}\n\n"
        f"  client:       {links[Role.CLIENT]}\n",
        flush=True,
    )


def _probe(settings: Settings, args: argparse.Namespace) -> int:
    from .synthetic.probe import run_probe  # type: ignore[import-not-found,unused-ignore]

    if not settings.booking_secret:
        print("sessionsvc probe: set SESSIONSVC_BOOKING_SECRET", file=sys.stderr)
        return 2
    hold = args.hold if args.hold is not None else settings.min_held_seconds + 2
    return int(
        asyncio.run(run_probe(args.url, settings.booking_secret, hold_seconds=hold, out=sys.stdout))
    )


def _support_token(settings: Settings, args: argparse.Namespace) -> int:
    from .tokens import TokenService

    if not settings.join_secret:
        print("sessionsvc support-token: set SESSIONSVC_JOIN_SECRET", file=sys.stderr)
        return 2
    tokens = TokenService(settings.booking_secret, settings.join_secret)
    print(tokens.mint_support(f"support:{args.name}", args.ttl))
    return 0


if __name__ == "__main__":
    sys.exit(main())
