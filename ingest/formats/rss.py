"""RSS 2.0 / Atom / RDF feeds via feedparser, including RSSHub's ``/weibo/user/:uid``.

Weibo items (links ``https://weibo.com/<uid>/<bid>``) get platform "weibo" and the bid as
source_id, the same identity weibo-crawler gives the post.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from typing import IO, Any

import feedparser

from ingest.formats.base import FormatError, Issue, Record
from ingest.formats.generic import WEIBO_POST_RE, _RecordError, guarded
from ingest.normalize import clean_text, html_text_and_pics, html_to_text, parse_time, text_placeholder


def _entry_time(entry: Any) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = entry.get(key)
        if parsed:  # feedparser has already normalised it to a UTC struct_time
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    for key in ("published", "updated", "created"):
        if entry.get(key):
            when = parse_time(entry[key])
            if when is None:
                raise _RecordError(f"bad date {str(entry[key])[:40]!r}")
            return when
    return None


def _entry_html(entry: Any) -> str:
    for content in entry.get("content") or ():
        if content.get("value"):
            return str(content["value"])
    return str(entry.get("summary") or entry.get("description") or "")


def _record(entry: Any, feed: Any, source: str, n: int) -> Record:
    link = str(entry.get("link") or "").strip()
    guid = str(entry.get("id") or "").strip()
    title = clean_text(html_to_text(str(entry.get("title") or "")))
    text, pics = html_text_and_pics(_entry_html(entry))
    text = text or title or text_placeholder(bool(pics))
    if not text:
        raise _RecordError("missing text")
    author = clean_text(str(entry.get("author") or feed.get("author") or feed.get("title") or ""))
    tags = [str(t.get("term")) for t in entry.get("tags") or () if t.get("term")]
    raw = {
        "title": entry.get("title", ""),
        "link": link,
        "id": guid,
        "published": entry.get("published") or entry.get("updated") or "",
        "author": entry.get("author", ""),
        "summary": _entry_html(entry),
        "tags": tags,
    }
    m = WEIBO_POST_RE.match(link) or WEIBO_POST_RE.match(guid)
    if m:
        platform, source_id, author_id = "weibo", m.group(2), m.group(1)
        title = ""  # RSSHub's title is just the text cut at 150 characters
    else:
        platform, source_id, author_id = "rss", guid or link, ""
    return Record(
        platform=platform,
        source_id=source_id,
        text=text,
        published_at=_entry_time(entry),
        url=link,
        author_name=author,
        author_id=author_id,
        title=title,
        raw=raw,
        source=source,
        line=n,
        partial=True,  # feeds carry no engagement counts and re-render the text from HTML
        pics=pics,
    )


def parse(fp: IO[bytes], source: str) -> Iterator[Record | Issue]:
    result = feedparser.parse(fp.read())
    entries = result.get("entries") or []
    if result.get("bozo"):  # from a broken file, only count entries that carry something
        entries = [e for e in entries if e.get("title") or e.get("link") or _entry_html(e)]
    if not entries and (result.get("bozo") or not result.get("version")):
        why = result.get("bozo_exception") or "no feed elements"
        raise FormatError(f"{source}: not a readable RSS/Atom feed ({str(why).splitlines()[0][:120]})")
    exc = result.get("bozo_exception")
    # An encoding override (declared us-ascii, really utf-8) loses nothing: not worth an Issue.
    if result.get("bozo") and entries and not isinstance(exc, feedparser.CharacterEncodingOverride):
        why = str(exc or "malformed XML").splitlines()[0][:120]
        yield Issue(source, None, f"feed is not well-formed ({why}); {len(entries)} entries recovered")
    feed = result.get("feed") or {}
    for n, entry in enumerate(entries, 1):
        yield guarded(source, n, partial(_record, entry, feed, source, n), f"entry {n}: ")
