"""Time expressions -> periods, with a pinned 'now' (Monday 2025-06-02 10:00 in Shanghai)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from retrieval.query.timeparse import (
    Period,
    PeriodError,
    make_period,
    parse_date,
    parse_period,
    parse_period_arg,
)

TZ = ZoneInfo("Asia/Shanghai")


def at(y: int, m: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=TZ)


NOW = at(2025, 6, 2, 10)  # a Monday
SUNDAY = at(2025, 6, 8, 23, 30)  # the last moment-ish of that week
EPOCH = at(1970, 1, 1)


def period(text: str, now: datetime = NOW) -> Period:
    p, _ = parse_period(text, now, TZ)
    assert p is not None, text
    return p


def bounds(text: str, now: datetime = NOW) -> tuple[datetime, datetime]:
    p = period(text, now)
    return p.start, p.end


# --- calendar days, weeks, months, years ------------------------------------------------------------

LAST_WEEK = (at(2025, 5, 26), at(2025, 6, 2))
THIS_WEEK = (at(2025, 6, 2), at(2025, 6, 9))
THIS_MONTH = (at(2025, 6, 1), at(2025, 7, 1))
LAST_MONTH = (at(2025, 5, 1), at(2025, 6, 1))
THIS_YEAR = (at(2025, 1, 1), at(2026, 1, 1))
LAST_YEAR = (at(2024, 1, 1), at(2025, 1, 1))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("today", (at(2025, 6, 2), at(2025, 6, 3))),
        ("今天", (at(2025, 6, 2), at(2025, 6, 3))),
        ("yesterday", (at(2025, 6, 1), at(2025, 6, 2))),
        ("昨天", (at(2025, 6, 1), at(2025, 6, 2))),
        ("前天", (at(2025, 5, 31), at(2025, 6, 1))),
        ("this week", THIS_WEEK),
        ("本周", THIS_WEEK),
        ("这周", THIS_WEEK),
        ("这个星期", THIS_WEEK),
        ("last week", LAST_WEEK),
        ("previous week", LAST_WEEK),
        ("上周", LAST_WEEK),
        ("上个星期", LAST_WEEK),
        ("上星期", LAST_WEEK),
        ("上个礼拜", LAST_WEEK),
        ("this month", THIS_MONTH),
        ("本月", THIS_MONTH),
        ("这个月", THIS_MONTH),
        ("last month", LAST_MONTH),
        ("上个月", LAST_MONTH),
        ("上月", LAST_MONTH),
        ("this year", THIS_YEAR),
        ("今年", THIS_YEAR),
        ("last year", LAST_YEAR),
        ("去年", LAST_YEAR),
        ("in 2024", LAST_YEAR),
        ("2024年", LAST_YEAR),
        ("3 days ago", (at(2025, 5, 30), at(2025, 5, 31))),
        ("三天前", (at(2025, 5, 30), at(2025, 5, 31))),
    ],
)
def test_calendar_periods(text: str, expected: tuple[datetime, datetime]) -> None:
    assert bounds(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        # On a Sunday the current week began last Monday; "last week" is the one before.
        ("this week", (at(2025, 6, 2), at(2025, 6, 9))),
        ("本周", (at(2025, 6, 2), at(2025, 6, 9))),
        ("last week", (at(2025, 5, 26), at(2025, 6, 2))),
        ("上周", (at(2025, 5, 26), at(2025, 6, 2))),
        ("today", (at(2025, 6, 8), at(2025, 6, 9))),
    ],
)
def test_week_boundaries_on_a_sunday(text: str, expected: tuple[datetime, datetime]) -> None:
    assert bounds(text, SUNDAY) == expected


def test_last_week_is_the_same_all_day_monday() -> None:
    for hour in (0, 10, 23):
        assert bounds("last week", at(2025, 6, 2, hour)) == LAST_WEEK


def test_calendar_is_computed_in_tz_not_in_the_zone_of_now() -> None:
    # 18:00 UTC on Sunday June 1 is already Monday June 2 in Shanghai.
    now_utc = datetime(2025, 6, 1, 18, 0, tzinfo=UTC)
    assert bounds("last week", now_utc) == LAST_WEEK
    assert bounds("today", now_utc) == (at(2025, 6, 2), at(2025, 6, 3))
    p, _ = parse_period("today", now_utc, ZoneInfo("UTC"))
    assert p is not None
    assert (p.start, p.end) == (datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 6, 2, tzinfo=UTC))


def test_calendar_results_are_aware_in_tz() -> None:
    p = period("last week")
    assert p.start.tzinfo == TZ and p.end.tzinfo == TZ


# --- trailing windows -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, delta",
    [
        ("past week", timedelta(days=7)),
        ("the past week", timedelta(days=7)),
        ("this past week", timedelta(days=7)),
        ("past 3 days", timedelta(days=3)),
        ("over the past 2 weeks", timedelta(days=14)),
        ("last 7 days", timedelta(days=7)),
        ("the last 24 hours", timedelta(hours=24)),
        ("last 24h", timedelta(hours=24)),
        ("past month", timedelta(days=30)),
        ("past 3 months", timedelta(days=90)),
        ("past year", timedelta(days=365)),
        ("past few days", timedelta(days=3)),
        ("最近7天", timedelta(days=7)),
        ("过去3天", timedelta(days=3)),
        ("近一周", timedelta(days=7)),
        ("最近两周", timedelta(days=14)),
        ("最近一个月", timedelta(days=30)),
        ("近30天", timedelta(days=30)),
        ("过去24小时", timedelta(hours=24)),
        ("近一年", timedelta(days=365)),
    ],
)
def test_trailing_windows_end_now(text: str, delta: timedelta) -> None:
    assert bounds(text) == (NOW - delta, NOW)


@pytest.mark.parametrize(
    "arg, delta",
    [
        ("day", timedelta(hours=24)),
        ("24h", timedelta(hours=24)),
        ("week", timedelta(days=7)),
        ("7d", timedelta(days=7)),
        ("Week", timedelta(days=7)),
        ("month", timedelta(days=30)),
        ("30d", timedelta(days=30)),
        ("year", timedelta(days=365)),
        ("3 weeks", timedelta(days=21)),
        ("48h", timedelta(hours=48)),
        ("周", timedelta(days=7)),
        ("7天", timedelta(days=7)),
        ("past week", timedelta(days=7)),
    ],
)
def test_period_arg_bare_words_are_trailing(arg: str, delta: timedelta) -> None:
    p = parse_period_arg(arg, NOW, TZ)
    assert (p.start, p.end) == (NOW - delta, NOW)


@pytest.mark.parametrize(
    "arg, expected",
    [
        ("last week", LAST_WEEK),
        ("上周", LAST_WEEK),
        ("this month", THIS_MONTH),
        ("may", LAST_MONTH),  # a lone argument is a month even in lower case
        ("May 2025", LAST_MONTH),
        ("2025-05-26..2025-06-01", (at(2025, 5, 26), at(2025, 6, 2))),
        ("today", (at(2025, 6, 2), at(2025, 6, 3))),
    ],
)
def test_period_arg_calendar(arg: str, expected: tuple[datetime, datetime]) -> None:
    p = parse_period_arg(arg, NOW, TZ)
    assert (p.start, p.end) == expected


@pytest.mark.parametrize("arg", ["fortnightish", "", "   ", "week please", "lei jun", "last", "0d", "上下"])
def test_period_arg_junk_raises_friendly_error(arg: str) -> None:
    with pytest.raises(PeriodError) as err:
        parse_period_arg(arg, NOW, TZ)
    assert "Try one of" in str(err.value) and "last week" in str(err.value)
    assert isinstance(err.value, ValueError)


# --- months ------------------------------------------------------------------------------------------

MAY_2025 = (at(2025, 5, 1), at(2025, 6, 1))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("in May", MAY_2025),
        ("May", MAY_2025),
        ("in May 2025", MAY_2025),
        ("May 2025", MAY_2025),
        ("may 2025", MAY_2025),
        ("in may", MAY_2025),
        ("五月", MAY_2025),
        ("5月", MAY_2025),
        ("5月份", MAY_2025),
        ("2025年5月", MAY_2025),
        ("2025-05", MAY_2025),
        ("in Jan", (at(2025, 1, 1), at(2025, 2, 1))),
        ("January", (at(2025, 1, 1), at(2025, 2, 1))),
        ("June", (at(2025, 6, 1), at(2025, 7, 1))),  # the current month counts as not in the future
        ("December", (at(2024, 12, 1), at(2025, 1, 1))),  # rolls back a year
        ("in Dec", (at(2024, 12, 1), at(2025, 1, 1))),
        ("十二月", (at(2024, 12, 1), at(2025, 1, 1))),
        ("12月", (at(2024, 12, 1), at(2025, 1, 1))),
        ("July", (at(2024, 7, 1), at(2024, 8, 1))),
        ("December 2025", (at(2025, 12, 1), at(2026, 1, 1))),  # an explicit year is kept
    ],
)
def test_months(text: str, expected: tuple[datetime, datetime]) -> None:
    assert bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "it may rain",
        "Lei Jun may announce the YU7",
        "you may be right",
        "May I ask what Lei Jun said?",
        "Lei Jun said",  # "Jun" is not June
        "what did Lei Jun say?",
        "what did Theresa May say",
        "they march on",
        "the Mayor spoke",
        "Jan Koum's posts",
    ],
)
def test_month_false_positives(text: str) -> None:
    p, rest = parse_period(text, NOW, TZ)
    assert p is None
    assert rest == text


def test_modal_may_next_to_a_real_month() -> None:
    p, rest = parse_period("it may rain in May", NOW, TZ)
    assert p is not None and (p.start, p.end) == MAY_2025
    assert rest == "it may rain"


# --- since / until / ranges / single dates -----------------------------------------------------------

JUNE_1 = at(2025, 6, 1)
JUNE_2 = at(2025, 6, 2)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("since June 1", (JUNE_1, NOW)),
        ("since 2025-06-01", (JUNE_1, NOW)),
        ("since June 1st", (JUNE_1, NOW)),
        ("from June 1", (JUNE_1, NOW)),
        ("自6月1日以来", (JUNE_1, NOW)),
        ("6月1日以来", (JUNE_1, NOW)),
        ("从6月1日开始", (JUNE_1, NOW)),
        ("since May", (at(2025, 5, 1), NOW)),
        ("after May 31", (JUNE_1, NOW)),
        ("until June 1", (EPOCH, JUNE_2)),  # "until" includes the day
        ("through June 1", (EPOCH, JUNE_2)),
        ("截至6月1日", (EPOCH, JUNE_2)),
        ("before June 1", (EPOCH, JUNE_1)),  # "before" excludes it
        ("6月1日之前", (EPOCH, JUNE_1)),
        ("before 2025-06-01", (EPOCH, JUNE_1)),
    ],
)
def test_since_and_until(text: str, expected: tuple[datetime, datetime]) -> None:
    assert bounds(text) == expected


MAY26_JUNE1 = (at(2025, 5, 26), at(2025, 6, 2))  # inclusive of June 1


@pytest.mark.parametrize(
    "text",
    [
        "between May 26 and June 1",
        "from May 26 to June 1",
        "May 26 - June 1",
        "May 26 – June 1, 2025",
        "May 26 until June 1",
        "2025-05-26..2025-06-01",
        "2025-05-26 to 2025-06-01",
        "2025-05-26 - 2025-06-01",
        "5月26日到6月1日",
        "5月26日至6月1日",
        "从5月26日到6月1日",
        "2025年5月26日至2025年6月1日",
        "26 May to 1 June",
    ],
)
def test_ranges_include_the_last_day(text: str) -> None:
    assert bounds(text) == MAY26_JUNE1


@pytest.mark.parametrize(
    "text, expected",
    [
        ("May 26-31", (at(2025, 5, 26), at(2025, 6, 1))),
        ("5月26日至31日", (at(2025, 5, 26), at(2025, 6, 1))),
        ("Dec 28 to Jan 3", (at(2024, 12, 28), at(2025, 1, 4))),  # crosses the new year
        ("from May to June", (at(2025, 5, 1), at(2025, 7, 1))),
        ("5月到6月", (at(2025, 5, 1), at(2025, 7, 1))),
    ],
)
def test_other_ranges(text: str, expected: tuple[datetime, datetime]) -> None:
    assert bounds(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("on June 1", (JUNE_1, JUNE_2)),
        ("June 1, 2025", (JUNE_1, JUNE_2)),
        ("June 1", (JUNE_1, JUNE_2)),
        ("1 June 2025", (JUNE_1, JUNE_2)),
        ("2025-06-01", (JUNE_1, JUNE_2)),
        ("6月1日", (JUNE_1, JUNE_2)),
        ("6月1号", (JUNE_1, JUNE_2)),
        ("六月一日", (JUNE_1, JUNE_2)),
        ("2025年6月1日", (JUNE_1, JUNE_2)),
        ("June 5", (at(2024, 6, 5), at(2024, 6, 6))),  # not in the future: last year's
    ],
)
def test_single_dates(text: str, expected: tuple[datetime, datetime]) -> None:
    assert bounds(text) == expected


def test_ambiguous_slash_dates_are_ignored() -> None:
    assert parse_period("6/1", NOW, TZ) == (None, "6/1")


# --- remaining text and labels -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, rest",
    [
        ("what did Lei Jun say about YU7 last week?", "what did Lei Jun say about YU7?"),
        ("雷军上周说了什么", "雷军说了什么"),
        ("Lei Jun on YU7 since June 1", "Lei Jun on YU7"),
        ("Musk   in the past 3 days  about Mars", "Musk about Mars"),
        ("雷军最近7天关于YU7", "雷军关于YU7"),
        ("summarise last week", "summarise"),
        ("no time here", "no time here"),
    ],
)
def test_time_phrase_is_removed(text: str, rest: str) -> None:
    assert parse_period(text, NOW, TZ)[1] == rest


@pytest.mark.parametrize(
    "text, label",
    [
        ("last week", "last week (May 26 – Jun 1, 2025)"),
        ("this week", "this week (Jun 2 – Jun 8, 2025)"),
        ("past week", "the past week"),
        ("last 7 days", "the past 7 days"),
        ("最近7天", "the past 7 days"),
        ("the last 24 hours", "the past 24 hours"),
        ("May", "May 2025"),
        ("五月", "May 2025"),
        ("last month", "last month (May 2025)"),
        ("today", "today (Jun 2, 2025)"),
        ("this year", "this year (2025)"),
        ("2025-05-26..2025-06-01", "2025-05-26 – 2025-06-01"),
        ("since June 1", "since 2025-06-01"),
        ("until June 1", "until 2025-06-01"),
        ("before June 1", "before 2025-06-01"),
        ("on June 1", "2025-06-01"),
    ],
)
def test_labels(text: str, label: str) -> None:
    assert period(text).label == label


def test_bare_window_labels() -> None:
    assert parse_period_arg("week", NOW, TZ).label == "the past 7 days"
    assert parse_period_arg("day", NOW, TZ).label == "the past 24 hours"
    assert parse_period_arg("month", NOW, TZ).label == "the past 30 days"


# --- previous period ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("last week", (at(2025, 5, 19), at(2025, 5, 26))),
        ("past week", (NOW - timedelta(days=14), NOW - timedelta(days=7))),
        ("May", (at(2025, 4, 1), at(2025, 5, 1))),  # a calendar month, not 31 days
        ("last month", (at(2025, 4, 1), at(2025, 5, 1))),
        ("January", (at(2024, 12, 1), at(2025, 1, 1))),
        ("March", (at(2025, 2, 1), at(2025, 3, 1))),
        ("this year", (at(2024, 1, 1), at(2025, 1, 1))),
        ("yesterday", (at(2025, 5, 31), at(2025, 6, 1))),
        ("5月26日至6月1日", (at(2025, 5, 19), at(2025, 5, 26))),
    ],
)
def test_previous(text: str, expected: tuple[datetime, datetime]) -> None:
    prev = period(text).previous()
    assert (prev.start, prev.end) == expected


def test_previous_labels() -> None:
    assert period("May").previous().label == "April 2025"
    assert period("last week").previous().label == "the preceding 7 days (May 19 – May 25, 2025)"


# --- parse_date and make_period ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "value, end, expected",
    [
        ("2025-06-01", False, JUNE_1),
        ("2025-06-01", True, JUNE_2),  # --until 2025-06-01 includes June 1
        ("2025-06-01T10:00", False, at(2025, 6, 1, 10)),
        ("2025-06-01T10:00", True, at(2025, 6, 1, 10)),  # an explicit time is kept
        ("2025-06-01 10:00", False, at(2025, 6, 1, 10)),
        ("2025-06-01T10:00+00:00", False, datetime(2025, 6, 1, 10, tzinfo=UTC)),
        ("June 1", False, JUNE_1),
        ("June 1, 2025", True, JUNE_2),
        ("6月1日", False, JUNE_1),
        ("2025年6月1日", True, JUNE_2),
        ("May", True, JUNE_1),
        ("yesterday", False, JUNE_1),
    ],
)
def test_parse_date(value: str, end: bool, expected: datetime) -> None:
    got = parse_date(value, TZ, end=end, now=NOW)
    assert got == expected
    assert got.tzinfo is not None


def test_parse_date_naive_values_are_read_in_tz() -> None:
    assert parse_date("2025-06-01", TZ, now=NOW).utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("value", ["soon", "2025-13-01", "June 31", ""])
def test_parse_date_rejects_junk(value: str) -> None:
    with pytest.raises(ValueError):
        parse_date(value, TZ, now=NOW)


def test_make_period_labels_and_open_ends() -> None:
    since = make_period(JUNE_1, None, NOW, TZ)
    assert (since.start, since.end, since.label) == (JUNE_1, NOW, "since 2025-06-01")
    until = make_period(None, JUNE_2, NOW, TZ)
    assert (until.start, until.end, until.label) == (EPOCH, JUNE_2, "until 2025-06-01")
    both = make_period(at(2025, 5, 26), JUNE_2, NOW, TZ)
    assert both.label == "2025-05-26 – 2025-06-01"
    timed = make_period(at(2025, 6, 1, 9, 30), None, NOW, TZ)
    assert timed.label == "since 2025-06-01 09:30"
    naive = make_period(datetime(2025, 6, 1), None, NOW, TZ)  # noqa: DTZ001 - naive on purpose
    assert naive.start == JUNE_1


def test_toutiao_is_a_product_not_today():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Shanghai")
    now = datetime(2025, 6, 2, 10, tzinfo=tz)
    period, rest = parse_period("张一鸣怎么看今日头条的推荐算法", now, tz)
    assert period is None and "今日头条" in rest
    assert parse_period("今日小米发布会", now, tz)[0].start == datetime(2025, 6, 2, tzinfo=tz)
