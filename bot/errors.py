"""User-facing errors and the friendly text for any error a command can raise. Shared by the
global error handler and `execbot chat`, so both say the same thing."""

from __future__ import annotations

import logging

import discord
from discord.ext import commands

from bot.checks import NotAdmin  # defined outside the extension: extensions are re-imported on reload
from bot.render import NONE

log = logging.getLogger("bot.errors")

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
    from retrieval.query.timeparse import PeriodError

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


def _usage(ctx: commands.Context) -> str:
    cmd = ctx.command
    return f"{cmd.qualified_name} {cmd.signature}".strip() if cmd else ""


async def respond_to_error(ctx: commands.Context, error: BaseException) -> None:
    inner = unwrap(error)
    if isinstance(inner, commands.CommandNotFound):
        return  # "!something" not meant for us: stay quiet
    prefix = ctx.clean_prefix if ctx.prefix else getattr(getattr(ctx.bot, "settings", None), "prefix", "!")
    text = friendly(inner, prefix, _usage(ctx))
    if text is None:
        where = ctx.command.qualified_name if ctx.command else "message"
        log.error("unhandled error in %s (from user %s)", where, getattr(ctx.author, "id", "?"),
                  exc_info=(type(inner), inner, inner.__traceback__))
        text = INTERNAL
    else:
        log.info("user error in %s: %s", ctx.command.qualified_name if ctx.command else "message", inner)
    try:
        if ctx.interaction is not None:
            await ctx.send(text, ephemeral=True, allowed_mentions=NONE)
        else:
            await ctx.send(text, allowed_mentions=NONE)
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)
