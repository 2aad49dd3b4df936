"""Time expressions in questions and command arguments -> concrete periods.

Pure functions: "now" and the time zone are passed in; nothing here reads the clock
(except ``parse_date`` when called without ``now``).

Conventions (pinned by tests/retrieval/query/test_timeparse.py):
- Trailing windows end at now: bare ``day``/``week``/``month``/``year`` (24h, 7d, 30d, 365d),
  "past week", "the past 3 days", "last 7 days", "最近7天", "近一周". N months = N*30 days and
  N years = N*365 days, so "past month" equals bare ``month``.
- Calendar periods ("today", "this week", "last week", "本月", "去年", "May") run from the start of
  the unit to the start of the next one; for the current unit that end lies in the future, which is
  harmless for filtering. Weeks start on Monday. "last week" is always the calendar week.
- Date ranges include their last day (end = the midnight after it). "until X"/"through X"/截至X
  include X; "before X"/X之前 exclude it; "since X"/"from X"/X以来 include X; "after X"/X之后 start
  the day after. Open starts are 1970-01-01 in tz.
- A month or date without a year is the most recent one that is not in the future.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from retrieval.errors import ExecbotError
from retrieval.query.spans import remove_span, tidy

__all__ = [
    "EPOCH_YEAR",
    "Period",
    "PeriodError",
    "find_period",
    "make_period",
    "parse_date",
    "parse_period",
    "parse_period_arg",
]

EPOCH_YEAR = 1970

_MONTH_NUMBERS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}  # fmt: skip
_FULL_MONTHS = ["", "January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December"]  # fmt: skip
_ABBR_MONTHS = ["", *(m[:3] for m in _FULL_MONTHS[1:])]

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
               "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12}  # fmt: skip

_UNITS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7),
          "month": timedelta(days=30), "year": timedelta(days=365)}  # fmt: skip

# --- regex building blocks (no capturing groups, so they can be embedded several times) ---------
L = r"(?<![0-9A-Za-z])"  # a word start for Latin script; \b is useless next to CJK (also \w)
R = r"(?![0-9A-Za-z])"
_MONTH = "(?:" + "|".join(sorted(_MONTH_NUMBERS, key=len, reverse=True)) + r")\.?(?![A-Za-z])"
_CN_NUM = "[零〇一二两三四五六七八九十]{1,3}"
_NUM = rf"(?:[0-9]{{1,4}}|{_CN_NUM})"
_EN_NUM = r"\d+|(?:a\s+)?(?:few|couple(?:\s+of)?)|" + "|".join(_EN_NUMBERS)
_DAYNUM = r"\d{1,2}(?:st|nd|rd|th)?(?!\d)"

_ISO_DATE = r"(?<!\d)\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)"
_ZH_DATE = rf"(?<!\d)(?:\d{{4}}\s*年\s*)?{_NUM}\s*月\s*{_NUM}\s*[日号]"
_EN_MD = rf"{_MONTH}\s*{_DAYNUM}(?:,?\s+\d{{4}}(?!\d))?"
_EN_DM = rf"{_DAYNUM}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}}(?!\d))?"
_DATE = f"(?:{_ISO_DATE}|{_ZH_DATE}|{_EN_MD}|{_EN_DM})"
_ZH_MONTH = rf"(?<!\d)(?:\d{{4}}\s*年\s*)?{_NUM}\s*月份?"
_EN_MONTH = rf"{_MONTH}(?:,?\s+\d{{4}}(?!\d))?"
_ISO_MONTH = r"(?<!\d)\d{4}-\d{1,2}(?![\d-])"
_YEAR = r"(?<!\d)\d{4}(?:\s*年)?(?!\d)"
# Anything "since"/"until"/ranges can refer to: a day, a month or a year.
_REF = f"(?:{_DATE}|{_ZH_MONTH}|{_ISO_MONTH}|{_EN_MONTH}|{_YEAR})"


class PeriodError(ExecbotError, ValueError):
    """A command argument that should name a period but doesn't."""


@dataclass(frozen=True)
class Period:
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive
    label: str  # human label, e.g. "last week (May 26 – Jun 1, 2025)"
    # "month"/"year" make previous() step by calendar unit; anything else steps by length.
    kind: str = "span"

    def previous(self) -> Period:
        """The period right before this one: same length, or the previous calendar month/year."""
        tz = self.start.tzinfo or UTC
        first = self.start.date()
        if self.kind == "month":
            year, month = (first.year, first.month - 1) if first.month > 1 else (first.year - 1, 12)
            return _month_period(year, month, tz)
        if self.kind == "year":
            return _year_period(first.year - 1, tz)
        start = self.start - (self.end - self.start)
        label = f"the preceding {_duration_text(self.end - self.start)} ({_span_text(start, self.start)})"
        return Period(start, self.start, label, self.kind)


# --- small helpers ----------------------------------------------------------------------------------


def _midnight(d: date, tz: tzinfo) -> datetime:
    return datetime.combine(d, time(), tzinfo=tz)


def _epoch(tz: tzinfo) -> datetime:
    return _midnight(date(EPOCH_YEAR, 1, 1), tz)


def _is_midnight(dt: datetime) -> bool:
    return dt.time() == time()


def _day_text(d: date) -> str:
    return f"{_ABBR_MONTHS[d.month]} {d.day}, {d.year}"


def _span_text(start: datetime, end: datetime) -> str:
    """'May 26 – Jun 1, 2025' for whole days (end exclusive), with times otherwise."""
    end = end.astimezone(start.tzinfo)
    if _is_midnight(start) and _is_midnight(end):
        first, last = start.date(), end.date() - timedelta(days=1)
        if last <= first:
            return _day_text(first)
        if first.year == last.year:
            return f"{_ABBR_MONTHS[first.month]} {first.day} – {_day_text(last)}"
        return f"{_day_text(first)} – {_day_text(last)}"
    return f"{_day_text(start.date())} {start:%H:%M} – {_day_text(end.date())} {end:%H:%M}"


def _duration_text(delta: timedelta) -> str:
    if delta % timedelta(days=1):
        hours = round(delta.total_seconds() / 3600)
        return "hour" if hours == 1 else f"{hours} hours"
    return "day" if delta.days == 1 else f"{delta.days} days"


def _to_int(word: str) -> int | None:
    """'7', 'seven', 'a few', '七', '十二', '两' -> int."""
    word = re.sub(r"\s+", " ", word.strip().lower())
    if word.isascii() and word.isdigit():
        return int(word)
    if word in _EN_NUMBERS:
        return _EN_NUMBERS[word]
    if "few" in word or word == "几":  # vague on purpose: "a few days" ≈ 3
        return 3
    if "couple" in word:
        return 2
    if "十" in word:
        tens, _, ones = word.partition("十")
        if (
            len(tens) > 1
            or len(ones) > 1
            or (tens and tens not in _CN_DIGITS)
            or (ones and ones not in _CN_DIGITS)
        ):
            return None
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    if len(word) == 1 and word in _CN_DIGITS:
        return _CN_DIGITS[word]
    return None


def _unit(word: str) -> str | None:
    w = word.lower()
    for unit, forms in (
        ("hour", ("h", "hr", "hrs", "hour", "hours", "小时", "钟头")),
        ("day", ("d", "day", "days", "天", "日")),
        ("week", ("w", "wk", "wks", "week", "weeks", "周", "星期", "礼拜")),
        ("month", ("mo", "mos", "month", "months", "月")),
        ("year", ("y", "yr", "yrs", "year", "years", "年")),
    ):
        if w in forms:
            return unit
    return None


# --- day / month / year references -----------------------------------------------------------------


@dataclass
class _Ref:
    """A calendar reference as written: a day, a month (day None) or a year (month None)."""

    year: int | None
    month: int | None = None
    day: int | None = None

    def bounds(self) -> tuple[date, date]:
        """[first day, day after the last day); raises ValueError for impossible dates."""
        assert self.year is not None
        if self.month is None:
            return date(self.year, 1, 1), date(self.year + 1, 1, 1)
        if self.day is None:
            return date(self.year, self.month, 1), _next_month(self.year, self.month)
        d = date(self.year, self.month, self.day)
        return d, d + timedelta(days=1)

    def label(self) -> str:
        if self.month is None or self.year is None:
            return str(self.year)
        if self.day is None:
            return f"{_FULL_MONTHS[self.month]} {self.year}"
        return date(self.year, self.month, self.day).isoformat()


def _next_month(year: int, month: int) -> date:
    return date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)


_REF_FORMS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], _Ref | None]]] = []  # tried in order


RefBuilder = Callable[[re.Match[str]], _Ref | None]


def _ref_form(pattern: str) -> Callable[[RefBuilder], RefBuilder]:
    def register(fn: RefBuilder) -> RefBuilder:
        _REF_FORMS.append((re.compile(pattern, re.I), fn))
        return fn

    return register


def _opt_int(value: str | None) -> int | None:
    return int(value) if value else None


@_ref_form(r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})")
def _iso_date_ref(m: re.Match[str]) -> _Ref:
    return _Ref(int(m["y"]), int(m["m"]), int(m["d"]))


@_ref_form(rf"(?:(?P<y>\d{{4}})\s*年\s*)?(?P<m>{_NUM})\s*月\s*(?P<d>{_NUM})\s*[日号]")
def _zh_date_ref(m: re.Match[str]) -> _Ref | None:
    month, day = _to_int(m["m"]), _to_int(m["d"])
    return _Ref(_opt_int(m["y"]), month, day) if month and day else None


@_ref_form(r"(?P<mon>[a-z]+)\.?\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?")
def _en_md_ref(m: re.Match[str]) -> _Ref | None:
    month = _MONTH_NUMBERS.get(m["mon"].lower())
    return _Ref(_opt_int(m["y"]), month, int(m["d"])) if month else None


@_ref_form(r"(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>[a-z]+)\.?(?:,?\s+(?P<y>\d{4}))?")
def _en_dm_ref(m: re.Match[str]) -> _Ref | None:
    month = _MONTH_NUMBERS.get(m["mon"].lower())
    return _Ref(_opt_int(m["y"]), month, int(m["d"])) if month else None


@_ref_form(rf"(?:(?P<y>\d{{4}})\s*年\s*)?(?P<m>{_NUM})\s*月份?")
def _zh_month_ref(m: re.Match[str]) -> _Ref | None:
    month = _to_int(m["m"])
    return _Ref(_opt_int(m["y"]), month) if month else None


@_ref_form(r"(?P<y>\d{4})-(?P<m>\d{1,2})")
def _iso_month_ref(m: re.Match[str]) -> _Ref:
    return _Ref(int(m["y"]), int(m["m"]))


@_ref_form(r"(?P<mon>[a-z]+)\.?(?:,?\s+(?P<y>\d{4}))?")
def _en_month_ref(m: re.Match[str]) -> _Ref | None:
    month = _MONTH_NUMBERS.get(m["mon"].lower())
    return _Ref(_opt_int(m["y"]), month) if month else None


@_ref_form(r"(?P<y>\d{4})(?:\s*年)?")
def _year_ref(m: re.Match[str]) -> _Ref:
    return _Ref(int(m["y"]))


def _read_ref(text: str) -> _Ref | None:
    for rx, build in _REF_FORMS:
        m = rx.fullmatch(text.strip())
        if m:
            ref = build(m)
            if ref is None:
                return None
            if ref.year is not None and not EPOCH_YEAR <= ref.year <= 2200:
                return None
            if ref.month is not None and not 1 <= ref.month <= 12:
                return None
            return ref
    return None


def _fill_year(ref: _Ref, today: date) -> _Ref:
    """A reference without a year means the most recent such day/month not in the future."""
    if ref.year is not None:
        return ref
    for year in range(today.year, today.year - 8, -1):  # a few years back covers Feb 29
        candidate = _Ref(year, ref.month, ref.day)
        try:
            if candidate.bounds()[0] <= today:
                return candidate
        except ValueError:
            continue
    return _Ref(today.year - 1, ref.month, ref.day)


def _fill_range(a: _Ref, b: _Ref, today: date) -> tuple[_Ref, _Ref]:
    """Years for a range: a missing one is borrowed from the other end ("May 26 – June 1, 2025")."""
    if a.year is None and b.year is not None:
        a = _Ref(b.year, a.month, a.day)
        if _safe_start(a) > _safe_start(b):
            a = _Ref(b.year - 1, a.month, a.day)
    else:
        a = _fill_year(a, today)
        if b.year is None:
            b = _Ref(a.year, b.month, b.day)
            if _safe_start(b) < _safe_start(a):
                b = _Ref((a.year or 0) + 1, b.month, b.day)
    return a, b


def _safe_start(ref: _Ref) -> date:
    try:
        return ref.bounds()[0]
    except ValueError:
        return date.max


# --- the rules --------------------------------------------------------------------------------------


@dataclass
class _Ctx:
    now: datetime  # in tz
    tz: tzinfo

    @property
    def today(self) -> date:
        return self.now.date()

    def ref(self, text: str) -> _Ref | None:
        ref = _read_ref(text)
        return _fill_year(ref, self.today) if ref else None


Handler = Callable[[re.Match[str], _Ctx], Period | None]
_RULES: list[tuple[re.Pattern[str], Handler]] = []


def _rule(pattern: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _RULES.append((re.compile(pattern, re.I), fn))
        return fn

    return register


def _bounded(ref: _Ref, tz: tzinfo) -> tuple[datetime, datetime] | None:
    try:
        first, after = ref.bounds()
    except ValueError:
        return None
    return _midnight(first, tz), _midnight(after, tz)


def _ref_period(ref: _Ref, tz: tzinfo) -> Period | None:
    span = _bounded(ref, tz)
    if span is None:
        return None
    kind = "year" if ref.month is None else "day" if ref.day is not None else "month"
    return Period(*span, ref.label(), kind)


def _month_period(year: int, month: int, tz: tzinfo, label: str = "") -> Period:
    return Period(
        _midnight(date(year, month, 1), tz),
        _midnight(_next_month(year, month), tz),
        label or f"{_FULL_MONTHS[month]} {year}",
        "month",
    )


def _year_period(year: int, tz: tzinfo, label: str = "") -> Period:
    return Period(
        _midnight(date(year, 1, 1), tz), _midnight(date(year + 1, 1, 1), tz), label or str(year), "year"
    )


def _calendar(unit: str, offset: int, ctx: _Ctx) -> Period:
    """The calendar day/week/month/year containing today, shifted by offset units (-1 = last)."""
    today, tz = ctx.today, ctx.tz
    if unit == "day":
        d = today + timedelta(days=offset)
        name = {0: "today", -1: "yesterday", -2: "the day before yesterday"}.get(offset, "")
        return Period(
            _midnight(d, tz), _midnight(d + timedelta(days=1), tz), f"{name} ({_day_text(d)})", "day"
        )
    if unit == "week":
        monday = today - timedelta(days=today.weekday()) + timedelta(weeks=offset)
        start, end = _midnight(monday, tz), _midnight(monday + timedelta(days=7), tz)
        name = "this week" if offset == 0 else "last week"
        return Period(start, end, f"{name} ({_span_text(start, end)})", "week")
    if unit == "month":
        year, month = today.year, today.month + offset
        while month < 1:
            year, month = year - 1, month + 12
        name = "this month" if offset == 0 else "last month"
        return _month_period(year, month, tz, f"{name} ({_FULL_MONTHS[month]} {year})")
    year = today.year + offset
    return _year_period(year, tz, f"{'this year' if offset == 0 else 'last year'} ({year})")


def _trailing(n: int, unit: str, ctx: _Ctx, label: str = "") -> Period:
    # Subtract in UTC so "24h" is 24 real hours even across a DST change.
    start = (ctx.now.astimezone(UTC) - n * _UNITS[unit]).astimezone(ctx.tz)
    if not label:
        label = f"the past {unit}" if n == 1 else f"the past {n} {unit}s"
        label = "the past 24 hours" if label == "the past day" else label
    return Period(start, ctx.now, label, "trailing")


def _since(ref: _Ref, ctx: _Ctx, after: bool = False) -> Period | None:
    span = _bounded(ref, ctx.tz)
    if span is None:
        return None
    return Period(
        span[1] if after else span[0], ctx.now, f"{'after' if after else 'since'} {ref.label()}", "span"
    )


def _until(ref: _Ref, ctx: _Ctx, before: bool = False) -> Period | None:
    span = _bounded(ref, ctx.tz)
    if span is None:
        return None
    return Period(
        _epoch(ctx.tz),
        span[0] if before else span[1],
        f"{'before' if before else 'until'} {ref.label()}",
        "span",
    )


def _range(a_text: str, b_text: str, ctx: _Ctx) -> Period | None:
    a, b = _read_ref(a_text), _read_ref(b_text)
    if a is None or b is None:
        return None
    a, b = _fill_range(a, b, ctx.today)
    sa, sb = _bounded(a, ctx.tz), _bounded(b, ctx.tz)
    if sa is None or sb is None or sb[1] <= sa[0]:
        return None
    return Period(sa[0], sb[1], f"{a.label()} – {b.label()}", "span")


# Ranges: "between May 26 and June 1", "from May 26 to June 1", "2025-05-26..2025-06-01", "5月26日至6月1日".
@_rule(
    rf"{L}(?:between\s+(?P<a>{_REF})\s+and\s+(?P<b>{_REF})"
    rf"|(?:from\s+|从|自)?(?P<c>{_REF})(?:\s+(?:to|until|till|through|thru)\s+|\s*(?:-|–|—|~|\.\.|到|至)\s*)"
    rf"(?P<d>{_REF})(?:之间|期间)?){R}"
)
def _range_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    return _range(m["a"] or m["c"], m["b"] or m["d"], ctx)


# Day-only range ends: "May 26–31", "May 26 - 31, 2025", "5月26日至31日".
@_rule(
    rf"{L}(?:from\s+)?(?P<mon>{_MONTH})\s*(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s*(?:-|–|—|to)\s*(?P<d2>\d{{1,2}})"
    rf"(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?{R}"
    rf"|(?:从|自)?(?:(?P<zy>\d{{4}})\s*年\s*)?(?P<zm>{_NUM})\s*月\s*(?P<zd1>{_NUM})\s*[日号]?\s*(?:到|至|-|–|—|~)\s*"
    rf"(?P<zd2>{_NUM})\s*[日号]"
)
def _day_range_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    if m["mon"]:
        month, d1, d2, year = _MONTH_NUMBERS.get(m["mon"].rstrip(".").lower()), m["d1"], m["d2"], m["y"]
    else:
        month, d1, d2, year = _to_int(m["zm"]), m["zd1"], m["zd2"], m["zy"]
    a, b = _to_int(d1), _to_int(d2)
    if not month or not a or not b or b < a:
        return None
    if year:
        return _range(f"{year}-{month}-{a}", f"{year}-{month}-{b}", ctx)
    return _range(f"{month}月{a}日", f"{month}月{b}日", ctx)


# "since June 1", "from 2025-06-01", "after May", "starting June 1".
@_rule(rf"{L}(?P<w>since|from|after|starting(?:\s+(?:from|on))?)\s+(?P<a>{_REF}){R}")
def _since_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    ref = ctx.ref(m["a"])
    return _since(ref, ctx, after=m["w"].lower() == "after") if ref else None


# "自6月1日以来", "6月1日以来", "从6月1日开始", "自6月1日", "6月1日之后".
@_rule(
    rf"(?:(?:自从|自|从)\s*(?P<a>{_REF})\s*(?P<s>以来|起|开始|至今)?|(?P<b>{_REF})\s*(?P<t>以来|起|开始|至今|之后|以后))"
)
def _zh_since_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    ref = ctx.ref(m["a"] or m["b"])
    return _since(ref, ctx, after=m["t"] in ("之后", "以后")) if ref else None


# "until June 1" (inclusive), "before June 1" (exclusive), "截至6月1日", "6月1日之前".
@_rule(rf"{L}(?P<w>until|till|til|through|up\s+(?:to|until)|before|prior\s+to)\s+(?P<a>{_REF}){R}")
def _until_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    ref = ctx.ref(m["a"])
    return _until(ref, ctx, before=m["w"].lower() in ("before", "prior to")) if ref else None


@_rule(rf"(?:截至|截止到?|直到|到)\s*(?P<a>{_REF})\s*(?P<w>为止)?|(?P<b>{_REF})\s*(?:之前|以前|前)")
def _zh_until_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    if m["a"] and not m["w"] and not m.group(0).startswith(("截", "直")):
        return None  # a bare "到X" is the tail of a range, not a bound
    ref = ctx.ref(m["a"] or m["b"])
    return _until(ref, ctx, before=bool(m["b"])) if ref else None


# "past 7 days", "the last 3 weeks", "over the past week", "last 24h", "last week" (calendar).
@_rule(
    rf"{L}(?:(?:in|during|over|for|within|from)\s+)?(?:the\s+|this\s+)?(?P<w>past|last|previous|prior|recent|trailing)\s+"
    rf"(?:(?P<n>{_EN_NUM})\s*)?(?P<u>hours?|hrs?|h|days?|d|weeks?|wks?|w|months?|mos?|years?|yrs?|y){R}"
)
def _trailing_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    unit = _unit(m["u"])
    if unit is None:
        return None
    if m["n"] is None:
        if len(m["u"]) <= 3 and m["u"].lower() not in ("day",):  # "last d" isn't English
            return None
        if m["w"].lower() in ("last", "previous", "prior") and unit in ("week", "month", "year"):
            return _calendar(unit, -1, ctx)
        return _trailing(1, unit, ctx)
    n = _to_int(m["n"])
    return _trailing(n, unit, ctx) if n else None


@_rule(rf"{L}(?:(?:in|during|for|from|of)\s+)?(?:this|the\s+current|current)\s+(?P<u>week|month|year){R}")
def _this_rule(m: re.Match[str], ctx: _Ctx) -> Period:
    return _calendar(m["u"].lower(), 0, ctx)


@_rule(rf"{L}(?:(?:from|for|of)\s+)?(?P<w>today|yesterday|the\s+day\s+before\s+yesterday){R}")
def _today_rule(m: re.Match[str], ctx: _Ctx) -> Period:
    word = m["w"].lower()
    return _calendar("day", 0 if word == "today" else -1 if word == "yesterday" else -2, ctx)


@_rule(rf"{L}(?P<n>{_EN_NUM})\s+days?\s+ago{R}|(?<!\d)(?P<zn>{_NUM})\s*天前")
def _days_ago_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    n = _to_int(m["n"] or m["zn"])
    if n is None:
        return None
    d = ctx.today - timedelta(days=n)
    period = _calendar("day", -n, ctx)
    return Period(period.start, period.end, f"{n} day{'s' if n != 1 else ''} ago ({_day_text(d)})", "day")


# 最近7天, 过去3天, 近一周, 最近一个月, 近30天, 过去24小时, 最近几天.
@_rule(
    rf"(?:在)?(?:最近|过去|近)的?\s*(?P<n>{_NUM}|几)\s*个?\s*(?P<u>小时|钟头|天|日|周|星期|礼拜|月|年)(?:以来|来|之内|内|里|中)?"
)
def _zh_trailing_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    n, unit = _to_int(m["n"]), _unit(m["u"])
    return _trailing(n, unit, ctx) if n and unit else None


# 今日头条 (Toutiao) is a product, not "today".
@_rule("今天|今日(?!头条)|昨天|昨日|前天")
def _zh_day_rule(m: re.Match[str], ctx: _Ctx) -> Period:
    return _calendar("day", {"今": 0, "昨": -1, "前": -2}[m.group(0)[0]], ctx)


@_rule(r"(?P<this>本|这个?|这一)(?:周|星期|礼拜)(?!末)|上一?个?(?:周|星期|礼拜)(?!末)")
def _zh_week_rule(m: re.Match[str], ctx: _Ctx) -> Period:
    return _calendar("week", 0 if m["this"] else -1, ctx)


@_rule(r"(?P<this>本|这个?|这一)月(?!份?\d)|上一?个?月")
def _zh_month_rule(m: re.Match[str], ctx: _Ctx) -> Period:
    return _calendar("month", 0 if m["this"] else -1, ctx)


@_rule(r"(?P<this>今年|本年)|去年")
def _zh_year_rule(m: re.Match[str], ctx: _Ctx) -> Period:
    return _calendar("year", 0 if m["this"] else -1, ctx)


# "in May", "May 2025", "May" (capitalised), "of January"; not the modal verb "may".
@_rule(rf"{L}(?:(?P<p>in|during|of|for|throughout)\s+)?(?P<mon>{_MONTH})(?:,?\s+(?P<y>\d{{4}}))?(?!\d)")
def _en_month_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    word = m["mon"].rstrip(".")
    if not (m["p"] or m["y"]):
        if not word[0].isupper():
            return None  # "it may rain", "march on"
        before, after = m.string[: m.start()], m.string[m.end() :]
        # Next to another capitalised word it is likely a name: "Lei Jun", "Jan Koum", "Theresa May".
        # A full month name after the sentence's first word is fine ("Summarise May").
        abbreviated = word.lower() not in (w.lower() for w in _FULL_MONTHS)
        name_before = r"[A-Z][a-z]*\s+$" if abbreviated else r"\S\s+[A-Z][a-z]*\s+$"
        if re.search(name_before, before) or re.match(r"\s*[A-Z][a-z]", after):
            return None
        if word.lower() == "may" and re.match(
            r"\s+(?:i|we|you|he|she|they|it|there|this|that|be|not)\b", after, re.I
        ):
            return None  # "May I ask ..."
    ref = ctx.ref(f"{word} {m['y'] or ''}")
    return _ref_period(ref, ctx.tz) if ref else None


# 五月, 5月, 2025年5月, 2025-05.
@_rule(rf"(?:在)?(?P<a>{_ZH_MONTH}|{_ISO_MONTH})")
def _zh_month_name_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    ref = ctx.ref(m["a"])
    return _ref_period(ref, ctx.tz) if ref else None


# "in 2025", "2025年".
@_rule(
    rf"{L}(?:in|during|for|throughout)\s+(?:the\s+year\s+)?(?P<y>\d{{4}}){R}|(?<!\d)(?P<zy>\d{{4}})\s*年(?:度)?"
)
def _year_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    ref = _read_ref(m["y"] or m["zy"])
    return _ref_period(ref, ctx.tz) if ref else None


# "on June 1", "June 1, 2025", "2025-06-01", "6月1日", "1st of June".
@_rule(rf"{L}(?:on\s+)?(?P<a>{_DATE}){R}")
def _date_rule(m: re.Match[str], ctx: _Ctx) -> Period | None:
    ref = ctx.ref(m["a"])
    return _ref_period(ref, ctx.tz) if ref else None


# --- public API -------------------------------------------------------------------------------------


def parse_period(text: str, now: datetime, tz: ZoneInfo) -> tuple[Period | None, str]:
    """Find the longest time expression in text; return it and the text without it."""
    ctx = _Ctx(now.astimezone(tz), tz)
    best: tuple[tuple[int, int], re.Match[str], Period] | None = None
    for priority, (rx, handler) in enumerate(_RULES):
        for m in rx.finditer(text):
            period = handler(m, ctx)
            if period is None:
                continue
            # Longest wins ("May 26 – June 1" over "May 26"); ties go to the earlier rule.
            key = (m.end() - m.start(), -priority)
            if best is None or key > best[0]:
                best = (key, m, period)
    if best is None:
        return None, tidy(text)
    m = best[1]
    return best[2], tidy(remove_span(text, m.start(), m.end()))


def find_period(text: str, now: datetime, tz: ZoneInfo, *, since: datetime | None = None,
                until: datetime | None = None) -> tuple[Period | None, str]:
    """A question's period and the text without its time phrase: the one call question parsing makes.

    Explicit since/until (command options) replace the matching bound of the period the text names."""
    period, rest = parse_period(text, now, tz)
    if since is not None or until is not None:
        period = make_period(
            since if since is not None else period.start if period else None,
            until if until is not None else period.end if period else None,
            now,
            tz,
        )
    return period, rest


_BARE_WINDOWS = {
    "day": (24, "hour"), "24h": (24, "hour"), "天": (24, "hour"), "日": (24, "hour"),
    "week": (7, "day"), "7d": (7, "day"), "周": (7, "day"), "星期": (7, "day"),
    "month": (30, "day"), "30d": (30, "day"), "月": (30, "day"),
    "year": (365, "day"), "365d": (365, "day"), "年": (365, "day"),
}  # fmt: skip

_EXAMPLES = (
    "day, week, month, year, 24h, 7d, 30d, today, yesterday, this week, last week, past 3 days, "
    "this month, last month, May, May 2025, 2025-05-26..2025-06-01, 今天, 上周, 本月, 最近7天"
)


def parse_period_arg(arg: str, now: datetime, tz: ZoneInfo) -> Period:
    """A command argument naming a period ("week", "last week", "上周", "2025-05-26..2025-06-01")."""
    ctx = _Ctx(now.astimezone(tz), tz)
    key = re.sub(r"\s+", " ", arg.strip().lower())
    if key in _BARE_WINDOWS:
        return _trailing(*_BARE_WINDOWS[key], ctx)
    m = re.fullmatch(
        r"(\d+)\s*(h|hrs?|hours?|d|days?|w|wks?|weeks?|mos?|months?|y|yrs?|years?|小时|天|日|周|星期|个?月|年)",
        key,
    )
    if m and int(m[1]) > 0:
        unit = _unit(m[2].removeprefix("个"))
        if unit:
            return _trailing(int(m[1]), unit, ctx)
    if re.fullmatch(_EN_MONTH, key, re.I):
        arg = key.capitalize()  # a lone "may" / "jan" argument is a month, whatever its case
    period, rest = parse_period(arg, now, tz)
    if period is None or rest.strip(" ,.!?;:，。？！；："):
        raise PeriodError(f"I don't know the period {arg.strip()!r}. Try one of: {_EXAMPLES}.")
    return period


def parse_date(value: str, tz: ZoneInfo, *, end: bool = False, now: datetime | None = None) -> datetime:
    """A --since/--until value: "2025-06-01", "2025-06-01T10:00", "June 1", "6月1日", "May", "2025".

    Naive values are read in tz. With end=True a bare date (or month, year) means the end of it,
    i.e. the next midnight, so ``--until 2025-06-01`` includes June 1. A time given explicitly is
    used as is. Dates without a year are the most recent such date not after ``now``.
    """
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}[T ]\d{1,2}:\d{2}.*", text):
        try:
            dt = datetime.fromisoformat(text.replace(" ", "T", 1))
        except ValueError:
            pass
        else:
            return dt if dt.tzinfo else dt.replace(tzinfo=tz)
    now = (now or datetime.now(tz)).astimezone(tz)
    ref = _read_ref(text)
    if ref is not None:
        span = _bounded(_fill_year(ref, now.date()), tz)
        if span is not None:
            return span[1] if end else span[0]
    try:
        period = parse_period_arg(text, now, tz)  # "yesterday", "last week" ...
    except PeriodError:
        pass
    else:
        return period.end if end else period.start
    raise PeriodError(
        f"Can't read the date {value!r}; use e.g. 2025-06-01, 2025-06-01T10:00, June 1 or 6月1日."
    )


def make_period(start: datetime | None, end: datetime | None, now: datetime, tz: ZoneInfo) -> Period:
    """A period from explicit bounds (--since/--until), labelled "since 2025-06-01" and so on.

    A missing start is 1970-01-01, a missing end is now. Naive datetimes are read in tz.
    """
    if start is not None and start.tzinfo is None:
        start = start.replace(tzinfo=tz)
    if end is not None and end.tzinfo is None:
        end = end.replace(tzinfo=tz)
    epoch = _epoch(tz)
    if start is not None and start <= epoch:
        start = None
    if start is None and end is None:
        return Period(epoch, now, "all time", "span")
    if start is None:
        assert end is not None
        return Period(epoch, end, f"until {_end_text(end, tz)}", "span")
    if end is None:
        return Period(start, now, f"since {_start_text(start, tz)}", "span")
    return Period(start, end, f"{_start_text(start, tz)} – {_end_text(end, tz)}", "span")


def _start_text(dt: datetime, tz: tzinfo) -> str:
    local = dt.astimezone(tz)
    return local.date().isoformat() if _is_midnight(local) else local.strftime("%Y-%m-%d %H:%M")


def _end_text(dt: datetime, tz: tzinfo) -> str:
    """An exclusive end shown as the last day it includes when it falls on midnight."""
    local = dt.astimezone(tz)
    if _is_midnight(local):
        return (local.date() - timedelta(days=1)).isoformat()
    return local.strftime("%Y-%m-%d %H:%M")
