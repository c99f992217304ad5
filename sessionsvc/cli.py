"""The ``sessionsvc`` command: serve, demo, probe and support-token."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiohttp import web

from .accesslog import PathOnlyAccessLogger
from .settings import Settings, SettingsError, describe


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
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        if args.command in ("serve", "demo"):
            return _serve(settings, args)
        if args.command == "probe":
            return _probe(settings, args)
        return _support_token(settings, args)
    except SettingsError as e:
        print(f"sessionsvc: {e}", file=sys.stderr)
        return 2


def _overrides(settings: Settings, args: argparse.Namespace) -> Settings:
    from dataclasses import replace

    if args.host:
        settings = replace(settings, host=args.host)
    if args.port is not None:
        settings = replace(settings, port=args.port)
    return settings


def _serve(settings: Settings, args: argparse.Namespace) -> int:
    from .bootstrap import create_app

    settings = _overrides(settings, args)
    if args.command == "demo":
        from dataclasses import replace

        settings = replace(settings, redis_url="").with_secrets()
    app = create_app(settings)
    if args.command == "demo":
        app.on_startup.append(_demo_booking)
    _tune_gc()
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=_announce(settings),
        access_log_class=PathOnlyAccessLogger,
    )
    return 0


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


async def _demo_booking(app: web.Application) -> None:
    """Open a demo booking: a hub client with 2 credits (so the last-subsidised alert shows)."""
    from .api.rooms import join_link
    from .context import CONTEXT
    from .rooms.model import Hub, InvoiceTo, Person, Role
    from .rooms.service import OpenRoom

    ctx = app[CONTEXT]
    await ctx.sessions.put_ledger("demo-hub", "demo-client", 5, 2, False, InvoiceTo.COMPANY)
    now = datetime.now(UTC)
    room, _ = await ctx.sessions.open_room(
        OpenRoom(
            booking_id="demo-booking",
            hub=Hub(id="demo-hub", name="Acme Corp"),
            professional=Person(id="demo-professional", name="Dr. Alex Rivera"),
            client=Person(id="demo-client", name="Sam Jordan"),
            scheduled_start=now,
            scheduled_end=now + timedelta(minutes=50),
        )
    )
    links = {role: join_link(ctx, room, role)["url"] for role in (Role.PROFESSIONAL, Role.CLIENT)}
    print(
        "\nDemo booking opened (Acme Corp hub, client with 2 of 5 credits left).\n"
        "Open each link in its own Chrome window:\n\n"
        f"  professional: {links[Role.PROFESSIONAL]}\n\n"
        f"  client:       {links[Role.CLIENT]}\n",
        flush=True,
    )


def _probe(settings: Settings, args: argparse.Namespace) -> int:
    from .media.probe import run_probe  # type: ignore[import-not-found,unused-ignore]

    if not settings.booking_secret:
        print("sessionsvc probe: set SESSIONSVC_BOOKING_SECRET", file=sys.stderr)
        return 2
    hold = args.hold if args.hold is not None else settings.min_held_seconds + 2
    return int(
        asyncio.run(run_probe(args.url, settings.booking_secret, hold_seconds=hold, out=sys.stdout))
    )


def _support_token(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from .rooms.model import Role
    from .tokens import TokenService

    if not settings.join_secret:
        print("sessionsvc support-token: set SESSIONSVC_JOIN_SECRET", file=sys.stderr)
        return 2
    tokens = TokenService(settings.booking_secret, settings.join_secret)
    print(
        tokens.mint_join(
            sub=f"support:{args.name}",
            role=Role.SUPPORT,
            name=args.name,
            room=None,
            expires_at=time.time() + args.ttl,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
