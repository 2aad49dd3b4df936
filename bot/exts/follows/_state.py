"""Who follows whom, and which posts went out, in the index's SQLite file (as the digest's state)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import aiosqlite

from bot.sqlstate import ensure_schema

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS follows (
        channel_id INTEGER NOT NULL, executive TEXT NOT NULL, created_at INTEGER NOT NULL,
        watermark INTEGER NOT NULL, keywords TEXT NOT NULL DEFAULT '[]', min_engagement INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (channel_id, executive))""",
    # One row per post handled since the watermark: 'sending' (may have gone out: check the channel),
    # 'sent', or 'skipped' (counted in an "and N more" line). Cleared when the watermark moves past it.
    """CREATE TABLE IF NOT EXISTS follow_posts (
        channel_id INTEGER NOT NULL, executive TEXT NOT NULL, uid TEXT NOT NULL, doc_id INTEGER NOT NULL,
        state TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (channel_id, uid))""",
)


@dataclass
class Follow:
    channel_id: int
    executive: str
    created_at: int  # epoch seconds: posts published before the follow are never announced
    watermark: int  # docs.id at the last completed round: posts with a larger id are new
    keywords: list[str] = field(default_factory=list)
    min_engagement: int = 0


class FollowState:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def ensure(self) -> None:
        await ensure_schema(self.conn, SCHEMA)

    async def add(self, f: Follow) -> bool:
        """Follow, or update the filters of an existing follow (its watermark stays). True if new."""
        async with self.conn.execute("SELECT 1 FROM follows WHERE channel_id = ? AND executive = ?",
                                     (f.channel_id, f.executive)) as cur:
            existed = await cur.fetchone() is not None
        await self.conn.execute(
            "INSERT INTO follows (channel_id, executive, created_at, watermark, keywords, min_engagement) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(channel_id, executive) DO UPDATE SET "
            "keywords = excluded.keywords, min_engagement = excluded.min_engagement",
            (f.channel_id, f.executive, f.created_at, f.watermark, json.dumps(f.keywords, ensure_ascii=False),
             f.min_engagement),
        )
        await self.conn.commit()
        return not existed

    async def remove(self, channel_id: int, executive: str) -> bool:
        cur = await self.conn.execute("DELETE FROM follows WHERE channel_id = ? AND executive = ?",
                                      (channel_id, executive))
        gone = cur.rowcount > 0
        await cur.close()
        await self.conn.execute("DELETE FROM follow_posts WHERE channel_id = ? AND executive = ?",
                                (channel_id, executive))
        await self.conn.commit()
        return gone

    async def all(self, channel_id: int | None = None) -> list[Follow]:
        sql = "SELECT channel_id, executive, created_at, watermark, keywords, min_engagement FROM follows"
        params: tuple = ()
        if channel_id is not None:
            sql += " WHERE channel_id = ?"
            params = (channel_id,)
        async with self.conn.execute(sql + " ORDER BY channel_id, executive", params) as cur:
            rows = await cur.fetchall()
        return [Follow(int(c), e, int(t), int(w), json.loads(k), int(m)) for c, e, t, w, k, m in rows]

    async def handled(self, f: Follow) -> dict[str, str]:
        """uid -> state of the posts this follow has handled since its watermark."""
        async with self.conn.execute("SELECT uid, state FROM follow_posts WHERE channel_id = ? AND executive = ?",
                                     (f.channel_id, f.executive)) as cur:
            return {str(u): str(s) for u, s in await cur.fetchall()}

    async def mark(self, f: Follow, items: list[tuple[str, int]], state: str, now: int) -> None:
        await self.conn.executemany(
            "INSERT INTO follow_posts (channel_id, executive, uid, doc_id, state, at) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(channel_id, uid) DO UPDATE SET state = excluded.state, at = excluded.at",
            [(f.channel_id, f.executive, uid, doc_id, state, now) for uid, doc_id in items],
        )
        await self.conn.commit()

    async def forget(self, f: Follow, uid: str) -> None:
        await self.conn.execute("DELETE FROM follow_posts WHERE channel_id = ? AND uid = ?", (f.channel_id, uid))
        await self.conn.commit()

    async def advance(self, f: Follow, watermark: int) -> None:
        """The round is complete: move the watermark and drop the rows it now covers, in one transaction."""
        await self.conn.execute("UPDATE follows SET watermark = MAX(watermark, ?) WHERE channel_id = ? AND executive = ?",
                                (watermark, f.channel_id, f.executive))
        await self.conn.execute("DELETE FROM follow_posts WHERE channel_id = ? AND executive = ? AND doc_id <= ? "
                                "AND state != 'sending'", (f.channel_id, f.executive, watermark))
        await self.conn.commit()
        f.watermark = max(f.watermark, watermark)
