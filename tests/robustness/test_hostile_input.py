"""Hostile and messy input: every parser on mutated valid files, invalid UTF-8, a 5 MB post, 100,000 posts
streamed with bounded memory, a wrong --format, a CSV with a broken quote.

Beyond the byte-soup fuzz in tests/ingest/formats/test_formats_fuzz.py, these start from *valid* files of
each format (real layouts: weibo/<name>/<uid>.json, data/tweets.js with manifest.js and note-tweet.js),
fill them with hostile field values and then mutate the bytes, and push every Record on through the
resolver and the index's row preparation (what an ingest does before embedding)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import tracemalloc
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.formats import FORMATS, FormatError, Issue, Record, parse
from ingest.resolve import Resolver, record_to_digest, record_to_doc
from retrieval.store.index import Index
from retrieval.store.registry import Registry
from tests.conftest import settings_for
from tests.mutation import mutate
from tests.reports import report
from tests.robustness.rbhelpers import FULL, cli_env, last_json, run_cli, scale

EXAMPLES = scale(25, 400)
TRIED: dict[str, int] = report("hostile inputs tried", {})

# -- hostile values ------------------------------------------------------------------------------

DATES = ["2025-05-31T10:00:00", "2025-13-45T99:99:99", "Sat Nov 09 12:14:18 +0000 2024", "Mon, 02 Jun 2025 01:02:03 GMT",
         "2025-05-31 10:00", "1748736000", "-1", "99999999999999999999", "昨天 10:00", "", "无", "0000-00-00",
         "2025-06-01T00:00:00+99:00", "NaN"]
COUNTS = ["1.2万", "3亿", "1,234", "-5", "1e400", "无", "", "NaN", "9" * 40, "0x10", "万"]
NASTY = ["@everyone", "<@&123>", "**bold**", "`code`", "<script>alert(1)</script>", "&amp;&lt;&#0;&#xD800;",
         "\x00\x01\x1b[31m", "\ud800", "‮RTL", "a\r\nb\rc", "𝕏" * 50, "\ufeff", '","', "'", "\\", "]]>", "<![CDATA[x"]

scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.sampled_from(DATES), st.sampled_from(COUNTS), st.sampled_from(NASTY),
)
value = st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                     max_leaves=6)
text_value = st.one_of(st.text(max_size=80), st.sampled_from(NASTY), st.sampled_from(DATES + COUNTS))


def json_safe(v):
    """json.dumps with lone surrogates and non-finite floats (json allows NaN/Infinity by default)."""
    return json.dumps(v, ensure_ascii=True, allow_nan=True)


def post_dict(keys: tuple[str, ...]):
    """A post with each key either a plausible value or a hostile one, sometimes missing, plus extras."""
    return st.fixed_dictionaries(
        {}, optional={k: st.one_of(value, text_value) for k in keys}
    ).flatmap(lambda d: st.dictionaries(st.text(max_size=6), value, max_size=2).map(lambda extra: {**extra, **d}))


CRAWLER_KEYS = ("user_id", "screen_name", "id", "bid", "text", "article_url", "pics", "video_url", "location",
                "created_at", "source", "attitudes_count", "comments_count", "reposts_count", "topics", "at_users",
                "full_created_at", "retweet", "edited", "edit_count")
SPIDER_KEYS = ("id", "content", "article_url", "original_pictures", "original", "video_url", "publish_place",
               "publish_time", "publish_tool", "up_num", "retweet_num", "comment_num")
TWEET_KEYS = ("id_str", "id", "full_text", "created_at", "favorite_count", "retweet_count", "entities",
              "in_reply_to_status_id_str", "retweeted_status")
API_KEYS = ("id", "mid", "bid", "mblogid", "created_at", "text", "text_raw", "isLongText", "longText", "user",
            "attitudes_count", "comments_count", "reposts_count", "pics", "pic_ids", "pic_infos", "retweeted_status")
GENERIC_KEYS = ("id", "text", "content", "created_at", "date", "author", "user", "likes", "retweets", "url", "title")
CRAWLER_CSV = ["id", "bid", "正文", "头条文章url", "原始图片url", "视频url", "Live Photo视频url", "位置", "日期", "工具",
               "点赞数", "评论数", "转发数", "话题", "@用户", "完整日期", "是否编辑过", "编辑次数"]
SPIDER_CSV = ["微博id", "微博正文", "头条文章url", "原始图片url", "是否为原创微博", "微博视频url", "发布位置", "发布时间",
              "发布工具", "点赞数", "转发数", "评论数"]


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    for r in rows:
        w.writerow(["" if c is None else (c if isinstance(c, str) else json_safe(c)) for c in r])
    return buf.getvalue().encode("utf-8", "surrogatepass")


def cell():
    return st.one_of(text_value, scalar)


def xml_escape(v) -> str:
    s = v if isinstance(v, str) else json_safe(v)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# One builder per format: (file path inside tmp, a strategy of file bytes, companion files).
def build(fmt: str):
    if fmt == "weibo-crawler":
        return st.one_of(
            st.tuples(st.just("weibo/雷军/1749127163.json"),
                      st.tuples(post_dict(("id", "screen_name", "statuses_count")), st.lists(post_dict(CRAWLER_KEYS), max_size=4))
                      .map(lambda uw: json_safe({"user": uw[0], "weibo": uw[1]}).encode())),
            st.tuples(st.just("weibo/雷军/1749127163.csv"),
                      st.lists(st.lists(cell(), min_size=len(CRAWLER_CSV), max_size=len(CRAWLER_CSV) + 1), max_size=4)
                      .map(lambda rows: b"\xef\xbb\xbf" + csv_bytes(CRAWLER_CSV, rows))),
        )
    if fmt == "weibospider":
        return st.one_of(
            st.tuples(st.just("weibo/雷军/1749127163.json"),
                      st.lists(post_dict(SPIDER_KEYS), max_size=4)
                      .map(lambda ps: json_safe({"user": {"id": "1749127163", "nickname": "雷军"}, "weibo": ps}).encode())),
            st.tuples(st.just("weibo/雷军/1749127163.csv"),
                      st.lists(st.lists(cell(), min_size=len(SPIDER_CSV) - 1, max_size=len(SPIDER_CSV)), max_size=4)
                      .map(lambda rows: csv_bytes(SPIDER_CSV, rows))),
        )
    if fmt == "weibo-api":
        mblog = post_dict(API_KEYS)
        cards = st.lists(st.one_of(mblog.map(lambda m: {"card_type": 9, "mblog": m}), post_dict(("card_type",))),
                         max_size=4)
        return st.one_of(
            st.tuples(st.just("pages/getIndex.json"),
                      st.tuples(st.sampled_from([1, 0]), cards)
                      .map(lambda oc: json_safe({"ok": oc[0], "data": {"cards": oc[1]}}).encode())),
            st.tuples(st.just("pages/mymblog.jsonl"), st.lists(st.lists(mblog, max_size=3), max_size=3)
                      .map(lambda pages: "\n".join(json_safe({"data": {"list": p}, "ok": 1}) for p in pages).encode())),
        )
    if fmt == "rss":
        item = st.fixed_dictionaries({}, optional={k: st.one_of(text_value, scalar) for k in
                                                   ("title", "description", "link", "guid", "pubDate", "author", "category")})
        return st.tuples(st.sampled_from(["feed.xml", "feed.atom"]), st.lists(item, max_size=4).map(
            lambda items: ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>雷军的微博</title>"
                           "<link>https://weibo.com/1749127163</link>"
                           + "".join("<item>" + "".join(f"<{k}>{xml_escape(v)}</{k}>" for k, v in it.items()) + "</item>"
                                     for it in items)
                           + "</channel></rss>").encode("utf-8", "surrogatepass")))
    if fmt == "x-archive":
        return st.tuples(st.just("data/tweets.js"), st.lists(post_dict(TWEET_KEYS), max_size=4).map(
            lambda ts: ("window.YTD.tweets.part0 = " + json_safe([{"tweet": t} for t in ts])).encode()))
    if fmt == "csv":
        return st.tuples(st.sampled_from(["posts.csv", "posts.tsv"]),
                         st.lists(st.lists(cell(), min_size=4, max_size=6), max_size=5)
                         .map(lambda rows: csv_bytes(["id", "text", "created_at", "author", "likes"], rows)))
    if fmt == "json":
        return st.one_of(
            st.tuples(st.just("posts.json"), st.lists(post_dict(GENERIC_KEYS), max_size=4).map(lambda ps: json_safe(ps).encode())),
            st.tuples(st.just("posts.jsonl"), st.lists(post_dict(GENERIC_KEYS), max_size=4)
                      .map(lambda ps: "\n".join(json_safe(p) for p in ps).encode())),
        )
    assert fmt == "digest"
    return st.tuples(st.sampled_from(["weekly.md", "weekly.txt"]), st.tuples(
        text_value, st.sampled_from(DATES + ["May 26 – June 1, 2025", "2025-05-26 to 2025-06-01", "上周"]),
        st.lists(st.tuples(text_value, st.text(max_size=200)), max_size=4),
    ).map(lambda t: (f"# {t[0]}\n\n{t[1]}\n\n" + "".join(f"## {h}\n\n{b}\n\n" for h, b in t[2]))
          .encode("utf-8", "surrogatepass")))


mutation = st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate", "dup"]), st.floats(0, 1),
                     st.binary(min_size=1, max_size=8))


def write_companions(root: Path, name: str) -> None:
    if name.startswith("data/"):
        (root / "data" / "manifest.js").write_text(
            'window.__THAR_CONFIG = {"userInfo": {"accountId": "1", "userName": "jane", "displayName": "Jane"}}')
        (root / "data" / "note-tweet.js").write_text(
            'window.YTD.note_tweet.part0 = [{"noteTweet": {"core": {"text": "long"}, "createdAt": "bad"}}]')


def consume(path: Path, fmt: str) -> tuple[int, int]:
    """Parse and push Records through what an ingest does next; only FormatError may escape."""
    records = issues = 0
    resolver = Resolver(Registry.load(None))
    ix = Index.__new__(Index)  # _prepare needs no store or model
    try:
        items = list(parse(path, fmt))
    except FormatError as e:
        assert "\n" not in str(e).strip(), str(e)
        return 0, 0
    for item in items:
        assert isinstance(item, Record | Issue), type(item)
        if isinstance(item, Issue):
            issues += 1
            assert isinstance(item.error, str) and item.error
            continue
        records += 1
        assert isinstance(item.text, str) and isinstance(item.source_id, str)
        assert item.published_at is None or item.published_at.tzinfo is not None
        for n in (item.likes, item.shares, item.comments):
            assert isinstance(n, int) and not isinstance(n, bool)
        ex = resolver.executive_for(item)
        if item.is_digest:
            _, chunks = record_to_digest(item, ex)
            docs = chunks
        else:
            docs = [record_to_doc(item, ex)]
        for d in docs:
            assert d.published_at is None or isinstance(d.published_at, datetime)
            assert isinstance(d.published_at.timestamp() if d.published_at else 0, float | int)
        rows = ix._prepare(docs)
        for r in rows:
            # Stored as-is by SQLite: must be encodable (lone surrogates would fail at INSERT time).
            sqlite3.connect(":memory:").execute("SELECT ?, ?, ?", (r.doc.text, r.doc.title, r.tokens)).fetchone()
            json.dumps(r.doc.raw, ensure_ascii=False, default=str).encode("utf-8")
            r.doc.text.encode("utf-8")
    return records, issues


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_parser_survives_mutated_valid_files(fmt, tmp_path_factory):
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=not FULL,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
    @given(doc=build(fmt), muts=st.lists(mutation, max_size=3), force=st.booleans())
    def check(doc, muts, force):
        name, data = doc
        root = tmp_path_factory.mktemp("fz")
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write_companions(root, name)
        path.write_bytes(mutate(data, muts))
        TRIED[fmt] = TRIED.get(fmt, 0) + 1
        consume(path, fmt if force else "auto")

    check()


@pytest.mark.parametrize("fmt", FORMATS)
@settings(max_examples=EXAMPLES, deadline=None, derandomize=not FULL,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.binary(max_size=300), name=st.sampled_from(["x.json", "x.csv", "x.md", "feed.xml", "data/tweets.js",
                                                          "weibo/雷军/1749127163.json", "p.jsonl"]))
def test_every_parser_survives_random_bytes(fmt, data, name, tmp_path_factory):
    path = tmp_path_factory.mktemp("rb") / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    TRIED[fmt] = TRIED.get(fmt, 0) + 1
    consume(path, fmt)


# -- invalid UTF-8 in each text format -------------------------------------------------------------

BAD = b"caf\xe9 \xff\xfe \xc3"
VALID_WITH_BAD_BYTES = {
    "weibo-crawler": ("weibo/雷军/1749127163.json", b'{"user": {"id": "1749127163", "screen_name": "x"}, "weibo": ['
                      b'{"id": 1, "bid": "Ab", "text": "ok ' + BAD + b'", "created_at": "2025-05-31T10:00:00"}]}'),
    "weibospider": ("weibo/雷军/1749127163.csv", "微博id,微博正文,发布时间,点赞数,转发数,评论数\n".encode()
                    + b"Ab1,ok " + BAD + b",2025-05-31 10:00,1,2,3\nAb2,fine,2025-05-31 11:00,1,2,3\n"),
    "weibo-api": ("pages/p.json", b'{"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": {"bid": "Ab", "text": "ok '
                  + BAD + b'", "created_at": "Wed Sep 23 20:42:01 +0800 2026"}}]}}'),
    "rss": ("feed.xml", b"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>"
            b"<item><title>ok " + BAD + b"</title><link>https://weibo.com/1/Ab</link>"
            b"<pubDate>Mon, 02 Jun 2025 01:02:03 GMT</pubDate></item></channel></rss>"),
    "x-archive": ("data/tweets.js", b'window.YTD.tweets.part0 = [{"tweet": {"id_str": "1", "full_text": "ok ' + BAD
                  + b'", "created_at": "Sat Nov 09 12:14:18 +0000 2024", "favorite_count": "1", "retweet_count": "0"}}]'),
    "csv": ("p.csv", b"id,text,created_at\n1,ok " + BAD + b",2025-05-31\n2,fine,2025-05-31\n"),
    "json": ("p.jsonl", b'{"id": 1, "text": "ok ' + BAD + b'"}\n{"id": 2, "text": "fine"}\n'),
    "digest": ("weekly.md", b"# Weekly " + BAD + b"\n\nMay 26 - June 1, 2025\n\n## Cars\n\n" + b"YU7 news. " * 30),
}


@pytest.mark.parametrize("fmt", FORMATS)
def test_invalid_utf8_in_each_text_format(fmt, tmp_path):
    name, data = VALID_WITH_BAD_BYTES[fmt]
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    write_companions(tmp_path, name)
    records, issues = consume(path, fmt)
    # Either the bad bytes are replaced and the record comes in, or the record/file is reported; never a crash
    # and never a silent nothing.
    assert records + issues >= 1, (records, issues)


def test_jsonl_with_a_broken_first_line_keeps_the_other_lines(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": 1, "text": "trunc\n{"id": 2, "text": "fine"}\n{"id": 3, "text": "fine"}\n')
    items = list(parse(path))
    assert [r.source_id for r in items if isinstance(r, Record)] == ["2", "3"]
    assert [i.line for i in items if isinstance(i, Issue)] == [1]


# -- big inputs ----------------------------------------------------------------------------------


def test_100k_posts_parse_streamed_with_bounded_memory(tmp_path):
    n = 100_000
    csv_path, jsonl = tmp_path / "many.csv", tmp_path / "many.jsonl"
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        f.write("id,text,created_at,author,likes\n")
        f.writelines(f"{i},short post {i},2025-05-{1 + i % 28:02d}T10:00:00,Exec,{i}\n" for i in range(n))
    with jsonl.open("w", encoding="utf-8") as f:
        f.writelines(f'{{"id": {i}, "text": "short post {i}", "created_at": "2025-05-01T10:00:00"}}\n' for i in range(n))
    peaks = {}
    for path in (csv_path, jsonl):
        count = 0
        tracemalloc.start()
        try:
            for item in parse(path):
                count += isinstance(item, Record)
            peaks[path.suffix] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert count == n, (path.name, count)
    print(f"\n100k-post parse peak memory: {({k: f'{v / 1e6:.1f} MB' for k, v in peaks.items()})}")
    assert all(v < 50e6 for v in peaks.values()), peaks


@pytest.mark.embedding
async def test_a_5mb_post_is_stored_whole_and_searchable(tmp_path):
    from ingest.pipeline import IngestOptions, ingest
    from retrieval.engine import Engine
    from retrieval.store.embedding import MAX_EMBED_CHARS, get_embedder

    huge = "The YU7 factory update. " + " ".join(f"w{i % 5000}" for i in range(1_000_000))
    huge = huge[: 5 * 1024 * 1024]
    assert len(huge.encode()) >= 5 * 1024 * 1024 - 10
    src = tmp_path / "huge.jsonl"
    small = json.dumps({"id": "small1", "text": "Battery supply note", "created_at": "2025-05-30", "author": "Big Exec"})
    big = json.dumps({"id": "big1", "text": huge, "created_at": "2025-05-31T10:00:00", "author": "Big Exec"})
    # The big post first: its line runs far past the detector's 64 KB head.
    src.write_text(big + "\n" + small + "\n", encoding="utf-8")
    settings = settings_for(tmp_path / "data")
    embedder = get_embedder("minilm")
    assert len(huge) > MAX_EMBED_CHARS  # the model only ever sees a clipped copy
    async with Index(settings, embedder=embedder) as ix:
        rep = await ingest([str(src)], IngestOptions(), index=ix)
        assert rep.exit_code == 0 and rep.added == 2, rep.errors
        stored = await ix.store.scalar("SELECT text FROM docs WHERE source_id = 'big1'")
        assert stored == huge
        async with Engine(settings, ix) as engine:
            res = await engine.search("YU7 factory")
            assert res.hits and res.hits[0].id == "big1"
            res2 = await engine.search("battery supply")
            assert any(h.id == "small1" for h in res2.hits)


def test_jsonl_starting_with_a_long_post(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"id": 1, "text": "x" * 100_000}) + "\n" + json.dumps({"id": 2, "text": "y"}) + "\n")
    assert [r.source_id for r in parse(path) if isinstance(r, Record)] == ["1", "2"]


# -- CLI-level messiness ---------------------------------------------------------------------------


def test_wrong_format_is_a_one_line_error(tmp_path):
    src = tmp_path / "posts.csv"
    src.write_text("id,text,created_at\n1,hello,2025-05-31\n", encoding="utf-8")
    p = run_cli(["ingest", "--format", "rss", str(src)], cli_env(tmp_path / "data"), tmp_path, timeout=120)
    assert p.returncode == 1, (p.stdout, p.stderr)
    assert "Traceback" not in p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.strip() and not ln.startswith("runcli:")]
    assert len(lines) == 1 and "--format rss" in lines[0] and "posts.csv" in lines[0], p.stderr


def test_csv_with_a_broken_quote_keeps_the_other_records(tmp_path):
    src = tmp_path / "posts.csv"
    src.write_text(
        "id,text,created_at,author\n"
        "1,first post,2025-05-30,Exec\n"
        '2,"broken quote here,2025-05-30,Exec\n'
        "3,third post,2025-05-31,Exec\n"
        "4,fourth post,2025-05-31,Exec\n",
        encoding="utf-8",
    )
    p = run_cli(["ingest", "--json", str(src)], cli_env(tmp_path / "data"), tmp_path, timeout=120)
    assert p.returncode == 2, (p.stdout, p.stderr)
    rep = last_json(p.stdout)
    assert rep["added"] >= 2 and rep["errors"], rep
    assert any(e["line"] == 3 for e in rep["errors"]), rep["errors"]  # the line with the broken quote
    p2 = run_cli(["ingest", str(src)], cli_env(tmp_path / "data2"), tmp_path, timeout=120)
    assert p2.returncode == 2 and "posts.csv:3" in p2.stderr, p2.stderr

