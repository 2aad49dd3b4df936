"""top_posts over a real SQLite store built from the sample Weibo export (no parsers, no embeddings)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from retrieval.models import Digest, Doc
from retrieval.reports.top import METRICS, top_posts
from retrieval.store.index import doc_uid
from retrieval.store.sqlite import DocRow, Store
from retrieval.store.text import content_hash, fts_document, sha
from tests.conftest import SAMPLE

SH = ZoneInfo("Asia/Shanghai")
SAMPLE_JSON = SAMPLE / "weibo" / "雷军" / "1749127163.json"
WEEK_START = datetime(2025, 5, 26, tzinfo=SH)
WEEK_END = datetime(2025, 6, 2, tzinfo=SH)  # exclusive
TOP3 = ["PuoYL79FN", "PuuzNAYfV", "Puval2bXi"]  # May 31 delivery post, June 1 post, Children's Day
DIGEST_TITLE = "Lei Jun's Weibo (May 26 – June 1, 2025): SU7 May Deliveries Exceed 28,000 Units"


def sample_posts() -> list[dict]:
    with SAMPLE_JSON.open(encoding="utf-8") as fh:
        return json.load(fh)["weibo"]


def beijing(created_at: str) -> datetime:
    """Weibo's created_at is Beijing wall-clock time; the store wants UTC."""
    return datetime.fromisoformat(created_at).replace(tzinfo=SH).astimezone(UTC)


def weibo_doc(p: dict) -> Doc:
    return Doc(
        platform="weibo", executive="leijun", source_id=p["bid"], text=p["text"],
        published_at=beijing(p["created_at"]), url=f"https://weibo.com/1749127163/{p['bid']}",
        author_name=p["screen_name"], likes=p["attitudes_count"], shares=p["reposts_count"],
        comments=p["comments_count"],
    )


def post(sid: str, text: str, at: datetime, likes: int = 0, shares: int = 0, comments: int = 0,
         executive: str = "leijun") -> Doc:
    return Doc(platform="weibo", executive=executive, source_id=sid, text=text, published_at=at.astimezone(UTC),
               url=f"https://weibo.com/x/{sid}", likes=likes, shares=shares, comments=comments)


def doc_row(d: Doc) -> DocRow:
    chash = content_hash(d.text)
    return DocRow(doc_uid(d.platform, d.executive, d.source_id), d, chash,
                  sha(f"{chash}|{d.likes}|{d.shares}|{d.comments}"), fts_document(d.text))


async def write(store: Store, docs: list[Doc]) -> None:
    await store.upsert_docs([doc_row(d) for d in docs], now=0)
    await store.conn.commit()


def sample_digest() -> Digest:
    path = SAMPLE / "digests" / "lei-jun-weibo-weekly-2025-05-26.md"
    return Digest(platform="weibo", executive="leijun", source_id="lei-jun-weibo-weekly-2025-05-26",
                  title=DIGEST_TITLE, text=path.read_text(encoding="utf-8"),
                  period_start=WEEK_START.astimezone(UTC), period_end=WEEK_END.astimezone(UTC),
                  source_path=str(path))


async def write_sample(store: Store, order: str = "reversed") -> list[dict]:
    """The sample posts (in the given insertion order) and its weekly digest; returns the raw posts."""
    raw = sample_posts()
    docs = [weibo_doc(p) for p in raw]
    if order == "reversed":
        docs.reverse()
    else:
        random.Random(order).shuffle(docs)
    await write(store, docs)
    dg = sample_digest()
    await store.upsert_digest(doc_uid(dg.platform, dg.executive, dg.source_id), dg, "h")
    await store.conn.commit()
    return raw


@pytest.fixture
async def store(tmp_path):
    async with Store(tmp_path / "execbot.sqlite3") as st:
        yield st


def expected_order(raw: list[dict], metric: str) -> list[str]:
    """The ranking computed straight from the JSON: metric desc, then newest first."""
    def value(p: dict) -> int:
        parts = {"likes": p["attitudes_count"], "shares": p["reposts_count"], "comments": p["comments_count"]}
        return sum(parts.values()) if metric == "engagement" else parts[metric]

    ranked = sorted(raw, key=lambda p: (value(p), p["created_at"]), reverse=True)
    return [p["bid"] for p in ranked]


@pytest.mark.parametrize("order", ["reversed", "shuffle-1", "shuffle-2"])
async def test_top_week_by_engagement_whatever_the_insertion_order(store, order):
    raw = await write_sample(store, order)
    hits = await top_posts(store, since=WEEK_START, until=WEEK_END, executive="leijun", n=3)
    assert [h.id for h in hits] == TOP3
    assert [h.score for h in hits] == [321000 + 65200 + 62300, 281000 + 52300 + 48200, 151000 + 22100 + 18100]
    first = hits[0]
    assert (first.likes, first.shares, first.comments) == (321000, 65200, 62300)
    assert first.url == "https://weibo.com/1749127163/PuoYL79FN"
    assert first.published_at == datetime(2025, 5, 31, 12, 15, tzinfo=UTC)
    everything = await top_posts(store, since=WEEK_START, until=WEEK_END, executive="leijun", n=100)
    assert [h.id for h in everything] == expected_order(raw, "engagement")


@pytest.mark.parametrize("metric", ["likes", "shares", "comments"])
async def test_top_by_single_metric(store, metric):
    raw = await write_sample(store, "shuffle-3")
    hits = await top_posts(store, since=WEEK_START, until=WEEK_END, executive=None, by=metric, n=10)
    assert [h.id for h in hits] == expected_order(raw, metric)[:10]
    assert [h.score for h in hits] == [float(getattr(h, metric)) for h in hits]
    assert hits[0].score == {"likes": 321000, "shares": 65200, "comments": 62300}[metric]


async def test_orders_differ_between_metrics(store):
    """Guards against a metric argument that is silently ignored."""
    await write_sample(store)
    orders = {m: [h.id for h in await top_posts(store, since=None, until=None, executive=None, by=m, n=40)]
              for m in METRICS}
    assert len({tuple(o) for o in orders.values()}) == len(METRICS)


async def test_unknown_metric_is_an_error(store):
    with pytest.raises(ValueError, match="views"):
        await top_posts(store, since=None, until=None, executive=None, by="views")


async def test_executive_filter(store):
    await write_sample(store)
    musk = [post(f"E{i}", f"Starship flight {i}", datetime(2025, 5, 28, 10 + i, tzinfo=SH), likes=10**6 + i,
                 executive="elonmusk") for i in range(3)]
    await write(store, musk)
    mine = await top_posts(store, since=WEEK_START, until=WEEK_END, executive="leijun", n=100)
    assert len(mine) == 40 and {h.author for h in mine} == {"leijun"}
    assert [h.id for h in mine[:3]] == TOP3
    theirs = await top_posts(store, since=WEEK_START, until=WEEK_END, executive="elonmusk")
    assert [h.id for h in theirs] == ["E2", "E1", "E0"]
    both = await top_posts(store, since=WEEK_START, until=WEEK_END, executive=None, n=5)
    assert [h.id for h in both] == ["E2", "E1", "E0", *TOP3[:2]]


async def test_period_bounds_are_half_open_in_the_right_time_zone(store):
    await write_sample(store)
    big = 10**7
    await write(store, [
        post("at-start", "week starts", WEEK_START, likes=big),
        post("just-before", "a second before", datetime(2025, 5, 25, 23, 59, 59, tzinfo=SH), likes=big + 1),
        post("at-end", "next week starts", WEEK_END, likes=big + 2),
        # Still May 31... in UTC only: June 2, 04:00 in Beijing, so outside the week.
        post("utc-trap", "late", datetime(2025, 6, 1, 20, 0, tzinfo=UTC), likes=big + 3),
    ])
    hits = await top_posts(store, since=WEEK_START, until=WEEK_END, executive="leijun", n=100)
    ids = [h.id for h in hits]
    assert ids[0] == "at-start" and len(ids) == 41
    assert not {"just-before", "at-end", "utc-trap"} & set(ids)
    unbounded = await top_posts(store, since=None, until=None, executive="leijun", n=3)
    assert [h.id for h in unbounded] == ["utc-trap", "at-end", "just-before"]


async def test_identical_texts_stay_separate_posts_and_ties_go_to_the_newer(store):
    await write(store, [
        post("old", "分享图片", datetime(2025, 5, 27, 9, tzinfo=SH), likes=5),
        post("new", "分享图片", datetime(2025, 5, 28, 9, tzinfo=SH), likes=5),
    ])
    hits = await top_posts(store, since=None, until=None, executive=None)
    assert [h.id for h in hits] == ["new", "old"]


async def test_digest_chunks_are_not_posts(store):
    await write_sample(store)
    chunk = Doc(platform="weibo", executive="leijun", source_id="digest#0", text="SU7 deliveries", kind="digest",
                published_at=WEEK_START.astimezone(UTC), likes=10**8)
    await write(store, [chunk])
    hits = await top_posts(store, since=WEEK_START, until=WEEK_END, executive="leijun", n=100)
    assert len(hits) == 40 and all(h.kind == "post" for h in hits)
    assert await top_posts(store, since=None, until=None, executive=None, n=0) == []
