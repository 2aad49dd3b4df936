"""Plain-text renderings of engine results for a terminal (the Discord bot builds its own embeds)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from retrieval.formatting import (
    DEFAULT_TZ,
    clip_text,
    engagement_line,
    format_change,
    format_count,
    month_day,
    relative_change,
    short_date,
)
from retrieval.models import Hit
from retrieval.results import Answer, Filters, SearchResult, Summary, TopResult
from retrieval.store.index import IndexStats

__all__ = ["DEFAULT_TZ", "format_count", "render_answer", "render_search", "render_stats", "render_summary",
           "render_top", "short_date"]

BAR_WIDTH = 20
PLATFORM_NAMES = {"weibo": "Weibo", "x": "X", "twitter": "X", "linkedin": "LinkedIn", "wechat": "WeChat"}


def _name(key: str | None, names: dict[str, str] | None) -> str:
    if not key:
        return ""
    return (names or {}).get(key, key)


def _span(since: datetime | None, until: datetime | None, tz: ZoneInfo) -> str:
    """'May 26 – Jun 1, 2025' (until is exclusive)."""
    if since is None or until is None or until <= since:
        return ""
    first = since.astimezone(tz).date()
    last = (until - timedelta(microseconds=1)).astimezone(tz).date()
    if first == last:
        return f"{month_day(first)}, {first.year}"
    if first.year == last.year:
        return f"{month_day(first)} – {month_day(last)}, {last.year}"
    return f"{month_day(first)}, {first.year} – {month_day(last)}, {last.year}"


def _scope(filters: Filters, names: dict[str, str] | None) -> str:
    """'Lei Jun · last week (May 26 – Jun 1, 2025)' from whatever the filters hold."""
    parts = [_name(filters.author, names), filters.label]
    return " · ".join(p for p in parts if p)


def _hit_line(hit: Hit, names: dict[str, str] | None, tz: ZoneInfo) -> str:
    """'2025-06-01 · Lei Jun · 281,000 likes · … · url', or 'digest: <title>' for digest chunks."""
    parts = [short_date(hit.published_at, tz), _name(hit.author, names)]
    parts.append(f"digest: {hit.title or hit.id}" if hit.kind == "digest" else engagement_line(hit))
    if hit.url:
        parts.append(hit.url)
    return " · ".join(p for p in parts if p)


def _heading(title: str, filters: Filters, notice: str, names: dict[str, str] | None) -> list[str]:
    """A title with the scope (executive, period), then the notice when there is one."""
    scope = _scope(filters, names)
    return [title + (f" — {scope}" if scope else ""), *([notice] if notice else [])]


def render_top(result: TopResult, names: dict[str, str] | None = None, *, tz: ZoneInfo = DEFAULT_TZ) -> str:
    lines = _heading(f"Top posts by {result.by}", result.filters, result.notice, names)
    if not result.posts:
        return "\n".join(lines if result.notice else [*lines, "No posts found."])
    for i, hit in enumerate(result.posts, 1):
        head = f"{i}. {short_date(hit.published_at, tz)}"
        if not result.filters.author:
            head += f" · {_name(hit.author, names)}"
        lines.append(f"{head} — {clip_text(hit.text)}")
        lines.append(f"   {engagement_line(hit)} = {format_count(hit.engagement)} interactions")
        if hit.url:
            lines.append(f"   {hit.url}")
    return "\n".join(lines)


def _title(summary: Summary, names: dict[str, str] | None, tz: ZoneInfo) -> str:
    """"Lei Jun's Weibo Weekly (May 26 – Jun 1, 2025)", the seed digest's headline shape."""
    f = summary.filters
    who = f"{_name(f.author, names)}'s" if f.author else "Executives'"
    platforms = {h.platform for h in summary.top if h.platform}
    platform = PLATFORM_NAMES.get(next(iter(platforms)), "") if len(platforms) == 1 else ""
    days = round((f.until - f.since).total_seconds() / 86400) if f.since and f.until else 0
    cadence = {1: "Daily", 7: "Weekly"}.get(days, "Monthly" if 28 <= days <= 31 else "Summary")
    span = _span(f.since, f.until, tz) or f.label
    head = " ".join(p for p in (who, platform, cadence) if p)
    return f"{head} ({span})" if span else head


def _change(summary: Summary) -> str:
    if summary.prev_posts == 0:
        return "no posts in the previous period"
    change = relative_change(summary.engagement, summary.prev_engagement)
    prev = f"{summary.prev_posts:,} posts, {format_count(summary.prev_engagement)} interactions"
    if change is None:
        return f"previous period: {prev}"
    return f"{format_change(change)} vs the previous period: {prev}"


def render_summary(summary: Summary, names: dict[str, str] | None = None, *,
                   tz: ZoneInfo = DEFAULT_TZ) -> str:
    lines = [_title(summary, names, tz)]
    if summary.notice:
        lines.append(summary.notice)
    lines.append(f"Overview: {summary.posts:,} posts, {format_count(summary.engagement)} interactions "
                 f"({_change(summary)})")
    if summary.posts:
        lines.append(f"  {format_count(summary.likes)} likes · {format_count(summary.shares)} shares · "
                     f"{format_count(summary.comments)} comments")
    if summary.prose and summary.prose.overview:
        lines += ["", summary.prose.overview]
    if summary.top:
        lines += ["", f"Top {len(summary.top)} posts"]
        for i, hit in enumerate(summary.top, 1):
            text = summary.top_summaries[i - 1] if i <= len(summary.top_summaries) else clip_text(hit.text)
            lines.append(f"{i}. {short_date(hit.published_at, tz)} — {text}")
            lines.append(f"   Engagement: {format_count(hit.likes)} Likes | {format_count(hit.shares)} Shares | "
                         f"{format_count(hit.comments)} Comments")
            if hit.url:
                lines.append(f"   {hit.url}")
    if summary.topics:
        lines += ["", "Main topics: " + ", ".join(summary.topics)]
    if summary.by_day and summary.posts:
        lines += ["", "Activity by day"]
        most = max(d.posts for d in summary.by_day) or 1
        for d in summary.by_day:
            bar = "█" * (round(d.posts / most * BAR_WIDTH) if d.posts else 0)
            lines.append(f"  {d.day:%m-%d %a}  {d.posts:>4}  {bar:<{BAR_WIDTH}}  "
                         f"{format_count(d.engagement):>11}")
    if summary.prose and summary.prose.trend:
        lines += ["", "Trend analysis", summary.prose.trend]
    if summary.prose:
        lines += ["", "Sources"]
        lines += [f"[{i}] {short_date(h.published_at, tz)} {h.url or h.id}" for i, h in
                  enumerate(summary.prose.citations, 1)]
    if summary.digests:
        lines += ["", "Digests covering this period"]
        for dg in summary.digests:
            span = _span(dg.period_start, dg.period_end, tz)
            lines.append(f"- {dg.title}" + (f" ({span})" if span else ""))
            if dg.url or dg.path:
                lines.append(f"  {dg.url or dg.path}")
    if summary.chart:
        lines += ["", f"Chart: {summary.chart}"]
    return "\n".join(lines)


def render_search(result: SearchResult, names: dict[str, str] | None = None, *,
                  tz: ZoneInfo = DEFAULT_TZ) -> str:
    lines = _heading(f"Results for “{result.terms or result.query}”", result.filters, result.notice, names)
    if not result.hits:
        return "\n".join(lines if result.notice else [*lines, "No results."])
    for i, hit in enumerate(result.hits, 1):
        lines.append(f"[{i}] {_hit_line(hit, names, tz)}")
        lines.append(f"    {clip_text(hit.text, 160)}")
    return "\n".join(lines)


def render_answer(answer: Answer, names: dict[str, str] | None = None, *,
                  tz: ZoneInfo = DEFAULT_TZ) -> str:
    lines = [answer.text]
    if answer.notice:
        lines += ["", answer.notice]
    if answer.citations:
        lines += ["", "Sources:"]
        lines += [f"[{i}] {_hit_line(hit, names, tz)}" for i, hit in enumerate(answer.citations, 1)]
    return "\n".join(lines)


def render_stats(st: IndexStats, names: dict[str, str] | None = None) -> str:
    names = names or {}
    first, last = st["first"], st["last"]  # ISO strings, as --json shows them
    lines = [
        f"posts {st.posts}, digests {st.digests} ({st.chunks} chunks), vectors {st.vectors}",
        f"period {first or '-'} .. {last or '-'}; model {st.embed_model or '-'}",
    ]
    lines += [f"  {names.get(k, k)} ({k}): {n}" for k, n in st.executives.items()]
    if st.default_model:
        lines.append(f"this index was built with {st.embed_model}; the default is now {st.default_model}. "
                     f"Questions still use the index's model. To move to the default (re-embeds every post): "
                     f"{st.rebuild_command}")
    return "\n".join(lines)
