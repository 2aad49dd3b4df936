"""Integration: the real public files in ../shared/corpora (skipped when absent)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingest.formats import Issue, Record, detect, is_skippable_name, parse
from ingest.normalize import BEIJING

CORPORA = Path(__file__).resolve().parents[3] / ".." / "shared" / "corpora"
SEEDS = CORPORA.parent / "seeds"

pytestmark = pytest.mark.corpora


@pytest.fixture(scope="module")
def corpora() -> Path:
    if not CORPORA.is_dir():
        pytest.skip("../shared/corpora is absent")
    return CORPORA


def read(path: Path) -> tuple[list[Record], list[Issue]]:
    out = list(parse(path))
    return [r for r in out if isinstance(r, Record)], [i for i in out if isinstance(i, Issue)]


def test_weibo_crawler_json(corpora: Path) -> None:
    path = corpora / "weibo_crawler_json_sample" / "1445403190.json"
    assert detect(path) == "weibo-crawler"
    recs, issues = read(path)
    assert issues == [] and len(recs) == 583
    assert len({r.source_id for r in recs}) == 583
    # Record 365 (bid Ph42EoIxF) is a "生日动态" birthday card with no text: kept, labelled.
    assert (recs[364].source_id, recs[364].text, recs[364].likes) == ("Ph42EoIxF", "[生日动态]", 69)
    first = recs[0]
    assert (first.source_id, first.author_id, first.author_name) == ("P44JF2Rvm", "1445403190", "财富密钥")
    assert first.url == "https://weibo.com/1445403190/P44JF2Rvm"
    assert first.published_at == datetime(2024, 12, 9, 8, 54, 58, tzinfo=UTC)  # 16:54:58 Beijing
    assert (first.likes, first.comments, first.shares) == (27, 1, 3)
    times = [r.published_at for r in recs]
    assert min(times) == datetime(2024, 12, 8, 8, 58, 33, tzinfo=UTC)
    assert max(times) == datetime(2025, 5, 14, 8, 38, 37, tzinfo=UTC)
    assert all(r.platform == "weibo" and r.text for r in recs)


def test_weibo_crawler_users_csv_is_a_companion(corpora: Path) -> None:
    assert detect(corpora / "weibo_crawler_json_sample" / "users.csv") is None


def test_x_archive(corpora: Path) -> None:
    folder = corpora / "x_archive_format_sample"
    assert detect(folder / "tweets.js") == "x-archive"
    assert detect(folder / "note-tweet.js") is None and detect(folder / "manifest.js") is None
    recs, issues = read(folder / "tweets.js")
    assert issues == [] and len(recs) == 25
    assert len({r.source_id for r in recs}) == 25
    assert all(r.url == f"https://x.com/alrocar/status/{r.source_id}" for r in recs)
    # Only one of the 41 notes belongs to these first 25 tweets: its full text replaces the cut one.
    merged = next(r for r in recs if r.source_id == "1851942807159619757")
    assert not merged.raw["full_text"].endswith("…") and "…" in merged.raw["full_text"]
    assert "…" not in merged.text
    assert merged.text.endswith("(la alerta llegó 24h tarde, pero ese es otro tema)")
    assert "Ajustes > Notificaciones > Alertas de emergencias inalámbricas > Historial" in merged.text
    assert not any("&gt;" in r.text or "&amp;" in r.text for r in recs)
    assert recs[0].published_at == datetime(2024, 11, 9, 12, 14, 18, tzinfo=UTC)


def test_elon_musk_csv(corpora: Path) -> None:
    path = corpora / "elon_musk_tweets_gpreda" / "elon_musk_tweets.csv"
    assert detect(path) == "csv"
    recs, issues = read(path)
    assert issues == [] and len(recs) == 5101
    assert len({r.source_id for r in recs}) == 5101
    assert not any("&amp;" in r.text for r in recs)
    assert any("\n" in r.text for r in recs)  # multiline quoted texts survive
    assert sum(r.text.startswith("@") for r in recs) > 4000
    times = sorted(r.published_at for r in recs)
    assert times[0] == datetime(2022, 7, 5, 13, 46, 20, tzinfo=UTC)
    assert times[-1] == datetime(2023, 5, 9, 6, 41, 46, tzinfo=UTC)
    # 79 rows from early 2023 carry his temporary display name "Mr. Tweet".
    assert Counter(r.author_name for r in recs) == {"Elon Musk": 5022, "Mr. Tweet": 79}
    assert recs[0].likes == 6542 and recs[0].shares == 335


def test_zhang_yiming_posts_json(corpora: Path) -> None:
    recs, issues = read(corpora / "zhang_yiming_weibo_2160" / "posts.json")
    assert issues == [] and len(recs) == 2160
    assert len({r.source_id for r in recs}) == 2159  # one record is duplicated in the source
    by_year = Counter(r.published_at.astimezone(BEIJING).year for r in recs)  # the README counts local years
    assert [by_year[y] for y in range(2010, 2017)] == [543, 622, 618, 291, 38, 47, 1]
    assert recs[0].published_at == datetime(2016, 3, 25, 7, 22, tzinfo=UTC)  # 15:22+08:00
    assert recs[-1].published_at == datetime(2010, 4, 29, 12, 28, tzinfo=UTC)


@pytest.mark.parametrize("name", ["zhangyiming_weibo.jsonl", "zhangyiming_weibo_tagged.jsonl"])
def test_zhang_yiming_jsonl(corpora: Path, name: str) -> None:
    recs, issues = read(corpora / "zhang_yiming_weibo_231" / name)
    assert issues == [] and len(recs) == 231
    # "id" restarts in each section; global_id keeps the 231 posts distinct.
    assert len({r.source_id for r in recs}) == 231
    assert all(r.published_at is None for r in recs)


def test_every_corpora_file_is_read_or_skipped(corpora: Path) -> None:
    """A directory walk never hits an unknown format here."""
    for path in sorted(p for p in corpora.rglob("*") if p.is_file() and not is_skippable_name(p)):
        kind = detect(path)
        if kind is not None:
            assert any(isinstance(x, Record) for x in parse(path)), path


def test_seed_digest() -> None:
    seed = SEEDS / "000_17266614cd64f5c8.txt"
    if not seed.is_file():
        pytest.skip("../shared/seeds is absent")
    (rec,) = list(parse(seed))
    assert rec.is_digest
    assert rec.period_start == datetime(2025, 5, 25, 16, tzinfo=UTC)
    assert rec.period_end == datetime(2025, 6, 1, 16, tzinfo=UTC)
    headings = [h for h, _ in rec.sections]
    for expected in (
        "Top 3 Weibo Posts",
        "Photo of the Week",
        "Trend Analysis",
        "Netizen Highlights",
        "Conclusion",
    ):
        assert expected in headings
    assert all(100 <= len(t) <= 1500 for _, t in rec.sections)
