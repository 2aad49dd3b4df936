"""Question understanding: executive, period, remaining search terms, language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from retrieval.models import Executive
from retrieval.query.parse import find_executive, parse_query
from retrieval.store.registry import Registry
from retrieval.store.text import language as detect_language

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2025, 6, 2, 10, tzinfo=TZ)


def at(y: int, m: int, d: int, h: int = 0) -> datetime:
    return datetime(y, m, d, h, tzinfo=TZ)


@pytest.fixture
def registry() -> Registry:
    # Mirrors data/executives.toml, so the tests don't move when that file grows.
    people = [
        Executive("leijun", "Lei Jun", ["雷军", "leijun", "雷总", "Lei"], "Xiaomi"),
        Executive("elonmusk", "Elon Musk", ["Elon", "Musk", "马斯克", "埃隆·马斯克", "elonmusk"], "Tesla"),
        Executive("zhangyiming", "Zhang Yiming", ["张一鸣", "zhangyiming", "Yiming"], "ByteDance"),
    ]
    return Registry({ex.key: ex for ex in people})


# --- executives --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, key",
    [
        ("What did Lei Jun say?", "leijun"),
        ("Lei Jun's posts", "leijun"),
        ("Lei Jun’s posts", "leijun"),
        ("LEI JUN", "leijun"),
        ("lei jun", "leijun"),
        ("leijun on YU7", "leijun"),
        ("LeiJun on YU7", "leijun"),
        ("雷军说了什么", "leijun"),
        ("雷军的微博", "leijun"),
        ("雷总怎么看", "leijun"),
        ("Elon Musk on Starship", "elonmusk"),
        ("musk's tweets", "elonmusk"),
        ("What did Elon say?", "elonmusk"),
        ("@elonmusk latest", "elonmusk"),
        ("马斯克最近说了什么", "elonmusk"),
        ("埃隆·马斯克的星舰", "elonmusk"),
        ("张一鸣", "zhangyiming"),
        ("Zhang Yiming on AI", "zhangyiming"),
        ("what did Lei Jun say about YU7 in Leipzig?", "leijun"),
    ],
)
def test_find_executive(registry: Registry, text: str, key: str) -> None:
    assert find_executive(text, registry)[0] == key


@pytest.mark.parametrize(
    "text",
    ["Leipzig fair", "muskrat facts", "Elongated battery", "Leica cameras", "Lei's", "雷达", "tell me more"],
)
def test_no_alias_inside_other_words(registry: Registry, text: str) -> None:
    # "Lei's" is the only one that *should* match (alias + possessive); the rest must not.
    key, rest = find_executive(text, registry)
    if text == "Lei's":
        assert (key, rest) == ("leijun", "")
    else:
        assert (key, rest) == (None, text)


@pytest.mark.parametrize(
    "text, rest",
    [
        ("What did Lei Jun say about YU7?", "What did say about YU7?"),  # "Lei Jun" whole, not just "Lei"
        ("Lei Jun's SU7", "SU7"),
        ("雷军的YU7", "YU7"),
        ("雷军上周说了什么", "上周说了什么"),
        ("Elon Musk and Musk again", "and again"),
        ("@elonmusk Starship", "Starship"),
    ],
)
def test_find_executive_removes_the_names(registry: Registry, text: str, rest: str) -> None:
    assert find_executive(text, registry)[1] == rest


def test_earliest_mention_wins(registry: Registry) -> None:
    assert find_executive("What did Musk say about Lei Jun?", registry) == (
        "elonmusk",
        "What did say about Lei Jun?",
    )
    assert find_executive("Lei Jun on Musk", registry)[0] == "leijun"


def test_executive_known_only_from_data() -> None:
    reg = Registry()
    reg.add_from_data("elon", name="Elon Musk", handle="elonmusk")
    q = parse_query("What did Elon say about Starship?", reg, NOW, TZ)
    assert (q.executive, q.terms) == ("elon", "Starship")
    assert parse_query("musk's tweets", reg, NOW, TZ).executive == "elon"
    assert parse_query("@elonmusk on Mars", reg, NOW, TZ).executive == "elon"
    assert parse_query("Elon Musk on Mars", reg, NOW, TZ).terms == "Mars"


def test_default_registry_file_loads_and_resolves() -> None:
    reg = Registry.load()
    assert find_executive("雷军上周说了什么", reg)[0] == "leijun"


# --- remaining terms ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, terms",
    [
        ("what did Lei Jun say about YU7?", "YU7"),
        ("What did Lei Jun say last week?", ""),
        ("What did Elon Musk say about Starship last week?", "Starship"),
        ("Lei Jun's thoughts on SU7 pricing", "SU7 pricing"),
        ("Did Lei Jun mention the SU7 Ultra?", "SU7 Ultra"),
        ("Has Musk posted about Mars?", "Mars"),
        ("Tell me about Elon Musk’s comments on AI since June 1", "AI"),
        ("what's new from Elon this week", ""),
        ("summarise last week", ""),
        ("summarize May", ""),
        ("musk's tweets", ""),
        ("LEI JUN on the Xiaomi YU7 in May", "Xiaomi YU7"),
        ("What did Musk say about Lei Jun?", "Lei Jun"),
        ("雷军上周说了什么", ""),
        ("雷军上周说了什么？", ""),
        ("雷军关于YU7说了什么", "YU7"),
        ("雷军的YU7", "YU7"),
        ("马斯克最近7天对星舰怎么看", "星舰"),
        ("雷总5月谈了哪些关于小米SU7的内容", "小米SU7"),
        ("雷军在5月说了什么", ""),
        ("雷军在微博上说了什么", ""),
        ("张一鸣最近一个月发了什么", ""),
        ("雷军有没有提到小米汽车？", "小米汽车"),
        ("Xiaomi YU7 launch", "Xiaomi YU7 launch"),
    ],
)
def test_terms(registry: Registry, text: str, terms: str) -> None:
    assert parse_query(text, registry, NOW, TZ).terms == terms


def test_terms_never_keep_name_or_boilerplate(registry: Registry) -> None:
    terms = parse_query("what did Lei Jun say about YU7?", registry, NOW, TZ).terms
    assert "YU7" in terms
    for word in ("Lei", "Jun", "say", "what", "about", "?"):
        assert word not in terms


# --- the whole question ------------------------------------------------------------------------------


def test_parse_query_english(registry: Registry) -> None:
    q = parse_query("what did Lei Jun say about YU7 last week?", registry, NOW, TZ)
    assert q.text == "what did Lei Jun say about YU7 last week?"
    assert (q.executive, q.terms, q.language) == ("leijun", "YU7", "en")
    assert q.period is not None
    assert (q.period.start, q.period.end) == (at(2025, 5, 26), at(2025, 6, 2))
    assert q.period.label == "last week (May 26 – Jun 1, 2025)"


def test_parse_query_chinese(registry: Registry) -> None:
    q = parse_query("雷军上周说了什么", registry, NOW, TZ)
    assert (q.executive, q.terms, q.language) == ("leijun", "", "zh")
    assert q.period is not None
    assert (q.period.start, q.period.end) == (at(2025, 5, 26), at(2025, 6, 2))


def test_parse_query_without_executive_or_period(registry: Registry) -> None:
    q = parse_query("Xiaomi YU7 launch", registry, NOW, TZ)
    assert (q.executive, q.period, q.terms) == (None, None, "Xiaomi YU7 launch")


def test_month_abbreviation_in_a_name_is_not_a_period(registry: Registry) -> None:
    # Even with an explicit executive (so "Lei Jun" is another's name), "Jun" stays a name.
    q = parse_query("What did Musk say to Lei Jun?", registry, NOW, TZ)
    assert q.period is None


@pytest.mark.parametrize(
    "text, language",
    [
        ("雷军上周说了什么", "zh"),
        ("雷军关于YU7说了什么", "zh"),
        ("what did Lei Jun say about YU7?", "en"),
        ("what did 雷军 say about the YU7 launch event?", "en"),
        ("YU7", "en"),
        ("", "en"),
    ],
)
def test_language(text: str, language: str) -> None:
    assert detect_language(text) == language


# --- explicit overrides ------------------------------------------------------------------------------


def test_explicit_executive_replaces_the_parsed_one(registry: Registry) -> None:
    q = parse_query("what did Lei Jun say about Musk?", registry, NOW, TZ, executive="elonmusk")
    assert q.executive == "elonmusk"
    assert q.terms == "Lei Jun"  # another executive's name stays a search term


def test_explicit_executive_names_are_removed(registry: Registry) -> None:
    q = parse_query("what did Lei Jun say about YU7?", registry, NOW, TZ, executive="leijun")
    assert (q.executive, q.terms) == ("leijun", "YU7")


def test_explicit_unknown_executive_is_kept(registry: Registry) -> None:
    q = parse_query("what about YU7?", registry, NOW, TZ, executive="someone")
    assert (q.executive, q.terms) == ("someone", "YU7")


def test_explicit_since_only(registry: Registry) -> None:
    q = parse_query("Lei Jun on YU7", registry, NOW, TZ, since=at(2025, 6, 1))
    assert q.period is not None
    assert (q.period.start, q.period.end, q.period.label) == (at(2025, 6, 1), NOW, "since 2025-06-01")


def test_explicit_until_only(registry: Registry) -> None:
    q = parse_query("Lei Jun on YU7", registry, NOW, TZ, until=at(2025, 6, 2))
    assert q.period is not None
    assert (q.period.start, q.period.end, q.period.label) == (
        at(1970, 1, 1),
        at(2025, 6, 2),
        "until 2025-06-01",
    )


def test_explicit_since_replaces_the_parsed_start(registry: Registry) -> None:
    q = parse_query("Lei Jun on YU7 last week", registry, NOW, TZ, since=at(2025, 5, 28))
    assert q.period is not None
    assert (q.period.start, q.period.end) == (at(2025, 5, 28), at(2025, 6, 2))
    assert q.period.label == "2025-05-28 – 2025-06-01"
    assert q.terms == "YU7"


def test_explicit_until_replaces_the_parsed_end(registry: Registry) -> None:
    q = parse_query("雷军上个月说了什么", registry, NOW, TZ, until=at(2025, 5, 15))
    assert q.period is not None
    assert (q.period.start, q.period.end) == (at(2025, 5, 1), at(2025, 5, 15))


def test_explicit_bounds_replace_both(registry: Registry) -> None:
    q = parse_query("Musk in May", registry, NOW, TZ, since=at(2025, 1, 1), until=at(2025, 2, 1))
    assert q.period is not None
    assert (q.period.start, q.period.end, q.period.label) == (
        at(2025, 1, 1),
        at(2025, 2, 1),
        "2025-01-01 – 2025-01-31",
    )


def test_naive_explicit_bounds_are_read_in_tz(registry: Registry) -> None:
    q = parse_query("Musk", registry, NOW, TZ, since=datetime(2025, 6, 1))  # noqa: DTZ001 - naive on purpose
    assert q.period is not None and q.period.start == at(2025, 6, 1)
