"""Markdown and plain-text digests: title, period, sections."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ingest.formats import FormatError, Record, detect, parse
from ingest.formats.digest import find_period

PLAIN = """Xiaomi EV delivered 28,000 units in May

Lei Jun’s Weibo Weekly (May 26 – June 1): SU7 Hits 28,000+

Lei Jun’s Weibo (May 26 – June 1, 2025): SU7 May Deliveries Exceed 28,000 Units, YU7 Set for Mass Production in July, with more to come after the summer.

Weekly Overview

During the week Lei Jun shared 40 posts. {filler}

Top 3 Weibo Posts

1. SU7 May Deliveries

Date: June 1, 2025

Summary: {filler}

Reactions: {filler}

2. Childhood Photo

Summary: {filler}

3. Initial Announcement

Summary: {filler}

Photo of the Week

Lei Jun's childhood photo released on Children's Day
Lei Jun’s childhood photo released on Children’s Day

The photo shows him with the “three-stripe” armband. {filler}

Trend Analysis

Transparency: {filler}

Similar Posts
"""
FILLER = "Deliveries rose and the market noticed the numbers. " * 8  # ~420 characters


def only_record(path: Path) -> Record:
    (rec,) = list(parse(path))
    assert isinstance(rec, Record)
    return rec


def test_plain_text_digest(tmp_path: Path) -> None:
    path = tmp_path / "weekly.txt"
    path.write_text(PLAIN.format(filler=FILLER), encoding="utf-8")
    assert detect(path) == "digest"
    rec = only_record(path)
    assert rec.is_digest and rec.platform == "digest" and rec.source_id == ""
    assert rec.title == "Xiaomi EV delivered 28,000 units in May"
    # May 26 – June 1 in Beijing: [May 26 00:00 +08, June 2 00:00 +08)
    assert rec.period_start == datetime(2025, 5, 25, 16, tzinfo=UTC)
    assert rec.period_end == datetime(2025, 6, 1, 16, tzinfo=UTC)
    assert rec.published_at == datetime(2025, 5, 31, 16, tzinfo=UTC)  # the last day
    headings = [h for h, _ in rec.sections]
    assert headings[0] == "Xiaomi EV delivered 28,000 units in May"
    assert headings[1] == "Weekly Overview"
    # "Top 3" (~2,000 characters of posts) is cut in two at paragraph boundaries
    assert headings[2:4] == ["Top 3 Weibo Posts", "Top 3 Weibo Posts"]
    assert headings[4:] == ["Photo of the Week", "Trend Analysis"]  # "Similar Posts" had no body
    photo = dict(rec.sections)["Photo of the Week"]
    assert photo.startswith("Lei Jun's childhood photo released")  # captions stay in the body
    assert all(len(t) <= 1500 for _, t in rec.sections)
    assert "1. SU7 May Deliveries" in rec.sections[2][1] and "3. Initial Announcement" in rec.sections[3][1]
    assert rec.text.startswith("Xiaomi EV delivered") and "Similar Posts" in rec.text


def test_markdown_digest_with_tiny_section_merged(tmp_path: Path) -> None:
    path = tmp_path / "weekly.md"
    path.write_text(
        "# 雷军微博周报\n\n覆盖 2025年5月26日至6月1日 的微博。\n\n"
        "## 本周概览\n\n"
        + "本周雷军发布了四十条微博，重点是**小米YU7**量产和[SU7交付](https://x.example/su7)。"
        * 6
        + "\n\n"
        "## 备注\n\n数据截至周日。\n\n"
        "## 网友热评\n\n![图](a.png)\n" + "网友纷纷点赞，认为小米的长期主义获得了回报。" * 8 + "\n",
        encoding="utf-8",
    )
    rec = only_record(path)
    assert rec.title == "雷军微博周报"
    assert rec.period_start == datetime(2025, 5, 25, 16, tzinfo=UTC)
    assert rec.period_end == datetime(2025, 6, 1, 16, tzinfo=UTC)
    headings = [h for h, _ in rec.sections]
    assert headings == ["本周概览", "网友热评"]  # the intro and "备注" were too small to stand alone
    overview = rec.sections[0][1]
    assert overview.startswith("雷军微博周报\n\n覆盖 2025年5月26日至6月1日 的微博。")  # the intro leads on
    # "备注" merged into the previous section, its heading kept as text
    assert overview.endswith("\n\n备注\n\n数据截至周日。")
    assert "**" not in rec.text and "](" not in rec.text and "#" not in rec.text
    assert "小米YU7" in overview and "SU7交付" in overview


def test_explicit_published_date_wins(tmp_path: Path) -> None:
    path = tmp_path / "d.md"
    path.write_text("---\ntitle: Weekly\ndate: 2025-06-03\n---\n\nCovers 2025-05-26 to 2025-06-01.\n")
    rec = only_record(path)
    assert rec.title == "Weekly"
    assert rec.published_at == datetime(2025, 6, 2, 16, tzinfo=UTC)
    assert rec.period_end == datetime(2025, 6, 1, 16, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Weekly (May 26 – June 1, 2025)", (date(2025, 5, 26), date(2025, 6, 1))),
        ("Weekly (May 26 – June 1). Written in 2025.", (date(2025, 5, 26), date(2025, 6, 1))),
        ("from 2025-05-26 to 2025-06-01", (date(2025, 5, 26), date(2025, 6, 1))),
        ("5月26日-6月1日 雷军 2025", (date(2025, 5, 26), date(2025, 6, 1))),
        ("2025年5月26日至6月1日", (date(2025, 5, 26), date(2025, 6, 1))),
        ("Dec 29 – Jan 4, 2026", (date(2025, 12, 29), date(2026, 1, 4))),
        ("26–31 May 2025", (date(2025, 5, 26), date(2025, 5, 31))),
        ("Nothing datable here", None),
        ("May 26 – June 1 with no year anywhere", None),
    ],
)
def test_find_period(text: str, expected: tuple[date, date] | None) -> None:
    assert find_period(text) == expected


def test_empty_digest_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.md"
    path.write_text("   \n\n")
    with pytest.raises(FormatError, match="empty"):
        parse(path, "digest")


def test_forced_digest_on_json(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"a": 1}')
    with pytest.raises(FormatError, match=r"^--format digest: x.json is not a Markdown or plain-text digest"):
        parse(path, "digest")


def test_chinese_plain_text_digest_title_then_heading(tmp_path: Path) -> None:
    path = tmp_path / "周报.txt"
    path.write_text(
        "雷军微博周报（2025年5月26日至6月1日）\n\n本周概览\n\n"
        + "本周雷军共发布40条微博，重点包括SU7交付。" * 10
        + "\n\n热门微博\n\n1. SU7五月交付\n\n"
        + "雷军宣布小米SU7五月交付量超过28000台。" * 10
        + "\n",
        encoding="utf-8",
    )
    rec = only_record(path)
    assert rec.title == "雷军微博周报（2025年5月26日至6月1日）"
    assert rec.period_end == datetime(2025, 6, 1, 16, tzinfo=UTC)
    assert [h for h, _ in rec.sections] == ["本周概览", "热门微博"]
    assert rec.sections[1][1].startswith("1. SU7五月交付\n\n雷军宣布")
