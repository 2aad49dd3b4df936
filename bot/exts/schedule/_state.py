"""The bot's own small state, in the index's SQLite file: `bot_state(key, value, updated_at)`."""

from __future__ import annotations

import aiosqlite

from bot.sqlstate import ensure_schema

SCHEMA = """CREATE TABLE IF NOT EXISTS bot_state (
    key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL
)"""


class BotState:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def ensure(self) -> None:
        await ensure_schema(self.conn, [SCHEMA])

    async def get(self, key: str) -> tuple[str, int] | None:
        async with self.conn.execute("SELECT value, updated_at FROM bot_state WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return (row[0], int(row[1])) if row else None

    async def set(self, key: str, value: str, now: int) -> None:
        await self.conn.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (key, value, now),
        )
        await self.conn.commit()

    async def delete(self, key: str, value: str | None = None) -> None:
        if value is None:
            await self.conn.execute("DELETE FROM bot_state WHERE key = ?", (key,))
        else:
            await self.conn.execute("DELETE FROM bot_state WHERE key = ? AND value = ?", (key, value))
        await self.conn.commit()

    async def claim(self, marker: str, done: str, period: str, now: int, stale_before: int) -> bool:
        """Atomically take the `marker` for `period`, unless `done` already holds period (or later)
        or a fresh marker exists. One statement, so two instances on one file can't both win."""
        cur = await self.conn.execute(
            "INSERT INTO bot_state (key, value, updated_at) "
            "SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM bot_state WHERE key = ? AND value >= ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at "
            "WHERE bot_state.updated_at < ?",
            (marker, period, now, done, period, stale_before),
        )
        won = cur.rowcount == 1
        await cur.close()
        await self.conn.commit()
        return won

    async def finish(self, marker: str, done: str, period: str, now: int) -> None:
        """Record `period` as done and drop the marker, in one transaction."""
        await self.conn.execute(
            "INSERT INTO bot_state (key, value, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (done, period, now),
        )
        await self.conn.execute("DELETE FROM bot_state WHERE key = ? AND value = ?", (marker, period))
        await self.conn.commit()
