"""X archive tweets.js with note-tweet.js and manifest.js alongside."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.formats import FormatError, Issue, Record, detect, parse, parse_bytes


def tweet(tid: str, text: str, created: str, likes: str = "5", rts: str = "2") -> dict:
    return {
        "tweet": {
            "id_str": tid,
            "id": tid,
            "full_text": text,
            "created_at": created,
            "favorite_count": likes,
            "retweet_count": rts,
            "entities": {},
        }
    }


def write_archive(
    tmp_path: Path,
    tweets: list,
    notes: list | None = None,
    handle: str | None = "jane",
    name: str = "tweets.js",
    part: str = "tweets",
) -> Path:
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    path = data / name
    path.write_text(f"window.YTD.{part}.part0 = " + json.dumps(tweets, indent=2), encoding="utf-8")
    if notes is not None:
        (data / "note-tweet.js").write_text(
            "window.YTD.note_tweet.part0 = " + json.dumps([{"noteTweet": n} for n in notes]), encoding="utf-8"
        )
    if handle:
        (data / "manifest.js").write_text(
            "window.__THAR_CONFIG = "
            + json.dumps({"userInfo": {"accountId": "1", "userName": handle, "displayName": "Jane CEO"}})
        )
    return path


def split(it):
    out = list(it)
    return [i for i in out if isinstance(i, Record)], [i for i in out if isinstance(i, Issue)]


def test_tweets_with_notes_and_manifest(tmp_path: Path) -> None:
    long_cut = "Our Q2 plan: ship faster &amp; hire slower. Details… https://t.co/abc"
    path = write_archive(
        tmp_path,
        [
            tweet("1800000000000000001", long_cut, "Sat Jun 01 10:00:00 +0000 2024"),
            tweet(
                "1800000000000000002", "Short one &gt; long ones", "Sat Jun 01 11:00:00 +0000 2024", "1.2K"
            ),
        ],
        notes=[
            # same instant as the first tweet, written differently (ISO, milliseconds)
            {
                "createdAt": "2024-06-01T10:00:00.000Z",
                "core": {"text": "Our Q2 plan: ship faster & hire slower. Full text."},
            },
            {"createdAt": "2023-01-01T00:00:00.000Z", "core": {"text": "a note whose tweet is elsewhere"}},
        ],
    )
    assert detect(path) == "x-archive"
    assert detect(path.parent / "note-tweet.js") is None
    assert detect(path.parent / "manifest.js") is None
    (first, second), issues = split(parse(path))
    assert issues == []
    assert first.text == "Our Q2 plan: ship faster & hire slower. Full text."
    assert (first.platform, first.source_id) == ("x", "1800000000000000001")
    assert first.url == "https://x.com/jane/status/1800000000000000001"
    assert first.published_at == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert (first.likes, first.shares) == (5, 2)
    assert (first.author_id, first.author_name) == ("jane", "Jane CEO")
    assert second.text == "Short one > long ones"
    assert second.likes == 1200
    assert second.line == 2


def test_no_manifest_gives_generic_status_url_and_bad_items_are_issues(tmp_path: Path) -> None:
    path = write_archive(
        tmp_path,
        [
            tweet("1", "ok", "Sat Jun 01 10:00:00 +0000 2024"),
            {"tweet": {"full_text": "no id", "created_at": "Sat Jun 01 10:00:00 +0000 2024"}},
            tweet("3", "bad time", "yesterday"),
            7,
        ],
        handle=None,
        name="tweet.js",
        part="tweet",  # the older archive naming
    )
    recs, issues = split(parse(path))
    assert [r.url for r in recs] == ["https://x.com/i/status/1"]
    assert [(i.line, i.error) for i in issues] == [
        (2, "record 2: missing id_str"),
        (3, "record 3: bad date 'yesterday'"),
        (4, "record 4: expected a tweet object, got int"),
    ]


def test_split_archive_part_and_bytes(tmp_path: Path) -> None:
    path = write_archive(
        tmp_path, [tweet("9", "part two", "Sat Jun 01 10:00:00 +0000 2024")], name="tweets-part1.js"
    )
    assert detect(path) == "x-archive"
    (rec,), _ = split(parse_bytes(path.read_bytes(), "https://example.com/tweets-part1.js"))
    assert rec.url == "https://x.com/i/status/9"  # no companion files for fetched content


def test_forced_x_archive_on_note_file_and_on_csv(tmp_path: Path) -> None:
    write_archive(tmp_path, [], notes=[])
    with pytest.raises(FormatError, match="note_tweet, not tweets"):
        parse(tmp_path / "data" / "note-tweet.js", "x-archive")
    csv_file = tmp_path / "t.csv"
    csv_file.write_text("id,text\n1,x\n")
    with pytest.raises(FormatError, match=r"^--format x-archive: t.csv is not an X archive tweets.js file"):
        parse(csv_file, "x-archive")


def test_broken_tweets_js_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "tweets.js"
    path.write_text('window.YTD.tweets.part0 = [ {"tweet": ')
    with pytest.raises(FormatError, match="invalid JSON after the window.YTD prefix"):
        parse(path)


def test_photos_come_from_media_entities(tmp_path: Path) -> None:
    t = tweet("9", "Launch https://t.co/x", "Sat Nov 09 12:14:18 +0000 2024")
    photo = {"type": "photo", "media_url_https": "https://pbs.twimg.com/media/a.jpg"}
    video = {"type": "video", "media_url_https": "https://pbs.twimg.com/ext_tw_video_thumb/v.jpg"}
    t["tweet"]["entities"] = {"media": [photo]}
    t["tweet"]["extended_entities"] = {"media": [photo, {**photo, "media_url_https": "https://pbs.twimg.com/media/b.jpg"},
                                                 video]}
    (rec,) = [r for r in parse(write_archive(tmp_path, [t])) if isinstance(r, Record)]
    assert rec.pics == ["https://pbs.twimg.com/media/a.jpg", "https://pbs.twimg.com/media/b.jpg"]
