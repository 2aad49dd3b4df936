"""User-facing errors and the friendly text for any error a command can raise. Shared by the
global error handler and `execbot chat`, so both say the same thing."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot.checks import NotAdmin  # defined outside the extension: extensions are re-imported on reload

PERIOD_EXAMPLES = "day, week, month, last week, 上周, 2025-05-26..2025-06-01"


class UserFacingError(commands.CommandError):
    """An error whose message is meant for the user as is (no traceback, no logging above INFO)."""


class UnknownPeriod(UserFacingError):
    def __init__(self, period: str) -> None:
        self.period = period
        super().__init__(f"I don't know the period '{period.strip()}'. Try: {PERIOD_EXAMPLES}")


def unwrap(error: BaseException) -> BaseException:
    """The error a command really raised, without discord.py's wrappers."""
    while isinstance(error, commands.CommandInvokeError | commands.HybridCommandError | discord.app_commands.CommandInvokeError):
        inner = getattr(error, "original", None)
        if inner is None or inner is error:
            break
        error = inner
    return error


def friendly(error: BaseException, prefix: str = "!", usage: str = "") -> str | None:
    """The message for the user, or None when the error is a bug (to be logged with its traceback)."""
    from retrieval.timeparse import PeriodError

    error = unwrap(error)
    how = f" Usage: `{prefix}{usage}`" if usage else ""
    if isinstance(error, UserFacingError | NotAdmin):
        return str(error)
    if isinstance(error, PeriodError):
        return f"I don't know that period. Try: {PERIOD_EXAMPLES}"
    if isinstance(error, commands.CommandOnCooldown):
        return f"Slow down a little: try again in {max(error.retry_after, 1):.0f}s."
    if isinstance(error, commands.MaxConcurrencyReached):
        return "I'm already working on that; try again in a moment."
    if isinstance(error, commands.MissingRequiredArgument):
        return f"Something is missing: `{error.param.name}`.{how}"
    if isinstance(error, commands.BadLiteralArgument):
        choices = ", ".join(str(c) for c in error.literals)
        return f"`{error.argument}` isn't one of: {choices}.{how}"
    if isinstance(error, commands.UserInputError):
        return f"I couldn't read that: {error}{how}"
    if isinstance(error, commands.NotOwner):
        return "Only the bot's owner can do that."
    if isinstance(error, commands.NoPrivateMessage):
        return "That only works in a server."
    if isinstance(error, commands.CheckFailure):
        return "You can't use that command here."
    if isinstance(error, discord.Forbidden):
        return "I'm missing a permission for that (Send Messages, Embed Links, Attach Files)."
    return None


INTERNAL = "Sorry, something went wrong on my side. It has been logged; please try again later."
