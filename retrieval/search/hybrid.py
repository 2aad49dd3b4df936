"""The hybrid search: `hybrid_search` collects both rankings (I/O), then gates and fuses them (pure).

The split lets the eval collect each question's rankings once and replay every cut-off of its
sweep through the very function the engine uses, instead of re-implementing it.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from retrieval.models import Hit
from retrieval.search.crosslang import Expansion, Lexicon, absent, named
from retrieval.search.dedupe import fold_duplicates, shingles
from retrieval.search.fusion import rrf
from retrieval.search.keyword_rank import (
    KeywordHit,
    back_off_unseen,
    back_off_untranslated,
    candidate_expansions,
    doc_count,
    expand,
    gate_weights,
    idf_weights,
    joined_pairs,
    keyword_relevance,
    keyword_search,
    pair_tokens,
    prefetch_frequencies,
)
from retrieval.store.embedding import Cutoffs
from retrieval.store.sqlite import HIT_COLUMNS, Store, row_to_hit, to_epoch
from retrieval.store.text import is_content_free, language
from retrieval.store.vectors import vector_where

CANDIDATES = 50  # per ranking, before fusion
MODES = ("keyword", "vector", "hybrid")


@dataclass
class Rankings:
    """Both rankings of one question, before any cut-off."""

    language: str  # the question's: "en" or "zh"
    keyword: list[KeywordHit] = field(default_factory=list)  # bm25 order
    vector: list[tuple[str, float]] = field(default_factory=list)  # (uid, cosine), best first
    rows: dict[str, Hit] = field(default_factory=dict)  # candidates worth showing (content-free ones dropped)
    described: dict[str, str] = field(default_factory=dict)  # digest section uid -> uid of the post it describes
    weights: dict[str, float] = field(default_factory=dict)  # IDF of each question term
    unseen: frozenset[str] = frozenset()  # Chinese bigrams of the question that no doc holds
    expansions: list[Expansion] = field(default_factory=list)  # the translations the keyword side matched
    absent: list[str] = field(default_factory=list)  # glossary names the question asks about and no doc holds
    pairs: list[tuple[str, str]] = field(default_factory=list)  # adjacent terms no doc holds together
    _shingles: dict[str, set[str]] = field(default_factory=dict, repr=False)
    _fused: dict[tuple, list[Hit]] = field(default_factory=dict, repr=False)
    _lang: dict[str, str] = field(default_factory=dict, repr=False)

    def keyword_shares(self, cutoffs: Cutoffs) -> dict[str, float]:
        """uid -> the share of the question's weight that the keyword hit holds."""
        w = gate_weights(self.weights, self.unseen, cutoffs.unseen_bigram)
        return {h.uid: keyword_relevance(h, w, self.pairs) for h in self.keyword if h.uid in self.rows}

    def keyword_passing(self, cutoffs: Cutoffs) -> list[str]:
        if self.absent:  # about a name that no post holds: whatever else matches is about something else
            return []
        shares = self.keyword_shares(cutoffs)
        return [h.uid for h in self.keyword if shares.get(h.uid, 0.0) >= cutoffs.keyword]

    def vector_passing(self, cutoffs: Cutoffs) -> list[str]:
        """Vector hits over their pair's cut-off, or near it when the keyword side agrees."""
        if self.absent:
            return []
        shares = self.keyword_shares(cutoffs) if cutoffs.joint_keyword <= 1.0 else {}
        out = []
        for u, s in self.vector:
            if u not in self.rows:
                continue
            cut = cutoffs.similarity(self.language, self.post_language(u))
            if s >= cut or (shares.get(u, 0.0) >= cutoffs.joint_keyword and s >= cut - cutoffs.joint_margin):
                out.append(u)
        return out

    def post_language(self, uid: str) -> str:
        if uid not in self._lang:
            self._lang[uid] = language(self.rows[uid].text[:2000])
        return self._lang[uid]

    def shingles_of(self, hit: Hit) -> set[str]:
        if hit.uid not in self._shingles:
            self._shingles[hit.uid] = shingles(hit.text)
        return self._shingles[hit.uid]


@dataclass
class Searched:
    """A hybrid search's results at the given cut-offs, and the rankings they came from (the eval
    replays other cut-offs through `fuse` with them)."""

    hits: list[Hit]
    rankings: Rankings


async def hybrid_search(
    store: Store, *, text: str, terms: list[str], language_: str, embed: Callable[[str], np.ndarray],
    vector_query: Callable[[np.ndarray, int, dict | None], list[tuple[str, float]]],
    lexicon: Lexicon | None, executive: str | None, since: datetime | None, until: datetime | None,
    tz: ZoneInfo, cutoffs: Cutoffs, k: int, mode: str = "hybrid",
) -> Searched:
    """The hybrid search of one question: both rankings with the same filters (`collect`), then the
    cut-offs applied and the rankings fused (`fuse`)."""
    r = await collect(
        store, text=text, terms=terms, language_=language_, embed=embed, vector_query=vector_query,
        lexicon=lexicon, executive=executive, since=since, until=until, tz=tz,
        where=vector_where(executive, to_epoch(since), to_epoch(until)),
    )
    return Searched(hits=fuse(r, cutoffs, k, mode), rankings=r)


async def collect(
    store: Store, *, text: str, terms: list[str], language_: str, embed: Callable[[str], np.ndarray],
    vector_query: Callable[[np.ndarray, int, dict | None], list[tuple[str, float]]],
    lexicon: Lexicon | None, executive: str | None, since: datetime | None,
    until: datetime | None, tz: ZoneInfo, where: dict | None,
) -> Rankings:
    """Run the keyword ranking (SQLite, in aiosqlite's thread) and the vector ranking (the model and
    Chroma, in another thread) at once, with the same filters; then read every candidate's row."""
    lo, hi = to_epoch(since), to_epoch(until)
    df: dict[str, int | None] = {}  # FTS5 token counts read for this question, shared by every step
    n = await doc_count(store)
    cands = candidate_expansions(lexicon, text, terms) if lexicon is not None else []
    names = named(lexicon, text) if lexicon is not None else []
    await prefetch_frequencies(store, terms, cands, df,
                               extra=[*(t for e in names for sp in e for t in sp), *pair_tokens(terms)])
    missing = absent(names, df)
    backed, part_of = await back_off_unseen(store, terms, df, n)
    if lexicon is not None and backed != terms:  # a trimmed term (美债 of 博主美债) has translations of its own
        cands = candidate_expansions(lexicon, text, backed)
    terms = backed
    expansions = await expand(store, lexicon, text, terms, df, cands) if lexicon is not None else []
    # An English question's Chinese translations go into the vector query too: the multilingual
    # model scores it against Chinese posts better that way (+0.11 hit@5 English -> Chinese on the
    # eval's test split). A Chinese question is left alone: English words dilute it (-0.09 Chinese ->
    # Chinese), and Chinese posts are our users' main case.
    query_text = with_translations(text, expansions) if language_ == "en" else text

    def vector_side() -> list[tuple[str, float]]:
        return vector_query(embed(query_text), CANDIDATES, where)

    vectors = asyncio.ensure_future(asyncio.to_thread(vector_side))
    try:
        # A compound's parts are not translations: they neither join the vector query nor make the
        # compound as common as its commonest part (电动汽车 stays as rare as the index says).
        weights, unseen = await idf_weights(store, terms, expansions, df, n)
        part_of += await back_off_untranslated(store, terms, cands, expansions, df)
        expansions = expansions + part_of
        kw = await keyword_search(store, terms, k=CANDIDATES, executive=executive, since=lo, until=hi,
                                  expansions=expansions, budget=True, known=df, n_docs=n)
    except BaseException:
        vectors.cancel()  # don't leave the vector ranking's outcome unobserved
        raise
    vec = await vectors
    r = Rankings(language_, kw, vec, weights=weights, unseen=unseen, expansions=expansions, absent=missing,
                 pairs=await joined_pairs(store, text, terms, df))
    rows = await fetch_rows(store, list(dict.fromkeys([h.uid for h in kw] + [u for u, _ in vec])))
    # A vector whose row is gone (an orphan awaiting repair) is never shown; nor is a post with no
    # words of its own (转发微博, a bare link), whatever its score.
    r.rows = {u: h for u, h in rows.items() if not is_content_free(h.text)}
    r.described = await described_posts(store, [h for h in r.rows.values() if h.kind == "digest"], tz, lo, hi)
    missing = [p for p in r.described.values() if p not in r.rows]
    r.rows.update(await fetch_rows(store, missing))
    return r


def with_translations(text: str, expansions: Sequence[Expansion]) -> str:
    """The question followed by the surest translation of each term it has one for."""
    best: dict[str, Expansion] = {}
    for e in expansions:
        if e.term not in best or e.confidence > best[e.term].confidence:
            best[e.term] = e
    extra = [e.text for e in best.values()]
    return " ".join([text, *dict.fromkeys(extra)]) if extra else text


def fuse(r: Rankings, cutoffs: Cutoffs, k: int, mode: str = "hybrid") -> list[Hit]:
    """Gate, fuse and fold: the results for one set of cut-offs. Pure: the eval calls it per cut-off.

    A keyword hit counts when it holds enough of the question's IDF weight; a vector hit when its
    cosine passes the cut-off for its language pair (question x post), or comes close to it while
    the keyword side holds part of the question (`Cutoffs.joint_*`). Hybrid = RRF of both full
    rankings, keeping hits that pass either gate. A digest section is followed by the post it
    describes, when that post did not make the list by itself.
    """
    kw = r.keyword_passing(cutoffs)
    vec = r.vector_passing(cutoffs)
    # Many cut-offs let the same hits through: the eval's sweep asks for each one.
    key = (mode, k, tuple(kw) if mode == "keyword" else frozenset(vec) if mode == "vector" else frozenset(kw + vec))
    if key not in r._fused:
        r._fused[key] = _order_and_fold(r, kw, vec, k, mode)
    return [replace(h, folded=list(h.folded)) for h in r._fused[key]]


def _order_and_fold(r: Rankings, kw: list[str], vec: list[str], k: int, mode: str) -> list[Hit]:
    if mode == "keyword":
        order = [(u, 1.0 / (1 + i)) for i, u in enumerate(kw)]
    elif mode == "vector":
        order = [(u, s) for u, s in r.vector if u in set(vec)]
    else:
        keep = set(kw) | set(vec)
        order = [(u, s) for u, s in rrf([[h.uid for h in r.keyword], [u for u, _ in r.vector]]) if u in keep]
    hits: list[Hit] = []
    seen: set[str] = set()
    for u, score in order:
        for uid, sc in ((u, score), (r.described.get(u), score)):
            if uid and uid not in seen and uid in r.rows:
                seen.add(uid)
                hits.append(replace(r.rows[uid], score=sc, folded=[]))
    return fold_duplicates(hits, limit=k, shingles_of=r.shingles_of)


async def fetch_rows(store: Store, uids: Sequence[str]) -> dict[str, Hit]:
    out: dict[str, Hit] = {}
    for i in range(0, len(uids), 900):
        chunk = list(uids[i : i + 900])
        got = await store.fetchall(f"SELECT {HIT_COLUMNS} FROM docs WHERE uid IN ({','.join('?' * len(chunk))})",
                                   chunk)
        out.update({row[0]: row_to_hit(row) for row in got})
    return out


# A digest's top-posts section names the post's day and its figures ("**Date:** June 1, 2025",
# "280,000+ Likes"): enough to find the post itself.
_DATE = re.compile(r"Date:?\**:?\s*([A-Z][a-z]+ \d{1,2}, \d{4})")
_LIKES = re.compile(r"([\d,.]+)\s*(万|k|K|M)?\+?\s*Likes", re.I)
_SCALE = {"万": 10_000, "k": 1_000, "m": 1_000_000}


async def described_posts(store: Store, sections: Sequence[Hit], tz: ZoneInfo, since: int | None = None,
                          until: int | None = None) -> dict[str, str]:
    """digest section uid -> uid of the post it describes: same executive, same day, likes within 10%,
    and inside the question's period like every other result."""
    out: dict[str, str] = {}
    for h in sections:
        d, likes = _DATE.search(h.text), _LIKES.search(h.text)
        if not d or not likes:
            continue
        try:
            day = datetime.strptime(d.group(1), "%B %d, %Y").replace(tzinfo=tz)
            n = float(likes.group(1).replace(",", "")) * _SCALE.get((likes.group(2) or "").lower(), 1)
        except ValueError:
            continue
        uid = await store.scalar(
            "SELECT uid FROM docs WHERE kind = 'post' AND executive = ? AND published_at >= ? AND published_at < ? "
            "AND published_at >= ? AND published_at < ? AND likes >= ? AND likes <= ? ORDER BY ABS(likes - ?) LIMIT 1",
            [h.author, to_epoch(day), to_epoch(day + timedelta(days=1)), since or 0, until or 2**62,
             int(n * 0.95), int(n * 1.1), int(n)],
        )
        if uid:
            out[h.uid] = uid
    return out
