"""The index: SQLite (truth + keyword index) and Chroma (vectors) kept in step.

Write order makes a crash at any point repairable: vectors are computed and cached in SQLite,
then upserted to Chroma, then the docs rows are committed. A row therefore never exists
without its vector; a vector without a row (a crash between the two) is an orphan that the
next run deletes. A `dirty` flag in `meta` tells the next run to check.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import ExecbotError
from retrieval.models import Digest, Doc
from retrieval.settings import RetrievalSettings, get_settings
from retrieval.store.embedding import DEFAULT_BACKEND, Embedder, backend_of, get_embedder
from retrieval.store.sqlite import (
    DocRow,
    Store,
    StoredState,
    embed_text,
    from_epoch,
    to_epoch,
    vector_metadata,
)
from retrieval.store.text import content_hash, fts_document, sha
from retrieval.store.vectors import VectorStore

log = logging.getLogger(__name__)

# Encode this many texts per call: large enough that sentence-transformers' length sorting
# keeps padding low, small enough to show progress and bound memory.
WRITE_BATCH = 1024


@dataclass
class IndexStats:
    """What the index holds (Index.stats). `to_json()` is the `stats --json` shape; indexing
    (`st["posts"]`) reads that dict too, for callers written against it."""

    posts: int
    digests: int
    chunks: int
    vectors: int | None  # None when not counted (with_vectors=False)
    executives: dict[str, int]  # key -> posts, most first
    first: datetime | None  # the oldest and newest post
    last: datetime | None
    embed_model: str | None  # the model the index was built with
    default_model: str | None = None  # set when this install would choose another model
    rebuild_command: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "posts": self.posts, "digests": self.digests, "chunks": self.chunks, "vectors": self.vectors,
            "executives": dict(self.executives), "first": self.first and self.first.isoformat(), "last": self.last and self.last.isoformat(),
            "embed_model": self.embed_model,
        }
        if self.default_model is not None:
            out["default_model"] = self.default_model
            out["rebuild_command"] = self.rebuild_command
        return out

    def __getitem__(self, key: str) -> Any:  # the values of to_json()
        return self.to_json()[key]


class ModelMismatchError(ExecbotError, RuntimeError):
    """The index was built with another embedding model; mixing vectors would make search meaningless."""


@dataclass
class WriteResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    embedded: int = 0

    def __iadd__(self, other: WriteResult) -> WriteResult:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.embedded += other.embedded
        return self


def doc_uid(platform: str, executive: str, source_id: str) -> str:
    """The stable id of a post: (platform, executive, source id). Also its vector id."""
    return sha(f"{platform}\x1f{executive}\x1f{source_id}", 24)


def _row_hash(d: Doc, chash: str) -> str:
    parts = [chash, d.title, d.url, d.author_name, to_epoch(d.published_at), d.likes, d.shares, d.comments,
             d.kind, d.digest_id]
    # Only when set, so that rows stored before pictures and the flag existed keep their hashes.
    if d.pics:
        parts.append(json.dumps(d.pics, ensure_ascii=False))
    if d.truncated:
        parts.append("truncated")
    return sha("\x1f".join(str(x) for x in parts))


def merge_copies(new: Doc, old: Doc) -> Doc:
    """The doc to keep when ``new`` arrives for the same post as ``old`` (stored or earlier in the batch).

    The text comes from the better copy: a full text beats a cut one (``truncated``), then a crawler's
    beats a feed's re-rendered HTML (``partial``), and a tie goes to the newer copy. The counts come from a
    copy that has them: a feed copy (``partial``) never replaces real counts. Pictures come from the text's
    copy, or from the other one when it has none.
    """
    new_text = (not new.truncated, not new.partial) >= (not old.truncated, not old.partial)
    base, other = (new, old) if new_text else (old, new)
    counts = new if (not new.partial or old.partial) else old
    return replace(
        base, likes=counts.likes, shares=counts.shares, comments=counts.comments, partial=counts.partial,
        pics=base.pics or other.pics,
    )


def _doc_row(uid: str, d: Doc) -> DocRow:
    chash = content_hash(embed_text(d.text, d.title, d.kind))
    return DocRow(uid, d, chash, _row_hash(d, chash), fts_document(f"{d.title}\n{d.text}"))


def _vec_bytes(v: np.ndarray) -> bytes:
    return np.asarray(v, dtype=np.float32).tobytes()


def _vec_from(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype=np.float32)


class Index:
    def __init__(self, settings: RetrievalSettings | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or get_settings()
        self.data_dir = Path(self.settings.data_dir)
        self.store = Store(self.data_dir / "execbot.sqlite3")
        self.vectors = VectorStore(self.data_dir / "chroma", self.settings.chroma_host, self.settings.chroma_port)
        self._embedder = embedder
        self._injected = embedder is not None
        self._built_with: str | None = None  # read at open()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            s = self.settings
            self._embedder = get_embedder(self.backend, s.embed_model, s.embed_batch_size)
        return self._embedder

    @property
    def backend(self) -> str:
        """EXECBOT_EMBED_BACKEND when set; otherwise the backend that built this index, so that an
        index built before a change of default keeps answering (and nothing re-embeds unasked);
        otherwise the default."""
        return self.settings.embed_backend or backend_of(self._built_with) or DEFAULT_BACKEND

    async def open(self) -> Index:
        await self.store.open()
        self._built_with = await self.built_with()
        return self

    async def close(self) -> None:
        await self.store.close()

    async def __aenter__(self) -> Index:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- model bookkeeping --------------------------------------------------------------------

    async def built_with(self) -> str | None:
        return await self.store.get_meta("embed_model")

    async def check_model(self) -> None:
        built = await self.built_with()
        has_docs = bool(await self.store.scalar("SELECT EXISTS (SELECT 1 FROM docs)"))
        if built and has_docs and built != self.embedder.name:
            raise ModelMismatchError(
                f"the index in {self.data_dir} was built with {built}, but the configured embedder is "
                f"{self.embedder.name}. Re-embed it with `execbot ingest --rebuild`, or set "
                f"EXECBOT_EMBED_BACKEND back to {built.split(':', 1)[0]}."
            )

    # -- writing ------------------------------------------------------------------------------

    async def _vectors_for(self, items: Sequence[tuple[str, str]]) -> tuple[dict[str, np.ndarray], int]:
        """Vectors for (content_hash, text) pairs: from the cache, else encoded once per distinct text."""
        model = self.embedder.name
        hashes = list(dict.fromkeys(h for h, _ in items))
        cached = await self.store.cached_vectors(hashes, model)
        out = {h: _vec_from(b) for h, b in cached.items()}
        todo: dict[str, str] = {}
        for h, text in items:
            if h not in out and h not in todo:
                todo[h] = text
        if todo:
            vecs = await asyncio.to_thread(self.embedder.embed_passages, list(todo.values()))
            await self.store.cache_vectors(((h, _vec_bytes(v)) for h, v in zip(todo, vecs, strict=True)), model)
            await self.store.conn.commit()
            out.update(zip(todo, vecs, strict=True))
        return out, len(todo)

    async def _write_rows(self, rows: list[DocRow], vecs: dict[str, np.ndarray]) -> None:
        """Vectors to Chroma first, then the rows: a committed row always has its vector."""
        if not rows:
            return
        metas = [
            vector_metadata(r.doc.executive, to_epoch(r.doc.published_at), r.doc.kind)
            for r in rows
        ]
        await self.store.set_meta("dirty", "1")
        matrix = np.stack([vecs[r.content_hash] for r in rows])
        await asyncio.to_thread(self.vectors.upsert, [r.uid for r in rows], matrix, metas)
        await self.store.upsert_docs(rows, int(time.time()))
        await self.store.set_meta("dirty", "0", commit=False)
        await self.store.conn.commit()

    async def _ensure_model(self) -> None:
        await self.check_model()
        if await self.built_with() != self.embedder.name:
            await self.store.set_meta("embed_model", self.embedder.name)
            await asyncio.to_thread(self.vectors.set_model, self.embedder.name)

    def _prepare(self, docs: Sequence[Doc]) -> list[DocRow]:
        rows: dict[str, DocRow] = {}
        for d in docs:
            uid = doc_uid(d.platform, d.executive, d.source_id)
            rows[uid] = _doc_row(uid, merge_copies(d, rows[uid].doc) if uid in rows else d)
        return list(rows.values())

    def writer(self, progress: Callable[[int], None] | None = None) -> BatchWriter:
        """A pipelined writer for a stream of batches (see BatchWriter)."""
        return BatchWriter(self, progress)

    async def write_docs(self, docs: Sequence[Doc], progress: Callable[[int], None] | None = None) -> WriteResult:
        """Add new docs, update changed ones in place, skip unchanged ones. Idempotent."""
        async with self.writer(progress) as w:
            for i in range(0, len(docs), WRITE_BATCH):
                await w.add(docs[i : i + WRITE_BATCH])
        return w.result

    async def write_digest(self, digest: Digest, chunks: Sequence[Doc]) -> WriteResult:
        """A digest document and its sections; sections the new version dropped are removed."""
        await self._ensure_model()
        uid = doc_uid(digest.platform, digest.executive, digest.source_id)
        dg_hash = sha(f"{digest.title}\x1f{digest.text}\x1f{to_epoch(digest.period_start)}\x1f{to_epoch(digest.period_end)}")
        known = await self.store.digest_row_hash(uid)
        if known == dg_hash:
            return WriteResult(unchanged=1)
        for c in chunks:
            c.digest_id = uid
        res = await self.write_docs(chunks)
        keep = [doc_uid(c.platform, c.executive, c.source_id) for c in chunks]
        await self.store.set_meta("dirty", "1")
        gone = await self.store.delete_chunks_not_in(uid, keep)
        await self.store.upsert_digest(uid, digest, dg_hash)
        await self.store.conn.commit()
        await asyncio.to_thread(self.vectors.delete, gone)
        await self.store.set_meta("dirty", "0")
        return WriteResult(added=int(known is None), updated=int(known is not None), embedded=res.embedded)

    # -- repair and rebuild -------------------------------------------------------------------

    async def needs_repair(self) -> bool:
        return (await self.store.get_meta("dirty")) == "1"

    async def repair(self, force: bool = False) -> dict[str, int]:
        """Make Chroma hold exactly one vector per docs row: add missing ones, delete orphans."""
        if not force and not await self.needs_repair():
            return {"restored": 0, "orphans": 0}
        await self._ensure_model()
        uids = await self.store.all_uids()
        in_chroma = await asyncio.to_thread(self.vectors.all_ids)
        missing = sorted(uids - in_chroma)
        orphans = sorted(in_chroma - uids)
        if missing:
            got = await self.store.docs_for_embedding(missing)
            vecs, _ = await self._vectors_for([(h, t) for _, h, t, _ in got])
            await asyncio.to_thread(
                self.vectors.upsert, [u for u, *_ in got], np.stack([vecs[h] for _, h, _, _ in got]),
                [m for *_, m in got],
            )
        await asyncio.to_thread(self.vectors.delete, orphans)
        await self.store.set_meta("dirty", "0")
        if missing or orphans:
            log.warning("repaired the index: %d vectors restored, %d orphans removed", len(missing), len(orphans))
        return {"restored": len(missing), "orphans": len(orphans)}

    async def rebuild(self) -> int:
        """Re-embed every doc with the configured model (the way to switch models). Returns texts encoded."""
        self._built_with = None  # with no backend set, a rebuild moves an older index to the default model
        if not self._injected:
            self._embedder = None
        await self.store.clear_vectors(self.embedder.name)
        await self.store.set_meta("dirty", "1")
        await asyncio.to_thread(self.vectors.drop)
        await self.store.set_meta("embed_model", self.embedder.name)
        await asyncio.to_thread(self.vectors.set_model, self.embedder.name)
        got = await self.store.docs_for_embedding()
        encoded = 0
        for i in range(0, len(got), WRITE_BATCH):
            part = got[i : i + WRITE_BATCH]
            vecs, n = await self._vectors_for([(h, t) for _, h, t, _ in part])
            encoded += n
            await asyncio.to_thread(
                self.vectors.upsert, [u for u, *_ in part], np.stack([vecs[h] for _, h, _, _ in part]),
                [m for *_, m in part],
            )
        await self.store.set_meta("dirty", "0")
        return encoded

    def model_advice(self, built: str | None) -> dict[str, str]:
        """When the index was built with another model than the one this install would choose (an
        index from before a change of default), name that model and the one command that moves to it.
        Nothing re-embeds unasked: until then, questions are embedded with the index's own model."""
        target = self.settings.embed_backend or DEFAULT_BACKEND
        if not built or backend_of(built) == target:
            return {}
        name = get_embedder(target, self.settings.embed_model, self.settings.embed_batch_size).name
        return {"default_model": name, "rebuild_command": "execbot ingest --rebuild"}

    # -- stats --------------------------------------------------------------------------------

    async def stats(self, with_vectors: bool = True) -> IndexStats:
        s = self.store
        execs = await s.fetchall(
            "SELECT executive, COUNT(*) FROM docs WHERE kind = 'post' GROUP BY executive ORDER BY 2 DESC"
        )
        first = await s.scalar("SELECT MIN(published_at) FROM docs WHERE kind = 'post'")
        last = await s.scalar("SELECT MAX(published_at) FROM docs WHERE kind = 'post'")
        built = await self.built_with()
        advice = self.model_advice(built)
        return IndexStats(
            posts=await s.scalar("SELECT COUNT(*) FROM docs WHERE kind = 'post'"),
            digests=await s.scalar("SELECT COUNT(*) FROM digests"),
            chunks=await s.scalar("SELECT COUNT(*) FROM docs WHERE kind = 'digest'"),
            vectors=(await asyncio.to_thread(self.vectors.count)) if with_vectors else None,
            executives={str(k): int(n) for k, n in execs},
            first=from_epoch(first),
            last=from_epoch(last),
            embed_model=built,
            default_model=advice.get("default_model"),
            rebuild_command=advice.get("rebuild_command"),
        )


@dataclass
class _Pending:
    rows: list[DocRow]  # changed rows to write
    known: dict[str, np.ndarray]  # vectors found in the cache
    todo: dict[str, str]  # content_hash -> text, being encoded
    from_previous: set[str]  # hashes the previous batch is encoding
    encoding: asyncio.Future | None


class BatchWriter:
    """Writes batches of docs with encoding and writing overlapped: while batch i's vectors and rows
    are written (Chroma, SQLite), batch i+1 is encoded in a thread. The model is the slow part, so
    this keeps an ingest close to the speed of bare encoding.

    Rows are still committed only after their vectors are in Chroma, and the same text is encoded
    once even when two batches in flight both hold it.
    """

    def __init__(self, index: Index, progress: Callable[[int], None] | None = None) -> None:
        self.index = index
        self.progress = progress
        self.result = WriteResult()
        self._pending: _Pending | None = None
        self._recent: dict[str, np.ndarray] = {}  # vectors the last written batch encoded

    async def __aenter__(self) -> BatchWriter:
        await self.index._ensure_model()
        return self

    async def __aexit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is None:
            await self.flush()
        elif self._pending and self._pending.encoding:
            self._pending.encoding.cancel()

    async def add(self, docs: Sequence[Doc]) -> None:
        ix, store = self.index, self.index.store
        rows = ix._prepare(docs)
        existing = await store.existing_states([r.uid for r in rows])
        prev = self._pending
        in_flight: dict[str, Doc] = {}
        if prev:  # rows of the batch in flight are not committed yet: count them as stored
            here = {r.uid for r in rows}
            in_flight = {r.uid: r.doc for r in prev.rows if r.uid in here}
            existing.update({r.uid: StoredState(r.row_hash, "", r.doc.truncated) for r in prev.rows if r.uid in here})
        rows = await self._merge_with_stored(rows, existing, in_flight)
        changed = [r for r in rows if r.uid not in existing or existing[r.uid].row_hash != r.row_hash]
        self.result.unchanged += len(rows) - len(changed)
        self.result.added += sum(1 for r in changed if r.uid not in existing)
        self.result.updated += sum(1 for r in changed if r.uid in existing)
        hashes = list(dict.fromkeys(r.content_hash for r in changed))
        cached = await store.cached_vectors(hashes, ix.embedder.name)
        known = {h: _vec_from(b) for h, b in cached.items()}
        from_previous = {h for h in hashes if h not in known and prev and h in prev.todo}
        todo: dict[str, str] = {}
        for r in changed:
            h = r.content_hash
            if h not in known and h not in from_previous and h not in todo:
                todo[h] = embed_text(r.doc.text, r.doc.title, r.doc.kind)
        encoding = (asyncio.ensure_future(asyncio.to_thread(ix.embedder.embed_passages, list(todo.values())))
                    if todo else None)
        await self.flush()  # write batch i while batch i+1 encodes
        self._pending = _Pending(changed, known, todo, from_previous, encoding)
        if self.progress:
            self.progress(len(rows))

    async def _merge_with_stored(
        self, rows: list[DocRow], existing: dict[str, StoredState], in_flight: dict[str, Doc]
    ) -> list[DocRow]:
        """A feed copy (partial) or a cut one (truncated) of a stored post, or any copy of a stored cut post,
        is merged with the stored copy (merge_copies); other copies replace it whole."""
        def needs(r: DocRow) -> bool:
            return r.uid in existing and (r.doc.partial or r.doc.truncated or existing[r.uid].truncated)

        wanted = [r.uid for r in rows if needs(r)]
        if not wanted:
            return rows
        stored = dict(in_flight)
        stored.update(await self.index.store.stored_docs([u for u in wanted if u not in in_flight]))
        return [_doc_row(r.uid, merge_copies(r.doc, stored[r.uid])) if r.uid in stored and needs(r) else r
                for r in rows]

    async def flush(self) -> None:
        p, self._pending = self._pending, None
        if p is None:
            return
        store, model = self.index.store, self.index.embedder.name
        vecs = dict(p.known)
        vecs.update({h: self._recent[h] for h in p.from_previous})
        new: dict[str, np.ndarray] = {}
        if p.encoding is not None:
            new = dict(zip(p.todo, await p.encoding, strict=True))
            await store.cache_vectors(((h, _vec_bytes(v)) for h, v in new.items()), model)
            await store.conn.commit()
            self.result.embedded += len(new)
            vecs.update(new)
        self._recent = new
        await self.index._write_rows(p.rows, vecs)
