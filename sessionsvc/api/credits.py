"""Credit ledger endpoints: the booking service grants and changes a client's hub credits."""

from __future__ import annotations

import msgspec
from aiohttp import web

from ..context import CONTEXT
from ..rooms.model import InvoiceTo
from ..rooms.service import LedgerPatch
from .auth import booking_claims
from .bodies import json_response, read_json
from .views import ledger_json


class LedgerPut(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    credits_total: int
    credits_remaining: int
    card_on_file: bool
    invoice_to: InvoiceTo


async def put_credits(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    booking_claims(request, ctx.tokens)
    body = await read_json(request, LedgerPut)
    ledger = await ctx.sessions.put_ledger(
        request.match_info["hub_id"],
        request.match_info["client_id"],
        body.credits_total,
        body.credits_remaining,
        body.card_on_file,
        body.invoice_to,
    )
    return json_response(ledger_json(ledger))


async def patch_credits(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    booking_claims(request, ctx.tokens)
    body = await read_json(request, LedgerPatch)
    ledger = await ctx.sessions.patch_ledger(
        request.match_info["hub_id"], request.match_info["client_id"], body
    )
    return json_response(ledger_json(ledger))


async def get_credits(request: web.Request) -> web.Response:
    ctx = request.app[CONTEXT]
    booking_claims(request, ctx.tokens)
    ledger = await ctx.sessions.get_ledger(
        request.match_info["hub_id"], request.match_info["client_id"]
    )
    return json_response(ledger_json(ledger))
