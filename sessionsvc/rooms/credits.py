"""A client's credits at a hub, granted and changed by the booking service. Every change is
heard live by the rooms the ledger funds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from msgspec.structs import replace

from .clock import Clock
from .errors import InvalidInput, LedgerNotFound
from .events import EventKind, Events, RoomEvent
from .funding import funding_state
from .model import InvoiceTo, Ledger
from .store import LedgerStore, RoomStore

V = TypeVar("V")


@dataclass(frozen=True)
class Grant:
    """The whole of a client's credits at a hub, as the booking service sets them."""

    credits_total: int
    credits_remaining: int
    card_on_file: bool
    invoice_to: InvoiceTo


@dataclass(frozen=True)
class GrantChanges:
    """Part of a grant to change; None leaves a value as it is."""

    credits_total: int | None = None
    credits_remaining: int | None = None
    card_on_file: bool | None = None
    invoice_to: InvoiceTo | None = None


def check_credits(total: int, remaining: int) -> None:
    """Credits are never negative, and never more remain than were granted."""
    if total < 0 or remaining < 0:
        raise InvalidInput("credits cannot be below zero")
    if remaining > total:
        raise InvalidInput("credits_remaining cannot exceed credits_total")


class Credits:
    """Ledgers as the booking service sets and reads them."""

    def __init__(
        self, ledgers: LedgerStore, rooms: RoomStore, clock: Clock, events: Events
    ) -> None:
        self._ledgers = ledgers
        self._rooms = rooms
        self._clock = clock
        self._events = events

    async def put_ledger(self, hub_id: str, client_id: str, grant: Grant) -> Ledger:
        """Set the client's credits; what the ledger counted so far is kept."""
        check_credits(grant.credits_total, grant.credits_remaining)
        now = self._clock.now()

        def put(old: Ledger | None) -> Ledger:
            return Ledger(
                hub_id=hub_id,
                client_id=client_id,
                credits_total=grant.credits_total,
                credits_remaining=grant.credits_remaining,
                card_on_file=grant.card_on_file,
                invoice_to=grant.invoice_to,
                sessions_held=old.sessions_held if old else 0,
                updated_at=now,
                consumed_by=old.consumed_by if old else (),
            )

        ledger = await self._ledgers.update_ledger(hub_id, client_id, put)
        await self.announce(ledger)
        return ledger

    async def patch_ledger(self, hub_id: str, client_id: str, changes: GrantChanges) -> Ledger:
        """Change part of the client's credits (e.g. a card was added)."""
        now = self._clock.now()

        def patch(old: Ledger | None) -> Ledger:
            if old is None:
                raise LedgerNotFound(f"no credits for client {client_id!r} at hub {hub_id!r}")
            new = replace(
                old,
                credits_total=_pick(changes.credits_total, old.credits_total),
                credits_remaining=_pick(changes.credits_remaining, old.credits_remaining),
                card_on_file=_pick(changes.card_on_file, old.card_on_file),
                invoice_to=_pick(changes.invoice_to, old.invoice_to),
                updated_at=now,
            )
            check_credits(new.credits_total, new.credits_remaining)
            return new

        ledger = await self._ledgers.update_ledger(hub_id, client_id, patch)
        await self.announce(ledger)
        return ledger

    async def get_ledger(self, hub_id: str, client_id: str) -> Ledger:
        ledger = await self._ledgers.get_ledger(hub_id, client_id)
        if ledger is None:
            raise LedgerNotFound(f"no credits for client {client_id!r} at hub {hub_id!r}")
        return ledger

    async def announce(self, ledger: Ledger) -> None:
        """Tell every live room this ledger funds how it is funded now."""
        for room_id in await self._ledgers.live_rooms_for(ledger.hub_id, ledger.client_id):
            room = await self._rooms.get_room(room_id)
            if room is not None and not room.phase.is_terminal:
                await self._events.emit(RoomEvent(EventKind.FUNDING, funding_state(room, ledger)))


def _pick(new: V | None, old: V) -> V:
    return old if new is None else new
