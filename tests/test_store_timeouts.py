"""The store contract, timeouts: the deadline index and node liveness, and the sweeper's use of
them through the services, on the memory and the Redis backend alike."""

from __future__ import annotations

from msgspec.structs import replace

from sessionsvc.rooms.bookings import Booking
from sessionsvc.rooms.model import Ledger, Person, Presence, Role, Room
from sessionsvc.rooms.policy import Policy
from sessionsvc.rooms.store import Backend, Change, Mutator
from tests.support.backends import T0, make_domain, make_room


def noted(note: str, deadline: float | None) -> Mutator[None]:
    def fn(room: Room, ledger: Ledger | None) -> Change[None]:
        return Change(replace(room, note=note), None, None, deadline)

    return fn


async def test_deadlines(backend: Backend) -> None:
    rooms, deadlines = backend.rooms, backend.deadlines
    a, _ = await rooms.create_room(make_room("bk-a"), "fp", T0 + 100)
    b, _ = await rooms.create_room(make_room("bk-b"), "fp", T0 + 50)
    c, _ = await rooms.create_room(make_room("bk-c"), "fp", None)
    assert await deadlines.due_rooms(T0 + 49, 10) == []
    assert await deadlines.due_rooms(T0 + 50, 10) == [b.room_id]
    assert await deadlines.due_rooms(T0 + 100, 10) == [b.room_id, a.room_id]
    assert await deadlines.due_rooms(T0 + 100, 1) == [b.room_id]
    await rooms.mutate(a.room_id, noted("x", deadline=T0 + 10))
    await rooms.mutate(b.room_id, noted("x", deadline=None))
    await deadlines.set_deadline(c.room_id, T0 + 20.5)
    assert await deadlines.due_rooms(T0 + 1000, 10) == [a.room_id, c.room_id]
    await deadlines.set_deadline(c.room_id, None)
    await deadlines.set_deadline(c.room_id, None)
    assert await deadlines.due_rooms(T0 + 1000, 10) == [a.room_id]


async def test_node_liveness_records(backend: Backend) -> None:
    nodes = backend.nodes
    await nodes.heartbeat("node-a", 100.0)
    await nodes.heartbeat("node-b", 200.0)
    assert await nodes.dead_nodes(50.0) == []
    assert await nodes.dead_nodes(150.0) == ["node-a"]
    await nodes.heartbeat("node-a", 300.0)  # it came back
    assert await nodes.dead_nodes(150.0) == []
    await nodes.forget_node("node-a")
    assert await nodes.dead_nodes(250.0) == ["node-b"]


async def test_the_rooms_of_a_node_follow_its_participants(backend: Backend) -> None:
    rooms, nodes = backend.rooms, backend.nodes
    a, _ = await rooms.create_room(make_room("bk-a"), "fp", None)
    b, _ = await rooms.create_room(make_room("bk-b"), "fp", None)

    def connect(role: Role, node: str) -> Mutator[None]:
        def fn(room: Room, ledger: Ledger | None) -> Change[None]:
            p = replace(room.participant(role), presence=Presence.PRESENT, conn="s", node=node)
            return Change(room.with_participant(p), None, None, None)

        return fn

    assert await nodes.node_rooms("node-a") == []
    await rooms.mutate(a.room_id, connect(Role.PROFESSIONAL, "node-a"))
    await rooms.mutate(b.room_id, connect(Role.CLIENT, "node-a"))
    await rooms.mutate(b.room_id, connect(Role.PROFESSIONAL, "node-b"))
    assert await nodes.node_rooms("node-a") == sorted([a.room_id, b.room_id])
    assert await nodes.node_rooms("node-b") == [b.room_id]
    await nodes.forget_node("node-a")
    assert await nodes.node_rooms("node-a") == []
    assert await nodes.node_rooms("node-b") == [b.room_id]


async def test_dead_node_participants_get_their_reconnect_grace(backend: Backend) -> None:
    d = make_domain(backend, Policy(reconnect_grace=20.0), start=1000.0)
    s = d.services
    state, _ = await s.bookings.open_room(
        Booking(
            booking_id="bk-node",
            professional=Person("p", "P"),
            client=Person("c", "C"),
            scheduled_start=1000.0,
            scheduled_end=4000.0,
        )
    )
    room_id = state.room.room_id
    await s.liveness.heartbeat("node-a", 10.0)
    await s.liveness.heartbeat("node-b", 10.0)
    await s.live.join(room_id, Role.PROFESSIONAL, "p", "sid-1", "node-a")
    await s.live.join(room_id, Role.CLIENT, "c", "sid-2", "node-b")
    d.clock.advance(5)
    await s.liveness.heartbeat("node-a", 10.0)  # node-b stops beating
    d.clock.advance(6)
    assert await s.liveness.reap_dead_nodes() == 1
    got = await s.bookings.get_room(room_id)
    assert got.client.presence is Presence.RECONNECTING
    assert got.professional.presence is Presence.PRESENT
    assert await s.liveness.reap_dead_nodes() == 0  # handled once
    d.clock.advance(21)
    await s.timeouts.sweep()
    assert (await s.bookings.get_room(room_id)).client.presence is Presence.LEFT
