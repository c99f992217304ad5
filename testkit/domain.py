"""The domain's services and its data built directly, for tests and benchmarks that drive the
domain without HTTP or Socket.IO: ``make_domain(backend)`` over any store backend, on a
``ManualClock``, and a room or ledger with plain defaults."""

from __future__ import annotations

from dataclasses import dataclass

from sessionsvc.bootstrap import Services, create_services
from sessionsvc.rooms.clock import ManualClock
from sessionsvc.rooms.events import Events
from sessionsvc.rooms.ids import new_room_id
from sessionsvc.rooms.model import Hub, InvoiceTo, Ledger, Participant, Role, Room
from sessionsvc.rooms.policy import Policy
from sessionsvc.rooms.store import Backend

T0 = 1_800_000_000.0
HUB = Hub(id="hub-1", name="Acme Ltd")


@dataclass
class Domain:
    """The domain's services over one backend, with the clock the test moves."""

    backend: Backend
    clock: ManualClock
    policy: Policy
    services: Services


def make_domain(backend: Backend, policy: Policy | None = None, start: float = T0) -> Domain:
    policy = policy or Policy()
    clock = ManualClock(start)
    return Domain(backend, clock, policy, create_services(backend, clock, policy, Events()))


def make_room(
    booking: str = "bk-1",
    client: str = "cl-1",
    professional: str = "pro-1",
    hub: Hub | None = HUB,
    start: float = T0 + 600,
) -> Room:
    return Room(
        room_id=new_room_id(client),
        booking_id=booking,
        hub=hub,
        professional=Participant(professional, "Dr Pro", Role.PROFESSIONAL),
        client=Participant(client, "Cli Ent", Role.CLIENT),
        scheduled_start=start,
        scheduled_end=start + 3000,
        created_at=T0,
    )


def make_ledger(client: str = "cl-1", remaining: int = 3, card: bool = False) -> Ledger:
    return Ledger(
        hub_id=HUB.id,
        client_id=client,
        credits_total=max(remaining, 3),
        credits_remaining=remaining,
        card_on_file=card,
        invoice_to=InvoiceTo.COMPANY,
    )
