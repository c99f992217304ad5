"""Property-generated events sent over a real Socket.IO connection to a running app: whatever a
participant sends, every ack is ``{ok: true}`` or a refusal with a code, never an internal error,
and the room still answers afterwards."""

from __future__ import annotations

from typing import Any

import aiohttp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from testkit.booking import Booking
from tests.signaling.steps import admitted
from tests.support.servers import AppServerFactory
from tests.test_properties_payloads import EVENTS, json_values

SENT = 150  # events per run, over both sides


def _drawn(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` values drawn by hypothesis (generation only: no shrinking, no database)."""
    out: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(value: Any) -> None:
        out.append(value)

    collect()
    return out


EVENT = st.tuples(
    st.sampled_from([*sorted(EVENTS), "leave_not", "x"]),
    json_values,
    st.booleans(),
)


async def test_generated_events_get_a_clear_answer(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    app_server = await app_server_factory(SESSIONSVC_EVENT_RATE="100000")  # no throttling here
    app_booking = Booking(app_server.url, http)
    room = await app_booking.open_room()
    pro, client = await admitted(app_server, room)
    for event, data, from_pro in _drawn(EVENT, SENT):
        side = pro if from_pro else client
        ack = await side.call(event, data)
        assert ack["ok"] is True or (
            ack["ok"] is False and ack["error"]["code"] != "internal_error"
        ), (event, data, ack)
    # both are still in a room that answers
    assert (await pro.call("note", {"text": "still here"}))["ok"]
    await client.wait_room(lambda r: r["note"] == "still here")
    status, kept = await app_booking.call("GET", f"/v1/rooms/{room['room_id']}")
    assert status == 200 and kept["phase"] == "in_session"
    await pro.close()
    await client.close()
