"""Whatever the bytes, parsing yields Records/Issues or raises FormatError, nothing else."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.formats import FORMATS, FormatError, Issue, Record, parse_bytes

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
