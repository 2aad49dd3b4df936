"""Generic CSV, JSON array and JSON Lines files, with column mapping.

Columns are found by common names (case-insensitive, see ALIASES); ``mapping`` overrides
them, e.g. ``{"text": "body", "published_at": "posted"}``. JSON mappings may name nested
keys with dots ("user.screen_name").

Times without an offset are taken as **UTC** here: a generic export says nothing about its
zone, and UTC is what most tools write. Weibo crawler formats have their own parsers that
use Beijing time.

Also home to the streaming helpers the Weibo CSV parsers share (LineReader, CsvRows).
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import IO, Any
from urllib.parse import urlsplit

from ingest.formats.base import FormatError, Issue, Record
from ingest.normalize import clean_text, is_blank, parse_count, parse_time

MAP_FIELDS = ("id", "text", "published_at", "author", "url", "likes", "shares", "comments", "title")

# Earlier names win when a file has several (e.g. "datetime" beats a date-only "date";
# "global_id" beats "id" because some compilations number ids per section).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id_str", "tweet_id", "post_id", "status_id", "mid", "global_id", "id", "guid"),
    "text": ("full_text", "text", "content", "body", "message", "正文", "内容", "微博正文"),
    "published_at": (
        "created_at",
        "published_at",
        "published",
        "datetime",
        "timestamp",
        "pubdate",
        "date",
        "time",
        "发布时间",
        "日期",
    ),
    "likes": (
        "likes",
        "like_count",
        "favorites",
        "favorite_count",
        "favourites",
        "favourite_count",
        "attitudes_count",
        "up_num",
        "点赞数",
    ),
    "shares": ("retweets", "retweet_count", "shares", "share_count", "reposts", "reposts_count", "转发数"),
    "comments": ("comments", "comment_count", "comments_count", "replies", "reply_count", "评论数"),
    "url": ("url", "link", "permalink"),
    "author": ("author", "user_name", "username", "screen_name", "user", "name", "作者"),
    "title": ("title",),
}

# ---------------------------------------------------------------- decoding and CSV streaming


class LineReader:
    """Iterate a binary stream as UTF-8 text lines (line endings kept, BOM dropped).

    Undecodable bytes become U+FFFD; the first line where that happened is kept in
    ``bad_line`` so the parser reports it once instead of failing the whole file.
    """

    def __init__(self, fp: IO[bytes]) -> None:
        self._fp = fp
        self.lineno = 0
        self.bad_line: int | None = None

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for raw in self._fp:
            self.lineno += 1
            if self.lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                if self.bad_line is None:
                    self.bad_line = self.lineno
                text = raw.decode("utf-8", errors="replace")
            yield self.lineno, text


def decode_all(data: bytes, source: str) -> tuple[str, Issue | None]:
    """The whole file as text, plus an Issue when it was not valid UTF-8 (bytes replaced)."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        return data.decode("utf-8", errors="replace"), Issue(source, line, _BAD_UTF8)


_BAD_UTF8 = "invalid UTF-8: undecodable bytes replaced with U+FFFD"


def utf8_issue(reader: LineReader, source: str) -> Issue | None:
    return Issue(source, reader.bad_line, _BAD_UTF8) if reader.bad_line is not None else None


class CsvRows:
    """Stream CSV records as (first_line, fields), recovering from broken quotes.

    The csv module runs in strict mode, so a stray quote raises instead of silently
    swallowing the rest of the file. On an error (or a multi-line record with the wrong
    number of fields once ``expected`` is set) it yields (line, None, reason) and re-reads
    the lines after the record's first line, so one bad quote costs one record.
    """

    def __init__(self, lines: Iterable[tuple[int, str]], delimiter: str = ",") -> None:
        self._source = iter(lines)
        self._pending: deque[tuple[int, str]] = deque()
        self._consumed: list[tuple[int, str]] = []
        self.delimiter = delimiter
        self.expected: int | None = None

    def _feed(self) -> Iterator[str]:
        while True:
            item: tuple[int, str] | None
            if self._pending:
                item = self._pending.popleft()
            else:
                item = next(self._source, None)
                if item is None:
                    return
            self._consumed.append(item)
            yield item[1]

    def _reader(self) -> Iterator[list[str]]:
        return csv.reader(self._feed(), delimiter=self.delimiter, strict=True)

    def __iter__(self) -> Iterator[tuple[int, list[str] | None, str]]:
        reader = self._reader()
        while True:
            self._consumed.clear()
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as e:
                error = f"bad CSV quoting: {e}"
            else:
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                spans = len(self._consumed) > 1
                if not (spans and self.expected is not None and len(row) != self.expected):
                    yield self._consumed[0][0], row, ""
                    continue
                error = f"bad CSV quoting: {len(row)} fields, expected {self.expected}"
            first = self._consumed[0][0] if self._consumed else 0
            yield first, None, error
            self._pending.extendleft(reversed(self._consumed[1:]))
            reader = self._reader()


def sniff_delimiter(header_line: str) -> str:
    """Comma unless the header clearly uses tabs or semicolons."""
    counts = {d: header_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > 0 else ","


def csv_table(
    fp: IO[bytes], source: str
) -> Iterator[tuple[int, dict[str, str] | None, str] | tuple[int, list[str], str]]:
    """Shared CSV driver: first yields (line, header_list, "header"), then (line, row_dict, "")
    or (line, None, reason) per record, then possibly (line, None, utf8 reason) at the end."""
    reader = LineReader(fp)
    lines = iter(reader)
    first = next(lines, None)
    if first is None:
        raise FormatError(f"{source}: empty file")
    rows = CsvRows(_chain_one(first, lines), delimiter=sniff_delimiter(first[1]))
    header: list[str] | None = None
    for line, row, error in rows:
        if row is None:
            yield line, None, error
            continue
        if header is None:
            header = [h.strip().lstrip("\ufeff") for h in row]
            rows.expected = len(header)
            yield line, header, "header"
            continue
        if len(row) != len(header):  # a cut or shifted row: its cells would land in the wrong columns
            fields = "1 field" if len(row) == 1 else f"{len(row)} fields"
            yield line, None, f"{fields}, the header has {len(header)}"
            continue
        yield line, dict(zip(header, row, strict=True)), ""
    if header is None:
        raise FormatError(f"{source}: no CSV header")
    issue = utf8_issue(reader, source)
    if issue:
        yield issue.line or 0, None, issue.error


def _chain_one(first: tuple[int, str], rest: Iterator[tuple[int, str]]) -> Iterator[tuple[int, str]]:
    yield first
    yield from rest


# ---------------------------------------------------------------- field mapping


def check_mapping(mapping: dict[str, str] | None) -> dict[str, str]:
    mapping = dict(mapping or {})
    unknown = sorted(set(mapping) - set(MAP_FIELDS))
    if unknown:
        raise FormatError(f"unknown mapping field {unknown[0]!r}; use one of: {', '.join(MAP_FIELDS)}")
    return mapping


def resolve_columns(keys: Iterable[str], mapping: dict[str, str]) -> dict[str, str]:
    """field -> the column/key holding it, from the mapping first and then the aliases."""
    by_lower: dict[str, str] = {}
    for k in keys:
        by_lower.setdefault(k.strip().lower(), k)
    resolved: dict[str, str] = {}
    for fld in MAP_FIELDS:
        if fld in mapping:
            resolved[fld] = mapping[fld]
            continue
        for alias in ALIASES[fld]:
            if alias in by_lower:
                resolved[fld] = by_lower[alias]
                break
    return resolved


def _get(obj: dict[str, Any], key: str) -> Any:
    if key in obj:
        return obj[key]
    value: Any = obj
    for part in key.split("."):  # dotted path into nested JSON
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


WEIBO_POST_RE = re.compile(r"^https?://(?:www\.|m\.)?weibo\.(?:com|cn)/(\d+)/([A-Za-z0-9]+)/?(?:[?#].*)?$")
_X_STATUS_RE = re.compile(r"/status(?:es)?/(\d+)")


def platform_for_url(url: str, default: str) -> str:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.").removeprefix("mobile.")
    if host in ("twitter.com", "x.com"):
        return "x"
    if host in ("weibo.com", "weibo.cn", "m.weibo.cn"):
        return "weibo"
    return default


def _id_string(value: Any) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _author(value: Any) -> str:
    if isinstance(value, dict):  # {"user": {"screen_name": ...}}
        for k in ("screen_name", "name", "username", "nickname"):
            if value.get(k):
                return str(value[k]).strip()
        return ""
    return "" if is_blank(value) else str(value).strip()


def _count(obj: dict[str, Any], cols: dict[str, str], fld: str) -> int:
    if fld not in cols:
        return 0
    value = _get(obj, cols[fld])
    try:
        return parse_count(value)
    except ValueError:
        raise _RecordError(f"bad {fld} count {str(value)[:40]!r}") from None


class _RecordError(Exception):
    """A short, human reason why one record is skipped."""


def build_record(obj: dict[str, Any], cols: dict[str, str], platform: str, source: str, line: int) -> Record:
    """One generic record from a row/object; raises _RecordError with a short reason."""
    text_value = _get(obj, cols["text"]) if "text" in cols else None
    text = "" if is_blank(text_value) else clean_text(str(text_value))
    if not text:
        raise _RecordError("missing text" if "text" in cols else "no text column")

    published: datetime | None = None
    if "published_at" in cols:
        raw_time = _get(obj, cols["published_at"])
        # A date-only column next to a time column ("date": "2015-11-17", "time": "20:20").
        if (
            cols["published_at"].lower() == "date"
            and isinstance(raw_time, str)
            and len(raw_time.strip()) == 10
        ):
            clock = next((obj[k] for k in obj if k.lower() == "time"), None)
            if isinstance(clock, str) and re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", clock.strip()):
                raw_time = f"{raw_time.strip()} {clock.strip()}"
        if not is_blank(raw_time):
            published = parse_time(raw_time, UTC)
            if published is None:
                raise _RecordError(f"bad date {str(raw_time)[:40]!r}")

    url = "" if "url" not in cols or is_blank(_get(obj, cols["url"])) else str(_get(obj, cols["url"])).strip()
    source_id = _id_string(_get(obj, cols["id"])) if "id" in cols else ""
    author_id = ""
    platform = platform_for_url(url, platform) if url else platform
    if platform == "weibo" and (m := WEIBO_POST_RE.match(url)):
        # Same identity as weibo-crawler / RSSHub: the bid from the post URL.
        author_id, source_id = m.group(1), m.group(2)
    elif platform == "x" and not source_id and (m := _X_STATUS_RE.search(url)):
        source_id = m.group(1)

    title_value = _get(obj, cols["title"]) if "title" in cols else None
    return Record(
        platform=platform,
        source_id=source_id,
        text=text,
        published_at=published,
        url=url,
        author_name=_author(_get(obj, cols["author"])) if "author" in cols else "",
        author_id=author_id,
        likes=_count(obj, cols, "likes"),
        shares=_count(obj, cols, "shares"),
        comments=_count(obj, cols, "comments"),
        title="" if is_blank(title_value) else clean_text(str(title_value)),
        raw=dict(obj),
        source=source,
        line=line,
    )


_SPACE = re.compile(r"\s*")


def skip_space(text: str, pos: int = 0) -> int:
    """The index of the first non-space character at or after `pos`."""
    m = _SPACE.match(text, pos)
    return m.end() if m else pos


def guarded(source: str, line: int, build: Callable[[], Record], label: str = "") -> Record | Issue:
    """Run one record's conversion; any failure becomes an Issue, never an exception."""
    try:
        return build()
    except _RecordError as e:
        return Issue(source, line, f"{label}{e}")
    except Exception as e:  # a bug or a shape nobody expected: report, keep going
        return Issue(source, line, f"{label}unreadable record ({type(e).__name__}: {e})"[:200])


# ---------------------------------------------------------------- CSV


def parse_csv(fp: IO[bytes], source: str, mapping: dict[str, str] | None = None) -> Iterator[Record | Issue]:
    mapping = check_mapping(mapping)
    cols: dict[str, str] = {}
    for line, row, note in csv_table(fp, source):
        if note == "header":
            header = row
            assert isinstance(header, list)
            missing = [f"{k}={v}" for k, v in mapping.items() if v not in header]
            if missing:
                raise FormatError(
                    f"{source}: mapping {missing[0]} names no column (columns: {_columns(header)})"
                )
            cols = resolve_columns(header, mapping)
            if "text" not in cols:
                raise FormatError(
                    f"{source}: no text column (looked for {', '.join(ALIASES['text'])}; "
                    f"columns: {_columns(header)}); map one with text=<column>"
                )
            continue
        if row is None:
            yield Issue(source, line or None, note)
            continue
        assert isinstance(row, dict)
        yield guarded(source, line, partial(build_record, row, cols, "csv", source, line))


# ---------------------------------------------------------------- JSON and JSON Lines

# Keys under which a JSON object commonly keeps its list of posts.
_LIST_KEYS = ("data", "posts", "items", "records", "tweets", "statuses", "weibo", "entries", "results")


def parse_json(fp: IO[bytes], source: str, mapping: dict[str, str] | None = None) -> Iterator[Record | Issue]:
    """JSON array (items read one by one), JSON Lines, or an object holding a list of posts."""
    mapping = check_mapping(mapping)
    head = fp.read(65536)
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    if not stripped:
        raise FormatError(f"{source}: empty file")
    if stripped[:1] == b"[":
        text, issue = decode_all(head + fp.read(), source)
        if issue:
            yield issue
        yield from _json_array(text, source, mapping)
        return
    if stripped[:1] != b"{":
        raise FormatError(f"{source}: not JSON (starts with {stripped[:20]!r})")
    if not _looks_like_json_lines(fp, head):  # one (pretty-printed or single-line) object
        text, issue = decode_all(head + fp.read(), source)
        yield from _json_object(text, source, mapping, issue)
        return
    fp.seek(0)
    yield from _json_lines(fp, source, mapping)


def _is_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line.decode("utf-8", errors="replace")), dict)
    except ValueError:
        return False


def _looks_like_json_lines(fp: IO[bytes], head: bytes, probe: int = 5) -> bool:
    """JSON Lines, or one JSON object? Decided on whole lines, so that a bad or very long first line
    (invalid UTF-8, a broken record, a 5 MB post) does not turn a JSON Lines file into one broken object."""
    lines = head.split(b"\n")
    if len(lines) == 1 or (len(lines) == 2 and not lines[1].strip()):
        # The first line runs past the head: read on to its end (bounded by the line itself).
        pos = fp.tell()
        rest = fp.readline()
        after = fp.readline()
        fp.seek(pos)
        if not after.strip():
            return False  # a single line: one object (a post, or an object holding a list of posts)
        lines = [head + rest, after]
    complete = [ln for ln in lines[: probe + 1] if ln.strip()][:probe]
    if len(complete) < 2:
        return False
    if _is_object(complete[0]):
        return True
    # A broken first record: JSON Lines when most of the next lines are whole objects. Pretty-printed
    # JSON has inner lines like `"key": value,` or `{...},` that are not.
    others = complete[1:]
    return sum(_is_object(ln) for ln in others) * 2 >= len(others)


def _columns(header: list[str]) -> str:
    """Column names for a one-line message: a header cell may hold a line break."""
    return " ".join(", ".join(header).split())[:200]


def _json_items(
    items: Iterable[tuple[int, Any]], source: str, mapping: dict[str, str], label: str = "record"
) -> Iterator[Record | Issue]:
    """Records from decoded JSON values; ``label`` names the position in messages ("record 3")."""
    cache: dict[tuple[str, ...], dict[str, str]] = {}
    for n, item in items:
        prefix = f"{label} {n}: " if label else ""
        if isinstance(item, Issue):
            yield item
            continue
        if not isinstance(item, dict):
            yield Issue(source, n, f"{prefix}expected a JSON object, got {type(item).__name__}")
            continue
        key = tuple(item)
        cols = cache.get(key)
        if cols is None:
            if len(cache) > 256:  # heterogeneous file: keep the cache bounded
                cache.clear()
            cols = cache[key] = resolve_columns(key, mapping)
        yield guarded(source, n, partial(build_record, item, cols, "json", source, n), prefix)


def _json_array(text: str, source: str, mapping: dict[str, str]) -> Iterator[Record | Issue]:
    """Decode array items one at a time so a truncated file still gives its first items."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    n = 0

    def items() -> Iterator[tuple[int, Any]]:
        nonlocal pos, n
        pos = skip_space(text, pos)
        if text.startswith("]", pos):
            return
        while True:
            n += 1
            obj, pos = decoder.raw_decode(text, pos)
            yield n, obj
            pos = skip_space(text, pos)
            if text.startswith(",", pos):
                pos = skip_space(text, pos + 1)
                continue
            if text.startswith("]", pos):
                return
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)

    try:
        yield from _json_items(items(), source, mapping)
    except json.JSONDecodeError as e:
        if n <= 1:  # nothing readable at all: the file is not JSON, not one bad record
            raise FormatError(f"{source}: invalid JSON: {e.msg} (line {e.lineno})") from None
        yield Issue(
            source, e.lineno, f"record {n}: invalid JSON: {e.msg}; the rest of the file is unreadable"
        )


def _json_object(
    text: str, source: str, mapping: dict[str, str], issue: Issue | None
) -> Iterator[Record | Issue]:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        raise FormatError(f"{source}: invalid JSON: {e.msg} (line {e.lineno})") from None
    if issue:
        yield issue
    for key in _LIST_KEYS + tuple(obj):
        value = obj.get(key)
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value[:5]):
            yield from _json_items(enumerate(value, 1), source, mapping)
            return
    yield from _json_items([(1, obj)], source, mapping)  # a single post


def _json_lines(fp: IO[bytes], source: str, mapping: dict[str, str]) -> Iterator[Record | Issue]:
    reader = LineReader(fp)

    def items() -> Iterator[tuple[int, Any]]:
        for n, line in reader:
            if not line.strip():
                continue
            try:
                yield n, json.loads(line)
            except json.JSONDecodeError as e:
                yield n, Issue(source, n, f"invalid JSON: {e.msg}")

    yield from _json_items(items(), source, mapping, label="")
    issue = utf8_issue(reader, source)
    if issue:
        yield issue
