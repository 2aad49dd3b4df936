"""Formatting shared by every front end (the terminal's render and the bot's embeds): counts,
engagement lines, relative change, dates, and the generic one-line text clip."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from retrieval.models import Hit
from retrieval.store.text import is_cjk

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def format_count(n: int) -> str:
    """321000 -> '321,000'."""
    return f"{n:,}"


def engagement_line(hit: Hit) -> str:
    """'281,000 likes · 1,200 shares · 3,400 comments'."""
    return (f"{format_count(hit.likes)} likes · {format_count(hit.shares)} shares · "
            f"{format_count(hit.comments)} comments")


def relative_change(now: int, before: int) -> float | None:
    """(now - before) / before; None when there is nothing to compare with."""
    if before == 0:
        return None
    return (now - before) / before


def format_change(change: float) -> str:
    """0.25 -> '+25%'."""
    return f"{change:+.0%}"


def short_date(dt: datetime | None, tz: ZoneInfo = DEFAULT_TZ) -> str:
    """'2025-05-31' in the configured time zone (a post at 20:15 Beijing time is not on the UTC day)."""
    return dt.astimezone(tz).date().isoformat() if dt else "undated"


def month_day(d: date) -> str:
    """'Jun 1'."""
    return f"{_MONTHS[d.month - 1]} {d.day}"


def date_time(dt: datetime | None, tz: ZoneInfo | None = None) -> str:
    """'Jun 1, 2025 20:15' (in tz when given); 'undated' for None."""
    if dt is None:
        return "undated"
    local = dt.astimezone(tz) if tz else dt
    return f"{local:%b} {local.day}, {local:%Y %H:%M}"


def clip_text(text: str, limit: int = 90) -> str:
    """Whitespace-collapsed text cut to about `limit` chars at a word (Latin) or char (CJK) boundary."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    # Inside a Latin word: back up to the last space, unless that throws away too much.
    if cut[-1].isalnum() and text[len(cut)].isalnum() and not is_cjk(cut[-1]):
        space = cut.rfind(" ")
        if space >= limit * 0.6:
            cut = cut[:space]
    return cut.rstrip(" ,，、;；:：-—") + "…"
