"""ingest.normalize: counts, HTML to text, text cleaning, times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingest.normalize import (
    BEIJING,
    clean_text,
    html_text_and_pics,
    html_to_text,
    parse_count,
    parse_time,
    split_urls,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1.2万", 12_000),
        ("3亿", 300_000_000),
        ("10万+", 100_000),
        ("100万+", 1_000_000),
        ("1,234", 1_234),
        ("1.15万", 11_500),  # no float rounding down to 11499
        ("无", 0),
        ("", 0),
        (None, 0),
        (False, 0),
        ("转发", 0),  # weibo.cn shows the label when the count is zero
        (42, 42),
        (4.0, 4),
        ("7", 7),
        (" 2.5k ", 2_500),
    ],
)
def test_parse_count(value: object, expected: int) -> None:
    assert parse_count(value) == expected


def test_parse_count_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_count("lots")


def test_html_to_text_blocks_images_entities() -> None:
    html = (
        '小米YU7<br>七月量产<img src="x.jpg"><br/><br />'
        "<script>alert(1)</script><style>p{}</style>"
        "<blockquote> - 转发 <a href='https://weibo.com/1'>@某人</a>: 原文 &amp; 更多&nbsp;内容</blockquote>"
    )
    assert html_to_text(html) == "小米YU7\n七月量产\n\n- 转发 @某人: 原文 & 更多 内容"
    assert html_to_text("<p>one</p><p>two</p><ul><li>a</li><li>b</li></ul>") == "one\n\ntwo\n\na\nb"


def test_html_to_text_decodes_only_once() -> None:
    assert html_to_text("<p>a &amp;lt; b</p>") == "a &lt; b"


def test_clean_text() -> None:
    s = "R&amp;D\r\nline\u200b two  \r\n\r\n\r\n\r\nend &notes e\u0301"
    # entity decoded, CRLF normalised, zero-width dropped, blank lines collapsed,
    # "&notes" (no ';') left alone, combining accent composed (NFC)
    assert clean_text(s) == "R&D\nline two\n\nend &notes \u00e9"


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        ("2025-05-31T20:15:00", BEIJING, datetime(2025, 5, 31, 12, 15, tzinfo=UTC)),
        ("2025-05-31 20:15", BEIJING, datetime(2025, 5, 31, 12, 15, tzinfo=UTC)),
        ("2025-05-31", BEIJING, datetime(2025, 5, 30, 16, 0, tzinfo=UTC)),
        ("2022-07-05 17:55:09+00:00", UTC, datetime(2022, 7, 5, 17, 55, 9, tzinfo=UTC)),
        ("2016-03-25T15:22:00+08:00", UTC, datetime(2016, 3, 25, 7, 22, tzinfo=UTC)),
        ("Sat Nov 09 12:14:18 +0000 2024", UTC, datetime(2024, 11, 9, 12, 14, 18, tzinfo=UTC)),
        ("Sun, 01 Jun 2025 12:15:00 GMT", BEIJING, datetime(2025, 6, 1, 12, 15, tzinfo=UTC)),
        (1748736000, UTC, datetime(2025, 6, 1, tzinfo=UTC)),
        ("1748736000000", UTC, datetime(2025, 6, 1, tzinfo=UTC)),  # milliseconds
        ("2025年6月1日 08:00", BEIJING, datetime(2025, 6, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_parse_time(value: object, tz, expected: datetime) -> None:
    got = parse_time(value, tz)
    assert got == expected
    assert got is not None and got.utcoffset() is not None and got.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("value", [None, "", "无", "yesterday-ish", True])
def test_parse_time_unreadable_is_none(value: object) -> None:
    assert parse_time(value, UTC) is None


def test_html_emoji_become_alt_text_and_photos_become_pictures() -> None:
    html = ('好<span class="url-icon"><img alt="[doge]" src="//h5.sinaimg.cn/m/emoticon/icon/d_doge.png"></span>'
            '<img alt="[笑cry]" src="https://face.t.sinajs.cn/xiaoku.png"> <a href="https://weibo.cn/sinaurl?u=x">'
            '<span class="url-icon"><img src="https://h5.sinaimg.cn/upload/timeline_card_small_web_default.png"></span>'
            '<span class="surl-text">网页链接</span></a><br><img src="//wx1.sinaimg.cn/large/a.jpg" alt="photo">'
            '...<a href="/status/123">全文</a>')
    assert html_text_and_pics(html) == ("好[doge][笑cry] 网页链接\n...", ["https://wx1.sinaimg.cn/large/a.jpg"])
    assert html_to_text('<span class="expand">展开</span>x') == "x"
    assert html_to_text('<a href="https://x.com">全文 of the letter</a>') == "全文 of the letter"  # not the control


def test_split_urls() -> None:
    assert split_urls("https://a.jpg, https://b.jpg,https://a.jpg") == ["https://a.jpg", "https://b.jpg"]
    assert split_urls("无") == split_urls(None) == split_urls(3) == []
    assert split_urls(["https://a.jpg", 5, "not a url"]) == ["https://a.jpg"]
