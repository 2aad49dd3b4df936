"""Plain-text renderings: figures, dates in the configured zone, citations."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from retrieval.cli.render import (
    format_count,
    render_answer,
    render_search,
    render_summary,
    render_top,
    short_date,
)
from retrieval.formatting import clip_text as clip
from retrieval.models import Hit
from retrieval.results import (
    Answer,
    AnswerSentence,
    DayActivity,
    DigestRef,
    Filters,
    SearchResult,
    Summary,
    TopResult,
)

SH = ZoneInfo("Asia/Shanghai")
NAMES = {"leijun": "Lei Jun"}


def hit(sid: str, at: datetime, likes: int, shares: int, comments: int, text: str = "小米SU7 5月交付量超过28000台",
        kind: str = "post", title: str = "") -> Hit:
    return Hit(id=sid, kind=kind, author="leijun", published_at=at, text=text,
               url=f"https://weibo.com/1749127163/{sid}" if kind == "post" else "", likes=likes, shares=shares,
               comments=comments, score=float(likes + shares + comments), platform="weibo", title=title)


JUNE1 = hit("PuuzNAYfV", datetime(2025, 6, 1, 2, 30, tzinfo=UTC), 281000, 52300, 48200)
MAY31 = hit("PuoYL79FN", datetime(2025, 5, 31, 12, 15, tzinfo=UTC), 321000, 65200, 62300)
DIGEST = hit("weekly#2", datetime(2025, 6, 2, 1, tzinfo=UTC), 0, 0, 0, "SU7 deliveries exceeded 28,000.",
             kind="digest", title="Lei Jun's Weibo Weekly (May 26 – June 1)")
WEEK = Filters(author="leijun", since=datetime(2025, 5, 26, tzinfo=SH), until=datetime(2025, 6, 2, tzinfo=SH),
               label="last week (May 26 – Jun 1, 2025)")


def test_format_count_and_short_date():
    assert format_count(321000) == "321,000" and format_count(0) == "0" and format_count(1234567) == "1,234,567"
    late = datetime(2025, 5, 31, 16, 30, tzinfo=UTC)  # 00:30 on June 1 in Beijing
    assert short_date(late) == "2025-06-01"
    assert short_date(late, ZoneInfo("UTC")) == "2025-05-31"
    assert short_date(None) == "undated"


def test_clip():
    assert clip("short  text\n") == "short text"
    latin = "Xiaomi keeps investing in chips for the long run " * 4
    out = clip(latin, 40)
    assert out == "Xiaomi keeps investing in chips for the…"
    cjk = "小米YU7预计7月量产" * 10
    out = clip(cjk, 20)
    assert len(out) == 20 and out.endswith("…") and cjk.startswith(out[:-1])


def test_render_answer_lists_citations():
    answer = Answer(question="what did Lei Jun say about SU7 deliveries?", filters=WEEK, found=True,
                    sentences=[AnswerSentence("小米SU7 5月交付量超过28000台", 1)], citations=[JUNE1, MAY31, DIGEST],
                    text="小米SU7 5月交付量超过28000台 [1]")
    lines = render_answer(answer, NAMES).splitlines()
    assert lines[0] == "小米SU7 5月交付量超过28000台 [1]"
    at = lines.index("Sources:")
    assert lines[at + 1:] == [
        "[1] 2025-06-01 · Lei Jun · 281,000 likes · 52,300 shares · 48,200 comments · "
        "https://weibo.com/1749127163/PuuzNAYfV",
        "[2] 2025-05-31 · Lei Jun · 321,000 likes · 65,200 shares · 62,300 comments · "
        "https://weibo.com/1749127163/PuoYL79FN",
        "[3] 2025-06-02 · Lei Jun · digest: Lei Jun's Weibo Weekly (May 26 – June 1)",
    ]


def test_render_answer_without_citations_is_just_the_text():
    answer = Answer(question="q", filters=Filters(), found=False, sentences=[], citations=[],
                    text="I found nothing about that.", notice="No posts in last week.")
    assert render_answer(answer) == "I found nothing about that.\n\nNo posts in last week."


def test_render_top():
    text = render_top(TopResult(filters=WEEK, by="likes", posts=[MAY31, JUNE1]), NAMES)
    lines = text.splitlines()
    assert lines[0] == "Top posts by likes — Lei Jun · last week (May 26 – Jun 1, 2025)"
    assert lines[1].startswith("1. 2025-05-31 — ") and lines[4].startswith("2. 2025-06-01 — ")
    assert "321,000 likes · 65,200 shares · 62,300 comments = 448,500 interactions" in text
    assert "https://weibo.com/1749127163/PuuzNAYfV" in text
    empty = render_top(TopResult(filters=WEEK, by="engagement", posts=[], notice="No posts in last week."))
    assert empty.endswith("No posts in last week.")


def test_render_search():
    result = SearchResult(query="雷军 SU7 交付", terms="SU7 交付", filters=WEEK, hits=[JUNE1, DIGEST])
    text = render_search(result, NAMES)
    assert text.splitlines()[0] == "Results for “SU7 交付” — Lei Jun · last week (May 26 – Jun 1, 2025)"
    assert "[1] 2025-06-01 · Lei Jun · 281,000 likes" in text and "[2] 2025-06-02 · Lei Jun · digest: " in text
    assert render_search(SearchResult(query="x", terms="x", filters=Filters(), hits=[])).endswith("No results.")


def summary(prev_posts: int, prev_engagement: int) -> Summary:
    return Summary(
        filters=WEEK, posts=40, engagement=1_000_000, likes=800_000, shares=100_000, comments=100_000,
        prev_posts=prev_posts, prev_engagement=prev_engagement, top=[MAY31, JUNE1],
        top_summaries=["5月，小米SU7交付量超过28000台！", "小米SU7 5月交付量超过28000台，小米YU7正在为7月量产做准备。"],
        topics=["SU7", "YU7", "小米"],
        by_day=[DayActivity(date(2025, 5, 26), 4, 100_000), DayActivity(date(2025, 5, 27), 0, 0),
                DayActivity(date(2025, 5, 28), 8, 900_000)],
        digests=[DigestRef("Lei Jun's Weibo Weekly", "weekly", WEEK.since, WEEK.until, path="digests/weekly.md")],
    )


def test_render_summary_shape():
    text = render_summary(summary(0, 0), NAMES)
    lines = text.splitlines()
    assert lines[0] == "Lei Jun's Weibo Weekly (May 26 – Jun 1, 2025)"
    assert lines[1] == "Overview: 40 posts, 1,000,000 interactions (no posts in the previous period)"
    assert "1. 2025-05-31 — 5月，小米SU7交付量超过28000台！" in lines
    assert "   Engagement: 321,000 Likes | 65,200 Shares | 62,300 Comments" in lines
    assert "2. 2025-06-01 — 小米SU7 5月交付量超过28000台，小米YU7正在为7月量产做准备。" in lines
    assert "Main topics: SU7, YU7, 小米" in lines
    bars = {line.split()[0]: line.count("█") for line in lines if line.startswith("  05-")}
    assert bars == {"05-26": 10, "05-27": 0, "05-28": 20}
    assert "- Lei Jun's Weibo Weekly (May 26 – Jun 1, 2025)" in lines and "  digests/weekly.md" in lines


def test_render_summary_change():
    assert "(+25% vs the previous period: 30 posts, 800,000 interactions)" in render_summary(summary(30, 800_000))
    assert "(-50% vs the previous period" in render_summary(summary(30, 2_000_000))
    # Without names the key stands in for the display name.
    assert render_summary(summary(0, 0)).startswith("leijun's Weibo Weekly")
