"""The query engine: one object the CLI and the bot both call. Each step lives in its own module:
query parsing (query.py, timeparse.py), keyword and vector search, fusion, dedupe, answers, top, summary.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path

from retrieval.answer import build_answer
from retrieval.dedupe import fold_duplicates
from retrieval.fusion import rrf
from retrieval.index import Index
from retrieval.keyword import keyword_relevance, keyword_search, term_weights
from retrieval.models import Hit
from retrieval.query import ParsedQuery, parse_query
from retrieval.registry import Registry
from retrieval.results import Answer, Filters, SearchResult, Summary, TopResult
from retrieval.settings import RetrievalSettings, get_settings
from retrieval.store import HIT_COLUMNS, from_epoch, row_to_hit, to_epoch
from retrieval.text import query_tokens
from retrieval.timeparse import Period, parse_date, parse_period_arg
from retrieval.vectors import vector_where

CANDIDATES = 50  # per ranking, before fusion


class Engine:
    def __init__(self, settings: RetrievalSettings | None = None, index: Index | None = None) -> None:
        self.settings = settings or (index.settings if index else get_settings())
        self.index = index or Index(self.settings)
        self._own_index = index is None
        self._registry: Registry | None = None

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
    def store(self):  # noqa: ANN201
        return self.index.store

    async def registry(self, refresh: bool = False) -> Registry:
        """The registry file plus executives learned from data (re-read after an ingest)."""
        if self._registry is None or refresh:
            self._registry = Registry.load(self.settings.registry_path, extra=await self.store.executives())
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
        return parse_query(
            query, reg, self.now(now), self.settings.tz, executive=await self._author_key(author),
            since=self._bound(since, False, now), until=self._bound(until, True, now),
        )

    async def search(self, query: str, k: int = 10, author: str | None = None, since: datetime | str | None = None,
                     until: datetime | str | None = None, now: datetime | str | None = None) -> SearchResult:
        pq = await self.parse(query, author, since, until, now)
        filters = self._filters(pq)
        hits = await self._hybrid(pq, filters, k)
        notice = await self._empty_period_notice(filters) if not hits else ""
        return SearchResult(query=query, terms=pq.terms, filters=filters, hits=hits, notice=notice)

    def _filters(self, pq: ParsedQuery) -> Filters:
        p = pq.period
        return Filters(author=pq.executive, since=p.start if p else None, until=p.end if p else None,
                       label=p.label if p else "")

    async def _hybrid(self, pq: ParsedQuery, f: Filters, k: int) -> list[Hit]:
        since, until = to_epoch(f.since), to_epoch(f.until)
        terms = query_tokens(pq.terms)
        if not terms and not (f.author or f.since or f.until):
            return []  # nothing to look for and nothing to filter by
        if not terms:
            # Nothing topical to look for ("what did Lei Jun say last week?"): the period's most engaging posts.
            from retrieval.top import top_posts

            return await top_posts(self.store, since=f.since, until=f.until, executive=f.author, n=k)
        # The two rankings run at once: SQLite in aiosqlite's thread, the model and Chroma in another.
        vectors = asyncio.ensure_future(
            asyncio.to_thread(self._vector_ranking, pq.terms, vector_where(f.author, since, until)))
        try:
            weights = await term_weights(self.store, terms, self.index.embedder.unseen_bigram_weight)
            kw = await keyword_search(self.store, terms, k=CANDIDATES, executive=f.author, since=since,
                                      until=until, weights=weights)
        except BaseException:
            vectors.cancel()  # don't leave the vector ranking's outcome unobserved
            raise
        vec = await vectors
        bar = self.index.embedder.min_keyword_weight
        relevant = {h.uid for h in kw if keyword_relevance(h, weights) >= bar}
        relevant.update(uid for uid, sim in vec if sim >= self.min_similarity(pq.language))
        fused = [(uid, score) for uid, score in rrf([[h.uid for h in kw], [uid for uid, _ in vec]])
                 if uid in relevant]
        rows = await self._rows([uid for uid, _ in fused])
        hits = []
        for uid, score in fused:
            if uid in rows:  # a vector whose row is gone (an orphan awaiting repair) is never shown
                rows[uid].score = score
                hits.append(rows[uid])
        return fold_duplicates(hits, limit=k)

    async def warm_up(self) -> None:
        """Load the embedding model and open the vector store now (about 4 s), so that the first
        question does not pay for it. The bot calls this in the background once it is ready."""
        await asyncio.to_thread(self._vector_ranking, "warm up", None)

    def _vector_ranking(self, text: str, where: dict | None) -> list[tuple[str, float]]:
        return self.index.vectors.query(self.index.embedder.embed_query(text), CANDIDATES, where)

    def min_similarity(self, language: str) -> float:
        """The vector cut-off: EXECBOT_MIN_SIMILARITY, else the backend's measured one for the language."""
        if self.settings.min_similarity is not None:
            return self.settings.min_similarity
        e = self.index.embedder
        return e.min_similarity_zh if language == "zh" else e.min_similarity

    async def _rows(self, uids: list[str]) -> dict[str, Hit]:
        if not uids:
            return {}
        got = await self.store.fetchall(
            f"SELECT {HIT_COLUMNS} FROM docs WHERE uid IN ({','.join('?' * len(uids))})", uids
        )
        return {r[0]: row_to_hit(r) for r in got}

    async def _empty_period_notice(self, f: Filters) -> str:
        """When the period holds no posts at all, say so and name the most recent period that has some."""
        if f.since is None and f.until is None:
            return ""
        where, params = ["kind = 'post'"], []
        if f.author:
            where.append("executive = ?")
            params.append(f.author)
        in_period = await self.store.scalar(
            f"SELECT COUNT(*) FROM docs WHERE {' AND '.join(where)} AND published_at >= ? AND published_at < ?",
            [*params, to_epoch(f.since) or 0, to_epoch(f.until) or 2**62],
        )
        if in_period:
            return ""
        latest = await self.store.scalar(f"SELECT MAX(published_at) FROM docs WHERE {' AND '.join(where)}", params)
        who = (await self.names()).get(f.author or "", f.author or "anyone")
        label = f.label or "that period"
        if latest is None:
            return f"No posts from {who} are indexed yet."
        return f"No posts from {who} in {label}. The most recent are from {self._period_around(from_epoch(latest), f)}."

    def _period_around(self, when: datetime, f: Filters) -> str:
        local = when.astimezone(self.settings.tz)
        span = (f.until - f.since) if f.since and f.until else timedelta(days=7)
        if span <= timedelta(days=7):
            start = local.date() - timedelta(days=local.weekday())
            end = start + timedelta(days=6)
            return f"the week of {start:%b} {start.day} – {end:%b} {end.day}, {end.year}"
        if span <= timedelta(days=31):
            return f"{local:%B %Y}"
        return f"{local.year}"

    # -- answers ------------------------------------------------------------------------------

    async def ask(self, question: str, k: int = 8, author: str | None = None, since: datetime | str | None = None,
                  until: datetime | str | None = None, now: datetime | str | None = None,
                  on_delta: Callable[[str], Awaitable[None]] | None = None) -> Answer:
        """An extractive answer; with ANSWER_BACKEND=openai a generated one, validated against the same
        sources and falling back to extractive. `on_delta` receives the generated text as it streams."""
        res = await self.search(question, k=k, author=author, since=since, until=until, now=now)
        answer = build_answer(question, res.terms, res.hits, res.filters, await self._nothing_found(res))
        answer.notice = res.notice
        if self.settings.answer_backend == "openai" and res.hits:
            from retrieval.generate import generative_answer

            answer = await generative_answer(question, res, answer, self.settings, on_delta=on_delta)
        return answer

    async def _nothing_found(self, res: SearchResult) -> str:
        who = (await self.names()).get(res.filters.author or "", res.filters.author or "")
        parts = ["Nothing found"]
        if res.terms.strip():
            parts.append(f"about “{res.terms.strip()}”")
        if who:
            parts.append(f"from {who}")
        if res.filters.label:
            parts.append(f"in {res.filters.label}")
        text = " ".join(parts) + "."
        return f"{text} {res.notice}" if res.notice else text

    # -- top and summary ----------------------------------------------------------------------

    def period(self, period: str | None, default: str, now: datetime | str | None = None) -> Period:
        return parse_period_arg(period or default, self.now(now), self.settings.tz)

    async def top(self, period: str | None = "week", n: int = 10, by: str = "engagement", author: str | None = None,
                  now: datetime | str | None = None) -> TopResult:
        from retrieval.top import top_posts

        p = self.period(period, "week", now)
        author = await self._author_key(author)
        f = Filters(author=author, since=p.start, until=p.end, label=p.label)
        posts = await top_posts(self.store, since=p.start, until=p.end, executive=author, by=by, n=n)
        notice = "" if posts else await self._empty_period_notice(f)
        return TopResult(filters=f, by=by, posts=posts, notice=notice)

    async def summary(self, period: str | None = "last week", author: str | None = None, chart: Path | None = None,
                      now: datetime | str | None = None) -> Summary:
        from retrieval.summary import build_summary

        p = self.period(period, "last week", now)
        author = await self._author_key(author)
        s = await build_summary(self.store, period=p, executive=author, tz=self.settings.tz)
        s.filters.author = author
        if s.posts == 0:
            s.notice = await self._empty_period_notice(s.filters) or s.notice
        if chart is not None:
            from retrieval.chart import draw_chart

            who = (await self.names()).get(author or "", "All executives")
            s.chart = str(await asyncio.to_thread(draw_chart, s, Path(chart), f"{who}: {p.label}"))
        return s

    async def _author_key(self, author: str | None) -> str | None:
        """Accept a key, a name or an alias ("Lei Jun", "雷军") wherever an executive is named."""
        if not author:
            return None
        reg = await self.registry()
        ex = reg.get(author) or reg.by_name(author)
        return ex.key if ex else author

    async def stats(self) -> dict:
        return await self.index.stats()
