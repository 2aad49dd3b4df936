"""Keyword ranking: SQLite FTS5 over words and CJK bigrams, ranked by bm25, with the same filters as vectors.

Also the keyword relevance gate: a hit counts when the query terms it holds carry enough of the
query's IDF weight.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from retrieval.search.crosslang import Expansion, Lexicon, candidates, select
from retrieval.search.segment import ZH_STOPWORDS, parts, trim_stopwords
from retrieval.store.sqlite import Store, doc_where
from retrieval.store.text import fts_match, is_cjk, tokens


@dataclass
class KeywordHit:
    uid: str
    bm25: float  # lower is better (SQLite's convention)
    matched: frozenset[str]  # the query terms the doc holds, itself or through a translation
    # Terms matched only through a translation, with its confidence (a term not here counts fully).
    confidence: dict[str, float] = field(default_factory=dict)


# On an index this large, a question's keyword side is held to about POSTING_BUDGET postings scored
# (bm25 costs about 1 us a posting, and at 100,000 posts one common word has 10,000 to 50,000 of
# them): see `_budgeted`. A smaller index is always ranked whole, exactly.
LARGE_INDEX = 20_000
POSTING_BUDGET = 2_000


def phrase(term: str) -> tuple[str, ...]:
    """A search term as the index tokens it must match in a row: 读书笔记 -> (读书, 书笔, 笔记)."""
    return tuple(tokens(term))


async def keyword_search(
    store: Store, terms: list[str], *, k: int = 50, executive: str | None = None,
    since: int | None = None, until: int | None = None, kind: str | None = None,
    expansions: Sequence[Expansion] = (), budget: bool = False,
    known: dict[str, int | None] | None = None, n_docs: int | None = None,
) -> list[KeywordHit]:
    """bm25 ranking. Each term (a word; a Chinese word is the phrase of its bigrams) and each
    translation from `expand` is matched as a phrase. With `budget` (the search path) a large index
    scores a bounded number of postings (see `_budgeted`); without, the ranking is always exact.
    `known`: see document_frequencies; `n_docs`: see doc_count."""
    terms = [t for t in terms if phrase(t)]
    if not terms:
        return []
    wanted = set(terms)
    groups: dict[str, list[tuple[str, ...]]] = {t: [phrase(t)] for t in terms}
    for e in expansions:
        groups.setdefault(e.term, []).append(e.tokens)
    filters = (executive, since, until, kind)
    if budget:
        n = await doc_count(store, n_docs)
        if n >= LARGE_INDEX:
            return await _budgeted(store, groups, n, k, filters, wanted, expansions, known)
    every = fts_match(list(dict.fromkeys(" ".join(p) for g in groups.values() for p in g)))
    return await _ranked(store, every, k, filters, wanted, expansions)


Filters = tuple[str | None, int | None, int | None, str | None]  # executive, since, until, kind


async def _ranked(store: Store, match: str, k: int, filters: Filters, wanted: set[str],
                  expansions: Sequence[Expansion], newer_than: int = 0) -> list[KeywordHit]:
    """The k best rows for `match` by bm25; with `newer_than`, among rows of a higher id only (FTS5
    seeks past the older postings instead of scoring them)."""
    where, params = doc_where(*filters, table="d")
    needles = _needles(wanted, expansions)
    if not where:
        top = await _top_unfiltered(store, match, k, newer_than)
        if top is not None:
            return [_hit(uid, float(score), toks, needles) for uid, score, toks in top]
    rows = await store.fetchall(
        "SELECT d.uid, bm25(docs_fts), docs_fts.tokens FROM docs_fts JOIN docs d ON d.id = docs_fts.rowid "
        f"WHERE docs_fts MATCH ? AND docs_fts.rowid > ? AND {where} ORDER BY bm25(docs_fts) LIMIT ?",
        [match, newer_than, *params, k],
    )
    return [_hit(uid, float(score), toks, needles) for uid, score, toks in rows]


async def _top_unfiltered(store: Store, match: str, k: int, newer_than: int) -> list[tuple[str, float, str]] | None:
    """The query above without filters, ranked in FTS5 alone: the join to docs and the tokens are read
    for the k best rows instead of for every match (at 100,000 posts a question can match 58,000, and
    the join cost 15 of its 62 ms). Same rows in the same order; None when a ranked row has no docs
    row (the join would have skipped it), so that the caller runs the joined query instead."""
    # One statement (one trip to SQLite's thread): the LIMIT subquery is ranked first, then joined.
    rows = await store.fetchall(
        "SELECT d.uid, t.score, f.tokens FROM (SELECT rowid AS id, bm25(docs_fts) AS score FROM docs_fts "
        "WHERE docs_fts MATCH ? AND rowid > ? ORDER BY bm25(docs_fts) LIMIT ?) AS t "
        "LEFT JOIN docs d ON d.id = t.id LEFT JOIN docs_fts f ON f.rowid = t.id ORDER BY t.score, t.id",
        [match, newer_than, k],
    )
    if any(uid is None for uid, _, _ in rows):
        return None
    return [(uid, score, toks) for uid, score, toks in rows]


@dataclass(frozen=True)
class _Needles:
    """What _hit looks for in a row's tokens, spelled once per ranking instead of once per row."""

    terms: tuple[tuple[str, str], ...]  # (term, " its tokens ")
    translations: tuple[tuple[str, str, float], ...]  # (term, " tokens ", confidence)


def _needles(wanted: set[str], expansions: Sequence[Expansion]) -> _Needles:
    return _Needles(tuple((t, f" {' '.join(phrase(t))} ") for t in wanted),
                    tuple((e.term, f" {' '.join(e.tokens)} ", e.confidence) for e in expansions))


def _hit(uid: str, score: float, toks: str, needles: _Needles) -> KeywordHit:
    padded = f" {toks} "
    direct = {t for t, p in needles.terms if p in padded}
    conf: dict[str, float] = {}
    for term, p, c in needles.translations:
        if term not in direct and c > conf.get(term, 0.0) and p in padded:
            conf[term] = c
    return KeywordHit(uid, score, frozenset(direct | set(conf)), {t: c for t, c in conf.items() if c < 1.0})


async def expand(store: Store, lexicon: Lexicon, text: str, terms: Sequence[str],
                 known: dict[str, int | None] | None = None,
                 cands: list[Expansion] | None = None) -> list[Expansion]:
    """Translations of the question's terms (English <-> Chinese) that this index can match: a
    dictionary candidate survives only if its words occur in some doc (FTS5's vocabulary).
    `known`: see document_frequencies; `cands`: candidate_expansions(lexicon, text, terms), when the
    caller has them."""
    cands = candidate_expansions(lexicon, text, terms) if cands is None else cands
    if not cands:
        return []
    df = await document_frequencies(store, {t for e in cands for t in e.tokens}, known)
    return select(cands, df)


def candidate_expansions(lexicon: Lexicon, text: str, terms: Sequence[str]) -> list[Expansion]:
    """The dictionary's translations of `terms`, before the index has a say."""
    wanted = set(terms)
    # The Chinese terms themselves too: a term that back_off_unseen trimmed (美债 of 博主美债) is not a
    # word of the question's own segmentation.
    text = " ".join([text, *(t for t in terms if is_cjk(t[0]))])
    return [e for e in candidates(lexicon, text) if e.term in wanted and e.tokens != (e.term,)]


async def prefetch_frequencies(store: Store, terms: Sequence[str], cands: Sequence[Expansion],
                               known: dict[str, int | None], extra: Iterable[str] = ()) -> None:
    """Read in one query the document frequencies that back_off_unseen, expand, idf_weights and
    keyword_search will ask `known` for (the terms' tokens and their translations', and any `extra`
    tokens): each query is a trip to SQLite's thread, and separately they took three. A later miss is
    still read then."""
    toks = {tok for t in terms for tok in phrase(t)} | {tok for e in cands for tok in e.tokens} | set(extra)
    await document_frequencies(store, toks, known)


async def doc_count(store: Store, n_docs: int | None = None) -> int:
    """About the number of docs (MAX(id): enough for IDF and for sizing), unless the caller read it."""
    if n_docs is not None:
        return n_docs
    return (await store.scalar("SELECT MAX(id) FROM docs")) or 0


# A post that holds one part of a compound the index lacks (设计 of 外观设计) holds this much of it:
# below the keyword gate, so that one part alone never answers a question about the compound.
PART_CONFIDENCE = 0.4


async def back_off_unseen(store: Store, terms: Sequence[str], known: dict[str, int | None] | None = None,
                          n_docs: int | None = None) -> tuple[list[str], list[Expansion]]:
    """Chinese terms that no doc holds, made searchable: (terms, expansions for their parts).

    A term with framing words at its ends (博主美债, glued by jieba) becomes what is left (美债) when
    the index has that. A compound the index lacks (外观设计) stays a term, and each of its parts that
    the index has (外观, 设计) counts for it as a translation would: at PART_CONFIDENCE times the
    part's IDF over the compound's, so that a common part (中国 of 中国菜) counts for little. A term
    that is only framing once trimmed (博主对) is dropped.
    """
    long_cjk = [t for t in terms if len(t) >= 3 and is_cjk(t[0])]
    if not long_cjk:
        return list(terms), []
    df = await term_frequencies(store, long_cjk, known)
    out: list[str] = []
    extra: list[Expansion] = []
    n = 0
    for t in terms:
        if t not in df or df[t] > 0:
            out.append(t)
            continue
        trimmed = trim_stopwords(t)
        if trimmed != t and trimmed in ZH_STOPWORDS:
            continue  # 博主对 is 博主 + 对: the account and a filler, no topic at all
        if trimmed != t and (await term_frequencies(store, [trimmed], known)).get(trimmed, 0) > 0:
            out.append(trimmed)
            continue
        out.append(t)
        subs = parts(t)
        seen = await term_frequencies(store, subs, known) if subs else {}
        n = n or await doc_count(store, n_docs) or 1
        idf = _idf([t, *subs], seen, n, 1.0)  # t is in no doc: the highest IDF there is
        # A common part says little of the compound: 中国 of 中国菜 counts less than 自行车 of 电动自行车.
        extra += [Expansion(t, phrase(p), round(PART_CONFIDENCE * idf[p] / idf[t], 3), p)
                  for p in subs if seen.get(p, 0) > 0 and p in idf]
    return list(dict.fromkeys(out)), extra


async def back_off_untranslated(store: Store, terms: Sequence[str], cands: Sequence[Expansion],
                                expansions: Sequence[Expansion],
                                known: dict[str, int | None] | None = None) -> list[Expansion]:
    """Parts of the Chinese translations that the index lacks, for English terms left with none:
    "gratification" is 性满足 to the dictionary and 满足 in the posts. Each part the index holds
    counts for the term at PART_CONFIDENCE, scaled by how squarely its translation says the term:
    below the keyword gate alone, as a Chinese compound's parts are (back_off_unseen). Like those,
    they neither join the vector query nor make the term any commoner."""
    done = {e.term for e in expansions if is_cjk(e.tokens[0][0])}
    # A phrase's translation (超级碗 of "super bowl") stands for every word of it: its parts would
    # each count for all of them, so only a single word's translations back off.
    terms_of: dict[str, set[str]] = {}
    for e in cands:
        terms_of.setdefault(e.text, set()).add(e.term)
    lost: dict[str, dict[str, float]] = {}  # term -> {absent translation: score}
    for e in cands:
        if (e.term in terms and e.term not in done and not is_cjk(e.term[0]) and is_cjk(e.text[0])
                and len(terms_of[e.text]) == 1):
            scores = lost.setdefault(e.term, {})
            scores[e.text] = max(e.confidence, scores.get(e.text, 0.0))
    if not lost:
        return []
    subs = {zh: parts(zh) for ts in lost.values() for zh in ts}
    seen = await term_frequencies(store, sorted({p for ps in subs.values() for p in ps}), known)
    out: dict[tuple[str, str], Expansion] = {}
    for term, translations in lost.items():
        best = max(translations.values())
        for zh, score in translations.items():
            c = round(PART_CONFIDENCE * score / best, 3)
            for p in subs[zh]:
                if seen.get(p, 0) > 0 and c > (out[(term, p)].confidence if (term, p) in out else 0.0):
                    out[(term, p)] = Expansion(term, phrase(p), c, p)
    return list(out.values())


async def document_frequencies(store: Store, terms: Iterable[str],
                               known: dict[str, int | None] | None = None) -> dict[str, int]:
    """Documents holding each token, for the tokens the index has. `known` is one question's cache
    (token -> count, None = absent): FTS5 counts a token by walking its whole posting list, so at
    100,000 posts reading a common one again costs milliseconds; expand and idf_weights share it."""
    terms = list(terms)
    todo = terms if known is None else [t for t in dict.fromkeys(terms) if t not in known]
    out: dict[str, int] = {}
    for i in range(0, len(todo), 900):  # SQLite's bound-parameter limit
        chunk = todo[i : i + 900]
        rows = await store.fetchall(
            f"SELECT term, doc FROM docs_fts_vocab WHERE term IN ({','.join('?' * len(chunk))})", chunk)
        out.update((str(term), int(doc)) for term, doc in rows)
    if known is None:
        return out
    known.update({t: out.get(t) for t in todo})
    return {t: n for t in terms if (n := known[t]) is not None}


async def _budgeted(store: Store, groups: dict[str, list[tuple[str, ...]]], n: int, k: int, filters: Filters,
                    wanted: set[str], expansions: Sequence[Expansion],
                    known: dict[str, int | None] | None) -> list[KeywordHit]:
    """keyword_search on a large index, scoring about POSTING_BUDGET postings instead of every one.
    Three rankings, merged by bm25:

    - the rarest phrases (terms or translations), as many as the budget holds, over the whole index:
      the rows that a rare word makes relevant are found wherever they are;
    - every term together (each term's phrases ORed, the terms ANDed), over the whole index: FTS5
      intersects posting lists by seeking, so it is cheap however common the terms;
    - every phrase ORed, over the newest rows (the highest ids: the last ingested) whose postings
      fit the budget, widened until it has k rows or covers the index.

    What it gives up: an older row that holds only some of the terms, and only common ones, is not a
    keyword candidate (the vector side still ranks it).
    """
    # A phrase is in at most as many rows as its rarest token (an upper bound, as in term_frequencies).
    df = await document_frequencies(store, {t for g in groups.values() for p in g for t in p}, known)
    count = {" ".join(p): min(df.get(t, 0) for t in p) for g in groups.values() for p in g}
    count = {p: c for p, c in count.items() if c}  # a phrase in no row matches nothing
    if not count:
        return []
    every = fts_match(list(count))
    postings = sum(count.values())
    if postings <= POSTING_BUDGET:
        return await _ranked(store, every, k, filters, wanted, expansions)
    rare, spent = [], 0
    for p in sorted(count, key=count.__getitem__):
        if spent + count[p] > POSTING_BUDGET:
            break
        rare.append(p)
        spent += count[p]
    found = await _ranked(store, fts_match(rare), k, filters, wanted, expansions) if rare else []
    present = [[q for q in (" ".join(p) for p in g) if q in count] for g in groups.values()]
    if len(present) >= 2 and all(present):
        together = " AND ".join(f"({fts_match(g)})" for g in present)
        found += await _ranked(store, together, k, filters, wanted, expansions)
    window = max(k, n * POSTING_BUDGET // postings)
    while True:
        newest = await _ranked(store, every, k, filters, wanted, expansions, newer_than=max(0, n - window))
        if len(newest) >= k or window >= n:
            break
        window *= 8
    best: dict[str, KeywordHit] = {}
    for h in found + newest:
        if h.uid not in best or h.bm25 < best[h.uid].bm25:
            best[h.uid] = h
    return sorted(best.values(), key=lambda h: h.bm25)[:k]


async def term_frequencies(store: Store, terms: Sequence[str],
                           known: dict[str, int | None] | None = None) -> dict[str, int]:
    """Documents holding each term, from FTS5's vocabulary (no scan of the documents). A word of
    several bigrams gets its rarest bigram's count: an upper bound, exact for most words."""
    phrases = {t: phrase(t) for t in terms}
    df = await document_frequencies(store, {tok for p in phrases.values() for tok in p}, known)
    return {t: min(df.get(tok, 0) for tok in p) for t, p in phrases.items() if p}


async def term_weights(store: Store, terms: Sequence[str], unseen_bigram_weight: float = 0.0) -> dict[str, float]:
    """IDF of each query term.

    A Chinese term that occurs in no document keeps only `unseen_bigram_weight` of its IDF: before
    questions were cut into words, such terms were mostly bigrams straddling two words; a word
    nobody used may still be a name the tokenizer split oddly. Which way to lean is set per backend.
    An English word nobody used keeps its weight: it is a real topic that no post covers.
    """
    if not terms:
        return {}
    df = await term_frequencies(store, terms)
    # MAX(id) ~ the number of docs; enough for IDF.
    return _idf(list(df), df, await doc_count(store) or 1, unseen_bigram_weight)


def _idf(terms: Sequence[str], df: dict[str, int], n: int, unseen_bigram_weight: float) -> dict[str, float]:
    out = {}
    for t in terms:
        d = df.get(t, 0)
        w = math.log(1 + (n - d + 0.5) / (d + 0.5))
        out[t] = w * unseen_bigram_weight if d == 0 and is_cjk(t[0]) else w
    return {t: w for t, w in out.items() if w > 0}


async def idf_weights(store: Store, terms: Sequence[str], expansions: Sequence[Expansion] = (),
                      known: dict[str, int | None] | None = None,
                      n_docs: int | None = None) -> tuple[dict[str, float], frozenset[str]]:
    """(IDF of each term, the Chinese terms among them that occur in no document). How much an
    unseen term still weighs is a cut-off (`Cutoffs.unseen_bigram`), applied by `gate_weights`.

    A term is as rare as the commonest way the index can match it: "should" in a Chinese index is
    as common as 应该, and "options" as rare as 期权. Without that, every English word that a
    Chinese index lacks would weigh the most, and the gate would count words instead of topics.
    """
    if not terms:
        return {}, frozenset()
    df = await term_frequencies(store, terms, known)
    if expansions:
        tdf = await document_frequencies(store, {t for e in expansions for t in e.tokens}, known)
        for e in expansions:
            if e.term in df:
                df[e.term] = max(df[e.term], min(tdf.get(t, 0) for t in e.tokens))
    raw = _idf(list(df), df, await doc_count(store, n_docs) or 1, unseen_bigram_weight=1.0)
    return raw, frozenset(t for t in raw if df.get(t, 0) == 0 and is_cjk(t[0]))


def gate_weights(weights: dict[str, float], unseen: frozenset[str], unseen_bigram: float) -> dict[str, float]:
    return {t: w * unseen_bigram if t in unseen else w for t, w in weights.items()}


# A post that holds one word of a pair the question writes together and no post does (电动 + 自行车 of
# 电动自行车) holds that word at this much: a bicycle post is not about electric bicycles.
LONE_PART = 0.8


async def joined_pairs(store: Store, text: str, terms: Sequence[str],
                       df: dict[str, int | None]) -> list[tuple[str, str]]:
    """Adjacent Chinese terms of the question (电动 自行车) that the index holds apart but never
    together: the question is about their compound. `df` must hold the tokens of each joined pair
    (see pair_tokens); a pair that may occur is looked up as a phrase."""
    out = []
    for a, b in _chinese_neighbours(terms):
        if a + b not in text:
            continue
        if any((df.get(t) or 0) == 0 for t in (*phrase(a), *phrase(b))):
            continue
        if min((df.get(t) or 0) for t in phrase(a + b)) > 0 and await store.scalar(
                "SELECT 1 FROM docs_fts WHERE docs_fts MATCH ? LIMIT 1", [fts_match([" ".join(phrase(a + b))])]):
            continue
        out.append((a, b))
    return out


def pair_tokens(terms: Sequence[str]) -> list[str]:
    """The index tokens of every adjacent pair of Chinese terms run together, for joined_pairs."""
    return [t for a, b in _chinese_neighbours(terms) for t in phrase(a + b)]


def _chinese_neighbours(terms: Sequence[str]) -> list[tuple[str, str]]:
    return [(a, b) for a, b in zip(terms, terms[1:], strict=False) if is_cjk(a[0]) and is_cjk(b[0])]


def keyword_relevance(hit: KeywordHit, weights: dict[str, float],
                      pairs: Sequence[tuple[str, str]] = ()) -> float:
    """Share of the query's IDF weight that the hit's matched terms carry (0..1). A term of a
    joined pair counts LONE_PART when the hit lacks its partner."""
    total = sum(weights.values())
    if not total:
        return 0.0
    lone = {t for a, b in pairs for t, o in ((a, b), (b, a)) if t in hit.matched and o not in hit.matched}
    return sum(weights.get(t, 0.0) * hit.confidence.get(t, 1.0) * (LONE_PART if t in lone else 1.0)
               for t in hit.matched) / total
