"""Generic CSV, JSON array and JSON Lines with column detection and mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.formats import FormatError, Issue, Record, detect, parse, parse_bytes


def split(it):
    out = list(it)
    return [i for i in out if isinstance(i, Record)], [i for i in out if isinstance(i, Issue)]


def test_csv_like_elon_export(tmp_path: Path) -> None:
    path = tmp_path / "tweets.csv"
    path.write_text(
        "id,user_name,date,text,hashtags,retweets,favorites,is_retweet\n"
        "1544379368478212100,Elon Musk,2022-07-05 17:55:09+00:00,Socks &amp; more,,335,6542,False\n"
        '1544377493263720450,Elon Musk,2022-07-05 17:47:42+00:00,"line one\n\n""quoted"", line two",,1451,30753,False\n',
        encoding="utf-8",
    )
    assert detect(path) == "csv"
    (a, b), issues = split(parse(path))
    assert issues == []
    assert (a.platform, a.source_id, a.author_name) == ("csv", "1544379368478212100", "Elon Musk")
    assert a.text == "Socks & more"
    assert a.published_at == datetime(2022, 7, 5, 17, 55, 9, tzinfo=UTC)
    assert (a.likes, a.shares, a.comments) == (6542, 335, 0)
    assert b.text == 'line one\n\n"quoted", line two'
    assert (a.line, b.line) == (2, 3)


def test_csv_broken_quote_costs_one_record(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        "id,text,created_at\n"
        "1,first,2025-06-01T00:00:00Z\n"
        '2,"broken quote never closes,2025-06-01T01:00:00Z\n'
        "3,third,2025-06-01T02:00:00Z\n"
        '4,"fourth ""ok""",2025-06-01T03:00:00Z\n'
        "5,fifth,2025-06-01T04:00:00Z\n",
        encoding="utf-8",
    )
    recs, issues = split(parse(path))
    assert [r.source_id for r in recs] == ["1", "3", "4", "5"]
    assert recs[2].text == 'fourth "ok"'
    assert [i.line for i in issues] == [3]
    assert issues[0].error.startswith("bad CSV quoting")


def test_csv_row_problems_are_issues_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        "post_id,body,posted,like_count\n"
        "1,hello,2025-06-01 08:00,10\n"
        "2,,2025-06-01 09:00,1\n"
        "3,bad date,not a date,1\n"
        "4,extra,2025-06-01 10:00,1,surplus\n"
        "5,short row\n",
        encoding="utf-8",
    )
    recs, issues = split(parse(path, mapping={"text": "body", "published_at": "posted"}))
    assert [r.source_id for r in recs] == ["1"]
    assert recs[0].published_at == datetime(2025, 6, 1, 8, tzinfo=UTC)  # naive -> UTC for generic files
    assert recs[0].likes == 10
    # A row whose cells do not match the header would put its cells in the wrong columns: reported.
    assert [(i.line, i.error) for i in issues] == [
        (3, "missing text"),
        (4, "bad date 'not a date'"),
        (5, "5 fields, the header has 4"),
        (6, "2 fields, the header has 4"),
    ]


def test_mapping_errors(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(FormatError, match="no text column"):
        parse(path)
    with pytest.raises(FormatError, match="mapping text=body names no column"):
        parse(path, mapping={"text": "body"})
    with pytest.raises(FormatError, match="unknown mapping field 'bodytext'"):
        parse(path, mapping={"bodytext": "b"})
    (rec,), _ = split(parse(path, mapping={"text": "b", "id": "a"}))
    assert (rec.source_id, rec.text) == ("1", "2")


def test_csv_invalid_utf8_is_one_issue(tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_bytes(b"id,text\n1,caf\xe9\n2,ok\n3,\xff\xfe bad\n")
    recs, issues = split(parse(path))
    assert [r.text for r in recs] == ["caf\ufffd", "ok", "\ufffd\ufffd bad"]
    assert [(i.line, i.error) for i in issues] == [
        (2, "invalid UTF-8: undecodable bytes replaced with U+FFFD")
    ]


def test_tsv_and_platform_from_url(tmp_path: Path) -> None:
    path = tmp_path / "posts.tsv"
    path.write_text(
        "text\turl\tauthor\n"
        "on X\thttps://x.com/jane/status/1790000000000000000\tjane\n"
        "on Weibo\thttps://weibo.com/1749127163/PqYU7mass\t雷军\n"
        "elsewhere\thttps://blog.example.com/p/1\tjane\n"
    )
    x, weibo, other = split(parse(path))[0]
    assert (x.platform, x.source_id) == ("x", "1790000000000000000")
    assert (weibo.platform, weibo.source_id, weibo.author_id) == ("weibo", "PqYU7mass", "1749127163")
    assert (other.platform, other.source_id) == ("csv", "")  # no id: derived later by the pipeline


def test_jsonl_bad_line_and_non_objects(tmp_path: Path) -> None:
    path = tmp_path / "posts.jsonl"
    path.write_text(
        '{"id": 1, "content": "first", "timestamp": 1748736000}\n'
        "\n"
        '{"id": 2, "content": "broken" "x"}\n'
        "[1, 2]\n"
        '{"id": 4, "content": "fourth", "timestamp": 1748736000000}\n',
        encoding="utf-8",
    )
    assert detect(path) == "json"
    recs, issues = split(parse(path))
    assert [(r.source_id, r.line, r.published_at) for r in recs] == [
        ("1", 1, datetime(2025, 6, 1, tzinfo=UTC)),
        ("4", 5, datetime(2025, 6, 1, tzinfo=UTC)),
    ]
    assert [(i.line, i.error) for i in issues] == [
        (3, "invalid JSON: Expecting ',' delimiter"),
        (4, "expected a JSON object, got list"),
    ]


def test_json_array_items_and_nested_author(tmp_path: Path) -> None:
    data = [
        {
            "id": "a1",
            "datetime": "2016-03-25T15:22:00+08:00",
            "date": "2016-03-25",
            "text": "第一条",
            "flags": [],
        },
        "just a string",
        {"id": "a3", "text": "   "},
        {
            "id_str": "a4",
            "id": 1.5e18,
            "full_text": "nested",
            "user": {"screen_name": "jane"},
            "likes": "1.2万",
        },
    ]
    path = tmp_path / "posts.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    recs, issues = split(parse(path))
    assert [(r.source_id, r.line) for r in recs] == [("a1", 1), ("a4", 4)]
    assert recs[0].published_at == datetime(2016, 3, 25, 7, 22, tzinfo=UTC)  # datetime beats date-only
    assert recs[0].platform == "json"
    assert (recs[1].author_name, recs[1].likes) == ("jane", 12_000)
    assert [(i.line, i.error) for i in issues] == [
        (2, "record 2: expected a JSON object, got str"),
        (3, "record 3: missing text"),
    ]


def test_truncated_json_array_keeps_items_before_the_break() -> None:
    data = b'[{"id": 1, "text": "one"}, {"id": 2, "text": "two"}, {"id": 3, "te'
    recs, issues = split(parse_bytes(data, "https://example.com/dump.json"))
    assert [r.source_id for r in recs] == ["1", "2"]
    assert len(issues) == 1 and issues[0].error.startswith("record 3: invalid JSON")


def test_json_object_with_post_list_and_date_time_columns(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    doc = {"meta": {"n": 1}, "posts": [{"mid": "m1", "body": "x", "date": "2015-11-17", "time": "20:20"}]}
    path.write_text(json.dumps(doc, indent=2))
    (rec,), _ = split(parse(path))
    assert rec.source_id == "m1"
    assert rec.published_at == datetime(2015, 11, 17, 20, 20, tzinfo=UTC)


def test_global_id_beats_per_section_id(tmp_path: Path) -> None:
    path = tmp_path / "q.jsonl"
    lines = [
        {"id": 1, "section": "a", "content": "x", "global_id": 1},
        {"id": 1, "section": "b", "content": "y", "global_id": 158},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    assert [r.source_id for r in split(parse(path))[0]] == ["1", "158"]


def test_forced_json_on_csv_and_csv_on_json(tmp_path: Path) -> None:
    csv_file = tmp_path / "a.csv"
    csv_file.write_text("id,text\n1,x\n")
    with pytest.raises(FormatError, match=r"^--format json: a.csv is not a JSON array or JSON Lines file"):
        parse(csv_file, "json")
    json_file = tmp_path / "a.json"
    json_file.write_text('[{"text": "x"}]')
    with pytest.raises(FormatError, match=r"^--format csv: a.json is not a CSV file \(it looks like JSON\)"):
        parse(json_file, "csv")
    with pytest.raises(FormatError, match="unknown format 'yaml'"):
        parse(json_file, "yaml")


def test_json_array_unreadable_from_the_start_is_a_format_error() -> None:
    with pytest.raises(FormatError, match=r"^bad.json: invalid JSON: Expecting property name .*\(line 1\)$"):
        parse_bytes(b"[{'single': 'quotes'}]", "bad.json")
