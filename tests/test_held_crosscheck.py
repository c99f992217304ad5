"""The held-rule cross-checks the two sides: what one says it received must be covered by what
the other says it sent, and both must stay connected on the same connections, so one lying side
cannot make a session count. The pure rule directly, then a lying participant on a real node."""

from __future__ import annotations

import aiohttp

from sessionsvc.rooms import lifecycle
from sessionsvc.rooms.held import corroborated, is_held, record_media
from sessionsvc.rooms.model import Participant, Role, Room
from sessionsvc.rooms.policy import Policy
from testkit.booking import Booking
from tests.signaling.steps import admitted
from tests.support.servers import AppServerFactory

POLICY = Policy(min_held_seconds=60)
PRO, CLIENT = Role.PROFESSIONAL, Role.CLIENT


def _in_call(now: float = 1000.0) -> Room:
    room = Room(
        room_id="r1",
        booking_id="b1",
        hub=None,
        professional=Participant("p", "P", PRO),
        client=Participant("c", "C", CLIENT),
        scheduled_start=now,
        scheduled_end=now + 3600,
        created_at=now,
    )
    room = lifecycle.join(room, PRO, "p", "sp", now).room
    room = lifecycle.join(room, CLIENT, "c", "sc", now).room
    return lifecycle.admit(room, None, PRO, "c", False, now)


def _call(room: Room, seconds: int, pro: tuple[int, int], client: tuple[int, int]) -> Room:
    """Both sides report every 2 s for ``seconds``: (received, sent) bytes per second each."""
    t = room.admitted_at or 0.0
    for i in range(1, seconds // 2 + 1):
        t += 2
        room = record_media(room, PRO, pro[0] * 2 * i, pro[1] * 2 * i, t, POLICY)
        room = record_media(room, CLIENT, client[0] * 2 * i, client[1] * 2 * i, t + 0.5, POLICY)
    return room


def test_an_honest_call_is_held() -> None:
    room = _call(_in_call(), 90, pro=(40_000, 50_000), client=(48_000, 40_000))
    assert is_held(room, POLICY) and room.held_seconds >= 80


def test_a_side_that_invents_what_it_received_does_not_make_it_held() -> None:
    # the professional's media really reaches the client; the professional says it receives the
    # client's too, but the client (honest, its camera and microphone off) sends nothing
    room = _call(_in_call(), 120, pro=(40_000, 50_000), client=(48_000, 0))
    assert room.held_seconds == 0 and not is_held(room, POLICY)


def test_a_side_that_invents_what_it_sent_does_not_make_it_held() -> None:
    # the client says it sends plenty; the professional (honest) receives nothing
    room = _call(_in_call(), 120, pro=(0, 50_000), client=(48_000, 1_000_000))
    assert room.held_seconds == 0


def test_reports_that_cross_in_flight_are_settled_by_the_later_one() -> None:
    room = _in_call()
    # the client's report (t=1002) is ahead of the professional's sent count (reported at 1001)
    room = record_media(room, PRO, 100_000, 100_000, 1001.0, POLICY)
    room = record_media(room, CLIENT, 400_000, 100_000, 1002.0, POLICY)
    assert room.client.verified_in == 0  # not covered yet
    room = record_media(room, PRO, 200_000, 400_000, 1003.0, POLICY)
    assert room.client.verified_in == 400_000 and room.client.media_at == 1002.0


def test_a_drop_and_return_between_ticks_does_not_count() -> None:
    room = _call(_in_call(), 10, pro=(40_000, 40_000), client=(40_000, 40_000))
    before, t = room.held_seconds, (room.held_tick or 0.0)
    room = lifecycle.drop(room, CLIENT, "sc", t + 0.5)
    room = lifecycle.join(room, CLIENT, "c", "sc2", t + 1.0).room
    room = record_media(room, PRO, 10**6, 10**6, t + 2, POLICY)
    room = record_media(room, CLIENT, 10**6, 10**6, t + 2.5, POLICY)
    # the span with the drop in it (t to t+2) is not held time; only what follows the return
    assert room.held_seconds - before <= 0.5
    room = record_media(room, PRO, 2 * 10**6, 2 * 10**6, t + 4, POLICY)
    assert room.held_seconds > before  # held again from the return on


def test_corroborated_allows_a_tolerance_and_no_more() -> None:
    policy = Policy(media_tolerance=0.5, media_slack_bytes=1000)
    assert corroborated(1500 + 1000, 1000, policy)
    assert not corroborated(1500 + 1001, 1000, policy)
    assert corroborated(0, 0, policy) and not corroborated(5000, 0, policy)


async def test_a_lying_participant_on_a_real_node_gets_no_credit_consumed(
    app_server_factory: AppServerFactory, http: aiohttp.ClientSession
) -> None:
    server = await app_server_factory()
    booking = Booking(server.url, http)
    hub = {"id": "hub-lie", "name": "Acme"}
    await booking.put_credits("hub-lie", "cl-lie", remaining=3)
    room = await booking.open_room(hub=hub, client_id="cl-lie")
    pro, client = await admitted(server, room)
    for i in range(1, 12):  # past the held minimum (2 s under test) several times over
        # the professional claims to receive the client's media; the client sends none
        assert (await pro.call("stats", {"bytes_received": 45_000 * i, "bytes_sent": 50_000 * i}))[
            "ok"
        ]
        assert (await client.call("stats", {"bytes_received": 48_000 * i, "bytes_sent": 0}))["ok"]
        server.clock.advance(1.0)
    ack = await pro.call("end")
    assert ack["ok"] and ack["summary"]["phase"] == "not_held", ack
    assert ack["summary"]["payment"] is None
    status, ledger = await booking.call("GET", "/v1/hubs/hub-lie/members/cl-lie/credits")
    assert status == 200 and ledger["credits_remaining"] == 3
    await pro.close()
    await client.close()
