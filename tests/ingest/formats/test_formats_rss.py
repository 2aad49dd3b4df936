"""RSS/Atom feeds, including RSSHub's Weibo feed, and the shared Weibo identity."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.formats import FormatError, Issue, Record, detect, parse, parse_bytes

RSSHUB_WEIBO = """<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:atom="http://www.w3.org/2005/Atom" version="2.0">
<channel>
  <title>雷军的微博</title>
  <link>https://weibo.com/1749127163/</link>
  <description>雷军的微博 - Powered by RSSHub</description>
  <item>
    <title>小米YU7将于七月量产</title>
    <description><![CDATA[小米YU7将于七月量产<br><br>感谢大家 &amp; 支持<img style="" src="https://wx1.sinaimg.cn/large/a.jpg" referrerpolicy="no-referrer"><br clear="both"><div style="clear: both"></div><blockquote> - 转发 <a href="https://weibo.com/5678" target="_blank">@小米汽车</a>: SU7 五月交付超28000台</blockquote>]]></description>
    <pubDate>Sat, 31 May 2025 12:15:00 GMT</pubDate>
    <guid isPermaLink="false">https://weibo.com/1749127163/PqYU7mass</guid>
    <link>https://weibo.com/1749127163/PqYU7mass</link>
    <author>雷军</author>
    <category>小米YU7</category>
  </item>
  <item>
    <title>second</title>
    <description>第二条</description>
    <pubDate>Sun, 01 Jun 2025 01:00:00 GMT</pubDate>
    <link>https://weibo.com/1749127163/PqYU7mas2</link>
  </item>
</channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>CEO Blog</title>
  <author><name>Jane CEO</name></author>
  <entry>
    <title>Q2 letter</title>
    <id>tag:example.com,2025:q2</id>
    <link href="https://example.com/q2"/>
    <updated>2025-06-01T08:00:00+02:00</updated>
    <content type="html">&lt;p&gt;Dear shareholders,&lt;/p&gt;&lt;p&gt;Growth &amp;amp; focus.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>No id</title>
    <link href="https://example.com/no-id"/>
    <updated>2025-06-02T08:00:00Z</updated>
    <summary>Short note</summary>
  </entry>
</feed>
"""


def items(it):
    out = list(it)
    return [i for i in out if isinstance(i, Record)], [i for i in out if isinstance(i, Issue)]


def test_rsshub_weibo_feed(tmp_path: Path) -> None:
    path = tmp_path / "leijun.xml"
    path.write_text(RSSHUB_WEIBO, encoding="utf-8")
    assert detect(path) == "rss"
    (first, second), issues = items(parse(path))
    assert issues == []
    assert (first.platform, first.source_id, first.author_id) == ("weibo", "PqYU7mass", "1749127163")
    assert first.url == "https://weibo.com/1749127163/PqYU7mass"
    assert first.published_at == datetime(2025, 5, 31, 12, 15, tzinfo=UTC)
    assert first.text == "小米YU7将于七月量产\n\n感谢大家 & 支持\n\n- 转发 @小米汽车: SU7 五月交付超28000台"
    assert first.author_name == "雷军"
    assert first.raw["tags"] == ["小米YU7"]
    assert (first.likes, first.shares, first.comments) == (0, 0, 0)
    assert first.partial  # a crawler's fuller copy of the post must win over this one
    assert first.pics == ["https://wx1.sinaimg.cn/large/a.jpg"] and second.pics == []
    assert second.author_name == "雷军的微博"  # no <author>: the feed title stands in
    assert second.line == 2


def test_same_weibo_post_has_same_identity_from_crawler_and_rsshub(tmp_path: Path) -> None:
    crawler = tmp_path / "1749127163.json"
    crawler.write_text(
        json.dumps(
            {
                "user": {"id": "1749127163"},
                "weibo": [
                    {
                        "user_id": 1749127163,
                        "screen_name": "雷军",
                        "id": 5171234567890123,
                        "bid": "PqYU7mass",
                        "text": "小米YU7将于七月量产",
                        "created_at": "2025-05-31T20:15:00",
                        "attitudes_count": 1,
                        "comments_count": 1,
                        "reposts_count": 1,
                    }
                ],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    (from_crawler,), _ = items(parse(crawler))
    (from_feed, _), _ = items(parse_bytes(RSSHUB_WEIBO.encode(), "https://rsshub.app/weibo/user/1749127163"))
    assert (from_crawler.platform, from_crawler.source_id) == (from_feed.platform, from_feed.source_id)
    assert from_crawler.published_at == from_feed.published_at
    assert from_crawler.url == from_feed.url
    assert (from_crawler.partial, from_feed.partial) == (False, True)
    assert from_feed.source == "https://rsshub.app/weibo/user/1749127163"


def test_atom_feed(tmp_path: Path) -> None:
    path = tmp_path / "blog.atom"
    path.write_text(ATOM, encoding="utf-8")
    (q2, noid), issues = items(parse(path))
    assert issues == []
    assert (q2.platform, q2.source_id, q2.title) == ("rss", "tag:example.com,2025:q2", "Q2 letter")
    assert q2.text == "Dear shareholders,\n\nGrowth & focus."
    assert q2.published_at == datetime(2025, 6, 1, 6, 0, tzinfo=UTC)
    assert q2.author_name == "Jane CEO"
    assert noid.source_id == "https://example.com/no-id"  # no <id>: the link is the identity


def test_feed_without_id_or_link_leaves_source_id_empty() -> None:
    feed = b"<rss version='2.0'><channel><title>x</title><item><description>just text</description></item></channel></rss>"
    (rec,), _ = items(parse_bytes(feed, "mem.xml"))
    assert rec.source_id == "" and rec.text == "just text"


def test_bozo_feed_keeps_recovered_entries(tmp_path: Path) -> None:
    broken = RSSHUB_WEIBO.replace("</channel>\n</rss>\n", "<item><title>")  # truncated download
    recs, issues = items(parse_bytes(broken.encode(), "broken.xml"))
    assert [r.source_id for r in recs] == ["PqYU7mass", "PqYU7mas2"]
    assert len(issues) == 1 and issues[0].error.startswith("feed is not well-formed (")
    assert issues[0].error.endswith("2 entries recovered")


def test_unreadable_feed_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="not a readable RSS/Atom feed"):
        parse_bytes(b"<rss version='2.0'><channel><item><<<", "bad.xml", "rss")


def test_forced_rss_on_json(tmp_path: Path) -> None:
    path = tmp_path / "file.json"
    path.write_text('[{"text": "hi"}]')
    with pytest.raises(FormatError) as e:
        parse(path, "rss")
    assert str(e.value) == "--format rss: file.json is not an RSS/Atom feed (it looks like JSON)"


def test_html_page_is_not_a_feed(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text("<!doctype html><html><body>hi</body></html>")
    with pytest.raises(FormatError, match=r"^unknown format: .*page.html: XML/HTML"):
        detect(path)
