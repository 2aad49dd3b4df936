"""Follows cog: /follow, /unfollow, /following (admins), and the rounds that announce new posts.

A round runs after every ingest the bot hears of (the `execbot_ingest` event: scheduled, /reingest,
or a command-line ingest handed to the bot) and on a short poll, which also catches writes the bot
did not make (a Chroma-server set-up where the CLI writes directly).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import admin_only
from bot.errors import UserFacingError
from bot.exts.follows._logic import Round, run_round
from bot.exts.follows._state import Follow, FollowState
from bot.loops import background
from bot.render import NONE
from retrieval.search.keyword_rank import expand
from retrieval.search.segment import search_terms

if TYPE_CHECKING:
    from bot.app import ExecBot

log = logging.getLogger(__name__)

def split_keywords(text: str | None) -> list[str]:
    return [k.strip() for k in (text or "").replace("，", ",").split(",") if k.strip()]


class Follows(commands.Cog):
    def __init__(self, bot: ExecBot) -> None:
        self.bot = bot
        self.state = FollowState(bot.engine.store.conn)
        self._round_lock = asyncio.Lock()  # the poll and an ingest event never run a round at once

    @property
    def engine(self):
        return self.bot.engine

    async def cog_load(self) -> None:
        await self.state.ensure()
        self.poll.change_interval(seconds=self.bot.settings.follow_poll_seconds)
        self.poll.start()

    async def cog_unload(self) -> None:
        self.poll.cancel()

    # -- commands -----------------------------------------------------------------------------

    async def _executive(self, name: str) -> str:
        reg = await self.engine.registry(refresh=True)
        ex = reg.get(name.strip().lower()) or reg.by_name(name.strip())
        if ex is None:
            known = ", ".join(sorted(e.name for e in reg.executives.values())) or "none yet"
            raise UserFacingError(f"I don't know an executive called “{name}”. Known: {known}.")
        return ex.key

    @commands.hybrid_command(name="follow", description="Post each new post of an executive here (admins).")
    @app_commands.describe(executive="whose posts", channel="where (default: this channel)",
                           keywords="only posts with one of these words, comma-separated (any language)",
                           min_engagement="only posts with at least this many likes + shares + comments")
    @app_commands.default_permissions(manage_guild=True)
    @commands.guild_only()
    @admin_only()
    async def follow(self, ctx: commands.Context, executive: str, channel: discord.TextChannel | None = None,
                     keywords: str | None = None, min_engagement: commands.Range[int, 0] = 0) -> None:
        key = await self._executive(executive)
        target = channel or ctx.channel
        watermark = await self.engine.store.scalar("SELECT COALESCE(MAX(id), 0) FROM docs") or 0
        f = Follow(target.id, key, int(time.time()), int(watermark), split_keywords(keywords), int(min_engagement))
        new = await self.state.add(f)
        who = (await self.engine.names()).get(key, key)
        filters = []
        if f.keywords:
            filters.append("with " + " or ".join(f"“{k}”" for k in f.keywords))
        if f.min_engagement:
            filters.append(f"with at least {f.min_engagement:,} interactions")
        what = "Following" if new else "Updated the follow of"
        await ctx.send(f"{what} {who} in <#{target.id}>: each new post{' ' + ', '.join(filters) if filters else ''} "
                       "appears there once, as it is ingested.", allowed_mentions=NONE)

    @commands.hybrid_command(name="unfollow", description="Stop posting an executive's new posts here (admins).")
    @app_commands.describe(executive="whose posts", channel="where (default: this channel)")
    @app_commands.default_permissions(manage_guild=True)
    @commands.guild_only()
    @admin_only()
    async def unfollow(self, ctx: commands.Context, executive: str, channel: discord.TextChannel | None = None) -> None:
        key = await self._executive(executive)
        target = channel or ctx.channel
        who = (await self.engine.names()).get(key, key)
        gone = await self.state.remove(target.id, key)
        text = f"Stopped following {who} in <#{target.id}>." if gone else f"<#{target.id}> was not following {who}."
        await ctx.send(text, allowed_mentions=NONE)

    @commands.hybrid_command(name="following", description="What this server's channels follow (admins).")
    @app_commands.default_permissions(manage_guild=True)
    @commands.guild_only()
    @admin_only()
    async def following(self, ctx: commands.Context) -> None:
        names = await self.engine.names()
        ours = {c.id for c in getattr(ctx.guild, "channels", [])}
        rows = [f for f in await self.state.all() if f.channel_id in ours]
        if not rows:
            await ctx.send("No channel here follows anyone yet. Try `/follow`.", allowed_mentions=NONE)
            return
        lines = []
        for f in rows:
            extra = ""
            if f.keywords:
                extra += " · keywords: " + ", ".join(f.keywords)
            if f.min_engagement:
                extra += f" · ≥ {f.min_engagement:,} interactions"
            lines.append(f"• <#{f.channel_id}>: {names.get(f.executive, f.executive)}{extra}")
        await ctx.send("\n".join(lines), allowed_mentions=NONE)

    # -- rounds -------------------------------------------------------------------------------

    async def _keywords(self, f: Follow) -> list[str]:
        """The follow's keywords and their translations that the index holds, chosen as the search
        chooses them (交付 for "deliveries", XRING for 玄戒)."""
        lex = await self.engine.lexicon() if f.keywords else None
        out = list(f.keywords)
        if lex is not None:
            for k in f.keywords:
                out += [e.text for e in await expand(self.engine.store, lex, k, search_terms(k, lex.zh_en)) if e.text]
        return list(dict.fromkeys(out))

    async def _channel(self, channel_id: int):
        ch = self.bot.get_channel(channel_id)
        if ch is None:
            ch = await self.bot.fetch_channel(channel_id)
        return ch

    async def run_rounds(self) -> dict[int, Round]:
        """One round for every follow. A channel that fails (deleted, no permission) doesn't stop the others."""
        out: dict[int, Round] = {}
        async with self._round_lock:
            follows = await self.state.all()
            if not follows:
                return out
            names = await self.engine.names()
            me = self.bot.user
            for f in follows:
                try:
                    channel = await self._channel(f.channel_id)
                    out[f.channel_id] = await run_round(
                        self.state, self.engine.store.conn, f, channel, names=names, tz=self.engine.settings.tz,
                        cap=self.bot.settings.follow_cap, keywords=await self._keywords(f), now=int(time.time()),
                        me_id=me.id if me else None)
                except discord.HTTPException as exc:
                    log.warning("follow of %s in channel %s: %s", f.executive, f.channel_id, exc)
        return out

    @commands.Cog.listener()
    async def on_execbot_ingest(self, *_args: object) -> None:
        try:
            await self.run_rounds()
        except Exception:  # the next poll tries again
            log.exception("follow round after an ingest failed")

    @background("follow round", seconds=60)
    async def poll(self) -> None:
        await self.run_rounds()
