"""dataabc/weibo-crawler output: ``weibo/<screen_name>/<user_id>.json`` or ``.csv``.

JSON is ``{"user": {...}, "weibo": [post, ...]}``; CSV is utf-8-sig with Chinese headers.
Times are Beijing local time without an offset. The post's ``bid`` is its identity, so the
same post read from RSSHub (whose links end in the bid) lands on the same record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import IO, Any

from ingest.formats.base import FormatError, Issue, Record
from ingest.formats.generic import _RecordError, csv_table, decode_all, guarded
from ingest.normalize import BEIJING, clean_text, is_blank, parse_count, parse_time, split_urls

# CSV header -> JSON key. Reposts add 是否原创/源用户id/源用户昵称 and 源微博<header> columns.
CSV_COLUMNS = {
    "id": "id",
    "bid": "bid",
    "正文": "text",
    "头条文章url": "article_url",
    "原始图片url": "pics",
    "视频url": "video_url",
    "Live Photo视频url": "live_photo_url",
    "位置": "location",
    "日期": "created_at",
    "工具": "source",
    "点赞数": "attitudes_count",
    "评论数": "comments_count",
    "转发数": "reposts_count",
    "话题": "topics",
    "@用户": "at_users",
    "完整日期": "full_created_at",
    "是否编辑过": "edited",
    "编辑次数": "edit_count",
}
_REPOST_PREFIX = "源微博"


def layout_user(path: Path | None) -> tuple[str, str]:
    """(screen_name, user_id) from the crawlers' ``weibo/<screen_name>/<user_id>.csv`` layout."""
    if path is None or not path.stem.isdigit():
        return "", ""
    parent = path.parent.name
    return ("" if parent in ("", "weibo", ".") else parent), path.stem


def post_url(user_id: str, bid: str) -> str:
    """The post's page; without the author's uid, the mobile site still resolves a bid."""
    if not bid:
        return ""
    return f"https://weibo.com/{user_id}/{bid}" if user_id else f"https://m.weibo.cn/status/{bid}"


def _time(post: dict[str, Any]) -> Any:
    created = post.get("created_at")
    full = post.get("full_created_at")
    # Older crawler versions wrote a date-only created_at next to the full timestamp.
    if (is_blank(created) or len(str(created).strip()) <= 10) and not is_blank(full):
        return full
    return created


def _placeholder(post: dict[str, Any]) -> str:
    """Text for a post with none (photo-only, a birthday card): the post still exists, its
    engagement still counts, so it is kept under a label of what it carries. "" when it carries nothing."""
    parts = []
    if not is_blank(post.get("pics")):
        parts.append("[图片]")
    if not (is_blank(post.get("video_url")) and is_blank(post.get("live_photo_url"))):
        parts.append("[视频]")
    if not is_blank(post.get("article_url")):
        parts.append(f"[文章] {str(post['article_url']).strip()}")
    if not parts and not is_blank(_time(post)):  # a dated post, text deleted or never written
        kind = "" if is_blank(post.get("source")) else str(post["source"]).strip()
        parts.append(f"[{kind or '无文字'}]")
    return " ".join(parts)


def post_record(
    post: dict[str, Any],
    source: str,
    line: int,
    default_name: str = "",
    default_uid: str = "",
    raw: dict[str, Any] | None = None,
) -> Record:
    """A Record from one weibo-crawler post dict (JSON keys); raises _RecordError."""
    bid = "" if is_blank(post.get("bid")) else str(post["bid"]).strip()
    pid = "" if is_blank(post.get("id")) else str(post["id"]).strip()  # CSV ids end in a tab
    source_id = bid or pid
    if not source_id:
        raise _RecordError("missing id/bid")
    uid = "" if is_blank(post.get("user_id")) else str(post["user_id"]).strip()
    uid = uid or default_uid
    name = "" if is_blank(post.get("screen_name")) else str(post["screen_name"]).strip()

    text = "" if is_blank(post.get("text")) else clean_text(str(post["text"]))
    retweet = post.get("retweet")
    if isinstance(retweet, dict) and not is_blank(retweet.get("text")):
        # Keep the executive's words first; the quoted original stays searchable.
        who = "" if is_blank(retweet.get("screen_name")) else str(retweet["screen_name"]).strip()
        text = f"{text}\n\n// 转发 @{who}: {clean_text(str(retweet['text']))}".lstrip()
    text = text or _placeholder(post)
    if not text:  # no text, no media and no date: a broken row, not a post
        raise _RecordError("no text, media or date")

    when = _time(post)
    published = parse_time(when, BEIJING)
    if published is None and not is_blank(when):
        raise _RecordError(f"bad date {str(when)[:40]!r}")
    counts: dict[str, Any] = {}
    for fld, key in (
        ("likes", "attitudes_count"),
        ("comments", "comments_count"),
        ("shares", "reposts_count"),
    ):
        try:
            counts[fld] = parse_count(post.get(key))
        except ValueError:
            raise _RecordError(f"bad {key} {str(post.get(key))[:40]!r}") from None
    return Record(
        platform="weibo",
        source_id=source_id,
        text=text,
        published_at=published,
        url=post_url(uid, bid),
        author_name=name or default_name,
        author_id=uid,
        **counts,
        raw=raw if raw is not None else post,
        source=source,
        line=line,
        pics=split_urls(post.get("pics")),
    )


def parse(fp: IO[bytes], source: str, path: Path | None = None) -> Iterator[Record | Issue]:
    if is_json(fp):
        yield from parse_user_json(fp, source, path, "weibo-crawler", "screen_name", post_record)
    else:
        yield from _parse_csv(fp, source, path)


def is_json(fp: IO[bytes]) -> bool:
    """Both Weibo crawlers write JSON or CSV; the first byte tells which."""
    head = fp.read(1024).lstrip(b"\xef\xbb\xbf").lstrip()
    fp.seek(0)
    return head.startswith(b"{")


def parse_user_json(
    fp: IO[bytes], source: str, path: Path | None, what: str, name_key: str,
    build: Callable[[dict[str, Any], str, int, str, str], Record],
) -> Iterator[Record | Issue]:
    """`{"user": {...}, "weibo": [post, ...]}`, the JSON both weibo-crawler and weiboSpider write.
    `build(post, source, n, name, uid)` makes one Record; `name_key` is the user's display-name field."""
    text, issue = decode_all(fp.read(), source)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise FormatError(f"{source}: invalid JSON: {e.msg} (line {e.lineno})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("weibo"), list):
        raise FormatError(f'{source}: not {what} JSON (no "weibo" list)')
    if issue:
        yield issue
    found = doc.get("user")
    user: dict[str, Any] = found if isinstance(found, dict) else {}
    layout_name, layout_uid = layout_user(path)
    name = str(user.get(name_key) or layout_name)
    uid = str(user.get("id") or layout_uid)
    for n, post in enumerate(doc["weibo"], 1):
        if not isinstance(post, dict):
            yield Issue(source, n, f"record {n}: expected a JSON object, got {type(post).__name__}")
            continue
        yield guarded(source, n, partial(build, post, source, n, name, uid), f"record {n}: ")


def _csv_post(row: dict[str, str]) -> dict[str, Any]:
    post: dict[str, Any] = {}
    retweet: dict[str, Any] = {}
    for header, value in row.items():
        if header in CSV_COLUMNS:
            post[CSV_COLUMNS[header]] = value
        elif header.startswith(_REPOST_PREFIX) and header[len(_REPOST_PREFIX) :] in CSV_COLUMNS:
            retweet[CSV_COLUMNS[header[len(_REPOST_PREFIX) :]]] = value
    retweet["user_id"] = row.get("源用户id", "")
    retweet["screen_name"] = row.get("源用户昵称", "")
    if not is_blank(retweet.get("text")):
        post["retweet"] = retweet
    return post


def _csv_record(row: dict[str, str], source: str, line: int, name: str, uid: str) -> Record:
    return post_record(_csv_post(row), source, line, name, uid, raw=dict(row))


def _parse_csv(fp: IO[bytes], source: str, path: Path | None) -> Iterator[Record | Issue]:
    name, uid = layout_user(path)
    for line, row, note in csv_table(fp, source):
        if note == "header":
            assert isinstance(row, list)
            if "正文" not in row or not ({"bid", "id"} & set(row)):
                raise FormatError(f"{source}: not weibo-crawler CSV (no 正文 and bid/id columns)")
            continue
        if row is None:
            yield Issue(source, line or None, note)
            continue
        assert isinstance(row, dict)
        yield guarded(
            source, line, partial(_csv_record, row, source, line, name, uid)
        )
