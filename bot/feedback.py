"""👍/👎 on answers: what was asked, what was cited, and who voted, in the index's SQLite file.

The buttons are a persistent view (fixed custom ids), so votes on answers sent before a restart still
count. `execbot feedback --json` exports the votes; `bench.eval --feedback FILE` reads them back as
labelled questions.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import aiosqlite
import discord

from bot.sqlstate import ensure_schema

log = logging.getLogger(__name__)

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS answers (
        message_id INTEGER PRIMARY KEY, question TEXT NOT NULL, filters TEXT NOT NULL, cited TEXT NOT NULL,
        found INTEGER NOT NULL, backend TEXT NOT NULL, model TEXT NOT NULL, created_at INTEGER NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS feedback_votes (
        message_id INTEGER NOT NULL, user_id INTEGER NOT NULL, vote INTEGER NOT NULL, at INTEGER NOT NULL,
        PRIMARY KEY (message_id, user_id))""",
)
UP, DOWN = "execbot:feedback:up", "execbot:feedback:down"


@dataclass
class AnswerRecord:
    """What a vote is about. `cited` are the source ids shown, in order."""

    question: str
    filters: dict[str, Any]
    cited: list[str]
    found: bool
    backend: str  # the answer backend: extractive or openai
    model: str  # the embedding model that ranked the posts
    created_at: int = field(default_factory=lambda: int(time.time()))


class FeedbackStore:
    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def ensure(self) -> None:
        await ensure_schema(self.conn, SCHEMA)

    async def record(self, message_id: int, a: AnswerRecord) -> None:
        await self.conn.execute(
            "INSERT OR REPLACE INTO answers (message_id, question, filters, cited, found, backend, model, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (message_id, a.question, json.dumps(a.filters, ensure_ascii=False), json.dumps(a.cited), int(a.found),
             a.backend, a.model, a.created_at))
        await self.conn.commit()

    async def vote(self, message_id: int, user_id: int, up: bool) -> bool:
        """One vote per user per answer: voting again replaces it. False if the answer is unknown."""
        async with self.conn.execute("SELECT 1 FROM answers WHERE message_id = ?", (message_id,)) as cur:
            if await cur.fetchone() is None:
                return False
        await self.conn.execute(
            "INSERT INTO feedback_votes (message_id, user_id, vote, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(message_id, user_id) DO UPDATE SET vote = excluded.vote, at = excluded.at",
            (message_id, user_id, 1 if up else -1, int(time.time())))
        await self.conn.commit()
        return True

    async def export(self) -> list[dict[str, Any]]:
        """Every voted answer with its votes (user ids are not exported: only the counts)."""
        await self.ensure()
        async with self.conn.execute(
            "SELECT a.message_id, a.question, a.filters, a.cited, a.found, a.backend, a.model, a.created_at, "
            "SUM(v.vote = 1), SUM(v.vote = -1) FROM answers a JOIN feedback_votes v ON v.message_id = a.message_id "
            "GROUP BY a.message_id ORDER BY a.created_at, a.message_id") as cur:
            rows = await cur.fetchall()
        return [{"answer_id": str(mid), "question": q, "filters": json.loads(f), "cited": json.loads(c),
                 "found": bool(found), "backend": backend, "model": model, "asked_at": at,
                 "up": int(up or 0), "down": int(down or 0)}
                for mid, q, f, c, found, backend, model, at, up, down in rows]


class FeedbackView(discord.ui.View):
    """👍/👎 under an answer. One instance serves every answer: the message id says which."""

    def __init__(self, store: FeedbackStore) -> None:
        super().__init__(timeout=None)
        self.store = store

    async def _vote(self, interaction: discord.Interaction, up: bool) -> None:
        message = interaction.message
        ok = message is not None and await self.store.vote(message.id, interaction.user.id, up)
        text = ("Thanks! Noted as helpful." if up else "Thanks! Noted: this answer missed.") if ok else \
            "I no longer have that answer on record."
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=discord.AllowedMentions.none())

    @discord.ui.button(emoji="👍", style=discord.ButtonStyle.secondary, custom_id=UP)
    async def up(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await self._vote(interaction, True)

    @discord.ui.button(emoji="👎", style=discord.ButtonStyle.secondary, custom_id=DOWN)
    async def down(self, interaction: discord.Interaction, _button: discord.ui.Button) -> None:
        await self._vote(interaction, False)


async def export_json(conn: aiosqlite.Connection) -> str:
    return json.dumps(await FeedbackStore(conn).export(), ensure_ascii=False, indent=1)


def answer_record(answer: Any, engine: Any) -> AnswerRecord:
    """The record of an Engine.ask answer."""
    return AnswerRecord(question=answer.question, filters=answer.filters.to_json(),
                        cited=[h.id for h in answer.citations], found=bool(answer.found),
                        backend=answer.backend, model=engine.index.embedder.name)
