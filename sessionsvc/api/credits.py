"""Credit ledger endpoints: the booking service grants and changes a client's hub credits."""

from __future__ import annotations

from aiohttp import web

from .auth import booking_service
from .bodies import LedgerPatch, LedgerPut, json_response, read_json
from .keys import CREDITS
from .views import ledger_view


async def put_credits(request: web.Request) -> web.Response:
    booking_service(request)
    body = await read_json(request, LedgerPut)
    hub_id, client_id = request.match_info["hub_id"], request.match_info["client_id"]
    ledger = await request.app[CREDITS].put_ledger(hub_id, client_id, body.grant())
    return json_response(ledger_view(ledger))


async def patch_credits(request: web.Request) -> web.Response:
    booking_service(request)
    body = await read_json(request, LedgerPatch)
    hub_id, client_id = request.match_info["hub_id"], request.match_info["client_id"]
    ledger = await request.app[CREDITS].patch_ledger(hub_id, client_id, body.changes())
    return json_response(ledger_view(ledger))


async def get_credits(request: web.Request) -> web.Response:
    booking_service(request)
    hub_id, client_id = request.match_info["hub_id"], request.match_info["client_id"]
    ledger = await request.app[CREDITS].get_ledger(hub_id, client_id)
    return json_response(ledger_view(ledger))
