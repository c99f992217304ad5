"""Hostile values at every edge, on both stores: text that cannot be encoded as UTF-8 (lone
surrogates), ids longer than a session accepts, names without end. Each is refused where it
enters, with a clear error, and the room stays readable."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from sessionsvc.rooms.limits import MAX_ID, MAX_NAME, unencodable
from testkit.booking import Booking
from testkit.session_client import SessionClient
from tests.support.servers import AppServer, AppServerFactory


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def node(request: pytest.FixtureRequest, app_server_factory: AppServerFactory) -> AppServer:
    if request.param == "memory":
        return await app_server_factory()
    return await app_server_factory(SESSIONSVC_REDIS_URL=request.getfixturevalue("redis_url"))


async def _post_raw(booking: Booking, path: str, body: bytes) -> tuple[int, Any]:
    headers = {**booking.headers(), "Content-Type": "application/json"}
    async with booking.http.post(booking.url + path, data=body, headers=headers) as r:
        return r.status, await r.json()


async def test_ids_longer_than_a_session_accepts_are_refused_at_the_api(
    node: AppServer, http: aiohttp.ClientSession
) -> None:
    booking = Booking(node.url, http)
    for body in (
        booking.room_body(client_id="c" * (MAX_ID + 1)),
        booking.room_body(professional_id="p" * (MAX_ID + 1)),
        booking.room_body(booking_id="b" * (MAX_ID + 1)),
        booking.room_body(hub={"id": "h" * (MAX_ID + 1), "name": "Acme"}),
    ):
        status, answer = await booking.call("POST", "/v1/rooms", body)
        assert status == 422 and answer["error"]["code"] == "invalid_body", answer
    status, answer = await booking.call(
        "POST", "/v1/rooms", booking.room_body(client_id="c" * MAX_ID)
    )
    assert status == 201, answer  # the longest id allowed opens a room its client can join
    joined = await SessionClient(node.url, answer["join"]["client"]["token"]).connect()
    await joined.close()


async def test_names_are_bounded_at_the_api(node: AppServer, http: aiohttp.ClientSession) -> None:
    booking = Booking(node.url, http)
    body = booking.room_body()
    body["client"]["name"] = "n" * (MAX_NAME + 1)
    status, answer = await booking.call("POST", "/v1/rooms", body)
    assert status == 422, answer
    room = await booking.open_room()
    status, answer = await booking.call(
        "PATCH", f"/v1/rooms/{room['room_id']}", {"client_name": "n" * (MAX_NAME + 1)}
    )
    assert status == 422, answer


async def test_lone_surrogates_in_a_body_are_refused(
    node: AppServer, http: aiohttp.ClientSession
) -> None:
    booking = Booking(node.url, http)
    body = booking.room_body()
    raw = json.dumps(body).replace('"Sam Jordan"', '"Sam \\ud800"').encode()
    status, answer = await _post_raw(booking, "/v1/rooms", raw)
    assert status == 400 and "surrogate" in answer["error"]["message"], answer
    room = await booking.open_room()
    status, answer = await booking.call(
        "PATCH", f"/v1/rooms/{room['room_id']}", {"client_name": "Sam \udcff"}
    )
    assert status == 400 and "surrogate" in answer["error"]["message"], answer
    status, answer = await booking.call("GET", f"/v1/rooms/{room['room_id']}")
    assert status == 200 and answer["client"]["name"] == "Sam Jordan", answer


async def test_lone_surrogates_in_socket_payloads_are_refused(
    node: AppServer, http: aiohttp.ClientSession
) -> None:
    booking = Booking(node.url, http)
    room = await booking.open_room()
    pro = await SessionClient(node.url, room["join"]["professional"]["token"]).connect()
    ack = await pro.call("note", {"text": "x\ud800"})
    assert not ack["ok"] and ack["error"]["code"] == "invalid_payload", ack
    ack = await pro.call("device", {"browser": {"name": "Chrome\udcff", "version": "1"}})
    assert not ack["ok"] and ack["error"]["code"] == "invalid_payload", ack
    assert (await pro.call("note", {"text": "fine"}))["ok"]
    for method in ("GET", "PATCH", "DELETE"):
        status, answer = await booking.call(
            method,
            f"/v1/rooms/{room['room_id']}",
            {"client_name": "Sam"} if method == "PATCH" else None,
        )
        assert status == 200, (method, answer)
    await pro.close()


async def test_an_admitted_id_must_be_one_a_room_can_hold(
    node: AppServer, http: aiohttp.ClientSession
) -> None:
    booking = Booking(node.url, http)
    room = await booking.open_room()
    pro = await SessionClient(node.url, room["join"]["professional"]["token"]).connect()
    ack = await pro.call("admit", {"participant_id": "c" * (MAX_ID + 1)})
    assert not ack["ok"] and ack["error"]["code"] == "invalid_payload", ack
    await pro.close()


def test_unencodable_finds_a_lone_surrogate_anywhere() -> None:
    assert unencodable({"a": ["ok", {"b": "x\ud800"}]}) == "a[1].b"
    assert unencodable({"k\udcff": 1}) == "k\\udcff"
    assert unencodable({"a": ["é", "😀", 1, None, 2.5]}) is None
    deep: Any = "x\ud800"
    for _ in range(10_000):
        deep = [deep]
    assert unencodable(deep) is not None  # no recursion limit to hit
