"""Keyword ranking: SQLite FTS5 over words and CJK bigrams, ranked by bm25, with the same filters as vectors."""

from __future__ import annotations

from dataclasses import dataclass

from retrieval.store import Store
from retrieval.text import fts_match, tokens


@dataclass
class KeywordHit:
    uid: str
    bm25: float  # lower is better (SQLite's convention)
    coverage: float  # share of the query terms the doc holds


def _where(executive: str | None, since: int | None, until: int | None, kind: str | None) -> tuple[str, list]:
    sql, params = [], []
    if executive:
        sql.append("d.executive = ?")
        params.append(executive)
    if since is not None:
        sql.append("d.published_at >= ?")
        params.append(since)
    if until is not None:
        sql.append("d.published_at < ?")
        params.append(until)
    if kind:
        sql.append("d.kind = ?")
        params.append(kind)
    return "".join(f" AND {s}" for s in sql), params


async def keyword_search(
    store: Store, terms: list[str], *, k: int = 50, executive: str | None = None,
    since: int | None = None, until: int | None = None, kind: str | None = None,
) -> list[KeywordHit]:
    if not terms:
        return []
    where, params = _where(executive, since, until, kind)
    rows = await store.fetchall(
        "SELECT d.uid, bm25(docs_fts), d.title || ' ' || d.text FROM docs_fts JOIN docs d ON d.id = docs_fts.rowid "
        f"WHERE docs_fts MATCH ?{where} ORDER BY bm25(docs_fts) LIMIT ?",
        [fts_match(terms), *params, k],
    )
    wanted = set(terms)
    out = []
    for uid, score, text in rows:
        have = wanted & set(tokens(text))
        out.append(KeywordHit(uid, float(score), len(have) / len(wanted)))
    return out
