"""Whatever the bytes, parsing yields Records/Issues or raises FormatError, nothing else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.formats import FORMATS, FormatError, Issue, Record, parse_bytes
from ingest.resolve import record_to_doc
from tests.mutation import mutate
from tests.reports import report

# Fragments of every format, so random mixes reach deep into the parsers.
PIECES = [
    b"window.YTD.tweets.part0 = ",
    b'[{"tweet": {"id_str": "1", "full_text": "x", "created_at": ',
    b'"Sat Nov 09 12:14:18 +0000 2024"',
    b'{"user": {}, "weibo": [',
    b'{"bid": "Abc", "text": "t", "created_at": "2025-13-45", "attitudes_count": "1.2\xe4\xb8\x87"}',
    b"<rss version='2.0'><channel><item><title>",
    b"</title><pubDate>not a date</pubDate></item>",
    b"id,text,date\n",
    b'1,"unterminated\n',
    b"2,ok,2025-05-31\n",
    b"\xff\xfe",
    b"]",
    b"}",
    b",",
    b"\n",
    b'{"id": 1, "content": "c"}\n',
    b"# Heading\n\nMay 26 - June 1, 2025\n",
    b"\xe6\xad\xa3\xe6\x96\x87,bid\n",
    b'{"ok": 1, "data": {"cards": [{"card_type": 9, "mblog": {"bid": "Abc", "text": "<a href=/status/1>',
    b'{"card_type": 11, "card_group": []}',
    b'{"ok": 0, "msg": "\xe8\xbf\x99"}',
    b'{"data": {"list": [{"mblogid": "K3f", "text_raw": "t", "isLongText": true, "pic_ids": ["p"], "pic_infos": ',
    b'"created_at": "Wed Sep 23 20:42:01 +0800 2026", "retweeted_status": ',
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chunks=st.lists(st.one_of(st.sampled_from(PIECES), st.binary(max_size=40)), max_size=12),
    fmt=st.sampled_from(("auto", *FORMATS)),
    name=st.sampled_from(("x.json", "x.csv", "x.txt", "x.md", "tweets.js", "feed", "x.jsonl")),
)
def test_parse_never_raises_anything_but_format_error(chunks: list[bytes], fmt: str, name: str) -> None:
    try:
        for item in parse_bytes(b"".join(chunks), f"https://example.com/{name}", fmt):
            assert isinstance(item, Record | Issue)
    except FormatError as e:
        assert "\n" not in str(e)  # one-line messages


# Raw Weibo API pages built from the fields the API returns, every value sometimes hostile, then mutated.
EXAMPLES = 300  # as many generated files as the byte-soup fuzz above, for this one format
TRIED = report("weibo-api fuzz inputs tried", {"weibo-api": 0, "records": 0, "issues": 0})
_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), st.text(max_size=30),
              st.sampled_from(["Wed Sep 23 20:42:01 +0800 2026", "3小时前", "1.2万", "无", "<img alt=[doge]>",
                               '<a href="/status/1">全文</a>', "<span class='expand'>展开</span>", "\ud800"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)
_MBLOG_KEYS = ("id", "mid", "idstr", "bid", "mblogid", "created_at", "text", "text_raw", "isLongText", "longText",
               "attitudes_count", "comments_count", "reposts_count", "user", "pics", "pic_ids", "pic_infos",
               "page_info", "retweeted_status")
# A plausible value per key, so that many generated posts are good ones and reach the whole Record path.
_PLAUSIBLE = {
    "mid": st.sampled_from(["4607741009594608", "4387933362623405"]), "bid": st.sampled_from(["PqYU7mass", "K3f"]),
    "created_at": st.just("Wed Sep 23 20:42:01 +0800 2026"),
    "text": st.sampled_from(['小米<span class="url-icon"><img alt="[doge]" src="//h5.sinaimg.cn/m/emoticon/d.png"></span>',
                             'cut ...<a href="/status/1">全文</a>', "<br/>", ""]),
    "isLongText": st.booleans(), "attitudes_count": st.integers(0, 10**6), "reposts_count": st.just("1.2万"),
    "comments_count": st.just(3), "text_raw": st.just("纯文本[哈哈]"), "id": st.just(4607741009594608),
    "user": st.just({"id": 1749127163, "screen_name": "雷军"}),
    "pics": st.just([{"large": {"url": "https://wx1.sinaimg.cn/large/a.jpg"}}]),
    "retweeted_status": st.just({"text": "原文", "user": {"screen_name": "小米"}}),
}
_field = {k: st.one_of(*[_PLAUSIBLE[k]] * 3, _value) if k in _PLAUSIBLE else _value for k in _MBLOG_KEYS}
_mblog = st.fixed_dictionaries({"bid": _field["bid"]}, optional={k: v for k, v in _field.items() if k != "bid"})
_post_card = _mblog.map(lambda m: {"card_type": 9, "mblog": m})
_card = st.one_of(_post_card, _post_card, _post_card, st.fixed_dictionaries({"card_type": st.sampled_from([9, 11, 4])}),
                  _value)
_page = st.one_of(
    st.tuples(st.sampled_from([1, 0, "1", None]), st.lists(_card, max_size=4))
    .map(lambda t: {"ok": t[0], "data": {"cards": t[1]}}),
    st.lists(st.one_of(_mblog, _mblog, _mblog, _value), max_size=4).map(lambda items: {"data": {"list": items}, "ok": 1}),
)
_layout = st.sampled_from(["page", "array", "lines"])
_mutation = st.tuples(st.sampled_from(["flip", "insert", "truncate"]), st.floats(0, 1), st.binary(min_size=1, max_size=4))


def _file(pages: list, layout: str) -> bytes:
    dump = lambda v: json.dumps(v, ensure_ascii=False)  # noqa: E731
    if layout == "page":
        return dump(pages[0] if pages else {}).encode("utf-8", "surrogatepass")
    if layout == "array":
        return dump(pages).encode("utf-8", "surrogatepass")
    return "\n".join(dump(p) for p in pages).encode("utf-8", "surrogatepass")


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(pages=st.lists(_page, min_size=1, max_size=3), layout=_layout, muts=st.lists(_mutation, max_size=2),
       fmt=st.sampled_from(["auto", "weibo-api"]))
def test_weibo_api_pages_with_hostile_values_never_raise(pages: list, layout: str, muts: list, fmt: str) -> None:
    TRIED["weibo-api"] += 1
    name = "https://example.com/pages.jsonl" if layout == "lines" else "https://example.com/pages.json"
    try:
        items = list(parse_bytes(mutate(_file(pages, layout), muts), name, fmt))
    except FormatError as e:
        assert "\n" not in str(e)
        return
    for item in items:
        assert isinstance(item, Record | Issue)
        TRIED["records" if isinstance(item, Record) else "issues"] += 1
        if isinstance(item, Record):
            assert isinstance(item.text, str) and item.text and isinstance(item.source_id, str) and item.source_id
            assert all(isinstance(p, str) for p in item.pics)
            json.dumps(record_to_doc(item, "x").raw, ensure_ascii=False).encode("utf-8")  # storable as-is

