"""dataabc/weiboSpider output: ``weibo/<name>/<uid>.csv`` or ``.json`` (the .txt is not read).

Fields: id (a bid-like string), content, publish_time ("YYYY-MM-DD HH:MM", Beijing time),
up_num / retweet_num / comment_num; missing values are "无".
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import IO, Any

from ingest.formats.base import FormatError, Issue, Record
from ingest.formats.generic import _RecordError, csv_table, guarded
from ingest.formats.weibo_crawler import is_json, layout_user, parse_user_json, post_url
from ingest.normalize import (
    BEIJING,
    clean_text,
    is_blank,
    parse_count,
    parse_time,
    split_urls,
    text_placeholder,
)

# weiboSpider's CsvWriter headers; the two repost columns only appear when it crawled reposts.
CSV_COLUMNS = {
    "微博id": "id",
    "微博正文": "content",
    "头条文章url": "article_url",
    "原始图片url": "original_pictures",
    "被转发微博原始图片url": "retweet_pictures",
    "是否为原创微博": "original",
    "微博视频url": "video_url",
    "发布位置": "publish_place",
    "发布时间": "publish_time",
    "发布工具": "publish_tool",
    "点赞数": "up_num",
    "转发数": "retweet_num",
    "评论数": "comment_num",
}


def post_record(
    post: dict[str, Any], source: str, line: int, name: str, uid: str, raw: dict[str, Any] | None = None
) -> Record:
    """A Record from one weiboSpider post dict (JSON keys); raises _RecordError."""
    pid = "" if is_blank(post.get("id")) else str(post["id"]).strip()
    if not pid:
        raise _RecordError("missing id")
    pics = split_urls(post.get("original_pictures"))
    text = "" if is_blank(post.get("content")) else clean_text(str(post["content"]))
    # A picture or video post without words is still a post; without either it is a broken record.
    text = text or text_placeholder(bool(pics), not is_blank(post.get("video_url")))
    if not text:
        raise _RecordError("missing text")
    when = post.get("publish_time")
    published = parse_time(when, BEIJING)
    if published is None and not is_blank(when):
        raise _RecordError(f"bad date {str(when)[:40]!r}")
    counts: dict[str, Any] = {}
    for fld, key in (("likes", "up_num"), ("shares", "retweet_num"), ("comments", "comment_num")):
        try:
            counts[fld] = parse_count(post.get(key))
        except ValueError:
            raise _RecordError(f"bad {key} {str(post.get(key))[:40]!r}") from None
    return Record(
        platform="weibo",
        source_id=pid,
        text=text,
        published_at=published,
        url=post_url(uid, pid),
        author_name=name,
        author_id=uid,
        **counts,
        raw=raw if raw is not None else post,
        source=source,
        line=line,
        pics=pics,
    )


def parse(fp: IO[bytes], source: str, path: Path | None = None) -> Iterator[Record | Issue]:
    if is_json(fp):
        yield from parse_user_json(fp, source, path, "weiboSpider", "nickname", post_record)
    else:
        yield from _parse_csv(fp, source, path)


def _parse_csv(fp: IO[bytes], source: str, path: Path | None) -> Iterator[Record | Issue]:
    name, uid = layout_user(path)
    for line, row, note in csv_table(fp, source):
        if note == "header":
            assert isinstance(row, list)
            if "微博id" not in row or "微博正文" not in row:
                raise FormatError(f"{source}: not weiboSpider CSV (no 微博id/微博正文 columns)")
            continue
        if row is None:
            yield Issue(source, line or None, note)
            continue
        assert isinstance(row, dict)
        post = {CSV_COLUMNS[h]: v for h, v in row.items() if h in CSV_COLUMNS}
        yield guarded(
            source, line, partial(post_record, post, source, line, name, uid, dict(row))
        )
