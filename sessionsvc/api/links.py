"""Join links: a fresh join token for one side of a room, and the page URL that carries it."""

from __future__ import annotations

from ..rooms.clock import Clock
from ..rooms.model import Role, Room
from ..tokens import TokenService


class JoinLinks:
    """Mints join links that live until the room's scheduled end plus the expiry grace (or a
    fixed lifetime, when one is configured or asked for)."""

    def __init__(
        self,
        tokens: TokenService,
        clock: Clock,
        base_url: str,
        *,
        token_ttl: int,
        expiry_grace: float,
    ) -> None:
        self._tokens = tokens
        self._clock = clock
        self._base_url = base_url
        self._token_ttl = token_ttl
        self._expiry_grace = expiry_grace

    def link(self, room: Room, role: Role, ttl_s: int | None = None) -> dict[str, str]:
        """``{"token", "url"}`` for ``role``'s side of ``room``."""
        now = self._clock.now()
        if ttl_s is not None:
            expires = now + ttl_s
        elif self._token_ttl:
            expires = now + self._token_ttl
        else:
            expires = room.scheduled_end + self._expiry_grace
        who = room.participant(role)
        token = self._tokens.mint_join(
            sub=who.id, role=role, room=room.room_id, expires_at=expires, now=now
        )
        return {"token": token, "url": f"{self._base_url}/join?token={token}"}

    def both(self, room: Room) -> dict[str, dict[str, str]]:
        """The links of both sides, by role."""
        return {role.value: self.link(room, role) for role in (Role.PROFESSIONAL, Role.CLIENT)}
