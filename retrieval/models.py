"""Plain data that crosses module seams: what gets indexed and what search returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, get_args

Kind = Literal["post", "digest"]
# How posts are ranked by `top`; engagement = likes + shares + comments.
Metric = Literal["engagement", "likes", "shares", "comments"]
METRICS: tuple[Metric, ...] = get_args(Metric)


@dataclass
class Executive:
    key: str
    name: str
    aliases: list[str] = field(default_factory=list)
    company: str = ""
    # platform -> list of ids/handles, e.g. {"weibo": ["1749127163"], "x": ["elonmusk"]}
    platform_ids: dict[str, list[str]] = field(default_factory=dict)
    origin: Literal["registry", "data"] = "registry"

    def all_names(self) -> list[str]:
        return [self.name, *self.aliases]


@dataclass
class Doc:
    """One searchable unit: a post, or one section (chunk) of a digest document.

    Identity is (platform, executive, source_id). For digest chunks, source_id is
    "<digest source_id>#<section index>".
    """

    platform: str
    executive: str
    source_id: str
    text: str
    kind: Kind = "post"
    published_at: datetime | None = None  # UTC-aware
    title: str = ""
    url: str = ""
    author_name: str = ""
    likes: int = 0
    shares: int = 0
    comments: int = 0
    raw: dict[str, Any] = field(default_factory=dict)
    source_path: str = ""
    digest_id: str = ""  # for kind == "digest": the source_id of the whole digest document
    partial: bool = False  # from a source without counts (a feed): never replaces a fuller copy
    truncated: bool = False  # the text is cut short: never replaces a full text, always replaced by one
    pics: list[str] = field(default_factory=list)  # picture URLs

    @property
    def engagement(self) -> int:
        return self.likes + self.shares + self.comments


@dataclass
class Digest:
    """A whole digest document (its sections are indexed as Docs of kind 'digest')."""

    platform: str
    executive: str
    source_id: str
    title: str
    text: str
    period_start: datetime | None = None  # UTC-aware, inclusive
    period_end: datetime | None = None  # UTC-aware, exclusive
    published_at: datetime | None = None
    url: str = ""
    source_path: str = ""


@dataclass
class Hit:
    """A search result, as every JSON output shows it."""

    id: str  # the source's own id
    kind: Kind
    author: str  # executive key
    published_at: datetime | None
    text: str
    url: str
    likes: int
    shares: int
    comments: int
    score: float
    platform: str = ""
    author_name: str = ""
    title: str = ""
    uid: str = ""  # internal stable id (vector id)
    folded: list[str] = field(default_factory=list)  # ids of near-duplicates folded into this hit
    pics: list[str] = field(default_factory=list)  # picture URLs of the post

    @property
    def engagement(self) -> int:
        return self.likes + self.shares + self.comments

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "author": self.author,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "text": self.text,
            "url": self.url,
            "likes": self.likes,
            "shares": self.shares,
            "comments": self.comments,
            "score": round(self.score, 6),
            **({"pics": self.pics} if self.pics else {}),  # only when known: the shape stays as it was
        }
