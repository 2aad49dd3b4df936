"""SQLite (aiosqlite): the source of truth for posts, digests, chunks, ingest runs and the keyword index."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite

from retrieval.models import Digest, Doc, Executive, Hit
from retrieval.store.text import FTS_TOKENS_VERSION, fts_document

# 2: docs.pics and docs.truncated (added in place to a version-1 database when it is opened).
SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS executives (
    key TEXT PRIMARY KEY, name TEXT NOT NULL, aliases TEXT NOT NULL DEFAULT '[]',
    company TEXT NOT NULL DEFAULT '', platform_ids TEXT NOT NULL DEFAULT '{}',
    origin TEXT NOT NULL DEFAULT 'data'
);
-- Posts and digest chunks: everything that is searchable. uid is the vector id in Chroma.
CREATE TABLE IF NOT EXISTS docs (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL, executive TEXT NOT NULL, source_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    digest_uid TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL, title TEXT NOT NULL DEFAULT '', url TEXT NOT NULL DEFAULT '',
    author_name TEXT NOT NULL DEFAULT '',
    published_at INTEGER,
    likes INTEGER NOT NULL DEFAULT 0, shares INTEGER NOT NULL DEFAULT 0, comments INTEGER NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL,
    raw TEXT NOT NULL DEFAULT '{}',
    source_path TEXT NOT NULL DEFAULT '',
    updated_at INTEGER NOT NULL,
    pics TEXT NOT NULL DEFAULT '[]',
    truncated INTEGER NOT NULL DEFAULT 0,
    UNIQUE (platform, executive, source_id)
);
CREATE INDEX IF NOT EXISTS docs_exec_time ON docs (executive, published_at);
CREATE INDEX IF NOT EXISTS docs_time ON docs (published_at);
CREATE INDEX IF NOT EXISTS docs_hash ON docs (content_hash);
CREATE TABLE IF NOT EXISTS digests (
    uid TEXT PRIMARY KEY,
    platform TEXT NOT NULL, executive TEXT NOT NULL, source_id TEXT NOT NULL,
    title TEXT NOT NULL, text TEXT NOT NULL,
    period_start INTEGER, period_end INTEGER, published_at INTEGER,
    url TEXT NOT NULL DEFAULT '', source_path TEXT NOT NULL DEFAULT '',
    row_hash TEXT NOT NULL
);
-- Vectors already computed, by text hash and model: the same text is never embedded twice.
CREATE TABLE IF NOT EXISTS vectors (
    content_hash TEXT NOT NULL, model TEXT NOT NULL, vec BLOB NOT NULL,
    PRIMARY KEY (content_hash, model)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS ingest_runs (
    id INTEGER PRIMARY KEY, started_at INTEGER NOT NULL, finished_at INTEGER,
    sources TEXT NOT NULL, report TEXT
);
-- Keyword index: pre-tokenised text (words + CJK bigrams), rowid = docs.id.
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts USING fts5(tokens, tokenize = 'unicode61 remove_diacritics 2');
-- Document frequency per term, read straight from the FTS index (for IDF weights).
CREATE VIRTUAL TABLE IF NOT EXISTS docs_fts_vocab USING fts5vocab(docs_fts, 'row');
"""

DOC_COLUMNS = (
    "uid, platform, executive, source_id, kind, digest_uid, text, title, url, author_name, published_at, "
    "likes, shares, comments, content_hash, row_hash, raw, source_path, updated_at, pics, truncated"
)
# Columns added after version 1, with their definitions: an older database gets them on open.
_ADDED_COLUMNS = {"pics": "TEXT NOT NULL DEFAULT '[]'", "truncated": "INTEGER NOT NULL DEFAULT 0"}
# What a stored copy needs to be merged with a new one (retrieval.store.index.merge_copies).
_STORED_DOC_COLUMNS = (
    "uid, platform, executive, source_id, kind, digest_uid, text, title, url, author_name, published_at, "
    "likes, shares, comments, raw, source_path, pics, truncated"
)


def to_epoch(dt: datetime | None) -> int | None:
    return None if dt is None else int(dt.timestamp())


def from_epoch(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


@dataclass(frozen=True)
class StoredState:
    """What the write path needs to know about a stored doc before deciding to replace it."""

    row_hash: str
    content_hash: str
    truncated: bool


def _stored_doc(row: Sequence[Any]) -> Doc:
    (_, platform, executive, source_id, kind, digest_uid, text, title, url, author_name, published_at,
     likes, shares, comments, raw, source_path, pics, truncated) = row
    return Doc(
        platform=platform, executive=executive, source_id=source_id, text=text, kind=kind,
        published_at=from_epoch(published_at), title=title, url=url, author_name=author_name, likes=likes,
        shares=shares, comments=comments, raw=json.loads(raw), source_path=source_path, digest_id=digest_uid,
        truncated=bool(truncated), pics=json.loads(pics),
    )


@dataclass
class DocRow:
    """A docs row as stored, plus its FTS tokens (computed by the caller)."""

    uid: str
    doc: Doc
    content_hash: str
    row_hash: str
    tokens: str


def row_to_hit(row: sqlite3.Row | tuple, score: float = 0.0) -> Hit:
    (uid, platform, executive, source_id, kind, text, title, url, author_name, published_at,
     likes, shares, comments, pics) = tuple(row)[:HIT_WIDTH]
    return Hit(
        id=source_id, kind=kind, author=executive, published_at=from_epoch(published_at), text=text,
        url=url, likes=likes, shares=shares, comments=comments, score=score, platform=platform,
        author_name=author_name, title=title, uid=uid, pics=_pics(pics),
    )


def _pics(raw: str | None) -> list[str]:
    if not raw or raw == "[]":  # most rows: no JSON to parse
        return []
    try:
        got = json.loads(raw)
    except ValueError:
        return []
    return [str(p) for p in got] if isinstance(got, list) else []


HIT_COLUMNS = (
    "uid, platform, executive, source_id, kind, text, title, url, author_name, published_at, likes, shares, "
    "comments, pics"
)
HIT_WIDTH = 14  # columns of HIT_COLUMNS: a query may select more after them


def doc_where(executive: str | None = None, since: int | None = None, until: int | None = None,
              kind: str | None = "post", table: str = "") -> tuple[str, list[Any]]:
    """The one WHERE builder for docs: (conditions joined by AND, parameters), for docs of `kind`
    (None: any) by an optional executive published in [since, until) (epoch seconds). `table`
    qualifies the columns ("d" -> "d.executive"). "" when there is no condition."""
    col = f"{table}." if table else ""
    where: list[str] = []
    params: list[Any] = []
    if kind:
        where.append(f"{col}kind = ?")
        params.append(kind)
    if since is not None:
        where.append(f"{col}published_at >= ?")
        params.append(since)
    if until is not None:
        where.append(f"{col}published_at < ?")
        params.append(until)
    if executive:
        where.append(f"{col}executive = ?")
        params.append(executive)
    return " AND ".join(where), params


class Store:
    """Async access to the SQLite index. One connection per Store; WAL lets readers go on during writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db: aiosqlite.Connection | None = None

    async def open(self) -> Store:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = await aiosqlite.connect(self.path, timeout=60)
        try:
            await self.db.execute("PRAGMA busy_timeout=60000")
            await self.db.execute("PRAGMA journal_mode=WAL")
            await self.db.execute("PRAGMA synchronous=NORMAL")
            await self.db.executescript(SCHEMA)
            await self._migrate()
            await self.db.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
            await self.db.commit()
            await self._retokenize_if_stale()
        except BaseException:
            # Close the connection's thread, or the process would hang at exit after a failed open.
            await self.close()
            raise
        return self

    async def _migrate(self) -> None:
        """Add the columns a version-1 database lacks (CREATE TABLE IF NOT EXISTS leaves it as it was)."""
        async with self.conn.execute("PRAGMA table_info(docs)") as cur:
            have = {row[1] for row in await cur.fetchall()}
        for name, definition in _ADDED_COLUMNS.items():
            if name not in have:
                await self.conn.execute(f"ALTER TABLE docs ADD COLUMN {name} {definition}")

    async def _retokenize_if_stale(self) -> None:
        """Rewrite the keyword index when it was built by an older fts_document (glued English words
        unsplit, for one): words only, no re-embedding, about 1 s per 10,000 docs. The check is
        repeated inside the write lock, so a bot and a cron ingest opening at once do it once."""
        if await self.get_meta("fts_tokens") == FTS_TOKENS_VERSION:
            return
        await self.conn.execute("BEGIN IMMEDIATE")
        try:
            if await self.get_meta("fts_tokens") != FTS_TOKENS_VERSION:
                async with self.conn.execute("SELECT id, title, text FROM docs") as cur:
                    rows = [(rid, fts_document(f"{title}\n{text}")) for rid, title, text in await cur.fetchall()]
                await self.conn.execute("DELETE FROM docs_fts")
                await self.conn.executemany("INSERT INTO docs_fts (rowid, tokens) VALUES (?, ?)", rows)
                await self.conn.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('fts_tokens', ?)", (FTS_TOKENS_VERSION,))
            await self.conn.commit()
        except BaseException:
            await self.conn.rollback()
            raise

    async def close(self) -> None:
        if self.db is not None:
            await self.db.close()
            self.db = None

    async def __aenter__(self) -> Store:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self.db is None:
            raise RuntimeError("store is not open")
        return self.db

    # -- meta ---------------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        async with self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def set_meta(self, key: str, value: str, commit: bool = True) -> None:
        await self.conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        if commit:
            await self.conn.commit()

    # -- executives ---------------------------------------------------------------------------

    async def upsert_executive(self, ex: Executive) -> None:
        await self.conn.execute(
            "INSERT INTO executives (key, name, aliases, company, platform_ids, origin) VALUES (?,?,?,?,?,?) "
            "ON CONFLICT(key) DO UPDATE SET name=excluded.name, aliases=excluded.aliases, "
            "company=excluded.company, platform_ids=excluded.platform_ids, origin=excluded.origin",
            (ex.key, ex.name, json.dumps(ex.aliases, ensure_ascii=False), ex.company,
             json.dumps(ex.platform_ids, ensure_ascii=False), ex.origin),
        )

    async def executives(self) -> list[Executive]:
        async with self.conn.execute(
            "SELECT key, name, aliases, company, platform_ids, origin FROM executives"
        ) as cur:
            rows = await cur.fetchall()
        return [
            Executive(key=r[0], name=r[1], aliases=json.loads(r[2]), company=r[3],
                      platform_ids=json.loads(r[4]), origin=r[5])
            for r in rows
        ]

    # -- docs ---------------------------------------------------------------------------------

    async def existing_states(self, uids: Sequence[str]) -> dict[str, StoredState]:
        """uid -> StoredState for the uids already stored."""
        out: dict[str, StoredState] = {}
        for i in range(0, len(uids), 900):  # SQLite's bound-parameter limit
            chunk = list(uids[i : i + 900])
            q = f"SELECT uid, row_hash, content_hash, truncated FROM docs WHERE uid IN ({','.join('?' * len(chunk))})"
            async with self.conn.execute(q, chunk) as cur:
                for uid, row_hash, chash, truncated in await cur.fetchall():
                    out[uid] = StoredState(row_hash, chash, bool(truncated))
        return out

    async def stored_docs(self, uids: Sequence[str]) -> dict[str, Doc]:
        """uid -> the stored Doc (text, counts, pictures, flags) for the uids already stored."""
        out: dict[str, Doc] = {}
        for i in range(0, len(uids), 900):
            chunk = list(uids[i : i + 900])
            q = f"SELECT {_STORED_DOC_COLUMNS} FROM docs WHERE uid IN ({','.join('?' * len(chunk))})"
            async with self.conn.execute(q, chunk) as cur:
                for row in await cur.fetchall():
                    out[row[0]] = _stored_doc(row)
        return out

    async def upsert_docs(self, rows: Iterable[DocRow], now: int) -> None:
        """Insert or update docs and their keyword tokens, in the caller's transaction.

        Batched (executemany): one thread hop per statement rather than three per row."""
        rows = list(rows)
        if not rows:
            return
        params = [
            (r.uid, r.doc.platform, r.doc.executive, r.doc.source_id, r.doc.kind, r.doc.digest_id, r.doc.text,
             r.doc.title, r.doc.url, r.doc.author_name, to_epoch(r.doc.published_at), r.doc.likes, r.doc.shares,
             r.doc.comments, r.content_hash, r.row_hash, json.dumps(r.doc.raw, ensure_ascii=False, default=str),
             r.doc.source_path, now, json.dumps(r.doc.pics, ensure_ascii=False), int(r.doc.truncated))
            for r in rows
        ]
        await self.conn.executemany(
            f"INSERT INTO docs ({DOC_COLUMNS}) VALUES ({','.join('?' * 21)}) "
            "ON CONFLICT(uid) DO UPDATE SET text=excluded.text, title=excluded.title, url=excluded.url, "
            "author_name=excluded.author_name, published_at=excluded.published_at, likes=excluded.likes, "
            "shares=excluded.shares, comments=excluded.comments, content_hash=excluded.content_hash, "
            "row_hash=excluded.row_hash, raw=excluded.raw, source_path=excluded.source_path, "
            "digest_uid=excluded.digest_uid, updated_at=excluded.updated_at, pics=excluded.pics, "
            "truncated=excluded.truncated",
            params,
        )
        ids: dict[str, int] = {}
        uids = [r.uid for r in rows]
        for i in range(0, len(uids), 900):
            chunk = uids[i : i + 900]
            q = f"SELECT uid, id FROM docs WHERE uid IN ({','.join('?' * len(chunk))})"
            async with self.conn.execute(q, chunk) as cur:
                ids.update((str(uid), int(id_)) for uid, id_ in await cur.fetchall())
        await self.conn.executemany("DELETE FROM docs_fts WHERE rowid = ?", [(ids[r.uid],) for r in rows])
        await self.conn.executemany(
            "INSERT INTO docs_fts (rowid, tokens) VALUES (?, ?)", [(ids[r.uid], r.tokens) for r in rows]
        )

    async def upsert_digest(self, uid: str, dg: Digest, row_hash: str) -> None:
        await self.conn.execute(
            "INSERT OR REPLACE INTO digests (uid, platform, executive, source_id, title, text, period_start, "
            "period_end, published_at, url, source_path, row_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (uid, dg.platform, dg.executive, dg.source_id, dg.title, dg.text, to_epoch(dg.period_start),
             to_epoch(dg.period_end), to_epoch(dg.published_at), dg.url, dg.source_path, row_hash),
        )

    async def digest_row_hash(self, uid: str) -> str | None:
        async with self.conn.execute("SELECT row_hash FROM digests WHERE uid = ?", (uid,)) as cur:
            row = await cur.fetchone()
        return row[0] if row else None

    async def delete_chunks_not_in(self, digest_uid: str, keep: Sequence[str]) -> list[str]:
        """Drop chunks of a digest that its new version no longer has; returns their uids."""
        async with self.conn.execute(
            "SELECT id, uid FROM docs WHERE digest_uid = ? AND kind = 'digest'", (digest_uid,)
        ) as cur:
            rows = await cur.fetchall()
        gone = [(rid, uid) for rid, uid in rows if uid not in set(keep)]
        for rid, _ in gone:
            await self.conn.execute("DELETE FROM docs_fts WHERE rowid = ?", (rid,))
            await self.conn.execute("DELETE FROM docs WHERE id = ?", (rid,))
        return [uid for _, uid in gone]

    async def all_uids(self) -> set[str]:
        async with self.conn.execute("SELECT uid FROM docs") as cur:
            return {r[0] for r in await cur.fetchall()}

    async def docs_for_embedding(self, uids: Sequence[str] | None = None) -> list[tuple[str, str, str, dict]]:
        """(uid, content_hash, text, metadata) for the given uids, or for all docs."""
        q = "SELECT uid, content_hash, text, title, executive, published_at, kind FROM docs"
        rows: list[Any] = []
        if uids is None:
            async with self.conn.execute(q) as cur:
                rows = list(await cur.fetchall())
        else:
            for i in range(0, len(uids), 900):
                chunk = list(uids[i : i + 900])
                async with self.conn.execute(f"{q} WHERE uid IN ({','.join('?' * len(chunk))})", chunk) as cur:
                    rows.extend(await cur.fetchall())
        out = []
        for uid, chash, text, title, ex, pub, kind in rows:
            meta = vector_metadata(ex, pub, kind)
            out.append((uid, chash, embed_text(text, title, kind), meta))
        return out

    # -- vector cache -------------------------------------------------------------------------

    async def cached_vectors(self, hashes: Sequence[str], model: str) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for i in range(0, len(hashes), 900):
            chunk = list(hashes[i : i + 900])
            q = f"SELECT content_hash, vec FROM vectors WHERE model = ? AND content_hash IN ({','.join('?' * len(chunk))})"
            async with self.conn.execute(q, [model, *chunk]) as cur:
                for h, v in await cur.fetchall():
                    out[h] = v
        return out

    async def cache_vectors(self, items: Iterable[tuple[str, bytes]], model: str) -> None:
        await self.conn.executemany(
            "INSERT OR REPLACE INTO vectors (content_hash, model, vec) VALUES (?, ?, ?)",
            [(h, model, v) for h, v in items],
        )

    async def clear_vectors(self, model: str | None = None) -> None:
        if model is None:
            await self.conn.execute("DELETE FROM vectors")
        else:
            await self.conn.execute("DELETE FROM vectors WHERE model = ?", (model,))

    # -- runs and stats -----------------------------------------------------------------------

    async def start_run(self, sources: list[str], now: int) -> int:
        async with self.conn.execute(
            "INSERT INTO ingest_runs (started_at, sources) VALUES (?, ?) RETURNING id",
            (now, json.dumps(sources, ensure_ascii=False)),
        ) as cur:
            row = await cur.fetchone()
        if row is None:  # RETURNING always yields the new row
            raise RuntimeError("INSERT … RETURNING returned no row")
        await self.conn.commit()
        return int(row[0])

    async def finish_run(self, run_id: int, report: dict, now: int) -> None:
        await self.conn.execute(
            "UPDATE ingest_runs SET finished_at = ?, report = ? WHERE id = ?",
            (now, json.dumps(report, ensure_ascii=False), run_id),
        )
        await self.conn.commit()

    async def period_facts(self, executive: str | None, since: int | None,
                           until: int | None) -> tuple[int, int | None]:
        """(posts of the executive (None: anyone) in [since, until), epoch of their latest post ever)."""
        where, params = doc_where(executive)
        in_period = await self.scalar(
            f"SELECT COUNT(*) FROM docs WHERE {where} AND published_at >= ? AND published_at < ?",
            [*params, since or 0, until or 2**62],
        )
        latest = await self.scalar(f"SELECT MAX(published_at) FROM docs WHERE {where}", params)
        return int(in_period or 0), latest

    # One trip to aiosqlite's thread per query (execute_fetchall), not three (execute, fetch, close):
    # a search runs about five of them, and each trip waits for the event loop and the GIL.
    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of a one-row query (COUNT, MAX, ... LIMIT 1)."""
        rows = await self.conn.execute_fetchall(sql, params)
        return next(iter(rows), (None,))[0]

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return list(await self.conn.execute_fetchall(sql, params))


def embed_text(text: str, title: str, kind: str) -> str:
    """The text a doc is embedded as: digest chunks carry their section heading for context."""
    if kind == "digest" and title and not text.startswith(title):
        return f"{title}\n{text}"
    return text


def vector_metadata(executive: str, published_at: int | None, kind: str) -> dict[str, Any]:
    """What a vector query filters on (vectors.vector_where), and nothing more: Chroma writes each
    field to its metadata segment, and three more (platform, likes, engagement) cost about a fifth
    of an ingest's Chroma time for fields no query read. Counts live in SQLite."""
    # Chroma metadata cannot hold None and its range operators take numbers only:
    # an undated doc gets -1 so that any date filter excludes it.
    return {"executive": executive, "published_at": -1 if published_at is None else int(published_at), "kind": kind}
