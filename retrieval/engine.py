"""The query engine: one object the CLI and the bot both call. Each step lives in its own module:
query parsing (query/), keyword and vector search, fusion, dedupe, answers, top, summary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from retrieval import messages
from retrieval.answer.extractive import build_answer
from retrieval.query.parse import ParsedQuery, named_as_topic, parse_query
from retrieval.query.timeparse import Period, parse_date, parse_period_arg
from retrieval.results import Answer, Filters, SearchResult, Summary, TopResult
from retrieval.search.crosslang import (
    DEFAULT_GLOSSARY,
    Lexicon,
    build_lexicon,
    executive_pairs,
    read_glossary,
)
from retrieval.search.hybrid import Searched, hybrid_search
from retrieval.search.segment import search_terms, teach
from retrieval.search.segment import warm_up as warm_segmenter
from retrieval.settings import RetrievalSettings, get_settings
from retrieval.store.embedding import PAIRS, Cutoffs, cutoffs_of
from retrieval.store.index import Index, IndexStats
from retrieval.store.registry import Registry
from retrieval.store.sqlite import Store, from_epoch, to_epoch
from retrieval.store.text import query_tokens


class Engine:
    def __init__(self, settings: RetrievalSettings | None = None, index: Index | None = None) -> None:
        self.settings = settings or (index.settings if index else get_settings())
        self.index = index or Index(self.settings)
        self._own_index = index is None
        self._registry: Registry | None = None
        self._authors: frozenset[str] = frozenset()  # executives with posts in this index
        self._lexicon: Lexicon | None = None
        self._segmenter_ready = False

    async def open(self) -> Engine:
        if self._own_index:
            await self.index.open()
        return self

    async def close(self) -> None:
        if self._own_index:
            await self.index.close()

    async def __aenter__(self) -> Engine:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def store(self) -> Store:
        return self.index.store

    async def registry(self, refresh: bool = False) -> Registry:
        """The registry file plus executives learned from data (re-read after an ingest)."""
        if self._registry is None or refresh:
            self._registry = Registry.load(self.settings.registry_path, extra=await self.store.executives())
            rows = await self.store.fetchall("SELECT DISTINCT executive FROM docs")
            self._authors = frozenset(str(r[0]) for r in rows if r[0])
        return self._registry

    async def names(self) -> dict[str, str]:
        return {k: ex.name for k, ex in (await self.registry()).executives.items()}

    def now(self, now: datetime | str | None = None) -> datetime:
        if isinstance(now, str):
            return parse_date(now, self.settings.tz)
        return now or self.settings.clock()

    def _bound(self, value: datetime | str | None, end: bool, now: datetime | str | None = None) -> datetime | None:
        if isinstance(value, str):
            return parse_date(value, self.settings.tz, end=end, now=self.now(now))
        return value

    # -- search -------------------------------------------------------------------------------

    async def parse(self, query: str, author: str | None = None, since: datetime | str | None = None,
                    until: datetime | str | None = None, now: datetime | str | None = None) -> ParsedQuery:
        reg = await self.registry()
        lo, hi = self._bound(since, False, now), self._bound(until, True, now)
        pq = parse_query(query, reg, self.now(now), self.settings.tz, executive=await self._author_key(author),
                         since=lo, until=hi)
        if (author is None and pq.executive and pq.executive not in self._authors
                and named_as_topic(query, reg, pq.executive)):
            # Asked about, and no post of theirs is indexed ("what did the blogger say about Musk's
            # DOGE?"): the name is part of the topic, not a filter that would leave nothing to search.
            pq = parse_query(query, reg.without(pq.executive), self.now(now), self.settings.tz, since=lo, until=hi)
        return pq

    async def search(self, query: str, k: int = 10, author: str | None = None, since: datetime | str | None = None,
                     until: datetime | str | None = None, now: datetime | str | None = None) -> SearchResult:
        pq = await self.parse(query, author, since, until, now)
        filters = self._filters(pq)
        found = await self.hybrid(pq, filters, k)
        if found is not None:
            hits = found.hits
            also = list(dict.fromkeys(e.text for e in found.rankings.expansions))
        elif filters.author or filters.since or filters.until:
            # Nothing topical to look for ("what did Lei Jun say last week?"): the period's most engaging posts.
            from retrieval.reports.top import top_posts

            hits, also = await top_posts(self.store, since=filters.since, until=filters.until,
                                         executive=filters.author, n=k), []
        else:
            hits, also = [], []  # nothing to look for and nothing to filter by
        notice = await self._empty_period_notice(filters) if not hits else ""
        return SearchResult(query=query, terms=pq.terms, filters=filters, hits=hits, notice=notice, also=also)

    def _filters(self, pq: ParsedQuery) -> Filters:
        p = pq.period
        return Filters(author=pq.executive, since=p.start if p else None, until=p.end if p else None,
                       label=p.label if p else "")

    async def hybrid(self, pq: ParsedQuery, f: Filters, k: int, cutoffs: Cutoffs | None = None,
                     mode: str = "hybrid") -> Searched | None:
        """The hybrid search (search.hybrid.hybrid_search) of a topical question at the engine's
        cut-offs (or `cutoffs`); None when it has no terms."""
        terms = await self.terms(pq)
        if not terms:
            return None
        return await hybrid_search(
            self.store, text=pq.terms, terms=terms, language_=pq.language,
            embed=self.index.embedder.embed_query, vector_query=self.index.vectors.query,
            lexicon=await self.lexicon(), executive=f.author, since=f.since, until=f.until,
            tz=self.settings.tz, cutoffs=cutoffs or self.cutoffs(), k=k, mode=mode,
        )

    async def terms(self, pq: ParsedQuery) -> list[str]:
        """The question's search terms (segment.search_terms), with the glossary's and the executives'
        Chinese names kept whole. The segmenter loads once, off the event loop."""
        if not self._segmenter_ready:
            reg = await self.registry()
            pairs = [*read_glossary(self.settings.glossary_path or DEFAULT_GLOSSARY), *executive_pairs(reg)]
            names = [zh for zhs, _ in pairs for zh in zhs]
            names += [a for ex in reg.executives.values() for a in (ex.name, *ex.aliases)]
            def ready() -> None:
                warm_segmenter()
                teach(names)

            await asyncio.to_thread(ready)
            self._segmenter_ready = True
        lex = await self.lexicon()
        return search_terms(pq.terms, lex.zh_en if lex is not None else ())

    async def lexicon(self) -> Lexicon | None:
        """The dictionary plus the glossary and the executives' names (built once, in a thread)."""
        if not self.settings.crosslang:
            return None
        if self._lexicon is None:
            reg = await self.registry()
            pairs = [*read_glossary(self.settings.glossary_path or DEFAULT_GLOSSARY), *executive_pairs(reg)]
            self._lexicon = await asyncio.to_thread(build_lexicon, pairs, Path(self.settings.data_dir))
        return self._lexicon

    async def warm_up(self) -> None:
        """Load the embedding model, the dictionary and the vector store now, so that the first
        question does not pay for them. The bot calls this in the background once it is ready."""
        await self.lexicon()
        await self.terms(await self.parse("warm up"))
        await asyncio.to_thread(self.index.vectors.query, self.index.embedder.embed_query("warm up"), 1, None)

    def cutoffs(self) -> Cutoffs:
        """The backend's measured gate; EXECBOT_MIN_SIMILARITY replaces every vector cut-off."""
        cut = cutoffs_of(self.index.embedder)
        v = self.settings.min_similarity
        return cut if v is None else cut.with_sim(dict.fromkeys(PAIRS, v))

    async def _empty_period_notice(self, f: Filters) -> str:
        """When the period holds no posts at all, say so and name the most recent period that has some."""
        if f.since is None and f.until is None:
            return ""
        in_period, latest = await self.store.period_facts(f.author, to_epoch(f.since), to_epoch(f.until))
        if in_period:
            return ""
        who = (await self.names()).get(f.author or "", f.author or messages.ANYONE)
        latest_at = from_epoch(latest)
        if latest_at is None:
            return messages.none_indexed(who)
        around = messages.period_around(latest_at, f.since, f.until, self.settings.tz)
        return messages.none_in_period(who, f.label or messages.THAT_PERIOD, around)

    # -- answers ------------------------------------------------------------------------------

    async def ask(self, question: str, k: int = 8, author: str | None = None, since: datetime | str | None = None,
                  until: datetime | str | None = None, now: datetime | str | None = None,
                  on_delta: Callable[[str], Awaitable[None]] | None = None) -> Answer:
        """An extractive answer; with ANSWER_BACKEND=openai a generated one, validated against the same
        sources and falling back to extractive. `on_delta` receives the generated text as it streams."""
        res = await self.search(question, k=k, author=author, since=since, until=until, now=now)
        also = [t for phrase in res.also for t in query_tokens(phrase)]
        answer = build_answer(question, res.terms, res.hits, res.filters, await self._nothing_found(res), also)
        answer.notice = res.notice
        if self.settings.answer_backend == "openai" and res.hits:
            from retrieval.answer.generated import generative_answer

            answer = await generative_answer(question, res, answer, self.settings, on_delta=on_delta)
        return answer

    async def _nothing_found(self, res: SearchResult) -> str:
        who = (await self.names()).get(res.filters.author or "", res.filters.author or "")
        return messages.nothing_found(res.terms, who, res.filters.label, res.notice)

    # -- top and summary ----------------------------------------------------------------------

    def period(self, period: str | None, default: str, now: datetime | str | None = None) -> Period:
        return parse_period_arg(period or default, self.now(now), self.settings.tz)

    async def top(self, period: str | None = "week", n: int = 10, by: str = "engagement", author: str | None = None,
                  now: datetime | str | None = None) -> TopResult:
        from retrieval.reports.top import top_posts

        p = self.period(period, "week", now)
        author = await self._author_key(author)
        f = Filters(author=author, since=p.start, until=p.end, label=p.label)
        posts = await top_posts(self.store, since=p.start, until=p.end, executive=author, by=by, n=n)
        notice = "" if posts else await self._empty_period_notice(f)
        return TopResult(filters=f, by=by, posts=posts, notice=notice)

    async def summary(self, period: str | None = "last week", author: str | None = None, chart: Path | None = None,
                      now: datetime | str | None = None, prose: bool = True) -> Summary:
        """The period's figures, top posts, topics and days; with ANSWER_BACKEND=openai (and `prose`),
        also a generated overview and trend analysis, checked, in EXECBOT_DIGEST_LANGUAGE."""
        from retrieval.reports.summary import build_summary

        p = self.period(period, "last week", now)
        author = await self._author_key(author)
        s = await build_summary(self.store, period=p, executive=author, tz=self.settings.tz)
        s.filters.author = author
        if s.posts == 0:
            s.notice = await self._empty_period_notice(s.filters) or s.notice
        elif prose and self.settings.answer_backend == "openai":
            await self._add_prose(s, p)
        if chart is not None:
            from retrieval.reports.chart import draw_chart

            who = (await self.names()).get(author or "", messages.ALL_EXECUTIVES)
            s.chart = str(await asyncio.to_thread(draw_chart, s, Path(chart), f"{who}: {p.label}"))
        return s

    async def _add_prose(self, s: Summary, p: Period) -> None:
        from retrieval.reports.digest_prose import SOURCES, pick_sources, write_prose
        from retrieval.reports.top import top_posts

        # Twice as many as needed: content-free posts (转发微博) are skipped, not cited.
        posts = await top_posts(self.store, since=p.start, until=p.end, executive=s.filters.author,
                                by="engagement", n=2 * SOURCES)
        who = (await self.names()).get(s.filters.author or "", "") or messages.EVERYONE_FOLLOWED
        s.prose, notice = await write_prose(s, pick_sources(posts), who, self.settings)
        if notice:
            s.notice = f"{s.notice} {notice}".strip()

    async def _author_key(self, author: str | None) -> str | None:
        """Accept a key, a name or an alias ("Lei Jun", "雷军") wherever an executive is named."""
        if not author:
            return None
        reg = await self.registry()
        ex = reg.get(author) or reg.by_name(author)
        return ex.key if ex else author

    async def stats(self) -> IndexStats:
        return await self.index.stats()
