"""Small text, count and time helpers shared by every format parser.

All of them are pure functions: they never touch files and never log.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser

try:  # tzdata can be missing on slim images; China has had no DST since 1991, so +08:00 is exact.
    from zoneinfo import ZoneInfo

    BEIJING: tzinfo = ZoneInfo("Asia/Shanghai")
except Exception:  # pragma: no cover - depends on the machine
    BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")

# Values that crawlers write for "nothing here" (weiboSpider writes 无).
NULL_STRINGS = frozenset({"", "无", "none", "null", "nan", "n/a", "-", "—"})

# ---------------------------------------------------------------- counts

_UNITS = {"": 1, "k": 1_000, "千": 1_000, "w": 10_000, "万": 10_000, "m": 1_000_000, "亿": 100_000_000}
_COUNT_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿|千|[kKmMwW])?\s*\+?")
# weibo.cn shows the button label instead of "0" when nobody has reacted yet.
_ZERO_LABELS = frozenset({"赞", "点赞", "转发", "评论"})


def parse_count(value: object) -> int:
    """Engagement count as an int: 1234, "1,234", "1.2万" (12000), "3亿", "10万+", 4.0.

    Empty / None / False / "无" give 0. Raises ValueError for anything that is not a count,
    so a caller can report the record instead of silently storing 0.
    """
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return 0 if math.isnan(value) else int(round(value))
    s = str(value).strip().replace(",", "").replace("，", "")
    if s.lower() in NULL_STRINGS or s in _ZERO_LABELS:
        return 0
    m = _COUNT_RE.fullmatch(s)
    if not m:
        raise ValueError(f"not a count: {value!r}")
    try:
        number = Decimal(m.group(1))
    except InvalidOperation as e:  # pragma: no cover - the regex only lets digits through
        raise ValueError(f"not a count: {value!r}") from e
    return int(number * _UNITS[(m.group(2) or "").lower()])


# ---------------------------------------------------------------- text

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
# Only entities with their closing ";" are decoded: html.unescape alone turns "&notes" into "¬es".
_ENTITY_RE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SPACES_RE = re.compile(r"[ \t\f\v\u00a0]+")
_MANY_NEWLINES_RE = re.compile(r"\n{3,}")


def clean_text(s: str) -> str:
    """Unescape HTML entities (once), normalise newlines, drop zero-width characters, NFC,
    trim trailing spaces on each line and collapse runs of blank lines."""
    if not s:
        return ""
    if "&" in s:
        s = _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), s)
    s = s.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH)
    s = unicodedata.normalize("NFC", s)
    s = "\n".join(line.rstrip() for line in s.split("\n"))
    return _MANY_NEWLINES_RE.sub("\n\n", s).strip()


_BLOCK_TAGS = frozenset(
    "p div ul ol blockquote h1 h2 h3 h4 h5 h6 table section article header footer pre hr figure figcaption".split()
)
_LINE_TAGS = frozenset({"br", "li", "tr", "dt", "dd"})  # start a new line, but no blank line between items
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "noscript"})


# Weibo marks emoji as <img alt="[doge]"> inside <span class="url-icon">; link icons sit in the same spans
# without an alt. Neither is a picture of the post.
_EMOJI_ALT_RE = re.compile(r"\[[^\[\]\s]{1,12}\]")
_ICON_SRC_MARKS = ("/emoticon/", "face.t.sinajs.cn", "/expression/", "timeline_card_small")
# Weibo's "read more" controls in a cut text: <a href="/status/...">全文</a>, <span class="expand">展开</span>.
_MORE_LABELS = frozenset({"全文", "展开", "展开全文"})


class _TextExtractor(HTMLParser):
    """Text and picture URLs from an HTML fragment. Emoji images become their alt text, other images
    become pictures, links become their text, and Weibo's "全文"/"展开" controls are dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pics: list[str] = []
        self._skip = 0
        self._spans: list[tuple[str, int]] = []  # (class, where its text starts in parts) per open <span>
        self._links: list[int] = []  # where each open <a>'s text starts in parts

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag == "span":
            self._spans.append((dict(attrs).get("class") or "", len(self.parts)))
        elif tag == "a":
            self._links.append(len(self.parts))
        else:
            self.handle_startendtag(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self._image(dict(attrs))
        elif tag in _LINE_TAGS or tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag == "span" and self._spans:
            self._drop_control(self._spans.pop()[1])
        elif tag == "a" and self._links:
            self._drop_control(self._links.pop())
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)

    def _drop_control(self, start: int) -> None:
        if "".join(self.parts[start:]).strip() in _MORE_LABELS:
            del self.parts[start:]

    def _image(self, attrs: dict[str, str | None]) -> None:
        alt, src = (attrs.get("alt") or "").strip(), (attrs.get("src") or "").strip()
        in_icon = any("url-icon" in cls.split() for cls, _ in self._spans)
        if in_icon or any(m in src for m in _ICON_SRC_MARKS) or _EMOJI_ALT_RE.fullmatch(alt):
            if alt and not self._skip:
                self.parts.append(alt)
        elif src.startswith("//"):  # protocol-relative, as Weibo writes them
            self.pics.append("https:" + src)
        elif src.startswith(("http://", "https://")):
            self.pics.append(src)


def html_to_text(markup: str) -> str:
    """Readable text from an HTML fragment: block elements and <br> become line breaks,
    emoji images their alt text, other images / scripts / styles disappear, entities are decoded,
    whitespace is collapsed."""
    return html_text_and_pics(markup)[0]


def html_text_and_pics(markup: str) -> tuple[str, list[str]]:
    """(text, picture URLs) from an HTML fragment; see html_to_text. Emoji and link icons are not pictures."""
    if not markup:
        return "", []
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    lines = (_SPACES_RE.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    # The parser already decoded entities; clean_text must not decode a second time ("&amp;lt;" stays "&lt;").
    text = "\n".join(lines).translate(_ZERO_WIDTH)
    text = unicodedata.normalize("NFC", text)
    return _MANY_NEWLINES_RE.sub("\n\n", text).strip(), list(dict.fromkeys(parser.pics))


def split_urls(value: object) -> list[str]:
    """Picture URLs from a crawler's comma-separated cell or a list of them ("无" or empty: none)."""
    if isinstance(value, list | tuple):
        cells = [str(v) for v in value if isinstance(v, str)]
    elif isinstance(value, str) and not is_blank(value):
        cells = [value]
    else:
        return []
    urls = (u.strip() for cell in cells for u in cell.replace("\n", ",").split(","))
    return list(dict.fromkeys(u for u in urls if u.startswith(("http://", "https://"))))


def text_placeholder(pics: bool = False, video: bool = False) -> str:
    """The text of a post that has none but carries media: it is still a post (its counts matter)."""
    return " ".join(label for label, has in (("[图片]", pics), ("[视频]", video)) if has)


# ---------------------------------------------------------------- time

_EXTRA_FORMATS = (
    "%a %b %d %H:%M:%S %z %Y",  # X / Twitter API and archives
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d %H:%M",
    "%Y.%m.%d",
)
_CN_DATE_RE = re.compile(
    r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?(?:\s*(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?)?"
)
_EPOCH_RE = re.compile(r"-?\d{9,13}(?:\.\d+)?")


def _from_epoch(x: float) -> datetime | None:
    if x > 1e11:  # milliseconds: 1e11 s would be the year 5138
        x /= 1000.0
    try:
        return datetime.fromtimestamp(x, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _parse_string(s: str) -> datetime | None:
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        pass
    for fmt in _EXTRA_FORMATS:
        try:
            # Naive on purpose when the format has no zone: the caller reads it in the source's zone.
            return datetime.strptime(s, fmt)  # noqa: DTZ007
        except ValueError:
            continue
    m = _CN_DATE_RE.fullmatch(s)
    if m:
        y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
        try:
            return datetime(y, mo, d, hh, mm, ss)  # noqa: DTZ001  (naive: localised by the caller)
        except ValueError:
            return None
    try:  # RFC 822 / 2822 ("Sun, 01 Jun 2025 12:15:00 GMT")
        return parsedate_to_datetime(s)
    except (TypeError, ValueError, IndexError):
        return None


def parse_time(value: object, naive_tz: tzinfo = UTC) -> datetime | None:
    """A UTC-aware datetime from an ISO string (with or without offset), epoch seconds or
    milliseconds, RFC 822, X's "%a %b %d %H:%M:%S %z %Y", or "2025年5月31日 20:15".

    A value without an offset is read in ``naive_tz`` (callers pass Beijing time for Weibo
    crawlers and UTC for generic files). Returns None for empty or unreadable values.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        dt: datetime | None = value
    elif isinstance(value, int | float):
        if isinstance(value, float) and math.isnan(value):
            return None
        dt = _from_epoch(float(value))
    else:
        s = str(value).strip()
        if s.lower() in NULL_STRINGS:
            return None
        dt = _from_epoch(float(s)) if _EPOCH_RE.fullmatch(s) else _parse_string(s)
    if dt is None:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=naive_tz)
    return dt.astimezone(UTC)


def is_blank(value: object) -> bool:
    """True for None and for strings a crawler writes to mean "no value"."""
    return value is None or (isinstance(value, str) and value.strip().lower() in NULL_STRINGS)
