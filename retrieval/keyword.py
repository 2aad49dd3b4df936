"""Keyword ranking: SQLite FTS5 over words and CJK bigrams, ranked by bm25, with the same filters as vectors.

Also the keyword relevance gate: a hit counts when the query terms it holds carry enough of the
query's IDF weight.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from retrieval.crosslang import Expansion, Lexicon, candidates, select
from retrieval.store import Store
from retrieval.text import fts_match, is_cjk


@dataclass
class KeywordHit:
    uid: str
    bm25: float  # lower is better (SQLite's convention)
    matched: frozenset[str]  # the query terms the doc holds, itself or through a translation
    # Terms matched only through a translation, with its confidence (a term not here counts fully).
    confidence: dict[str, float] = field(default_factory=dict)


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


# On a large index, terms in more than this share of the docs are left out of the MATCH: their bm25
# contribution is near zero but their posting lists are the longest to score. They still count in
# the relevance gate (`matched` is computed against every query term).
COMMON_SHARE = 0.2
LARGE_INDEX = 20_000


async def keyword_search(
    store: Store, terms: list[str], *, k: int = 50, executive: str | None = None,
    since: int | None = None, until: int | None = None, kind: str | None = None,
    weights: dict[str, float] | None = None, expansions: Sequence[Expansion] = (),
) -> list[KeywordHit]:
    """bm25 ranking. With `weights` (from term_weights) a large index skips its most common terms.
    `expansions` (from `expand`) are translations matched as phrases beside the terms themselves."""
    if not terms:
        return []
    wanted = set(terms)
    if weights is not None:
        terms = await _selective(store, terms, weights)
    phrases = [" ".join(e.tokens) for e in expansions]
    where, params = _where(executive, since, until, kind)
    rows = await store.fetchall(
        "SELECT d.uid, bm25(docs_fts), docs_fts.tokens FROM docs_fts JOIN docs d ON d.id = docs_fts.rowid "
        f"WHERE docs_fts MATCH ?{where} ORDER BY bm25(docs_fts) LIMIT ?",
        [fts_match(list(dict.fromkeys([*terms, *phrases]))), *params, k],
    )
    return [_hit(uid, float(score), toks, wanted, expansions) for uid, score, toks in rows]


def _hit(uid: str, score: float, toks: str, wanted: set[str], expansions: Sequence[Expansion]) -> KeywordHit:
    held = set(toks.split())
    direct = wanted & held
    conf: dict[str, float] = {}
    if expansions:
        padded = f" {toks} "
        for e in expansions:
            if e.term not in direct and e.confidence > conf.get(e.term, 0.0) and f" {' '.join(e.tokens)} " in padded:
                conf[e.term] = e.confidence
    return KeywordHit(uid, score, frozenset(direct | set(conf)), {t: c for t, c in conf.items() if c < 1.0})


async def expand(store: Store, lexicon: Lexicon, text: str, terms: Sequence[str]) -> list[Expansion]:
    """Translations of the question's terms (English <-> Chinese) that this index can match: a
    dictionary candidate survives only if its words occur in some doc (FTS5's vocabulary)."""
    wanted = set(terms)
    cands = [e for e in candidates(lexicon, text) if e.term in wanted and e.tokens != (e.term,)]
    if not cands:
        return []
    df = await document_frequencies(store, {t for e in cands for t in e.tokens})
    return select(cands, df)


async def document_frequencies(store: Store, terms: Iterable[str]) -> dict[str, int]:
    terms = list(terms)
    out: dict[str, int] = {}
    for i in range(0, len(terms), 900):  # SQLite's bound-parameter limit
        chunk = terms[i : i + 900]
        out.update(await store.fetchall(
            f"SELECT term, doc FROM docs_fts_vocab WHERE term IN ({','.join('?' * len(chunk))})", chunk))
    return out


async def _selective(store: Store, terms: list[str], weights: dict[str, float]) -> list[str]:
    n = (await store.scalar("SELECT MAX(id) FROM docs")) or 0
    if n < LARGE_INDEX:
        return terms
    # IDF of a term found in COMMON_SHARE of the docs (the formula of term_weights).
    floor = math.log(1 + (1 - COMMON_SHARE) / COMMON_SHARE)
    keep = [t for t in terms if weights.get(t, floor + 1) >= floor]
    return keep or [max(terms, key=lambda t: weights.get(t, 0.0))]  # all common: the rarest one


async def term_weights(store: Store, terms: Sequence[str], unseen_bigram_weight: float = 0.0) -> dict[str, float]:
    """IDF of each query term, from FTS5's own vocabulary (no scan of the documents).

    A Chinese bigram that occurs in no document keeps only `unseen_bigram_weight` of its IDF:
    bigrams that straddle two words (的外 in 小米YU7的外观) are artifacts of tokenising, not topics,
    but dropping them also lets a question about an unknown topic through on one common bigram.
    Which way to lean depends on how well the vectors cover Chinese, so it is set per backend.
    An English word nobody used keeps its weight: it is a real topic that no post covers.
    """
    if not terms:
        return {}
    df = await document_frequencies(store, terms)
    # MAX(id) ~ the number of docs; enough for IDF.
    return _idf(terms, df, (await store.scalar("SELECT MAX(id) FROM docs")) or 1, unseen_bigram_weight)


def _idf(terms: Sequence[str], df: dict[str, int], n: int, unseen_bigram_weight: float) -> dict[str, float]:
    out = {}
    for t in terms:
        d = df.get(t, 0)
        w = math.log(1 + (n - d + 0.5) / (d + 0.5))
        out[t] = w * unseen_bigram_weight if d == 0 and is_cjk(t[0]) else w
    return {t: w for t, w in out.items() if w > 0}


async def idf_weights(store: Store, terms: Sequence[str]) -> tuple[dict[str, float], frozenset[str]]:
    """(IDF of each term, the Chinese bigrams among them that occur in no document). How much an
    unseen bigram still weighs is a cut-off (`Cutoffs.unseen_bigram`), applied by `gate_weights`."""
    if not terms:
        return {}, frozenset()
    df = await document_frequencies(store, terms)
    raw = _idf(terms, df, (await store.scalar("SELECT MAX(id) FROM docs")) or 1, unseen_bigram_weight=1.0)
    return raw, frozenset(t for t in raw if df.get(t, 0) == 0 and is_cjk(t[0]))


def gate_weights(weights: dict[str, float], unseen: frozenset[str], unseen_bigram: float) -> dict[str, float]:
    return {t: w * unseen_bigram if t in unseen else w for t, w in weights.items()}


def keyword_relevance(hit: KeywordHit, weights: dict[str, float]) -> float:
    """Share of the query's IDF weight that the hit's matched terms carry (0..1)."""
    total = sum(weights.values())
    return sum(weights.get(t, 0.0) * hit.confidence.get(t, 1.0) for t in hit.matched) / total if total else 0.0
