"""Tell formats apart from a file's first bytes; the extension only breaks ties."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from ingest.formats.base import FormatError
from ingest.formats.generic import ALIASES, sniff_delimiter
from ingest.formats.x_archive import TWEET_PARTS, YTD_RE

HEAD_BYTES = 65536  # enough to reach the first post after weibo-crawler's "user" block

TEXT_EXTS = (".md", ".markdown", ".txt", ".text")
JSON_EXTS = (".json", ".jsonl", ".ndjson")
CSV_EXTS = (".csv", ".tsv")
# Media and binaries a crawler leaves next to its data (weibo-crawler's img/ and video/).
_SKIP_EXTS = frozenset(
    ".jpg .jpeg .png .gif .webp .bmp .heic .mp4 .mov .avi .mkv .webm .mp3 .m4a .wav .zip .gz .tar .7z "
    ".pdf .doc .docx .xls .xlsx .db .sqlite .log .pyc .swp .tmp .part .bak .lock".split()
)
_SKIP_STEMS = ("readme", "license", "licence", "copying", "notice", "changelog", "authors", "contributing")
_SKIP_NAMES = frozenset({"thumbs.db", "desktop.ini", "manifest.js"})

_JSON_START_RE = re.compile(r'^(?:\[\s*(?:[{\["\]\d-]|true|false|null)|\{\s*["}])')
_FEED_RE = re.compile(r"<(?:rss|feed|rdf:rdf)[\s>]", re.I)
_CRAWLER_KEYS = ('"bid"', '"attitudes_count"', '"reposts_count"', '"comments_count"')
_SPIDER_KEYS = ('"up_num"', '"publish_time"', '"retweet_num"', '"comment_num"')
# Raw Weibo API pages: getIndex cards ("mblog", "card_type"), mymblog items ("mblogid"), or a page envelope.
_API_KEYS_RE = re.compile(r'"(?:mblog"\s*:\s*\{|mblogid"\s*:|card_type"\s*:)')
_API_PAGE_RE = re.compile(r'"ok"\s*:\s*-?\d')
_API_LIST_RE = re.compile(r'"(?:cards|list)"\s*:\s*\[')
_ALL_ALIASES = frozenset(a for names in ALIASES.values() for a in names)


@dataclass(frozen=True)
class Sniff:
    """``kind`` is a format name, or None for a companion file to skip; ``shape`` is the raw
    content family ("js", "feed", "json", "csv", "text") used to judge a forced --format."""

    kind: str | None
    shape: str


def is_skippable_name(path: Path) -> bool:
    """Files never worth parsing while walking a directory: hidden files, READMEs and
    licences, editor leftovers, media, and the X archive's manifest."""
    name = path.name.lower()
    if not name or name.startswith((".", "~")) or name.endswith("~"):
        return True
    if name in _SKIP_NAMES or path.suffix.lower() in _SKIP_EXTS:
        return True
    return name.split(".", 1)[0].split("-", 1)[0] in _SKIP_STEMS


def _header(first_line: str) -> list[str]:
    try:
        row = next(csv.reader([first_line], delimiter=sniff_delimiter(first_line)))
    except (csv.Error, StopIteration):
        return []
    return [h.strip().lstrip("\ufeff") for h in row]


def _looks_like_csv(header: list[str], text: str) -> bool:
    """A header with a known column name, and a first data line with as many fields."""
    if len(header) < 2 or not _ALL_ALIASES & {h.lower() for h in header}:
        return False
    lines = text.split("\n", 2)
    if len(lines) < 2:
        return True
    try:
        row = next(csv.reader([lines[1]], delimiter=sniff_delimiter(lines[0])))
    except (csv.Error, StopIteration):
        return False
    return len(row) >= len(header) - 1


def sniff(head: bytes, name: str) -> Sniff:
    """Classify content; raises FormatError("unknown format: ...") when it can't."""
    ext = Path(name).suffix.lower()
    if not head.strip():
        raise FormatError(f"unknown format: {name}: empty file")
    if b"\x00" in head[:4096]:
        raise FormatError(f"unknown format: {name}: binary content (or UTF-16, which is not supported)")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")

    if text.startswith("window."):
        m = YTD_RE.match(text)
        # note-tweet.js, manifest.js and the archive's other parts: read alongside tweets.js or not at all
        return Sniff("x-archive" if m and m.group(1) in TWEET_PARTS else None, "js")
    if text.startswith("<"):
        if _FEED_RE.search(text[:8192]):
            return Sniff("rss", "feed")
        raise FormatError(f"unknown format: {name}: XML/HTML that is not an RSS/Atom feed")
    if text[:1] in "[{" and (ext in JSON_EXTS or _JSON_START_RE.match(text)):
        if re.match(r'\[\s*\{\s*"tweet"\s*:', text):  # an archive's tweets without the JS prefix
            return Sniff("x-archive", "json")
        if text.startswith("{") and re.search(r'"weibo"\s*:\s*\[', text):
            if any(k in text for k in _SPIDER_KEYS) and not any(k in text for k in _CRAWLER_KEYS[:2]):
                return Sniff("weibospider", "json")
            return Sniff("weibo-crawler", "json")
        if _API_KEYS_RE.search(text) or (_API_PAGE_RE.search(text) and _API_LIST_RE.search(text)):
            return Sniff("weibo-api", "json")
        return Sniff("json", "json")
    if ext in JSON_EXTS:
        raise FormatError(f"unknown format: {name}: not valid JSON (starts with {text[:20]!r})")

    first_line = text.split("\n", 1)[0].rstrip("\r")
    header = _header(first_line)
    columns = set(header)
    if {"用户id", "昵称"} <= columns:
        return Sniff(None, "csv")  # weibo-crawler's users.csv: profiles, not posts
    if {"微博id", "微博正文"} <= columns:
        return Sniff("weibospider", "csv")
    if "正文" in columns and ("bid" in columns or "id" in columns):
        return Sniff("weibo-crawler", "csv")
    if ext in CSV_EXTS:
        if len(header) >= 2:
            return Sniff("csv", "csv")
        raise FormatError(f"unknown format: {name}: no CSV header with at least two columns")
    if ext in TEXT_EXTS or not ext:
        if text.startswith("用户信息") and "用户id" in text[:500]:
            return Sniff(None, "text")  # weiboSpider's .txt copy of its CSV/JSON
        if ext not in (".md", ".markdown") and _looks_like_csv(header, text):
            return Sniff("csv", "csv")
        return Sniff("digest", "text")
    if _looks_like_csv(header, text):
        return Sniff("csv", "csv")
    raise FormatError(f"unknown format: {name}: unrecognised content for a {ext} file")


def read_head(path: Path) -> bytes:
    """The first HEAD_BYTES of a file; unreadable files become FormatError."""
    if path.is_dir():
        raise FormatError(f"unknown format: {path}: is a directory")
    try:
        with path.open("rb") as fp:
            return fp.read(HEAD_BYTES)
    except OSError as e:
        raise FormatError(f"unknown format: {path}: cannot read ({e.strerror or e})") from None


def detect(path: Path) -> str | None:
    """The format of ``path`` from its content, None for a companion file to skip."""
    return sniff(read_head(path), str(path)).kind
