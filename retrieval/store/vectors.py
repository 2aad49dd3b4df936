"""The Chroma vector store: embedded (PersistentClient) by default, a Chroma server when CHROMA_HOST is set."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from retrieval.errors import ExecbotError

log = logging.getLogger(__name__)

COLLECTION = "docs"
MAX_BATCH = 5000  # Chroma refuses more than 5,461 records in one add


class VectorStoreError(ExecbotError, RuntimeError):
    """The vector store cannot be reached or used; the message is meant for the user."""


class VectorStore:
    def __init__(self, path: Path, host: str = "", port: int = 8000) -> None:
        self.path, self.host, self.port = path, host, port
        self._client: Any = None
        self._col: Any = None

    @property
    def where(self) -> str:
        return f"Chroma server {self.host}:{self.port}" if self.host else f"embedded Chroma at {self.path}"

    def _connect(self) -> Any:
        import chromadb
        from chromadb.config import Settings

        settings = Settings(anonymized_telemetry=False)
        try:
            if self.host:
                return chromadb.HttpClient(host=self.host, port=self.port, settings=settings)
            self.path.mkdir(parents=True, exist_ok=True)
            return chromadb.PersistentClient(path=str(self.path), settings=settings)
        except Exception as exc:  # chromadb raises a variety of types for "can't connect"
            raise VectorStoreError(f"cannot open {self.where}: {exc}") from exc

    def collection(self) -> Any:
        if self._col is None:
            self._client = self._connect()
            try:
                # embedding_function=None: we always pass vectors, and Chroma must never fetch a model.
                self._col = self._client.get_or_create_collection(
                    COLLECTION, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
                )
            except Exception as exc:
                self._client = None
                raise VectorStoreError(f"cannot open the collection in {self.where}: {exc}") from exc
        return self._col

    def reset_connection(self) -> None:
        self._client = None
        self._col = None

    # An embedded reader opened while another process (an ingest) was writing can hold a view of the
    # HNSW segment from before its first flush to disk; every query then fails with this until the
    # process reopens the store. A reader that catches up on the write log while that process flushes
    # fails once with "Failed to apply logs to the hnsw segment writer" (seen in CI: `execbot stats`
    # during an ingest); reopened a moment later, it reads the flushed state.
    _STALE_VIEW = ("hnsw segment reader", "Nothing found on disk", "apply logs to the hnsw segment")

    def _reopen_embedded(self) -> None:
        """Drop this path's cached Chroma system so the next client reads the files afresh."""
        from chromadb.api.shared_system_client import SharedSystemClient

        SharedSystemClient._identifier_to_system.pop(str(self.path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(self.path), None)
        self.reset_connection()

    def _call(self, what: str, method: str, **kwargs: Any) -> Any:
        """Call a collection method; a user-facing VectorStoreError on failure."""
        for attempt in (1, 2):
            try:
                return getattr(self.collection(), method)(**kwargs)
            except VectorStoreError:
                raise
            except Exception as exc:
                if self.host:
                    # A server that went away: reconnect next time, tell the user now.
                    self.reset_connection()
                elif attempt == 1 and any(m in str(exc) for m in self._STALE_VIEW):
                    log.info("reopening %s after a stale read: %s", self.where, exc)
                    self._reopen_embedded()
                    time.sleep(0.2)  # let the writing process finish the flush it is in
                    continue
                raise VectorStoreError(f"{what} failed on {self.where}: {exc}") from exc
        raise AssertionError("unreachable")

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, metadatas: Sequence[dict]) -> None:
        for i in range(0, len(ids), MAX_BATCH):
            self._call(
                "vector upsert", "upsert",
                ids=list(ids[i : i + MAX_BATCH]),
                embeddings=vectors[i : i + MAX_BATCH],
                metadatas=list(metadatas[i : i + MAX_BATCH]),
            )

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            for i in range(0, len(ids), MAX_BATCH):
                self._call("vector delete", "delete", ids=list(ids[i : i + MAX_BATCH]))

    def count(self) -> int:
        return int(self._call("vector count", "count"))

    def all_ids(self) -> set[str]:
        out: set[str] = set()
        offset = 0
        while True:
            got = self._call("vector listing", "get", include=[], limit=10000, offset=offset)
            out.update(got["ids"])
            if len(got["ids"]) < 10000:
                return out
            offset += 10000

    def query(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[tuple[str, float]]:
        """(id, cosine similarity) best first."""
        res = self._call(
            "vector query", "query", query_embeddings=[vector], n_results=k, where=where or None,
            include=["distances"],
        )
        ids = res["ids"][0] if res["ids"] else []
        dists = res["distances"][0] if res.get("distances") else []
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=False)]

    def get_model(self) -> str | None:
        meta = self.collection().metadata or {}
        return meta.get("embed_model")

    def set_model(self, model: str) -> None:
        col = self.collection()
        meta = dict(col.metadata or {})
        if meta.get("embed_model") != model:
            meta["embed_model"] = model
            meta.pop("hnsw:space", None)  # immutable; set through configuration at creation
            self._call("collection update", "modify", metadata=meta)

    def drop(self) -> None:
        """Delete the whole collection (for --rebuild with another model)."""
        self.collection()
        try:
            self._client.delete_collection(COLLECTION)
        except Exception as exc:
            raise VectorStoreError(f"cannot drop the collection in {self.where}: {exc}") from exc
        self._col = None


def vector_where(executive: str | None = None, since: int | None = None, until: int | None = None,
                 kind: str | None = None) -> dict | None:
    """A Chroma `where` for the same filters the keyword search applies."""
    clauses: list[dict] = []
    if executive:
        clauses.append({"executive": executive})
    if kind:
        clauses.append({"kind": kind})
    if since is not None:
        clauses.append({"published_at": {"$gte": since}})
    if until is not None:
        clauses.append({"published_at": {"$lt": until}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
