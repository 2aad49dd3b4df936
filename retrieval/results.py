"""What the engine returns: plain dataclasses that the CLI prints and the bot renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from retrieval.formatting import relative_change
from retrieval.models import Hit


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


@dataclass
class Filters:
    author: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    label: str = ""  # human description of the period, e.g. "last week (May 26 – Jun 1, 2025)"

    def to_json(self) -> dict[str, Any]:
        return {"author": self.author, "since": _iso(self.since), "until": _iso(self.until)}


@dataclass
class SearchResult:
    query: str
    terms: str  # what was searched for once the executive and time phrase were taken out
    filters: Filters
    hits: list[Hit]
    # Set when the period holds no posts at all: names the most recent period that has some.
    notice: str = ""
    # Translations the keyword side matched for the terms ("deliveries" -> 交付), as searched.
    also: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"query": self.query, "filters": self.filters.to_json(), "hits": [h.to_json() for h in self.hits],
                "notice": self.notice or None, "also_searched": self.also}


@dataclass
class AnswerSentence:
    text: str  # verbatim from the cited source
    source: int  # 1-based index into Answer.citations


@dataclass
class Answer:
    question: str
    filters: Filters
    found: bool
    sentences: list[AnswerSentence]
    citations: list[Hit]  # citation [n] is citations[n-1]
    text: str  # the rendered answer: sentences with [n] markers, or the honest "nothing found"
    notice: str = ""
    backend: str = "extractive"

    def to_json(self) -> dict[str, Any]:
        return {
            "question": self.question, "answer": self.text, "found": self.found,
            "filters": self.filters.to_json(), "backend": self.backend,
            "citations": [dict(h.to_json(), n=i) for i, h in enumerate(self.citations, 1)],
            "hits": [h.to_json() for h in self.citations], "notice": self.notice or None,
        }


@dataclass
class TopResult:
    filters: Filters
    by: str  # engagement | likes | shares | comments
    posts: list[Hit]
    notice: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"filters": self.filters.to_json(), "period": self.filters.label, "by": self.by,
                "posts": [h.to_json() for h in self.posts], "notice": self.notice or None}


@dataclass
class DigestRef:
    title: str
    source_id: str
    period_start: datetime | None
    period_end: datetime | None  # exclusive
    url: str = ""
    path: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "id": self.source_id, "period_start": _iso(self.period_start),
                "period_end": _iso(self.period_end), "url": self.url or None, "path": self.path or None}


@dataclass
class DayActivity:
    day: date  # in the configured time zone
    posts: int
    engagement: int


@dataclass
class Prose:
    """A digest's generated overview and trend analysis, checked (retrieval/reports/digest_prose.py)."""

    overview: str  # checked text; [n] is citations[n-1]
    trend: str
    citations: list[Hit] = field(default_factory=list)
    language: str = "en"

    def to_json(self) -> dict[str, Any]:
        return {"language": self.language, "overview": self.overview or None, "trend": self.trend or None,
                "citations": [{"n": i, "id": h.id, "url": h.url} for i, h in enumerate(self.citations, 1)]}


@dataclass
class Summary:
    filters: Filters
    posts: int
    engagement: int
    likes: int
    shares: int
    comments: int
    prev_posts: int
    prev_engagement: int
    top: list[Hit]  # top 3 by engagement
    top_summaries: list[str]  # a short summary per top post (its leading sentence, clipped)
    topics: list[str]
    by_day: list[DayActivity]
    digests: list[DigestRef]
    chart: str | None = None  # path of the PNG when one was drawn
    notice: str = ""
    photo: Hit | None = None  # the most engaging post with a picture: the photo of the week
    prose: Prose | None = None  # the generated overview and trend analysis (ANSWER_BACKEND=openai)

    @property
    def photo_url(self) -> str | None:
        return self.photo.pics[0] if self.photo and self.photo.pics else None

    @staticmethod
    def change(now: int, before: int) -> float | None:
        """Relative change from the previous period, or None when it had nothing."""
        return relative_change(now, before)

    def to_json(self) -> dict[str, Any]:
        return {
            "filters": self.filters.to_json(), "period": self.filters.label, "posts": self.posts,
            "engagement": self.engagement, "likes": self.likes, "shares": self.shares, "comments": self.comments,
            "previous": {"posts": self.prev_posts, "engagement": self.prev_engagement,
                         "posts_change": self.change(self.posts, self.prev_posts),
                         "engagement_change": self.change(self.engagement, self.prev_engagement)},
            "top": [dict(h.to_json(), summary=s) for h, s in zip(self.top, self.top_summaries, strict=False)],
            "topics": self.topics,
            "by_day": [{"day": d.day.isoformat(), "posts": d.posts, "engagement": d.engagement} for d in self.by_day],
            "digests": [d.to_json() for d in self.digests], "chart": self.chart, "notice": self.notice or None,
            "photo": None if self.photo is None else {
                "url": self.photo_url, "post": self.photo.id, "post_url": self.photo.url,
                "engagement": self.photo.engagement, "published_at": self.photo.to_json()["published_at"]},
            "prose": None if self.prose is None else self.prose.to_json(),
        }

