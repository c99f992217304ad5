"""The audit log of support reads: which support identity read what (and which room), when.

One line per read on the ``sessionsvc.audit`` logger, always at INFO whatever the service's log
level, so that operators can route it to its own durable place. Every value is JSON-quoted: an
identity or an id can never forge a line.
"""

from __future__ import annotations

import json
import logging

from ..rooms.clock import Clock
from ..wireformat import iso

LOGGER = "sessionsvc.audit"


class Audit:
    """Writes one audit line per support read."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._log = logging.getLogger(LOGGER)
        self._log.setLevel(logging.INFO)

    def read(self, who: str, what: str, room_id: str | None = None, **detail: object) -> None:
        """``who`` (the token's subject) read ``what`` (of ``room_id``)."""
        fields: dict[str, object] = {
            "at": iso(self._clock.now()),
            "who": who,
            "read": what,
            "room": room_id,
        }
        fields.update(detail)
        self._log.info("support read %s", json.dumps(fields, separators=(",", ":")))
