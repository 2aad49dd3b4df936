"""Period summaries ("summary last week"): stats, top posts, topics, activity by day, digests."""

from __future__ import annotations

import asyncio
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from retrieval.formatting import clip_text
from retrieval.messages import no_posts_in
from retrieval.query.timeparse import Period
from retrieval.reports.top import top_posts
from retrieval.reports.topics import extract_topics
from retrieval.results import DayActivity, DigestRef, Filters, Summary
from retrieval.store.sqlite import Store, doc_where, from_epoch, to_epoch

MAX_DAYS = 62
SUMMARY_CHARS = 90
# A lead sentence shorter than this ("六一儿童节快乐！") says little: take the next one too.
MIN_LEAD_CHARS = 16
# Topics come from the most engaged posts only: bounds jieba's cost on "all time" periods.
TOPIC_POSTS = 2000

# Sentence ends: CJK/Latin terminators (with closing quotes), a period before a space, a line break.
_SENTENCE_END_RE = re.compile(r"[。！？!?]+[”’\"』」）)]*|\.(?=\s|$)|\n")


def lead_summary(text: str, limit: int = SUMMARY_CHARS) -> str:
    """The post's first sentence (or two, if the first is very short), clipped; never new words."""
    text = text.strip()
    end = len(text)
    for m in _SENTENCE_END_RE.finditer(text):
        if len(" ".join(text[: m.end()].split())) >= MIN_LEAD_CHARS:
            end = m.end()
            break
    return clip_text(text[:end], limit)


async def _totals(store: Store, start: datetime, end: datetime,
                  executive: str | None) -> tuple[int, int, int, int]:
    """(posts, likes, shares, comments) of the posts in [start, end)."""
    where, params = doc_where(executive, to_epoch(start), to_epoch(end))
    rows = await store.fetchall(
        "SELECT COUNT(*), COALESCE(SUM(likes), 0), COALESCE(SUM(shares), 0), COALESCE(SUM(comments), 0) "
        f"FROM docs WHERE {where}",
        params,
    )
    posts, likes, shares, comments = rows[0]
    return int(posts), int(likes), int(shares), int(comments)


def _days(period: Period, tz: ZoneInfo) -> list[date]:
    """Calendar days (in tz) the period touches, the last MAX_DAYS of them."""
    if period.end <= period.start:
        return []
    first = period.start.astimezone(tz).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(tz).date()
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


async def _by_day(store: Store, period: Period, executive: str | None, tz: ZoneInfo) -> list[DayActivity]:
    days = _days(period, tz)
    if not days:
        return []
    since = max(period.start, datetime.combine(days[0], time(), tzinfo=tz))
    where, params = doc_where(executive, to_epoch(since), to_epoch(period.end))
    rows = await store.fetchall(
        f"SELECT published_at, likes + shares + comments FROM docs WHERE {where}", params
    )
    posts = dict.fromkeys(days, 0)
    engagement = dict.fromkeys(days, 0)
    for published_at, eng in rows:
        day = datetime.fromtimestamp(published_at, tz).date()
        if day in posts:
            posts[day] += 1
            engagement[day] += int(eng)
    return [DayActivity(day=d, posts=posts[d], engagement=engagement[d]) for d in days]


async def _digests(store: Store, period: Period, executive: str | None) -> list[DigestRef]:
    """Digests whose [period_start, period_end) overlaps the period (digests without a period are skipped)."""
    sql = (
        "SELECT title, source_id, period_start, period_end, url, source_path FROM digests "
        "WHERE period_start IS NOT NULL AND period_start < ? "
        "AND COALESCE(period_end, period_start + 86400) > ?"
    )
    params: list[object] = [to_epoch(period.end), to_epoch(period.start)]
    if executive:
        sql += " AND executive = ?"
        params.append(executive)
    rows = await store.fetchall(sql + " ORDER BY period_start, title", params)
    return [
        DigestRef(title=title, source_id=sid, period_start=from_epoch(ps), period_end=from_epoch(pe),
                  url=url, path=path)
        for title, sid, ps, pe, url, path in rows
    ]


async def _topic_texts(store: Store, period: Period, executive: str | None) -> list[str]:
    where, params = doc_where(executive, to_epoch(period.start), to_epoch(period.end))
    rows = await store.fetchall(
        f"SELECT text FROM docs WHERE {where} ORDER BY likes + shares + comments DESC LIMIT ?",
        [*params, TOPIC_POSTS],
    )
    return [r[0] for r in rows]


async def build_summary(store: Store, *, period: Period, executive: str | None, tz: ZoneInfo,
                        n_top: int = 3) -> Summary:
    posts, likes, shares, comments = await _totals(store, period.start, period.end, executive)
    prev = period.previous()
    prev_posts, prev_likes, prev_shares, prev_comments = await _totals(store, prev.start, prev.end, executive)
    top = await top_posts(store, since=period.start, until=period.end, executive=executive,
                          by="engagement", n=n_top)
    # The photo of the week: the picture of the most engaging post that has one.
    photo = await top_posts(store, since=period.start, until=period.end, executive=executive,
                            by="engagement", n=1, with_pictures=True)
    texts = await _topic_texts(store, period, executive)
    # jieba is CPU-bound (and loads its dictionary on first use): keep it off the event loop.
    topics = await asyncio.to_thread(extract_topics, texts) if texts else []
    return Summary(
        filters=Filters(author=executive, since=period.start, until=period.end, label=period.label),
        posts=posts,
        engagement=likes + shares + comments,
        likes=likes,
        shares=shares,
        comments=comments,
        prev_posts=prev_posts,
        prev_engagement=prev_likes + prev_shares + prev_comments,
        top=top,
        top_summaries=[lead_summary(h.text) for h in top],
        topics=topics,
        by_day=await _by_day(store, period, executive, tz),
        digests=await _digests(store, period, executive),
        notice="" if posts else no_posts_in(period.label),
        photo=photo[0] if photo else None,
    )
