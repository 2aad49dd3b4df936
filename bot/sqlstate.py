"""The bot's own tables live in the index's SQLite file; each feature creates its tables the same way."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite


async def ensure_schema(conn: aiosqlite.Connection, statements: Iterable[str]) -> None:
    """Run CREATE TABLE IF NOT EXISTS statements and commit."""
    for stmt in statements:
        await conn.execute(stmt)
    await conn.commit()
