"""The ingest job through its CLI entry: reports, exit codes, executives, merging sources."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ingest.cli import main as ingest_main
from tests.conftest import SAMPLE

pytestmark = pytest.mark.embedding


def run(capsys, *args: str) -> tuple[int, dict]:
    code = ingest_main([*args, "--json"])
    out = capsys.readouterr().out.strip().splitlines()
    return code, json.loads(out[-1]) if out else {}


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    d = tmp_path / "index"
    monkeypatch.setenv("EXECBOT_DATA_DIR", str(d))
    from retrieval.settings import get_settings

    get_settings.cache_clear()
    yield d
    get_settings.cache_clear()


def stats(capsys) -> dict:
    import argparse

    from retrieval.cli.commands import run_stats

    run_stats(argparse.Namespace(json=True))
    return json.loads(capsys.readouterr().out)


def test_sample_ingests_cleanly_and_second_run_embeds_nothing(data_dir, capsys):
    code, first = run(capsys, str(SAMPLE))
    assert code == 0 and first["errors"] == []
    assert first["added"] == 41  # 40 posts + 1 digest; the feed's 3 items are the same posts
    code, second = run(capsys, str(SAMPLE))
    assert code == 0
    assert second["embedded"] == 0 and second["added"] == 0 and second["updated"] == 0
    st = stats(capsys)
    assert st["posts"] == 40 and st["digests"] == 1 and st["vectors"] == st["posts"] + st["chunks"]
    assert st["executives"] == {"leijun": 40}
    assert st["first"].startswith("2025-05-26") or st["first"].startswith("2025-05-25")


def test_feed_copy_never_overwrites_the_crawler_copy(data_dir, capsys):
    run(capsys, str(SAMPLE / "weibo"))
    code, rep = run(capsys, str(SAMPLE / "feeds"))  # the same posts, without engagement counts
    assert code == 0 and rep["updated"] == 0 and rep["unchanged"] == 3
    import sqlite3

    likes = sqlite3.connect(data_dir / "execbot.sqlite3").execute(
        "SELECT likes FROM docs WHERE source_id = 'PuoYL79FN'").fetchone()[0]
    assert likes == 321000


def test_malformed_records_are_reported_and_the_rest_goes_in(data_dir, tmp_path, capsys):
    f = tmp_path / "posts.jsonl"
    f.write_text('{"id": "1", "text": "first good post about rockets", "date": "2025-05-01"}\n'
                 '{"id": "2", "text": broken json\n'
                 '{"id": "3", "text": "third good post about cars", "date": "2025-05-02"}\n', encoding="utf-8")
    code, rep = run(capsys, str(f), "--author", "someone")
    assert code == 2
    assert rep["added"] == 2 and rep["skipped"] == 1
    assert rep["errors"][0]["line"] == 2 and rep["errors"][0]["source"].endswith("posts.jsonl")


def test_nothing_readable_exits_1_with_a_clear_error(data_dir, tmp_path, capsys):
    f = tmp_path / "image.bin"
    f.write_bytes(bytes(range(256)) * 8)
    code, rep = run(capsys, str(f))
    assert code == 1
    assert rep["errors"] and rep["errors"][0]["source"].endswith("image.bin")
    assert ingest_main([str(tmp_path / "missing.csv")]) == 1
    assert "no such file" in capsys.readouterr().err


def test_unknown_author_key_is_added_with_its_display_name(data_dir, tmp_path, capsys):
    f = tmp_path / "tweets.csv"
    f.write_text("id,user_name,date,text,favorites\n"
                 "11,Jensen Huang,2025-05-01 10:00:00+00:00,Accelerated computing is here,10\n", encoding="utf-8")
    code, rep = run(capsys, str(f), "--author", "jensen")
    assert code == 0 and rep["new_executives"] == ["jensen"]
    import asyncio

    from retrieval.engine import Engine

    async def who():
        async with Engine() as e:
            reg = await e.registry()
            return reg.get("jensen").name, (await e.parse("what did Jensen say about computing?")).executive

    name, parsed = asyncio.run(who())
    assert name == "Jensen Huang" and parsed == "jensen"


def test_map_overrides_column_detection(data_dir, tmp_path, capsys):
    f = tmp_path / "odd.csv"
    f.write_text("key,words,when,hearts\nx1,Launch day for the new phone,2025-05-03,77\n", encoding="utf-8")
    code, rep = run(capsys, str(f), "--author", "ceo", "--map", "id=key", "--map", "text=words",
                    "--map", "published_at=when", "--map", "likes=hearts")
    assert code == 0 and rep["added"] == 1
    import sqlite3

    row = sqlite3.connect(data_dir / "execbot.sqlite3").execute(
        "SELECT source_id, likes, published_at FROM docs").fetchone()
    assert row[0] == "x1" and row[1] == 77 and row[2] is not None


def test_bad_map_field_is_a_clear_error(data_dir, capsys):
    assert ingest_main([str(SAMPLE), "--map", "colour=c"]) == 1
    assert "--map" in capsys.readouterr().err


CORPORA_EXPECTED = {
    # folder: (extra args, unique records)
    "elon_musk_tweets_gpreda": ([], 5101),
    "weibo_crawler_json_sample": ([], 583),
    "x_archive_format_sample": ([], 25),
    "zhang_yiming_weibo_2160": (["--author", "zhangyiming"], 2159),
    "zhang_yiming_weibo_231": (["--author", "zhangyiming"], 231),
}


@pytest.mark.corpora
@pytest.mark.slow
@pytest.mark.parametrize("folder", sorted(CORPORA_EXPECTED))
def test_each_corpus_folder_counts_its_unique_records(folder, corpora, data_dir, tmp_path, capsys):
    args, expected = CORPORA_EXPECTED[folder]
    src = tmp_path / folder
    shutil.copytree(corpora / folder, src)  # the shared copy is read-only in CI
    code, rep = run(capsys, str(src), *args)
    assert code == 0, rep["errors"][:5]
    st = stats(capsys)
    assert st["posts"] == expected
    assert st["vectors"] == st["posts"] + st["chunks"]
    code, again = run(capsys, str(src), *args)
    assert again["embedded"] == 0 and again["added"] == 0


def test_ingest_accepts_a_feed_url(data_dir, capsys):
    import http.server
    import threading

    feed = (SAMPLE / "feeds" / "leijun-rsshub.xml").read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            self.wfile.write(feed)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        code, rep = run(capsys, f"http://127.0.0.1:{srv.server_port}/weibo/user/1749127163")
    finally:
        srv.shutdown()
    assert code == 0 and rep["added"] == 3
    assert stats(capsys)["executives"] == {"leijun": 3}


def test_sample_folder_exists():
    assert (SAMPLE / "weibo").is_dir() and Path(SAMPLE / "README.md").read_text(encoding="utf-8")


CRAWLER_CSV_HEADER = ("id,bid,正文,头条文章url,原始图片url,视频url,Live Photo视频url,位置,日期,工具,点赞数,评论数,转发数,"
                      "话题,@用户,完整日期,是否编辑过,编辑次数")


def test_crawler_csv_row_with_one_cell_is_an_error_not_a_post(data_dir, tmp_path, capsys):
    f = tmp_path / "weibo" / "雷军" / "1749127163.csv"
    f.parent.mkdir(parents=True)
    good = "51712345678901{n}\t,PqYU7ma{n},第{n}条微博,,,,,,2025-05-3{n}T10:00:00,Xiaomi,1,2,3,,,,False,0"
    rows = [CRAWLER_CSV_HEADER, good.format(n=0), "bad-row-with-too-few-columns", good.format(n=1),
            good.format(n=2).replace("2025-05-32", "2025-06-01")]
    f.write_bytes(("\n".join(rows) + "\n").encode("utf-8-sig"))
    code, rep = run(capsys, str(tmp_path / "weibo"))
    assert code == 2
    assert [(e["source"], e["line"]) for e in rep["errors"]] == [(str(f), 3)]
    assert stats(capsys)["posts"] == 3
    import sqlite3

    ids = {r[0] for r in sqlite3.connect(data_dir / "execbot.sqlite3").execute("SELECT source_id FROM docs")}
    assert "bad-row-with-too-few-columns" not in ids


def _page(text: str, likes: int, long: bool) -> dict:
    mblog = {"id": "5171234567890123", "bid": "PqYU7pg01", "created_at": "Sat May 31 20:15:00 +0800 2025",
             "text": text, "isLongText": long, "attitudes_count": likes, "comments_count": 5, "reposts_count": 6,
             "user": {"id": 1749127163, "screen_name": "雷军"},
             "pics": [{"large": {"url": "https://wx1.sinaimg.cn/large/a.jpg"}}]}
    return {"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": mblog}]}}


def test_same_post_from_a_raw_page_and_from_weibo_crawler_is_one_post(data_dir, tmp_path, capsys):
    import sqlite3

    pages = tmp_path / "pages"
    pages.mkdir()
    cut = '小米YU7第一批交付已经开始...<a href="/status/5171234567890123">全文</a>'
    (pages / "p1.json").write_text(json.dumps(_page(cut, 900, True), ensure_ascii=False), encoding="utf-8")
    (pages / "p2.jsonl").write_text(json.dumps({"ok": 0, "msg": "这里还没有内容"}, ensure_ascii=False) + "\n",
                                    encoding="utf-8")
    code, rep = run(capsys, str(pages))
    assert code == 2 and rep["added"] == 1  # the ok: 0 page is reported
    assert [e["source"].endswith("p2.jsonl") for e in rep["errors"]] == [True]

    crawler = tmp_path / "weibo" / "雷军" / "1749127163.json"
    crawler.parent.mkdir(parents=True)
    full = "小米YU7第一批交付已经开始，感谢每一位等待的朋友。"
    crawler.write_text(json.dumps({"user": {"id": "1749127163", "screen_name": "雷军"}, "weibo": [
        {"id": 5171234567890123, "bid": "PqYU7pg01", "text": full, "created_at": "2025-05-31T20:15:00",
         "attitudes_count": 1000, "comments_count": 7, "reposts_count": 8}]}, ensure_ascii=False), encoding="utf-8")
    code, rep = run(capsys, str(crawler))
    assert code == 0 and (rep["added"], rep["updated"]) == (0, 1)
    db = sqlite3.connect(data_dir / "execbot.sqlite3")
    assert db.execute("SELECT text, likes, truncated, pics FROM docs").fetchall() == [
        (full, 1000, 0, '["https://wx1.sinaimg.cn/large/a.jpg"]')]  # one post: the full text, counts kept

    (pages / "p1.json").write_text(json.dumps(_page(cut, 1200, True), ensure_ascii=False), encoding="utf-8")
    code, rep = run(capsys, str(pages / "p1.json"))  # a later cut copy: newer counts, the text stays whole
    assert code == 0 and rep["updated"] == 1 and rep["embedded"] == 0
    assert db.execute("SELECT text, likes, truncated FROM docs").fetchall() == [(full, 1200, 0)]
    assert stats(capsys)["posts"] == 1
