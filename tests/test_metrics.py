"""Metrics count what the domain reports, whichever path made the change: a room opened through
the domain's service (as ``sessionsvc demo`` opens its booking) counts as one opened over the
API does, and a room the sweeper ends counts as ended."""

from __future__ import annotations

from sessionsvc.api.keys import BOOKINGS, METRICS
from sessionsvc.metrics import Metrics
from sessionsvc.rooms.bookings import Booking
from sessionsvc.rooms.model import Person
from testkit.booking import Booking as BookingService
from tests.support.servers import AppServer


def opened(metrics: Metrics) -> float:
    return float(metrics.rooms_opened._value.get())


def ended(metrics: Metrics, phase: str) -> float:
    return float(metrics.rooms_ended.labels(phase)._value.get())


async def test_rooms_opened_and_ended_off_the_api_are_counted(
    app_server: AppServer, app_booking: BookingService
) -> None:
    metrics = app_server.app[METRICS]
    await app_booking.open_room()
    assert opened(metrics) == 1

    now = app_server.clock.now()
    await app_server.app[BOOKINGS].open_room(
        Booking(
            booking_id="bk-demo",
            professional=Person(id="pro-demo", name="Dr Demo"),
            client=Person(id="cl-demo", name="Demo Client"),
            scheduled_start=now,
            scheduled_end=now + 60,
        )
    )
    assert opened(metrics) == 2
    assert ended(metrics, "expired") == 0

    # nobody comes: past the end and the expiry grace, the sweeper expires both rooms
    await app_server.advance(3 * 3600 + app_server.settings.expiry_grace)
    assert ended(metrics, "expired") == 2
    exposed = (await app_booking.call("GET", "/metrics"))[1]
    assert "sessionsvc_rooms_opened_total 2.0" in exposed
    assert 'sessionsvc_rooms_ended_total{phase="expired"} 2.0' in exposed
