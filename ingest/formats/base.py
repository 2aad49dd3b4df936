"""What every format parser yields: records or issues, never exceptions for bad data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from retrieval.errors import ExecbotError


@dataclass
class Record:
    """One normalised post (or one digest document) as read from a source, before the
    executive is resolved through the registry."""

    platform: str  # "weibo", "x", "rss", "csv", "json", "digest"...
    source_id: str  # the source's own id; "" when the source has none (derived later)
    text: str  # clean text: HTML stripped, entities unescaped
    published_at: datetime | None = None  # UTC-aware
    url: str = ""
    author_name: str = ""  # display name as the source shows it
    author_id: str = ""  # platform user id / handle when known
    likes: int = 0
    shares: int = 0
    comments: int = 0
    title: str = ""
    raw: dict[str, Any] = field(default_factory=dict)
    source: str = ""  # file path or URL
    line: int | None = None  # 1-based line, or record index when the format has no lines
    # The source has no engagement counts and a lossy text (feeds): it never overwrites a fuller
    # copy of the same post from a crawler.
    partial: bool = False
    # The text is cut short (Weibo's isLongText without the long text): a later full copy replaces it,
    # and it never replaces a full copy's text.
    truncated: bool = False
    pics: list[str] = field(default_factory=list)  # picture URLs of the post itself (not emoji, not a repost's)
    # Digest documents only:
    is_digest: bool = False
    period_start: datetime | None = None  # UTC-aware, inclusive
    period_end: datetime | None = None  # UTC-aware, exclusive
    sections: list[tuple[str, str]] = field(default_factory=list)  # (heading, text)


@dataclass
class Issue:
    """A record that could not be read. Reported with where it was and why."""

    source: str
    line: int | None
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "line": self.line, "error": self.error}


class FormatError(ExecbotError):
    """The whole file cannot be read in this format (unknown, unreadable, wrong --format)."""
