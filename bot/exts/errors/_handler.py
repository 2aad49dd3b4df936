"""One place that turns any command error into a message: friendly for the user, a traceback in the log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.errors._messages import INTERNAL, friendly, unwrap
from bot.render import NONE

if TYPE_CHECKING:
    from bot.app import ExecBot

log = logging.getLogger("bot.errors")


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


class ErrorHandler(commands.Cog):
    def __init__(self, bot: ExecBot) -> None:
        self.bot = bot
        self._old_tree_error = bot.tree.on_error

    async def cog_load(self) -> None:
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._old_tree_error  # type: ignore[method-assign]

    @commands.Cog.listener()
    async def on_command_error(self, ctx: commands.Context, error: commands.CommandError) -> None:
        await respond_to_error(ctx, error)

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        # Pure slash commands (hybrid ones go through on_command_error).
        inner = unwrap(error)
        text = friendly(inner, self.bot.settings.prefix)
        if text is None:
            log.error("unhandled error in /%s", interaction.command.name if interaction.command else "?",
                      exc_info=(type(inner), inner, inner.__traceback__))
            text = INTERNAL
        try:
            if interaction.response.is_done():
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)
            else:
                await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)
        except discord.HTTPException:
            log.warning("could not tell the user about an error", exc_info=True)
