"""Raw Weibo API pages, as browser exports, small scripts and archives (stablog) save them.

Two page shapes:

- ``m.weibo.cn/api/container/getIndex``: ``{"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": {...}}]}}``.
  Cards of other types (11: card groups, user cards, ads) are not posts and are passed over.
- ``weibo.com/ajax/statuses/mymblog``: ``{"ok": 1, "data": {"list": [mblog, ...]}}``, whose items carry
  ``mblogid`` (the bid) and the plain ``text_raw`` beside the HTML ``text``.

A file holds one page, a JSON array of pages, or JSON Lines (or any run of concatenated objects) of
pages; a card or an mblog saved on its own is read as well. The post's bid is its identity, as for
weibo-crawler and RSSHub. A text cut short (``isLongText`` without the long text) is flagged
``truncated`` so that a full copy of the post replaces it later. Times are read with their offset.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import IO, Any

from ingest.formats.base import FormatError, Issue, Record
from ingest.formats.generic import _RecordError, decode_all, guarded, skip_space
from ingest.formats.weibo_crawler import post_url
from ingest.normalize import (
    BEIJING,
    clean_text,
    html_to_text,
    is_blank,
    parse_count,
    parse_time,
    text_placeholder,
)

_DECODER = json.JSONDecoder()
# Where the next page may start after a broken one: a line that opens an object or array at column 0.
_RESYNC_RE = re.compile(r"\n(?=[{\[])")
# The post list inside a page, to read the posts before the break of a cut-off page.
_LIST_RE = re.compile(r'"(cards|list)"\s*:\s*\[')
_BASE62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Largest first: the photo of the week wants the biggest picture a page names.
_PIC_SIZES = ("largest", "original", "mw2000", "large", "bmiddle", "thumbnail")
_RAW_KEYS = ("id", "mid", "bid", "mblogid", "created_at", "text", "text_raw", "isLongText", "source",
             "region_name", "attitudes_count", "comments_count", "reposts_count")


@dataclass
class _Broken:
    """A top-level value that is not valid JSON: where it failed, and its text for salvage."""

    error: str
    text: str
    last: bool  # nothing readable follows it


def mid_to_bid(mid: str) -> str:
    """Weibo's bid from a numeric mid: 7-digit groups from the right, each in base 62 (4 characters,
    except the leading group). Used when a page names only the mid."""
    groups = []
    end = len(mid)
    while end > 0:
        start = max(0, end - 7)
        n, digits = int(mid[start:end]), ""
        while n:
            n, r = divmod(n, 62)
            digits = _BASE62[r] + digits
        groups.append(digits.rjust(4, "0") if start > 0 else digits or "0")
        end = start
    return "".join(reversed(groups))


def _scalar(value: Any) -> str:
    """An id or name as a string; "" for missing values and for shapes that are no id at all."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else ""
    return "" if not isinstance(value, str) or is_blank(value) else value.strip()


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


# ---------------------------------------------------------------- one post


def _own_text(mblog: dict[str, Any]) -> tuple[str, bool]:
    """(text, truncated): the long text when the page holds it, else text_raw, else the HTML text."""
    long_text = _dict(mblog.get("longText")).get("longTextContent")
    if isinstance(long_text, str) and long_text.strip():
        return html_to_text(long_text), False
    raw = mblog.get("text_raw")
    if isinstance(raw, str) and raw.strip():
        text = clean_text(raw)
    else:
        html = mblog.get("text")
        text = html_to_text(html) if isinstance(html, str) else ""
    return text, mblog.get("isLongText") in (True, "true")


def _with_repost(text: str, retweeted: Any) -> str:
    """The executive's words stay the post; the reposted text follows as a marked quotation, as
    weibo-crawler writes it, so that it is searchable without being taken for the executive's."""
    if not isinstance(retweeted, dict):
        return text
    quoted, _ = _own_text(retweeted)
    if not quoted:
        return text
    who = _scalar(_dict(retweeted.get("user")).get("screen_name"))
    mark = f"// 转发 @{who}:" if who else "// 转发:"  # a deleted original has no user
    return f"{text}\n\n{mark} {quoted}".lstrip()


def _pics(mblog: dict[str, Any]) -> list[str]:
    """The post's own picture URLs, largest size: getIndex ``pics``, or mymblog ``pic_ids``/``pic_infos``."""
    urls: list[Any] = []  # anything; only strings are kept below
    pics = mblog.get("pics")
    for pic in pics if isinstance(pics, list) else ():
        if isinstance(pic, dict):
            urls.append(_dict(pic.get("large")).get("url") or pic.get("url"))
        else:
            urls.append(pic)
    infos = mblog.get("pic_infos")
    if isinstance(infos, dict):
        given = mblog.get("pic_ids")
        ids: list[Any] = given if isinstance(given, list) else list(infos)
        for pid in ids:
            info = _dict(infos.get(pid)) if isinstance(pid, str) else {}
            urls.append(next((_dict(info.get(s)).get("url") for s in _PIC_SIZES if _dict(info.get(s)).get("url")), None))
    good = (u.strip() for u in urls if isinstance(u, str))
    return list(dict.fromkeys(u for u in good if u.startswith(("http://", "https://"))))


def _has_video(mblog: dict[str, Any]) -> bool:
    page = _dict(mblog.get("page_info"))
    return "video" in (page.get("type"), page.get("object_type"))


def _compact(mblog: dict[str, Any]) -> dict[str, Any]:
    """What is worth keeping of an mblog (a page repeats the whole user profile in every post)."""
    raw = {k: mblog[k] for k in _RAW_KEYS if k in mblog}
    user = _dict(mblog.get("user"))
    if user:
        raw["user"] = {k: user[k] for k in ("id", "screen_name") if k in user}
    pics = _pics(mblog)
    if pics:
        raw["pics"] = pics
    if isinstance(mblog.get("retweeted_status"), dict):
        raw["retweeted_status"] = _compact({k: v for k, v in mblog["retweeted_status"].items()
                                            if k != "retweeted_status"})
    return raw


def mblog_record(mblog: dict[str, Any], source: str, line: int) -> Record:
    """A Record from one mblog (either page shape); raises _RecordError with a short reason."""
    mid = _scalar(mblog.get("mid")) or _scalar(mblog.get("idstr")) or _scalar(mblog.get("id"))
    bid = _scalar(mblog.get("bid")) or _scalar(mblog.get("mblogid"))
    if not bid and mid.isdigit() and mid.isascii():
        bid = mid_to_bid(mid)  # the same identity weibo-crawler and RSSHub give the post
    source_id = bid or mid
    if not source_id:
        raise _RecordError("missing id/bid/mblogid")
    user = _dict(mblog.get("user"))
    uid = _scalar(user.get("id")) or _scalar(user.get("idstr"))

    text, truncated = _own_text(mblog)
    text = _with_repost(text, mblog.get("retweeted_status"))
    pics = _pics(mblog)
    text = text or text_placeholder(bool(pics), _has_video(mblog))
    when = mblog.get("created_at")
    published = parse_time(when, BEIJING)  # "Wed Sep 23 20:42:01 +0800 2026" carries its offset
    if published is None and not is_blank(when):
        # Older pages say "3小时前" or "09-23": without the day the page was saved, no date can be told.
        raise _RecordError(f"bad date {str(when)[:40]!r}")
    if not text:
        if published is None:
            raise _RecordError("no text, pictures or date")
        text = "[无文字]"  # a dated post whose words were deleted: still a post with its counts
    counts: dict[str, Any] = {}
    for fld, key in (("likes", "attitudes_count"), ("comments", "comments_count"), ("shares", "reposts_count")):
        try:
            counts[fld] = parse_count(mblog.get(key))
        except ValueError:
            raise _RecordError(f"bad {key} {str(mblog.get(key))[:40]!r}") from None
    return Record(
        platform="weibo",
        source_id=source_id,
        text=text,
        published_at=published,
        url=post_url(uid, source_id),
        author_name=_scalar(user.get("screen_name")),
        author_id=uid,
        **counts,
        raw=_compact(mblog),
        source=source,
        line=line,
        truncated=truncated,
        pics=pics,
    )


# ---------------------------------------------------------------- pages


def _is_mblog(obj: dict[str, Any]) -> bool:
    return "mblogid" in obj or (any(k in obj for k in ("bid", "mid", "idstr")) and ("text" in obj or "text_raw" in obj))


def _page_items(obj: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """("card"|"item", the page's posts) for a page, a lone card or a lone mblog; None for anything else."""
    if isinstance(obj.get("mblog"), dict):
        return "card", [obj]
    if _is_mblog(obj):
        return "item", [obj]
    inner = obj.get("data")
    data: dict[str, Any] = inner if isinstance(inner, dict) else obj
    if isinstance(data.get("cards"), list):
        return "card", data["cards"]
    if isinstance(data.get("list"), list):
        return "item", data["list"]
    if "ok" in obj:
        return "item", []  # an error or end-of-list answer: judged by its ok below
    return None


def _posts(kind: str, items: list[Any], page: int, source: str, line: int) -> Iterator[Record | Issue]:
    for k, item in enumerate(items, 1):
        label = f"page {page}, {kind} {k}: "
        if not isinstance(item, dict):
            yield Issue(source, line, f"{label}expected a JSON object, got {type(item).__name__}")
            continue
        mblog: Any = item
        if kind == "card":
            mblog = item.get("mblog")
            if not isinstance(mblog, dict):
                if item.get("card_type") == 9:
                    yield Issue(source, line, f"{label}a post card (card_type 9) without its mblog")
                continue  # card groups (11), user cards, ads: not posts
        yield guarded(source, line, partial(mblog_record, mblog, source, line), label)


def _page(obj: Any, page: int, source: str, line: int) -> Iterator[Record | Issue]:
    if not isinstance(obj, dict):
        yield Issue(source, line, f"page {page}: expected a JSON object, got {type(obj).__name__}")
        return
    found = _page_items(obj)
    if found is None:
        yield Issue(source, line, f"page {page}: not a Weibo API page (no data.cards or data.list)")
        return
    kind, items = found
    ok = obj.get("ok")
    if not items and ok is not None and ok not in (1, "1"):
        # {"ok": 0, "msg": "这里还没有内容"} ends a paged download; "请求过于频繁" means posts are missing.
        msg = str(obj.get("msg") or obj.get("message") or "").strip()[:80]
        yield Issue(source, line, f"page {page}: the API answered ok: {str(ok)[:20]}" + (f" ({msg})" if msg else ""))
        return
    yield from _posts(kind, items, page, source, line)


def _salvage(broken: _Broken, page: int, source: str, line: int) -> Iterator[Record | Issue]:
    """The posts of a page cut off mid-way (a download that stopped), then one Issue for the break."""
    m = _LIST_RE.search(broken.text)
    items: list[Any] = []
    if m:
        pos = m.end()
        while True:
            pos = skip_space(broken.text, pos)
            try:
                item, pos = _DECODER.raw_decode(broken.text, pos)
            except ValueError:
                break
            items.append(item)
            pos = skip_space(broken.text, pos)
            if not broken.text.startswith(",", pos):
                break
            pos += 1
    yield from _posts("card" if m and m.group(1) == "cards" else "item", items, page, source, line)
    n = len(items)
    got = f"the {n} post{'s' if n > 1 else ''} before the break {'were' if n > 1 else 'was'} read" if n else "no post could be read"
    yield Issue(source, line, f"page {page}: invalid JSON ({broken.error}); {got}")


class _Lines:
    """1-based line of an offset, counted incrementally (offsets only grow)."""

    def __init__(self, text: str) -> None:
        self.text, self.pos, self.line = text, 0, 1

    def at(self, offset: int) -> int:
        self.line += self.text.count("\n", self.pos, offset)
        self.pos = offset
        return self.line


def _values(text: str) -> Iterator[tuple[int, Any]]:
    """(offset, value) for each page: the elements of a top-level array, or a run of top-level values
    (JSON Lines, concatenated dumps). A value that does not decode comes as _Broken; reading resumes
    at the next line that opens an object or array."""
    pos = skip_space(text)
    in_array = text.startswith("[", pos)
    if in_array:
        pos = skip_space(text, pos + 1)
        if text.startswith("]", pos):
            return
    while pos < len(text):
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as e:
            nxt = None if in_array else _RESYNC_RE.search(text, pos + 1)
            stop = nxt.start() + 1 if nxt else len(text)
            yield pos, _Broken(f"{e.msg}, line {e.lineno}", text[pos:stop], nxt is None)
            pos = stop
            continue
        yield pos, value
        pos = skip_space(text, end)
        if in_array:
            if text.startswith(",", pos):
                pos = skip_space(text, pos + 1)
            elif text.startswith("]", pos):
                return
            else:
                nearby = text[pos : pos + 20]
                yield pos, _Broken(f"expected ',' or ']' before {nearby!r}", "", True)
                return


def parse(fp: IO[bytes], source: str) -> Iterator[Record | Issue]:
    text, utf8_issue = decode_all(fp.read(), source)
    lines = _Lines(text)
    for page, (offset, value) in enumerate(_values(text), 1):
        line = lines.at(offset)
        if page == 1:
            _check_first(value, source)
        if isinstance(value, _Broken):
            yield from _salvage(value, page, source, line)
        elif isinstance(value, list):  # an array inside a run of values: its elements are pages
            for obj in value:
                yield from _page(obj, page, source, line)
        else:
            yield from _page(value, page, source, line)
    if utf8_issue:
        yield utf8_issue


def _check_first(value: Any, source: str) -> None:
    """Whole-file errors: not JSON at all, or JSON that holds no Weibo API page (a forced --format)."""
    if isinstance(value, _Broken):
        if value.last and not _LIST_RE.search(value.text):
            raise FormatError(f"{source}: invalid JSON: {value.error}")
        return
    first = value[0] if isinstance(value, list) and value else value
    if not isinstance(first, dict) or _page_items(first) is None:
        raise FormatError(f"{source}: not Weibo API pages (no data.cards or data.list, no mblog)")
