"""What the HTTP handlers use, each under its own typed ``web.AppKey``; the composition root
sets them."""

from __future__ import annotations

from aiohttp import web

from ..metrics import Metrics
from ..rooms.bookings import Bookings
from ..rooms.credits import Credits
from ..rooms.statements import Statements
from ..rooms.store import Backend
from ..support.desk import SupportDesk
from ..tokens import TokenService
from ..webhooks.deliverer import Deliverer
from .links import JoinLinks

TOKENS = web.AppKey("tokens", TokenService)
BOOKINGS = web.AppKey("bookings", Bookings)
CREDITS = web.AppKey("credits", Credits)
STATEMENTS = web.AppKey("statements", Statements)
LINKS = web.AppKey("links", JoinLinks)
METRICS = web.AppKey("metrics", Metrics)
BACKEND = web.AppKey("backend", Backend)
SUPPORT = web.AppKey("support", SupportDesk)
WEBHOOKS = web.AppKey("webhooks", Deliverer)
