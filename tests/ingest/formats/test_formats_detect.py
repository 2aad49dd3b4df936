"""Content-based detection, skippable names and whole-file errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.formats import FORMATS, FormatError, detect, is_skippable_name, parse


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "1749127163.json",
            {"user": {"id": "1"}, "weibo": [{"bid": "Abc", "text": "x", "attitudes_count": 1}]},
            "weibo-crawler",
        ),
        (
            "1749127163.json",
            {
                "user": {"id": "1"},
                "weibo": [{"id": "Abc", "content": "x", "up_num": 1, "publish_time": "2025-05-31 20:15"}],
            },
            "weibospider",
        ),
        ("data.txt", [{"text": "a json array in a .txt"}], "json"),
        ("noext", {"id": 1, "text": "one JSON Lines record"}, "json"),
    ],
)
def test_detect_json_shapes(tmp_path: Path, name: str, content: object, expected: str) -> None:
    path = tmp_path / name
    path.write_text(json.dumps(content, ensure_ascii=False), encoding="utf-8")
    assert detect(path) == expected


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("a.csv", "\ufeffid,bid,正文,日期\n1\t,Abc,x,2025-05-31\n", "weibo-crawler"),
        ("a.csv", "\ufeff微博id,微博正文,发布时间\nAbc,x,2025-05-31 20:15\n", "weibospider"),
        ("a.csv", "id,text,date\n1,x,2025-05-31\n", "csv"),
        ("export.txt", "id,text,date\n1,x,2025-05-31\n", "csv"),  # CSV content wins over the .txt extension
        ("users.csv", "\ufeff用户id,昵称,性别\n1,雷军,m\n", None),
        ("tweets.js", "window.YTD.tweets.part0 = []", "x-archive"),
        ("tweet.js", "window.YTD.tweet.part0 = []", "x-archive"),
        ("tweets-part2.js", "window.YTD.tweets.part2 = []", "x-archive"),
        ("note-tweet.js", "window.YTD.note_tweet.part0 = []", None),
        ("like.js", "window.YTD.like.part0 = []", None),
        ("manifest.js", "window.__THAR_CONFIG = {}", None),
        ("feed", "<?xml version='1.0'?>\n<rss version='2.0'><channel/></rss>", "rss"),
        ("feed.xml", "<feed xmlns='http://www.w3.org/2005/Atom'></feed>", "rss"),
        ("rdf.xml", "<rdf:RDF xmlns:rdf='x'></rdf:RDF>", "rss"),
        ("digest.md", "# Weekly\n\n[May 26 – June 1] was busy, see [link](http://x).", "digest"),
        ("digest.txt", "Lei Jun’s Weibo Weekly, May 26 – June 1\n\nHe posted 40 times.", "digest"),
        ("1749127163.txt", "用户信息\n用户昵称：雷军\n用户id：1749127163\n", None),  # weiboSpider's txt copy
    ],
)
def test_detect_text_shapes(tmp_path: Path, name: str, text: str, expected: str | None) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    assert detect(path) == expected
    assert expected is None or expected in FORMATS


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("empty.csv", b"", "empty file"),
        ("pic.bin", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("bad.json", b"not json at all", "not valid JSON"),
        ("page.html", b"<html><body>hi</body></html>", "not an RSS/Atom feed"),
        ("data.xyz", b"some words without structure", "unrecognised content"),
        ("one.csv", b"justonecolumn\nvalue\n", "no CSV header"),
    ],
)
def test_unknown_formats(tmp_path: Path, name: str, data: bytes, why: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(FormatError, match=rf"^unknown format: .*{name}: .*{why}"):
        detect(path)
    with pytest.raises(FormatError):
        parse(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="cannot read"):
        detect(tmp_path / "nope.csv")
    with pytest.raises(FormatError, match="is a directory"):
        parse(tmp_path)


@pytest.mark.parametrize(
    ("name", "skip"),
    [
        ("README.md", True),
        ("README.txt", True),
        ("LICENSE", True),
        ("license.txt", True),
        (".DS_Store", True),
        (".hidden.csv", True),
        ("notes.md~", True),
        ("photo.jpg", True),
        ("clip.mp4", True),
        ("posts.csv", False),
        ("tweets.js", False),
        ("1749127163.json", False),
        ("weekly.md", False),
        ("readings.txt", False),
    ],
)
def test_is_skippable_name(name: str, skip: bool) -> None:
    assert is_skippable_name(Path("some/dir") / name) is skip
