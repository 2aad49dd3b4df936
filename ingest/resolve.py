"""From parsed Records to index Docs: attach each post to an executive and give it an identity."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ingest.formats.base import Record
from retrieval.models import Digest, Doc
from retrieval.store.registry import Registry, slugify
from retrieval.store.text import sha

UNKNOWN = "unknown"


@dataclass
class Resolver:
    registry: Registry
    author: str | None = None  # --author KEY: every record belongs to this executive
    added: list[str] = field(default_factory=list)  # executives learned from this run's data

    def executive_for(self, rec: Record) -> str:
        if self.author:
            if self.registry.get(self.author) is None:
                self._learn(self.author, rec.author_name or self.author, rec.author_id, rec.platform)
            return self.author
        ex = self.registry.resolve(rec.platform, rec.author_id, rec.author_name)
        if ex:
            return ex.key
        if rec.is_digest:
            return self._executive_in_text(rec.title + "\n" + rec.text)
        if rec.author_name or rec.author_id:
            key = slugify(rec.author_name or rec.author_id)
            if self.registry.get(key) is None:
                self._learn(key, rec.author_name or rec.author_id, rec.author_id, rec.platform)
            return key
        return UNKNOWN

    def _learn(self, key: str, name: str, handle: str, platform: str) -> None:
        # A numeric platform id is not a handle worth matching in questions.
        handle = "" if handle.isdigit() else handle
        self.registry.add_from_data(key, name=name, handle=handle, platform=platform)
        self.added.append(key)

    def _executive_in_text(self, text: str) -> str:
        """A digest is about the executive its text names most often."""
        low = text.lower()
        best, best_n = UNKNOWN, 0
        for ex in self.registry.executives.values():
            n = sum(low.count(name.lower()) for name in ex.all_names() if len(name) >= 2)
            if n > best_n:
                best, best_n = ex.key, n
        return best


def derived_id(rec: Record) -> str:
    """An id for a record that has none, from its content and date: stable across re-ingests."""
    when = rec.published_at.isoformat() if rec.published_at else ""
    return sha(f"{rec.text.strip()}\x1f{when}", 16)


def clean(text: str) -> str:
    """Text SQLite can store: JSON may hold lone surrogates ("\\ud800"), which UTF-8 cannot encode."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")


def clean_raw(raw: dict[str, Any]) -> dict[str, Any]:
    dumped = json.dumps(raw, ensure_ascii=False, default=str)
    if clean(dumped) is dumped:
        return raw
    return json.loads(clean(dumped))


def record_to_doc(rec: Record, executive: str) -> Doc:
    return Doc(
        platform=rec.platform, executive=executive, source_id=clean(rec.source_id or derived_id(rec)),
        text=clean(rec.text), kind="post", published_at=rec.published_at, title=clean(rec.title),
        url=clean(rec.url), author_name=clean(rec.author_name), likes=rec.likes, shares=rec.shares,
        comments=rec.comments, raw=clean_raw(rec.raw), source_path=rec.source, partial=rec.partial,
        truncated=rec.truncated, pics=[clean(p) for p in rec.pics],
    )


def record_to_digest(rec: Record, executive: str) -> tuple[Digest, list[Doc]]:
    """A digest document and one Doc per section. The digest's id comes from its title and period, so
    an edited digest updates in place."""
    start = rec.period_start.isoformat() if rec.period_start else ""
    sid = rec.source_id or sha(f"{rec.title.strip()}\x1f{start}", 16)
    dg = Digest(
        platform=rec.platform, executive=executive, source_id=sid, title=rec.title, text=rec.text,
        period_start=rec.period_start, period_end=rec.period_end, published_at=rec.published_at,
        url=rec.url, source_path=rec.source,
    )
    sections = rec.sections or [(rec.title, rec.text)]
    chunks = [
        Doc(
            platform=rec.platform, executive=executive, source_id=f"{sid}#{i}", text=body,
            kind="digest", published_at=rec.published_at, title=heading or rec.title, url=rec.url,
            author_name=rec.title, raw={"digest": rec.title, "section": heading}, source_path=rec.source,
        )
        for i, (heading, body) in enumerate(sections)
        if body.strip()
    ]
    return dg, chunks
