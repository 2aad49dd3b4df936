"""One place that turns any command error into a message: friendly for the user, a traceback in the log."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import INTERNAL, friendly, respond_to_error, unwrap
from bot.render import NONE

if TYPE_CHECKING:
    from bot.app import ExecBot

log = logging.getLogger("bot.errors")


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
