"""Markdown and plain-text digests ("Lei Jun's Weibo Weekly (May 26 – June 1, 2025)").

One file gives one Record (is_digest=True) with the title, the covered period, and the
text split into sections of a size that retrieval can quote.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import IO

from ingest.formats.base import FormatError, Issue, Record
from ingest.formats.generic import decode_all
from ingest.normalize import BEIJING, clean_text, parse_time

# Digests are about Chinese executives, so "May 26 – June 1" means Beijing days:
# the period starts and ends at midnight Asia/Shanghai (stored as UTC).
DIGEST_TZ: tzinfo = BEIJING

SECTION_MIN = 150  # shorter sections are merged into a neighbour
SECTION_TARGET = 1200  # long sections are cut at paragraph boundaries around this size
SECTION_MAX = 1500

_MONTHS = {
    name: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        1,
    )
    for name in names
}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
_YEAR = r"(?:,?\s+(\d{4}))?"
_DASH = r"\s*(?:–|—|-|~|～|to|through|thru|until)\s*"
_CN_DASH = r"\s*(?:–|—|-|~|～|至|到)\s*"

# Each pattern's groups are normalised by _PARTS into (y1, m1, d1, y2, m2, d2).
_PATTERNS: list[tuple[re.Pattern[str], tuple[int | None, ...]]] = [
    # May 26 – June 1, 2025 / May 26, 2025 to June 1, 2025 / May 26–31
    (
        re.compile(rf"\b{_MONTH}\s+{_DAY}{_YEAR}{_DASH}(?:{_MONTH}\s+)?{_DAY}{_YEAR}\b", re.I),
        (3, 1, 2, 6, 4, 5),
    ),
    # 26 May – 1 June 2025 / 26–31 May 2025
    (
        re.compile(rf"\b{_DAY}(?:\s+{_MONTH})?{_YEAR}{_DASH}{_DAY}\s+{_MONTH}{_YEAR}\b", re.I),
        (3, 2, 1, 6, 5, 4),
    ),
    # 2025-05-26 to 2025-06-01 / 2025/05/26 - 06/01
    (
        re.compile(
            r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _DASH + r"(?:(\d{4})[-/.])?(\d{1,2})[-/.](\d{1,2})\b"
        ),
        (1, 2, 3, 4, 5, 6),
    ),
    # 2025年5月26日至6月1日 / 5月26日-6月1日 / 5月26-31日
    (
        re.compile(
            r"(?:(\d{4})\s*年\s*)?(\d{1,2})\s*月\s*(\d{1,2})\s*日?"
            + _CN_DASH
            + r"(?:(\d{4})\s*年\s*)?(?:(\d{1,2})\s*月\s*)?(\d{1,2})\s*日"
        ),
        (1, 2, 3, 4, 5, 6),
    ),
]
_ANY_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


def _month(value: str | None) -> int | None:
    if value is None:
        return None
    return int(value) if value.isdigit() else _MONTHS.get(value.lower().rstrip("."))


def find_period(text: str) -> tuple[date, date] | None:
    """The first covered period (first and last day), preferring a mention that states its year.
    Mentions without a year take the first year written anywhere in the document."""
    found: list[tuple[int, bool, tuple[str | None, ...]]] = []
    for pattern, order in _PATTERNS:
        for m in pattern.finditer(text):
            parts = tuple(m.group(i) if i else None for i in order)
            found.append((m.start(), bool(parts[0] or parts[3]), parts))
    found.sort(key=lambda f: (not f[1], f[0]))  # dated mentions first, then by position
    doc_year = _ANY_YEAR_RE.search(text)
    for _, _, (y1, m1, d1, y2, m2, d2) in found:
        month1, month2 = _month(m1), _month(m2)  # "May 26–31" / "26–31 May": one month for both
        month1, month2 = month1 or month2, month2 or month1
        year2 = int(y2) if y2 else int(y1) if y1 else int(doc_year.group(1)) if doc_year else None
        if month1 is None or month2 is None or year2 is None:
            continue
        year1 = int(y1) if y1 else year2
        try:
            start, end = date(year1, month1, int(d1 or 0)), date(year2, month2, int(d2 or 0))
        except ValueError:
            continue
        if end < start and not y1:  # "Dec 29 – Jan 4, 2026": the year belongs to the end
            start = start.replace(year=start.year - 1)
        elif end < start and not y2:
            end = end.replace(year=end.year + 1)
        if timedelta(0) <= end - start <= timedelta(days=366):
            return start, end
    return None


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), DIGEST_TZ).astimezone(UTC)


# ---------------------------------------------------------------- Markdown and plain text

_FRONT_MATTER_RE = re.compile(r"\A---\n(.*?)\n---\n", re.S)
_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_PUBLISHED_RE = re.compile(
    r"^\s*(?:published(?: on| at)?|publication date|posted(?: on)?|发布(?:时间|日期)|发表于)\s*[:：]?\s*(.+?)\s*$",
    re.I | re.M,
)


def _strip_markdown(line: str) -> str:
    line = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", line)  # images
    line = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line)  # links keep their text
    line = re.sub(r"(\*\*|__)(.+?)\1", r"\2", line)
    line = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", line)
    line = re.sub(r"`([^`]*)`", r"\1", line)
    line = re.sub(r"^\s{0,3}>\s?", "", line)  # blockquote marker
    if re.fullmatch(r"\s*([-*_])(\s*\1){2,}\s*", line):  # horizontal rule
        return ""
    return line


def _parse_day(value: str) -> datetime | None:
    value = value.strip().rstrip(".")
    when = parse_time(value, DIGEST_TZ)
    if when:
        return when
    for fmt in ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=DIGEST_TZ).astimezone(UTC)
        except ValueError:
            continue
    return None


def _is_heading_like(line: str) -> bool:
    """A short title-like line: no final punctuation, no "key: value", not a list item or quote."""
    s = line.strip()
    cjk = sum(1 for ch in s if "\u4e00" <= ch <= "\u9fff")
    if not (2 <= len(s) <= (40 if cjk > len(s) / 3 else 70)) or len(s.split()) > 10:
        return False
    if re.match(r"^(\d+[.、)]|[-*•·]|[“\"「'‘])", s) or ":" in s or "：" in s:
        return False
    if s.rstrip("\"”’'」』").endswith(tuple(".。!！?？;；,，、…")):
        return False
    return any(ch.isalpha() for ch in s)


def _paragraphs(lines: list[str]) -> list[str]:
    paras, cur = [], []
    for line in lines:
        if line.strip():
            cur.append(line.rstrip())
        elif cur:
            paras.append("\n".join(cur))
            cur = []
    if cur:
        paras.append("\n".join(cur))
    return paras


def _plain_sections(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Headings are title-like paragraphs that follow body text (or open the document); a run of
    title-like lines (a heading plus photo captions, say) keeps only the first as the heading."""
    sections: list[tuple[str, list[str]]] = []
    prev_heading_like = False
    for para in _paragraphs(lines):
        first, _, rest = para.partition("\n")
        like = _is_heading_like(first)
        if like and (not prev_heading_like or not sections):
            sections.append((first.strip(), [rest] if rest.strip() else []))
            # The document's title line may be followed directly by the first heading.
            prev_heading_like = not rest.strip() and len(sections) > 1
            continue
        if not sections:
            sections.append(("", []))
        sections[-1][1].append(para)
        prev_heading_like = like and not rest.strip()
    return sections


def _markdown_sections(lines: list[str]) -> list[tuple[str, list[str]]]:
    sections: list[tuple[str, list[str]]] = [("", [])]
    body: list[str] = []
    for line in lines:
        m = _MD_HEADING_RE.match(line)
        if m:
            sections[-1][1].extend(_paragraphs(body))
            sections.append((_strip_markdown(m.group(2)).strip(), []))
            body = []
        else:
            body.append(line)
    sections[-1][1].extend(_paragraphs(body))
    return sections


def _split_long(paragraph: str) -> list[str]:
    """Cut one over-long paragraph at sentence ends."""
    if len(paragraph) <= SECTION_MAX:
        return [paragraph]
    pieces, cur = [], ""
    for sentence in re.split(r"(?<=[.!?。！？])\s*", paragraph):
        if cur and len(cur) + len(sentence) > SECTION_TARGET:
            pieces.append(cur.strip())
            cur = ""
        cur += sentence if not cur or re.search(r"[\u4e00-\u9fff]$", cur) else " " + sentence
    if cur.strip():
        pieces.append(cur.strip())
    return pieces


def _sized(sections: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    """Merge tiny sections into a neighbour and cut long ones near SECTION_TARGET characters."""
    merged: list[tuple[str, list[str]]] = []
    carry: list[str] = []  # a tiny opening section waits for the next one
    for heading, paras in sections:
        paras = carry + [p for p in paras if p.strip()]
        carry = []
        if not paras:
            continue  # a heading with nothing under it
        size = sum(len(p) for p in paras)
        if size < SECTION_MIN:
            tiny = ([heading] if heading else []) + paras
            if merged:
                merged[-1][1].extend(tiny)
            else:
                carry = tiny
            continue
        merged.append((heading, paras))
    if carry:
        merged.append(("", carry))
    out: list[tuple[str, str]] = []
    for heading, paras in merged:
        pieces = [piece for p in paras for piece in _split_long(p)]
        total = sum(len(p) for p in pieces)
        # Balanced cuts: 1,600 characters become two ~800 halves, not 1,200 + 400.
        target = total / math.ceil(total / SECTION_TARGET) if total > SECTION_MAX else total + 1
        chunk: list[str] = []
        size = 0
        for para in pieces:
            if chunk and size + len(para) / 2 > target:
                out.append((heading, "\n\n".join(chunk)))
                chunk, size = [], 0
            chunk.append(para)
            size += len(para)
        if chunk:
            out.append((heading, "\n\n".join(chunk)))
    return out


def parse(fp: IO[bytes], source: str, name: str = "") -> Iterator[Record | Issue]:
    text, issue = decode_all(fp.read(), source)
    if issue:
        yield issue
    text = clean_text(text)
    if not text:
        raise FormatError(f"{source}: empty document")
    front: dict[str, str] = {}
    fm = _FRONT_MATTER_RE.match(text + "\n")
    if fm:
        for line in fm.group(1).splitlines():
            key, sep, value = line.partition(":")
            if sep:
                front[key.strip().lower()] = value.strip().strip("\"'")
        text = text[fm.end() :].strip()
    lines = text.split("\n")
    is_markdown = name.lower().endswith((".md", ".markdown")) or any(_MD_HEADING_RE.match(ln) for ln in lines)

    if is_markdown:
        h1 = next(
            (m.group(2) for ln in lines if (m := _MD_HEADING_RE.match(ln)) and len(m.group(1)) == 1), ""
        )
        raw_sections = _markdown_sections(lines)
        lines = [_strip_markdown(_MD_HEADING_RE.sub(r"\2", ln)) for ln in lines]
        raw_sections = [
            (h, ["\n".join(_strip_markdown(x) for x in p.split("\n")) for p in ps]) for h, ps in raw_sections
        ]
        title = _strip_markdown(front.get("title") or h1).strip()
    else:
        raw_sections = _plain_sections(lines)
        title = ""
    plain = clean_text("\n".join(lines))
    title = title or next((ln.strip() for ln in plain.split("\n") if ln.strip()), "")

    period = find_period(plain)
    start = _midnight(period[0]) if period else None
    end = _midnight(period[1] + timedelta(days=1)) if period else None  # exclusive
    published = None
    explicit = front.get("date") or (m.group(1) if (m := _PUBLISHED_RE.search(plain)) else "")
    if explicit:
        published = _parse_day(explicit)
    if published is None and end is not None:
        published = end - timedelta(days=1)

    yield Record(
        platform="digest",
        source_id="",
        text=plain,
        published_at=published,
        title=title[:300],
        raw={"format": "markdown" if is_markdown else "text", "front_matter": front},
        source=source,
        line=None,
        is_digest=True,
        period_start=start,
        period_end=end,
        sections=_sized(raw_sections),
    )
