"""What users read when something goes wrong."""

from unittest.mock import MagicMock

import pytest
from discord.ext import commands

from bot.errors import INTERNAL, NotAdmin, UnknownPeriod, friendly, unwrap
from retrieval.query.timeparse import PeriodError


def test_unwraps_discord_wrappers():
    inner = UnknownPeriod("fortnightish")
    assert unwrap(commands.HybridCommandError(commands.CommandInvokeError(inner))) is inner


@pytest.mark.parametrize(("error", "expected"), [
    (UnknownPeriod("fortnightish"), "I don't know the period 'fortnightish'. Try: day, week, month, last week, 上周, 2025-05-26..2025-06-01"),
    (PeriodError("x"), "I don't know that period."),
    (NotAdmin(), "Manage Server"),
    (commands.CommandOnCooldown(commands.Cooldown(3, 10), 4.2, commands.BucketType.user), "try again in 4s"),
    (commands.NotOwner(), "owner"),
    (commands.BadArgument("nope"), "I couldn't read that: nope Usage: `!top [period] [by]`"),
])
def test_friendly_messages(error, expected):
    assert expected in friendly(commands.CommandInvokeError(error), "!", "top [period] [by]")


def test_missing_argument_names_it_and_shows_usage():
    param = MagicMock()
    param.name = "question"
    text = friendly(commands.MissingRequiredArgument(param), "!", "ask <question>")
    assert text == "Something is missing: `question`. Usage: `!ask <question>`"


def test_bugs_get_no_friendly_text_so_they_are_logged():
    assert friendly(commands.CommandInvokeError(ZeroDivisionError("x"))) is None
    assert "logged" in INTERNAL and "Traceback" not in INTERNAL
