"""The sweeper's keys, all under the ``{timeouts}`` hash tag: the deadline index, node
heartbeats, and the rooms each node's connections are in."""

from __future__ import annotations

from redis.asyncio import Redis

from ...rooms.model import Room
from .keys import Keys, text

NODE_ROOMS_TTL = 2 * 24 * 3600  # seconds a node's room set outlives its last new entry

# Brings a room's entries in the sweeper's indexes up to date: each node a participant is
# connected through remembers the room (KEYS[3..]), and the room's entry in the deadline index
# moves, fenced by the room version it was computed from. These keys live in another slot than
# the room, so they are written after the room's transaction and two nodes can write them out
# of order; the fence lets the newest room version win regardless. A write without a version
# (ARGV[2] == "") is unconditional.
_INDEX = """
local due, versions, room, version, when = KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3]
for i = 3, #KEYS do
  redis.call('SADD', KEYS[i], room)
  redis.call('EXPIRE', KEYS[i], ARGV[4])
end
if version ~= '' then
  local seen = redis.call('HGET', versions, room)
  if seen and tonumber(seen) > tonumber(version) then
    return 0
  end
end
if when == '' then
  redis.call('ZREM', due, room)
  redis.call('HDEL', versions, room)
else
  redis.call('ZADD', due, when, room)
  if version ~= '' then
    redis.call('HSET', versions, room, version)
  end
end
return 1
"""


class Index:
    """Writes a room's entries in the sweeper's indexes, in one script call."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._keys = keys
        self._script = redis.register_script(_INDEX)

    async def write(
        self, room_id: str, version: int | None, when: float | None, nodes: tuple[str, ...] = ()
    ) -> None:
        """Set the room's deadline (None: clear it) and add it to each of ``nodes``' rooms."""
        k = self._keys
        await self._script(
            keys=[k.due, k.due_versions, *(k.node_rooms(n) for n in nodes)],
            args=[
                room_id,
                "" if version is None else version,
                "" if when is None else repr(when),
                NODE_ROOMS_TTL,
            ],
        )

    async def follow(self, room: Room, deadline: float | None) -> None:
        """The entries of ``room`` as stored."""
        nodes = tuple(
            sorted({p.node for p in (room.professional, room.client) if p.node and p.conn})
        )
        await self.write(room.room_id, room.version, deadline, nodes)


class RedisDeadlines:
    def __init__(self, redis: Redis, keys: Keys, index: Index) -> None:
        self._redis = redis
        self._keys = keys
        self._index = index

    async def due_rooms(self, now: float, limit: int) -> list[str]:
        if limit <= 0:
            return []
        ids = await self._redis.zrangebyscore(self._keys.due, "-inf", now, start=0, num=limit)
        return [text(i) for i in ids]

    async def set_deadline(self, room_id: str, when: float | None) -> None:
        """Set or clear a room's deadline, whatever version computed it."""
        await self._index.write(room_id, None, when)


class RedisNodes:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def heartbeat(self, node: str, alive_until: float) -> None:
        await self._redis.zadd(self._keys.nodes, {node: alive_until})

    async def dead_nodes(self, now: float) -> list[str]:
        members = await self._redis.zrangebyscore(self._keys.nodes, "-inf", f"({now}")
        return [text(m) for m in members]

    async def node_rooms(self, node: str) -> list[str]:
        return sorted(text(m) for m in await self._redis.smembers(self._keys.node_rooms(node)))

    async def forget_node(self, node: str) -> None:
        async with self._redis.pipeline(transaction=True) as tx:
            tx.zrem(self._keys.nodes, node)
            tx.delete(self._keys.node_rooms(node))
            await tx.execute()
