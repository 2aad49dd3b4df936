"""build_summary (and its rendering and chart) over a real store built from the sample Weibo export."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from retrieval.cli.render import render_summary
from retrieval.query.timeparse import Period
from retrieval.reports.chart import draw_chart
from retrieval.reports.summary import MAX_DAYS, build_summary, lead_summary
from retrieval.results import Summary
from retrieval.store.text import is_cjk
from tests.retrieval.reports.test_top import (
    DIGEST_TITLE,
    SH,
    TOP3,
    WEEK_END,
    WEEK_START,
    beijing,
    post,
    sample_posts,
    write,
    write_sample,
)

WEEK = Period(WEEK_START, WEEK_END, "last week (May 26 – Jun 1, 2025)")
NAMES = {"leijun": "Lei Jun"}


@pytest.fixture
async def store(tmp_path):
    from retrieval.store.sqlite import Store

    async with Store(tmp_path / "execbot.sqlite3") as st:
        yield st


def engagement(p: dict) -> int:
    return p["attitudes_count"] + p["reposts_count"] + p["comments_count"]


async def test_week_summary_matches_the_sample(store):
    raw = await write_sample(store, "shuffle-7")
    s = await build_summary(store, period=WEEK, executive="leijun", tz=SH)
    assert s.posts == 40 == len(raw)
    assert s.engagement == sum(engagement(p) for p in raw)
    assert (s.likes, s.shares, s.comments) == (
        sum(p["attitudes_count"] for p in raw), sum(p["reposts_count"] for p in raw),
        sum(p["comments_count"] for p in raw),
    )
    assert [h.id for h in s.top] == TOP3
    assert s.top_summaries[0] == "5月，小米SU7交付量超过28000台！"
    # "六一儿童节快乐！" alone is too thin: the next sentence comes along, verbatim.
    assert s.top_summaries[2] == "六一儿童节快乐！翻出一张小时候的照片，那时候我是少先队大队长，戴着三道杠，特别自豪。"
    # Activity by day: 7 Beijing days, counted independently from created_at's date.
    per_day = Counter(date.fromisoformat(p["created_at"][:10]) for p in raw)
    assert [d.day for d in s.by_day] == [date(2025, 5, 26) + timedelta(days=i) for i in range(7)]
    assert [d.posts for d in s.by_day] == [per_day[d.day] for d in s.by_day]
    assert sum(d.posts for d in s.by_day) == 40
    assert sum(d.engagement for d in s.by_day) == s.engagement
    assert [d.title for d in s.digests] == [DIGEST_TITLE]
    assert s.digests[0].period_start == WEEK_START and s.digests[0].path.endswith(".md")
    assert (s.prev_posts, s.prev_engagement) == (0, 0)
    assert Summary.change(s.engagement, s.prev_engagement) is None
    assert s.notice == ""
    assert s.filters.author == "leijun" and s.filters.label == WEEK.label
    assert any(t in s.topics for t in ("SU7", "YU7"))
    assert any(is_cjk(t[0]) for t in s.topics)


async def test_relative_change_against_the_previous_week(store):
    raw = await write_sample(store)
    before = [
        post("p1", "小米SU7 交付", datetime(2025, 5, 19, 9, tzinfo=SH), likes=100_000, shares=10_000, comments=5_000),
        post("p2", "晨跑", datetime(2025, 5, 25, 23, 59, tzinfo=SH), likes=50_000),
        post("p3", "someone else", datetime(2025, 5, 20, 9, tzinfo=SH), likes=10**7, executive="elonmusk"),
        post("p4", "too early", datetime(2025, 5, 18, 23, 59, tzinfo=SH), likes=10**7),
    ]
    await write(store, before)
    s = await build_summary(store, period=WEEK, executive="leijun", tz=SH)
    assert (s.prev_posts, s.prev_engagement) == (2, 165_000)
    total = sum(engagement(p) for p in raw)
    assert s.posts == 40 and s.engagement == total
    assert Summary.change(s.engagement, s.prev_engagement) == pytest.approx((total - 165_000) / 165_000)
    everyone = await build_summary(store, period=WEEK, executive=None, tz=SH)
    assert everyone.prev_posts == 3


async def test_empty_period_has_a_notice_and_zero_days(store, tmp_path):
    await write_sample(store)
    empty = Period(datetime(2025, 5, 12, tzinfo=SH), datetime(2025, 5, 19, tzinfo=SH), "May 12 – May 18, 2025")
    s = await build_summary(store, period=empty, executive="leijun", tz=SH)
    assert (s.posts, s.engagement, s.top, s.topics, s.digests) == (0, 0, [], [], [])
    assert s.notice == "No posts in May 12 – May 18, 2025."
    assert len(s.by_day) == 7 and all(d.posts == 0 and d.engagement == 0 for d in s.by_day)
    text = render_summary(s, NAMES)
    assert "No posts in May 12 – May 18, 2025." in text and "Top " not in text
    assert draw_chart(s, tmp_path / "empty.png").read_bytes()[:4] == b"\x89PNG"


async def test_days_follow_the_configured_time_zone(store):
    raw = await write_sample(store)
    early = datetime(2025, 5, 26, 7, 0, tzinfo=SH)  # May 25, 23:00 in UTC
    await write(store, [post("early", "早起", early, likes=1)])
    s = await build_summary(store, period=WEEK, executive="leijun", tz=UTC)
    # Seen from UTC the Beijing week runs May 25 16:00 – Jun 1 16:00: it touches 8 UTC days.
    per_utc_day = Counter([beijing(p["created_at"]).date() for p in raw] + [date(2025, 5, 25)])
    assert [d.day for d in s.by_day] == [date(2025, 5, 25) + timedelta(days=i) for i in range(8)]
    assert [d.posts for d in s.by_day] == [per_utc_day[d.day] for d in s.by_day]
    assert s.by_day[0].posts == 1
    beijing_days = (await build_summary(store, period=WEEK, executive="leijun", tz=SH)).by_day
    assert beijing_days[0].day == date(2025, 5, 26) and beijing_days[0].posts == per_utc_day[date(2025, 5, 26)] + 1


async def test_long_periods_keep_the_last_days_only(store, tmp_path):
    await write_sample(store)
    long = Period(datetime(2025, 1, 1, tzinfo=SH), WEEK_END, "2025 so far")
    s = await build_summary(store, period=long, executive="leijun", tz=SH)
    assert len(s.by_day) == MAX_DAYS and s.by_day[-1].day == date(2025, 6, 1)
    assert sum(d.posts for d in s.by_day) == s.posts == 40
    assert draw_chart(s, tmp_path / "long.png").stat().st_size > 5000


async def test_digest_overlap_and_executive(store):
    await write_sample(store)
    other_week = Period(WEEK_END, WEEK_END + timedelta(days=7), "next week")
    assert (await build_summary(store, period=other_week, executive="leijun", tz=SH)).digests == []
    one_day = Period(datetime(2025, 6, 1, tzinfo=SH), WEEK_END, "Jun 1")
    assert [d.title for d in (await build_summary(store, period=one_day, executive=None, tz=SH)).digests] == [
        DIGEST_TITLE
    ]
    assert (await build_summary(store, period=WEEK, executive="elonmusk", tz=SH)).digests == []


async def test_rendered_summary_and_chart(store, tmp_path):
    await write_sample(store)
    s = await build_summary(store, period=WEEK, executive="leijun", tz=SH)
    text = render_summary(s, NAMES, tz=SH)
    assert text.splitlines()[0] == "Lei Jun's Weibo Weekly (May 26 – Jun 1, 2025)"
    assert f"Overview: 40 posts, {s.engagement:,} interactions (no posts in the previous period)" in text
    for line in ("1. 2025-05-31 — 5月，小米SU7交付量超过28000台！",
                 "   Engagement: 321,000 Likes | 65,200 Shares | 62,300 Comments",
                 "2. 2025-06-01 — ", "   Engagement: 281,000 Likes | 52,300 Shares | 48,200 Comments",
                 "3. 2025-06-01 — 六一儿童节快乐！", "   Engagement: 151,000 Likes | 22,100 Shares | 18,100 Comments",
                 "   https://weibo.com/1749127163/PuoYL79FN", "Main topics: ", "05-31 Sat", DIGEST_TITLE):
        assert line in text
    png = draw_chart(s, tmp_path / "charts" / "week.png", title="Lei Jun - Weibo, May 26 - Jun 1, 2025")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("XRING O1 is Xiaomi's first in-house designed 3nm flagship SoC. Thank you all.",
         "XRING O1 is Xiaomi's first in-house designed 3nm flagship SoC."),
        ("早上好！周五了，今天要开一整天的会。先来一杯咖啡 ☕", "早上好！周五了，今天要开一整天的会。"),
        ("分享图片", "分享图片"),
        ("Line one is long enough here\nline two", "Line one is long enough here"),
    ],
)
def test_lead_summary_is_verbatim(text, expected):
    assert lead_summary(text) == expected


def test_lead_summary_clips_long_sentences():
    text = "做芯片是一场长跑" * 20 + "。"
    out = lead_summary(text)
    assert len(out) <= 90 and out.endswith("…") and text.startswith(out[:-1])
    words = "Xiaomi keeps investing in chips " * 10
    out = lead_summary(words)
    assert out.endswith("…") and len(out) <= 90 and words.startswith(out[:-1]) and out[-2] != " "
    assert words[len(out) - 1] == " "  # cut at a word boundary, not inside a word



@pytest.mark.embedding
async def test_photo_of_the_week_is_the_most_engaging_post_with_a_picture(engine):
    # Through the real weibo-crawler parser and the index: the pictures survive ingest.
    raw = sample_posts()
    best = max((p for p in raw if p["pics"]), key=engagement)
    s = await engine.summary("last week", author="leijun")
    assert s.photo is not None and s.photo.id == best["bid"]
    assert s.photo_url == best["pics"].split(",")[0]
    photo = s.to_json()["photo"]
    assert photo["url"] == s.photo_url and photo["post"] == best["bid"] and photo["engagement"] == engagement(best)


async def test_no_picture_no_photo(store):
    await write(store, [post("T1", "没有图片的一条", beijing("2025-05-28 10:00:00"), likes=10)])
    s = await build_summary(store, period=WEEK, executive="leijun", tz=SH)
    assert s.posts == 1 and s.photo is None and s.to_json()["photo"] is None
