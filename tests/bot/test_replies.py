"""The plain command functions shared by the cogs and the console."""

import pytest

from bot.errors import UnknownPeriod, UserFacingError
from bot.replies import help_reply, split_summary_args, split_top_args, summary_reply, top_reply


@pytest.mark.parametrize(("text", "by", "expected"), [
    ("", None, ("week", "engagement")),
    ("last week", None, ("last week", "engagement")),
    ("last week likes", None, ("last week", "likes")),
    ("上周 by shares", None, ("上周", "shares")),
    ("comments", None, ("week", "comments")),
    ("month", "likes", ("month", "likes")),
])
def test_split_top_args(text, by, expected):
    assert split_top_args(text, by) == expected


async def test_split_summary_args_finds_the_executive_at_either_end(engine):
    assert await split_summary_args(engine, "last week Lei Jun") == ("last week", "Lei Jun")
    assert await split_summary_args(engine, "雷军 上周") == ("上周", "雷军")
    assert await split_summary_args(engine, "leijun") == ("last week", "leijun")
    assert await split_summary_args(engine, "") == ("last week", None)
    assert await split_summary_args(engine, "month", "leijun") == ("month", "leijun")


async def test_top_reply_pages_and_unknown_period(engine):
    reply = await top_reply(engine, "week")
    assert len(reply.pages) == 2 and "PuoYL79FN" in reply.pages[0].description.split("\n\n")[0]
    with pytest.raises(UnknownPeriod) as err:
        await top_reply(engine, "fortnightish")
    assert "'fortnightish'" in str(err.value) and "上周" in str(err.value)
    with pytest.raises(UserFacingError):
        await top_reply(engine, "week", by="vibes")


async def test_summary_reply_for_an_empty_period_says_so_without_a_chart(engine):
    reply = await summary_reply(engine, "2024-01-01..2024-01-07")
    assert reply.file is None
    assert "No posts" in reply.pages[0].description


def test_help_lists_every_command():
    text = help_reply("?").text()
    for name in ("top", "summary", "ask", "stats", "help", "reingest", "sources"):
        assert f"`?{name}" in text
