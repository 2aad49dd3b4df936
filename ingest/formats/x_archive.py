"""X (Twitter) personal archive: ``data/tweets.js`` (or ``tweet.js``, ``tweets-part1.js``...).

Each file is ``window.YTD.tweets.part0 = [{"tweet": {...}}, ...]`` with every number as a
string. Long posts are cut in tweets.js; their full text is in ``note-tweet.js`` next to it,
which has no tweet id, so notes are matched on the creation instant. ``manifest.js`` gives
the account's handle for status URLs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import IO, Any

from ingest.formats.base import FormatError, Issue, Record
from ingest.formats.generic import _RecordError, decode_all, guarded
from ingest.normalize import clean_text, parse_count, parse_time, text_placeholder

YTD_RE = re.compile(r"^\s*window\.YTD\.([A-Za-z0-9_]+)\.part(\d+)\s*=\s*")
_ASSIGN_RE = re.compile(r"^\s*window\.[A-Za-z0-9_.]+\s*=\s*")
TWEET_PARTS = ("tweets", "tweet")


def _load_js(text: str) -> Any:
    """JSON after a ``window.X = `` prefix (and before an optional trailing ';')."""
    body = _ASSIGN_RE.sub("", text, count=1).strip().rstrip(";")
    return json.loads(body)


def _companion(path: Path, name: str) -> Any | None:
    file = path.parent / name
    if not file.is_file():
        return None
    text, _ = decode_all(file.read_bytes(), str(file))
    return _load_js(text)


def _account(path: Path | None) -> tuple[str, str]:
    """(handle, display name) from manifest.js, else account.js; empty when unknown."""
    if path is None:
        return "", ""
    try:
        manifest = _companion(path, "manifest.js")
        if isinstance(manifest, dict) and isinstance(manifest.get("userInfo"), dict):
            info = manifest["userInfo"]
            return str(info.get("userName") or ""), str(info.get("displayName") or "")
        account = _companion(path, "account.js")
        if isinstance(account, list) and account and isinstance(account[0], dict):
            acc = account[0].get("account") or {}
            return str(acc.get("username") or ""), str(acc.get("accountDisplayName") or "")
    except (OSError, ValueError):
        pass  # the handle only improves URLs; a broken companion file must not stop the tweets
    return "", ""


def _notes(path: Path | None, source: str) -> tuple[dict[datetime, list[str]], Issue | None]:
    """Full note-tweet texts keyed by their creation instant (UTC)."""
    notes: dict[datetime, list[str]] = {}
    if path is None:
        return notes, None
    try:
        data = _companion(path, "note-tweet.js")
    except (OSError, ValueError) as e:
        return notes, Issue(source, None, f"note-tweet.js unreadable, long posts stay truncated ({e})"[:200])
    for item in data or ():
        note = item.get("noteTweet") if isinstance(item, dict) else None
        if not isinstance(note, dict):
            continue
        when = parse_time(note.get("createdAt"))
        text = (note.get("core") or {}).get("text")
        if when and isinstance(text, str) and text.strip():
            notes.setdefault(when, []).append(text)
    return notes, None


def _photos(tweet: dict[str, Any]) -> list[str]:
    """Photo URLs from entities / extended_entities media (a video's media_url_https is only its poster)."""
    urls: list[str] = []
    for key in ("extended_entities", "entities"):
        block = tweet.get(key)
        media = block.get("media") if isinstance(block, dict) else None
        for m in media if isinstance(media, list) else ():
            url = m.get("media_url_https") if isinstance(m, dict) else None
            if isinstance(url, str) and url.startswith("https://") and m.get("type", "photo") == "photo":
                urls.append(url)
    return list(dict.fromkeys(urls))


def _record(
    item: Any, n: int, source: str, handle: str, display: str, notes: dict[datetime, list[str]]
) -> Record:
    tweet = item.get("tweet", item) if isinstance(item, dict) else None
    if not isinstance(tweet, dict):
        raise _RecordError(f"expected a tweet object, got {type(item).__name__}")
    tid = str(tweet.get("id_str") or tweet.get("id") or "").strip()
    if not tid:
        raise _RecordError("missing id_str")
    created = tweet.get("created_at")
    published = parse_time(created)
    if published is None and created:
        raise _RecordError(f"bad date {str(created)[:40]!r}")
    text = str(tweet.get("full_text") or tweet.get("text") or "")
    if published is not None and notes.get(published):
        text = notes[published].pop(0)  # the note's full text replaces the truncated one
    pics = _photos(tweet)
    text = clean_text(text) or text_placeholder(bool(pics))
    if not text:
        raise _RecordError("missing text")
    try:
        likes = parse_count(tweet.get("favorite_count"))
        shares = parse_count(tweet.get("retweet_count"))
    except ValueError as e:
        raise _RecordError(f"bad count ({e})") from None
    return Record(
        platform="x",
        source_id=tid,
        text=text,
        published_at=published,
        url=f"https://x.com/{handle or 'i'}/status/{tid}",
        author_name=display or handle,
        author_id=handle,
        likes=likes,
        shares=shares,
        raw=tweet,
        source=source,
        line=n,
        pics=pics,
    )


def parse(fp: IO[bytes], source: str, path: Path | None = None) -> Iterator[Record | Issue]:
    text, issue = decode_all(fp.read(), source)
    m = YTD_RE.match(text)
    if m and m.group(1) not in TWEET_PARTS:
        raise FormatError(f"{source}: holds window.YTD.{m.group(1)}, not tweets (use tweets.js)")
    try:
        items = _load_js(text)
    except json.JSONDecodeError as e:
        raise FormatError(
            f"{source}: invalid JSON after the window.YTD prefix: {e.msg} (line {e.lineno})"
        ) from None
    if not isinstance(items, list):
        raise FormatError(f"{source}: not an X archive tweets file (expected a list of tweets)")
    if issue:
        yield issue
    handle, display = _account(path)
    notes, note_issue = _notes(path, source)
    if note_issue:
        yield note_issue
    for n, item in enumerate(items, 1):
        yield guarded(
            source, n, partial(_record, item, n, source, handle, display, notes), f"record {n}: "
        )
