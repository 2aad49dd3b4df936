"""Format parsers: turn a file (or fetched bytes) into Records and Issues.

``parse`` checks the format eagerly, so a wrong or unknown format raises FormatError at the
call; after that, records stream and bad ones come out as Issues without stopping the rest.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from itertools import chain
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from ingest.formats import digest, generic, rss, weibo_api, weibo_crawler, weibospider, x_archive
from ingest.formats.base import FormatError, Issue, Record
from ingest.formats.detect import HEAD_BYTES, Sniff, detect, is_skippable_name, read_head, sniff

FORMATS = ("weibo-crawler", "weibospider", "weibo-api", "rss", "x-archive", "csv", "json", "digest")
MAP_FIELDS = generic.MAP_FIELDS

__all__ = [
    "FORMATS",
    "MAP_FIELDS",
    "FormatError",
    "Issue",
    "Record",
    "detect",
    "is_skippable_name",
    "parse",
    "parse_bytes",
]

# Which raw content families each forced --format accepts ("unknown": content sniffing gave up).
_ACCEPTS = {
    "weibo-crawler": ("json", "csv"),
    "weibospider": ("json", "csv"),
    "weibo-api": ("json",),
    "rss": ("feed",),
    "x-archive": ("js", "json"),
    "csv": ("csv", "text", "unknown"),
    "json": ("json",),
    "digest": ("text", "csv", "unknown"),
}
_WHAT = {
    "weibo-crawler": 'weibo-crawler output (JSON with a "weibo" list, or CSV with 正文/bid columns)',
    "weibospider": 'weiboSpider output (JSON with a "weibo" list, or CSV with 微博id/微博正文 columns)',
    "weibo-api": "raw Weibo API pages (JSON with data.cards or data.list of posts)",
    "rss": "an RSS/Atom feed",
    "x-archive": "an X archive tweets.js file",
    "csv": "a CSV file",
    "json": "a JSON array or JSON Lines file",
    "digest": "a Markdown or plain-text digest",
}
_SHAPE_WORDS = {"js": "JavaScript", "feed": "a feed", "json": "JSON", "csv": "CSV", "text": "text"}

Opener = Callable[[], IO[bytes]]


def _resolve(fmt: str, head: bytes, name: str) -> str | None:
    """The format to use (None: a companion file, nothing to read)."""
    if fmt != "auto" and fmt not in FORMATS:
        raise FormatError(f"unknown format {fmt!r}; use auto or one of: {', '.join(FORMATS)}")
    try:
        found = sniff(head, name)
    except FormatError:
        if fmt == "auto":
            raise
        found = Sniff(None, "unknown")
    if fmt == "auto":
        return found.kind
    if found.shape not in _ACCEPTS[fmt]:
        looks = _SHAPE_WORDS.get(found.shape)
        hint = f" (it looks like {looks})" if looks else ""
        raise FormatError(f"--format {fmt}: {Path(name).name} is not {_WHAT[fmt]}{hint}")
    return fmt


def _records(
    fmt: str, opener: Opener, source: str, path: Path | None, mapping: dict[str, str] | None
) -> Iterator[Record | Issue]:
    with opener() as fp:
        if fmt == "weibo-crawler":
            yield from weibo_crawler.parse(fp, source, path)
        elif fmt == "weibospider":
            yield from weibospider.parse(fp, source, path)
        elif fmt == "weibo-api":
            yield from weibo_api.parse(fp, source)
        elif fmt == "rss":
            yield from rss.parse(fp, source)
        elif fmt == "x-archive":
            yield from x_archive.parse(fp, source, path)
        elif fmt == "csv":
            yield from generic.parse_csv(fp, source, mapping)
        elif fmt == "json":
            yield from generic.parse_json(fp, source, mapping)
        else:
            yield from digest.parse(fp, source, path.name if path else source)


def _start(
    fmt: str, opener: Opener, source: str, path: Path | None, mapping: dict[str, str] | None
) -> Iterator[Record | Issue]:
    """Run the parser up to its first item so whole-file errors raise here, not mid-iteration."""
    generic.check_mapping(mapping)
    gen = _records(fmt, opener, source, path, mapping)
    try:
        first = next(gen)
    except StopIteration:
        return iter(())
    except FormatError:
        raise
    except Exception as e:  # whatever the bytes were, the caller only ever sees FormatError
        why = " ".join(str(e).split())
        raise FormatError(f"{source}: cannot read as {fmt}: {type(e).__name__}: {why}"[:300]) from None
    return chain([first], _guard(gen, source))


def _guard(gen: Iterator[Record | Issue], source: str) -> Iterator[Record | Issue]:
    """Per-record errors are already Issues; this catches the rest (e.g. a disk error mid-file)."""
    try:
        yield from gen
    except FormatError:
        raise
    except Exception as e:
        yield Issue(source, None, f"stopped reading: {type(e).__name__}: {e}"[:200])


def parse(path: Path, fmt: str = "auto", mapping: dict[str, str] | None = None) -> Iterator[Record | Issue]:
    """Records and Issues from one file. ``fmt`` "auto" detects from content; a forced format
    that does not fit the file raises FormatError. ``mapping`` (field -> column) applies to
    csv and json."""
    path = Path(path)
    chosen = _resolve(fmt, read_head(path), str(path))
    if chosen is None:
        return iter(())
    return _start(chosen, lambda: path.open("rb"), str(path), path, mapping)


def parse_bytes(
    data: bytes, source: str, fmt: str = "auto", mapping: dict[str, str] | None = None
) -> Iterator[Record | Issue]:
    """Like parse, for content fetched from a URL (``source``). Companion files next to the
    content (note-tweet.js, the weibo/<name>/<uid> layout) are not available here."""
    name = Path(urlsplit(source).path).name or source
    chosen = _resolve(fmt, data[:HEAD_BYTES], name)
    if chosen is None:
        return iter(())
    return _start(chosen, lambda: io.BytesIO(data), source, None, mapping)
