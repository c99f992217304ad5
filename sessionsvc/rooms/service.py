"""The service layer: plain async operations over the store, used by the HTTP API, the signaling
edge and the background sweeper alike. It records what changed as ``RoomEvent``s and hands them to
the listeners the composition root wired in (live pushes to the waiting room, metrics, …).
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import msgspec
from msgspec.structs import replace

from . import lifecycle
from .clock import Clock
from .errors import Forbidden, InvalidInput, LedgerNotFound, RoomNotFound
from .funding import Funding, FundingView, funding_of, view_for
from .ids import new_room_id
from .lifecycle import Policy
from .model import (
    Hub,
    InvoiceTo,
    Ledger,
    Outcome,
    Participant,
    PaymentType,
    Person,
    Phase,
    Role,
    Room,
)
from .store import Change, Store, T

log = logging.getLogger(__name__)


class EventKind(enum.StrEnum):
    OPENED = "opened"
    UPDATED = "updated"  # times, names or the waiting-room note changed
    FUNDING = "funding"  # the client's ledger changed
    JOINED = "joined"
    RECONNECTING = "reconnecting"
    LEFT = "left"
    ADMITTED = "admitted"
    DENIED = "denied"
    ENDED = "ended"  # completed, not held, cancelled or expired


@dataclass(frozen=True)
class RoomEvent:
    kind: EventKind
    room: Room
    role: Role | None = None
    conn: str | None = None  # for DENIED / JOINED: a connection to disconnect


Listener = Callable[[RoomEvent], Awaitable[None]]


class OpenRoom(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The booking service's request to open a room."""

    booking_id: str
    professional: Person
    client: Person
    scheduled_start: datetime
    scheduled_end: datetime
    hub: Hub | None = None
    payment_url: str | None = None


class RoomPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None
    professional_name: str | None = None
    client_name: str | None = None
    payment_url: str | None = None


class LedgerPatch(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    credits_total: int | None = None
    credits_remaining: int | None = None
    card_on_file: bool | None = None
    invoice_to: InvoiceTo | None = None


@dataclass(frozen=True)
class FundingState:
    """A room's funding, and whether the client's first held hub session is still to come."""

    room: Room
    funding: Funding
    first_hub_session: bool

    def view(self, role: Role) -> FundingView:
        return view_for(role, self.funding, self.room)


@dataclass(frozen=True)
class StatementLine:
    invoice_to: str
    sessions: int
    dates: list[str]


class Sessions:
    """Rooms, credits and the live session, over one store."""

    def __init__(self, store: Store, clock: Clock, policy: Policy, stats_keep: int = 900) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.stats_keep = stats_keep
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def _emit(self, event: RoomEvent) -> None:
        for listener in self._listeners:
            try:
                await listener(event)
            except Exception:
                log.exception("room event listener failed for %s", event.kind)

    async def _mutate(
        self, room_id: str, fn: Callable[[Room, Ledger | None], tuple[Room, Ledger | None, T]]
    ) -> Change[T]:
        def run(room: Room, ledger: Ledger | None) -> Change[T]:
            new_room, new_ledger, result = fn(room, ledger)
            return Change(
                new_room, new_ledger, result, lifecycle.next_deadline(new_room, self.policy)
            )

        return await self.store.mutate(room_id, run)

    # -- rooms ---------------------------------------------------------------------------

    async def open_room(self, req: OpenRoom) -> tuple[Room, bool]:
        start, end = _epoch(req.scheduled_start), _epoch(req.scheduled_end)
        if end <= start:
            raise InvalidInput("scheduled_end must be after scheduled_start")
        if req.professional.id == req.client.id:
            raise InvalidInput("the professional and the client must be different people")
        now = self.clock.now()
        room = Room(
            room_id=new_room_id(req.client.id),
            booking_id=req.booking_id,
            hub=req.hub,
            professional=Participant(req.professional.id, req.professional.name, Role.PROFESSIONAL),
            client=Participant(req.client.id, req.client.name, Role.CLIENT),
            scheduled_start=start,
            scheduled_end=end,
            created_at=now,
            payment_url=req.payment_url,
        )
        fingerprint = hashlib.sha256(msgspec.json.encode(req, order="sorted")).hexdigest()
        room, created = await self.store.create_room(
            room, fingerprint, lifecycle.next_deadline(room, self.policy)
        )
        if created:
            await self._emit(RoomEvent(EventKind.OPENED, room))
        return room, created

    async def get_room(self, room_id: str) -> Room:
        room = await self.store.get_room(room_id)
        if room is None:
            raise RoomNotFound(f"no room {room_id!r}")
        return room

    async def patch_room(self, room_id: str, patch: RoomPatch) -> Room:
        def apply(room: Room, ledger: Ledger | None) -> tuple[Room, None, None]:
            lifecycle.ensure_open(room)
            start = _epoch(patch.scheduled_start) if patch.scheduled_start else room.scheduled_start
            end = _epoch(patch.scheduled_end) if patch.scheduled_end else room.scheduled_end
            if end <= start:
                raise InvalidInput("scheduled_end must be after scheduled_start")
            pro, client = room.professional, room.client
            if patch.professional_name is not None:
                pro = replace(pro, name=patch.professional_name)
            if patch.client_name is not None:
                client = replace(client, name=patch.client_name)
            url = patch.payment_url if patch.payment_url is not None else room.payment_url
            new = replace(
                room,
                scheduled_start=start,
                scheduled_end=end,
                professional=pro,
                client=client,
                payment_url=url,
            )
            return new, None, None

        change = await self._mutate(room_id, apply)
        await self._emit(RoomEvent(EventKind.UPDATED, change.room))
        return change.room

    async def cancel_room(self, room_id: str) -> Room:
        now = self.clock.now()
        change = await self._mutate(room_id, lambda r, _l: (lifecycle.cancel(r, now), None, None))
        await self._emit(RoomEvent(EventKind.ENDED, change.room))
        return change.room

    async def funding_state(self, room: Room) -> FundingState:
        """How the room is funded now, from one read of the client's ledger."""
        ledger = await self.store.get_ledger(*room.ledger_key) if room.ledger_key else None
        first = room.ledger_key is not None and (ledger is None or ledger.sessions_held == 0)
        return FundingState(room, funding_of(room.hub, ledger), first)

    async def funding(self, room: Room) -> Funding:
        return (await self.funding_state(room)).funding

    # -- credits -------------------------------------------------------------------------

    async def put_ledger(
        self,
        hub_id: str,
        client_id: str,
        total: int,
        remaining: int,
        card: bool,
        invoice_to: InvoiceTo,
    ) -> Ledger:
        _check_credits(total, remaining)
        now = self.clock.now()

        def put(old: Ledger | None) -> Ledger:
            return Ledger(
                hub_id=hub_id,
                client_id=client_id,
                credits_total=total,
                credits_remaining=remaining,
                card_on_file=card,
                invoice_to=invoice_to,
                sessions_held=old.sessions_held if old else 0,
                updated_at=now,
                consumed_by=old.consumed_by if old else (),
            )

        ledger = await self.store.update_ledger(hub_id, client_id, put)
        await self._funding_changed(hub_id, client_id)
        return ledger

    async def patch_ledger(self, hub_id: str, client_id: str, patch: LedgerPatch) -> Ledger:
        now = self.clock.now()

        def apply(old: Ledger | None) -> Ledger:
            if old is None:
                raise LedgerNotFound(f"no credits for client {client_id!r} at hub {hub_id!r}")
            new = replace(
                old,
                credits_total=_pick(patch.credits_total, old.credits_total),
                credits_remaining=_pick(patch.credits_remaining, old.credits_remaining),
                card_on_file=_pick(patch.card_on_file, old.card_on_file),
                invoice_to=_pick(patch.invoice_to, old.invoice_to),
                updated_at=now,
            )
            _check_credits(new.credits_total, new.credits_remaining)
            return new

        ledger = await self.store.update_ledger(hub_id, client_id, apply)
        await self._funding_changed(hub_id, client_id)
        return ledger

    async def get_ledger(self, hub_id: str, client_id: str) -> Ledger:
        ledger = await self.store.get_ledger(hub_id, client_id)
        if ledger is None:
            raise LedgerNotFound(f"no credits for client {client_id!r} at hub {hub_id!r}")
        return ledger

    async def _funding_changed(self, hub_id: str, client_id: str) -> None:
        for room_id in await self.store.live_rooms_for(hub_id, client_id):
            room = await self.store.get_room(room_id)
            if room is not None and not room.phase.is_terminal:
                await self._emit(RoomEvent(EventKind.FUNDING, room))

    # -- the live session ----------------------------------------------------------------

    async def join(
        self, room_id: str, role: Role, participant_id: str, conn: str, node: str | None = None
    ) -> lifecycle.Joined:
        now = self.clock.now()

        def apply(room: Room, ledger: Ledger | None) -> tuple[Room, None, lifecycle.Joined]:
            joined = lifecycle.join(room, role, participant_id, conn, now, node)
            return joined.room, None, joined

        change = await self._mutate(room_id, apply)
        if node is not None:
            await self.store.track(node, room_id)
        await self._emit(
            RoomEvent(EventKind.JOINED, change.room, role, change.result.replaced_conn)
        )
        return change.result

    async def drop(self, room_id: str, role: Role, conn: str) -> Room:
        now = self.clock.now()
        change = await self._mutate(
            room_id, lambda r, _l: (lifecycle.drop(r, role, conn, now), None, None)
        )
        if change.room.participant(role).dropped_at == now:
            await self._emit(RoomEvent(EventKind.RECONNECTING, change.room, role))
        return change.room

    async def leave(self, room_id: str, role: Role, conn: str) -> Room:
        now = self.clock.now()
        change = await self._mutate(
            room_id, lambda r, _l: (lifecycle.leave(r, role, conn, now), None, None)
        )
        if change.room.participant(role).left_at == now:
            await self._emit(RoomEvent(EventKind.LEFT, change.room, role))
        return change.room

    async def admit(self, room_id: str, by: Role, client_id: str, override: bool) -> Room:
        now = self.clock.now()
        change = await self._mutate(
            room_id,
            lambda r, led: (lifecycle.admit(r, led, by, client_id, override, now), None, None),
        )
        await self._emit(RoomEvent(EventKind.ADMITTED, change.room))
        return change.room

    async def deny(self, room_id: str, by: Role, client_id: str) -> Room:
        def apply(room: Room, ledger: Ledger | None) -> tuple[Room, None, str | None]:
            new, conn = lifecycle.deny(room, by, client_id)
            return new, None, conn

        change = await self._mutate(room_id, apply)
        await self._emit(RoomEvent(EventKind.DENIED, change.room, Role.CLIENT, change.result))
        return change.room

    async def set_note(self, room_id: str, by: Role, note: str | None) -> Room:
        change = await self._mutate(
            room_id, lambda r, _l: (lifecycle.set_note(r, by, note), None, None)
        )
        await self._emit(RoomEvent(EventKind.UPDATED, change.room))
        return change.room

    async def record_stats(
        self, room_id: str, role: Role, bytes_in: int, sample: dict[str, Any]
    ) -> Room:
        now = self.clock.now()

        def apply(room: Room, ledger: Ledger | None) -> tuple[Room, None, None]:
            lifecycle.ensure_open(room)
            return lifecycle.record_media(room, role, bytes_in, now, self.policy), None, None

        change = await self._mutate(room_id, apply)
        await self.store.add_stats(room_id, role, {**sample, "at": now}, self.stats_keep)
        return change.room

    async def record_device(self, room_id: str, role: Role, sample: dict[str, Any]) -> None:
        """What a participant's browser reported of itself (name, version, permission states),
        kept beside the media stats for support."""
        room = await self.get_room(room_id)
        lifecycle.ensure_open(room)
        await self.store.add_stats(
            room_id, role, {**sample, "at": self.clock.now()}, self.stats_keep
        )

    async def end(self, room_id: str, by: Role) -> Outcome:
        """The professional ends the session."""
        if by is not Role.PROFESSIONAL:
            raise Forbidden("only the professional can end the session")
        now = self.clock.now()

        def apply(room: Room, ledger: Ledger | None) -> tuple[Room, Ledger | None, Outcome]:
            done = lifecycle.conclude(room, ledger, now, self.policy)
            return done.room, done.ledger, done.outcome

        change = await self._mutate(room_id, apply)
        await self._emit(RoomEvent(EventKind.ENDED, change.room))
        await self._after_consumption(change.room)
        return change.result

    async def tick(self, room_id: str) -> Room:
        """Apply the timeouts due for one room (called by the sweeper)."""
        now = self.clock.now()

        def apply(
            room: Room, ledger: Ledger | None
        ) -> tuple[Room, Ledger | None, lifecycle.Ticked]:
            t = lifecycle.tick(room, ledger, now, self.policy)
            return t.room, t.ledger, t

        change = await self._mutate(room_id, apply)
        ticked = change.result
        for role in ticked.left:
            await self._emit(RoomEvent(EventKind.LEFT, change.room, role))
        if ticked.outcome is not None:
            await self._emit(RoomEvent(EventKind.ENDED, change.room))
            await self._after_consumption(change.room)
        return change.room

    async def sweep(self, limit: int = 200) -> int:
        """Tick every room whose deadline has come; returns how many were ticked."""
        due = await self.store.due_rooms(self.clock.now(), limit)
        for room_id in due:
            try:
                await self.tick(room_id)
            except RoomNotFound:
                await self.store.set_deadline(room_id, None)
        return len(due)

    async def heartbeat(self, node: str, ttl: float) -> None:
        """This node is alive for ``ttl`` more seconds."""
        await self.store.heartbeat(node, self.clock.now() + ttl)

    async def reap_dead_nodes(self) -> int:
        """Participants connected through a node that died start their reconnect grace, as if
        their connection had dropped; returns how many dead nodes were handled."""
        now = self.clock.now()
        dead = await self.store.dead_nodes(now)
        for node in dead:
            for room_id in await self.store.node_rooms(node):
                try:
                    change = await self._mutate(room_id, _lose_node(node, now))
                except RoomNotFound:
                    continue
                for role in change.result:
                    await self._emit(RoomEvent(EventKind.RECONNECTING, change.room, role))
            await self.store.forget_node(node)
        return len(dead)

    async def _after_consumption(self, room: Room) -> None:
        """A completed credit session changes the ledger: other live rooms of it must hear."""
        outcome = room.outcome
        if outcome and outcome.payment and outcome.payment.payment_type is PaymentType.CREDIT:
            assert room.hub is not None
            await self._funding_changed(room.hub.id, room.client.id)

    # -- summaries -----------------------------------------------------------------------

    async def statement(self, professional_id: str, month: str) -> list[StatementLine]:
        """Per invoice target, the Credit sessions held in ``month`` (YYYY-MM) and their dates."""
        try:
            first = datetime.strptime(month, "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            raise InvalidInput("month must be YYYY-MM") from None
        lines: dict[str, list[str]] = {}
        for room in await self.store.professional_rooms(professional_id):
            o = room.outcome
            if o is None or o.phase is not Phase.COMPLETED or o.payment is None:
                continue
            if o.payment.payment_type is not PaymentType.CREDIT:
                continue
            ended = datetime.fromtimestamp(o.ended_at, UTC)
            if (ended.year, ended.month) != (first.year, first.month):
                continue
            lines.setdefault(o.payment.invoice_to or "platform", []).append(
                ended.date().isoformat()
            )
        return [
            StatementLine(invoice_to=k, sessions=len(v), dates=sorted(v))
            for k, v in sorted(lines.items())
        ]


def _lose_node(
    node: str, now: float
) -> Callable[[Room, Ledger | None], tuple[Room, None, tuple[Role, ...]]]:
    def apply(room: Room, ledger: Ledger | None) -> tuple[Room, None, tuple[Role, ...]]:
        new, lost = lifecycle.node_lost(room, node, now)
        return new, None, lost

    return apply


def _epoch(value: datetime) -> float:
    if value.tzinfo is None:
        raise InvalidInput("times must carry a time zone, e.g. 2026-11-24T10:00:00Z")
    return value.timestamp()


def _pick(new: Any, old: Any) -> Any:
    return old if new is None else new


def _check_credits(total: int, remaining: int) -> None:
    if total < 0 or remaining < 0:
        raise InvalidInput("credits cannot be below zero")
    if remaining > total:
        raise InvalidInput("credits_remaining cannot exceed credits_total")
