"""Admin cog: /reingest and /sources (run-time admin check), !sync (owner only)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from discord import app_commands
from discord.ext import commands

from bot.checks import admin_only
from bot.reingest import BUSY, describe_sources, reingest_with_progress, resolve_sources
from bot.render import NONE
from ingest.settings import IngestSettings

if TYPE_CHECKING:
    from bot.app import ExecBot

log = logging.getLogger(__name__)


class Admin(commands.Cog):
    def __init__(self, bot: ExecBot) -> None:
        self.bot = bot

    def configured(self) -> list[str]:
        return IngestSettings().sources  # re-read: an edited .env applies without a restart

    @commands.hybrid_command(name="reingest", description="Re-read the configured sources (admins).")
    @app_commands.describe(source="one configured source, or a file/folder under one (default: all)")
    @app_commands.default_permissions(manage_guild=True)
    @commands.guild_only()
    @admin_only()
    async def reingest(self, ctx: commands.Context, *, source: str | None = None) -> None:
        sources = resolve_sources(source, self.configured())
        lock = self.bot.ingest_lock
        if lock.locked():
            await ctx.send(BUSY, allowed_mentions=NONE, ephemeral=ctx.interaction is not None)
            return
        async with lock:
            msg = await ctx.send(f"Re-ingesting {len(sources)} source(s)…", allowed_mentions=NONE)
            text = await reingest_with_progress(self.bot.engine, sources,
                                                lambda t: msg.edit(content=t, allowed_mentions=NONE))
            log.info("reingest by %s: %s", ctx.author.id, text)
            await msg.edit(content=text, allowed_mentions=NONE)
        self.bot.dispatch("execbot_ingest")  # follows announce the new posts now, not at the next poll

    @commands.hybrid_command(name="sources", description="The configured sources (admins).")
    @app_commands.default_permissions(manage_guild=True)
    @commands.guild_only()
    @admin_only()
    async def sources(self, ctx: commands.Context) -> None:
        # Admin-only: it shows server paths.
        await ctx.send(describe_sources(self.configured()), allowed_mentions=NONE,
                       ephemeral=ctx.interaction is not None)

    @commands.command(name="sync", hidden=True)
    @commands.is_owner()
    async def sync(self, ctx: commands.Context, scope: Literal["global", "guild"] = "global") -> None:
        """Sync slash commands: globally (up to an hour to show), or to this guild (instant)."""
        tree = self.bot.tree
        if scope == "guild":
            if ctx.guild is None:
                raise commands.NoPrivateMessage()
            tree.copy_global_to(guild=ctx.guild)
            synced = await tree.sync(guild=ctx.guild)
            where = "this server"
        else:
            synced = await tree.sync()
            where = "everywhere (may take up to an hour to show)"
        await ctx.send(f"Synced {len(synced)} slash commands to {where}.", allowed_mentions=NONE)
