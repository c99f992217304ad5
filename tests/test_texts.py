"""The sentences people read, from their one source: one way to count credits for both sides,
a summary to invoice from, kind words for a declined client, and one typographic style."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from msgspec.structs import replace

from sessionsvc.rooms.clock import ManualClock
from sessionsvc.rooms.funding import FundingState, funding_of
from sessionsvc.rooms.model import (
    Hub,
    InvoiceTo,
    Ledger,
    NotHeldReason,
    Outcome,
    Participant,
    Payment,
    PaymentType,
    Phase,
    Role,
    Room,
)
from sessionsvc.rooms.statements import InvoiceCalendar
from sessionsvc.rooms.workdays import WorkingDays
from sessionsvc.signaling.ice import IceServers
from sessionsvc.signaling.outcomes import declined, summary_texts
from sessionsvc.signaling.texts import credits_left, funding_view, uses_credit
from sessionsvc.signaling.views import Views

HUB = Hub(id="h", name="Acme Corp")
T0 = 1_764_669_600.0  # 2025-12-02 10:00 UTC


def _room(hub: Hub | None = HUB) -> Room:
    return Room(
        room_id="r-1",
        booking_id="bk-42",
        hub=hub,
        professional=Participant("p", "Dr. Alex Rivera", Role.PROFESSIONAL),
        client=Participant("c", "Sam Jordan", Role.CLIENT),
        scheduled_start=T0,
        scheduled_end=T0 + 3000,
        created_at=T0 - 60,
        admitted_at=T0 + 120,
    )


def _ledger(remaining: int, card: bool = False, to: InvoiceTo = InvoiceTo.COMPANY) -> Ledger:
    return Ledger("h", "c", 5, remaining, card, to)


def _every_text() -> list[Any]:
    """Every text the server sends about funding and endings, for every case."""
    texts: list[Any] = []
    room = _room()
    for hub in (HUB, None):
        for ledger in (_ledger(3), _ledger(1), _ledger(0, True), _ledger(0)):
            state = FundingState(_room(hub), funding_of(hub, ledger), first_hub_session=True)
            texts += [funding_view(role, state) for role in (Role.PROFESSIONAL, Role.CLIENT)]
    payments = [
        Payment(PaymentType.CREDIT, "Acme Corp", 1),
        Payment(PaymentType.CREDIT, "platform", 0),
        Payment(PaymentType.CARD),
        Payment(PaymentType.SELF_PAY),
    ]
    outcomes = [Outcome(Phase.COMPLETED, T0 + 3000, 2800.0, None, p) for p in payments]
    outcomes += [Outcome(Phase.NOT_HELD, T0 + 200, 40.0, r.value) for r in NotHeldReason]
    outcomes += [Outcome(Phase.CANCELLED, T0, 0.0), Outcome(Phase.EXPIRED, T0, 0.0)]
    for outcome in outcomes:
        for role in (Role.PROFESSIONAL, Role.CLIENT):
            texts.append(summary_texts(room, outcome, role))
    texts.append(declined(room))
    return texts


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in _strings(v)]
    return []


def test_every_text_is_typeset_with_curly_apostrophes() -> None:
    strings = _strings(msgspec.to_builtins(_every_text()))
    assert len(strings) > 100
    for text in strings:
        assert "'" not in text and '"' not in text, text


@pytest.mark.parametrize("remaining", [1, 2, 5])
def test_both_sides_count_credits_the_same_way(remaining: int) -> None:
    state = FundingState(_room(), funding_of(HUB, _ledger(remaining)), first_hub_session=False)
    client = funding_view(Role.CLIENT, state)
    pro = funding_view(Role.PROFESSIONAL, state)
    said_to_client = uses_credit(remaining, Role.CLIENT, HUB.name)
    assert client.detail == said_to_client
    assert ("Credits", uses_credit(remaining, Role.PROFESSIONAL)) in pro.facts
    if remaining == 2:
        assert said_to_client == (
            "This session uses 1 of your 2 employer-paid sessions remaining from Acme Corp."
        )
    # after the session, one less, in the same words
    assert credits_left(remaining - 1, Role.CLIENT).startswith("You have")
    assert credits_left(1, Role.PROFESSIONAL) == "The client has 1 employer-paid session left."


def test_the_professionals_summary_is_something_to_invoice_from() -> None:
    outcome = Outcome(
        Phase.COMPLETED, T0 + 3000, 2830.0, None, Payment(PaymentType.CREDIT, "Acme Corp", 1)
    )
    texts = summary_texts(_room(), outcome, Role.PROFESSIONAL)
    facts = {f["key"]: f for f in texts["facts"]}
    assert facts["date"]["value"] == "2025-12-02" and facts["date"]["format"] == "date"
    assert facts["time"]["value"] == "10:02–10:50 UTC"
    assert facts["time"]["start"] == "2025-12-02T10:02:00Z"
    assert facts["length"]["value"] == "47 minutes"
    assert facts["booking"]["value"] == "bk-42"
    assert facts["payment-type"]["value"] == "Credit"
    assert facts["invoice-to"]["value"] == "Acme Corp, directly"
    assert "Send Acme Corp an invoice" in texts["next"][0] and "bk-42" in texts["next"][0]
    # the lede does not repeat the table
    assert "Acme" not in texts["message"] and "Credit" not in texts["message"]
    platform = Outcome(
        Phase.COMPLETED, T0 + 3000, 2830.0, None, Payment(PaymentType.CREDIT, "platform", 0)
    )
    texts = summary_texts(_room(), platform, Role.PROFESSIONAL)
    facts = {f["key"]: f["value"] for f in texts["facts"]}
    assert facts["invoice-to"] == "The platform, in your month-end invoice"
    assert "month end" in texts["next"][0]
    assert "Sam" not in json.dumps(texts)


def test_a_platform_invoice_names_the_statement_s_due_date() -> None:
    # December 2025 in Iceland: New Year's Day (Thursday the 1st) is a holiday and the 3rd and
    # 4th a weekend, so January 2026's working days run 2, 5, 6 (due), 7, 8, 9, 12 (paid)
    invoices = InvoiceCalendar(WorkingDays("IS"), ZoneInfo("Atlantic/Reykjavik"))
    room = _room()
    assert room.admitted_at is not None
    due, paid = invoices.dates(room.admitted_at)
    assert (due, paid) == (date(2026, 1, 6), date(2026, 1, 12))
    platform = Outcome(
        Phase.COMPLETED, T0 + 3000, 2830.0, None, Payment(PaymentType.CREDIT, "platform", 0)
    )
    done = replace(room, phase=Phase.COMPLETED, outcome=platform)
    summary = Views(IceServers(ManualClock(T0)), 20.0, invoices=invoices).summary(
        done, Role.PROFESSIONAL
    )
    facts = {f["key"]: f["value"] for f in summary["facts"]}
    assert facts["invoice-to"] == (
        "The platform, in your month-end invoice, due by Tuesday 6 January 2026"
    )
    assert "by Tuesday 6 January 2026" in summary["next"][0]
    # a company invoice has no month-end date
    company = replace(
        room,
        phase=Phase.COMPLETED,
        outcome=replace(platform, payment=Payment(PaymentType.CREDIT, "Acme Corp", 0)),
    )
    text = json.dumps(
        Views(IceServers(ManualClock(T0)), 20.0, invoices=invoices).summary(
            company, Role.PROFESSIONAL
        )
    )
    assert "2026" not in text and "due by" not in text


def test_a_declined_client_reads_kind_words() -> None:
    texts = declined(_room())
    assert texts["title"] == "This session won’t go ahead"
    assert texts["lines"][0] == "Dr. Alex Rivera wasn’t able to see you in this session."
    assert "No credit was used" in texts["lines"][1]
