"""Every user-facing English sentence retrieval produces, in one place (the notices the CLI and the
bot show as they are)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# -- who and when, where the question names no one or no period -----------------------------------
ALL_EXECUTIVES = "All executives"  # a summary chart's title
EVERYONE_FOLLOWED = "the executives followed here"  # whom the digest prose is about
ANYONE = "anyone"
THAT_PERIOD = "that period"

# -- answers (answer/generated.py) ---------------------------------------------------------------
NO_CITATIONS = "The generated answer cited no sources, so here is the extractive answer."
ANSWER_UNAVAILABLE = "The language model could not answer ({reason}), so here is the extractive answer."

# -- digest prose (reports/digest_prose.py) ------------------------------------------------------
PROSE_UNAVAILABLE = "The language model could not write the overview ({reason}); the digest is extractive."
PROSE_UNCITED = "The generated overview cited no sources, so the digest is extractive."


def no_posts_in(label: str) -> str:
    """The summary's notice for a period without posts."""
    return f"No posts in {label}."


def nothing_found(terms: str, who: str, label: str, notice: str = "") -> str:
    """'Nothing found about “YU7” from Lei Jun in last week.' (+ the empty-period notice)."""
    parts = ["Nothing found"]
    if terms.strip():
        parts.append(f"about “{terms.strip()}”")
    if who:
        parts.append(f"from {who}")
    if label:
        parts.append(f"in {label}")
    text = " ".join(parts) + "."
    return f"{text} {notice}" if notice else text


def none_indexed(who: str) -> str:
    return f"No posts from {who} are indexed yet."


def none_in_period(who: str, label: str, latest: str) -> str:
    return f"No posts from {who} in {label}. The most recent are from {latest}."


def period_around(when: datetime, since: datetime | None, until: datetime | None, tz: ZoneInfo) -> str:
    """The period like the asked one (a week, a month, a year) that holds `when`, in words."""
    local = when.astimezone(tz)
    span = (until - since) if since and until else timedelta(days=7)
    if span <= timedelta(days=7):
        start = local.date() - timedelta(days=local.weekday())
        end = start + timedelta(days=6)
        return f"the week of {start:%b} {start.day} – {end:%b} {end.day}, {end.year}"
    if span <= timedelta(days=31):
        return f"{local:%B %Y}"
    return f"{local.year}"
