"""The posts cog: thin hybrid commands (`!top` and `/top`) over `_logic`, plus the Q&A listener."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.exts.errors._handler import respond_to_error
from bot.exts.posts import _logic
from bot.limits import MESSAGE, clip
from bot.render import NONE, send_reply

if TYPE_CHECKING:
    from bot.app import ExecBot

log = logging.getLogger(__name__)

By = Literal["engagement", "likes", "shares", "comments"]


def user_cooldown(ctx: commands.Context) -> commands.Cooldown:
    # Read at run time, so EXECBOT_COOLDOWN_RATE/PER apply without code changes.
    s = ctx.bot.settings
    return commands.Cooldown(s.cooldown_rate, s.cooldown_per)


class Posts(commands.Cog):
    def __init__(self, bot: ExecBot) -> None:
        self.bot = bot
        s = bot.settings
        self._qa_cooldown = commands.CooldownMapping.from_cooldown(s.cooldown_rate, s.cooldown_per,
                                                                   commands.BucketType.user)

    @property
    def engine(self):  # noqa: ANN201
        return self.bot.engine

    @commands.hybrid_command(name="top", description="The most engaging posts of a period.")
    @app_commands.describe(period="day, week, month, last week, 上周, 2025-05-26..2025-06-01 (default: week)",
                           by="rank by engagement (default), likes, shares or comments")
    @commands.dynamic_cooldown(user_cooldown, commands.BucketType.user)
    async def top(self, ctx: commands.Context, *, period: str = "week", by: By | None = None) -> None:
        # Prefix commands give the whole rest as `period` ("last week likes"): split the ranking off.
        period, ranking = _logic.split_top_args(period, by)
        async with ctx.typing():
            reply = await _logic.top_reply(self.engine, period, ranking)
        await send_reply(ctx, reply)

    @commands.hybrid_command(name="summary", description="A digest of a period, with a chart.")
    @app_commands.describe(period="last week (default), week, month, 上周, 2025-05-26..2025-06-01",
                           executive="whose posts (default: everyone)")
    @commands.dynamic_cooldown(user_cooldown, commands.BucketType.user)
    async def summary(self, ctx: commands.Context, *, period: str = "last week", executive: str | None = None) -> None:
        period, executive = await _logic.split_summary_args(self.engine, period, executive)
        async with ctx.typing():
            reply = await _logic.summary_reply(self.engine, period, executive)
        await send_reply(ctx, reply)

    @summary.autocomplete("executive")
    async def _executive_choices(self, _interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = await self.engine.names()
        cur = current.lower()
        return [app_commands.Choice(name=name, value=key) for key, name in names.items()
                if cur in key.lower() or cur in name.lower()][:25]

    @commands.hybrid_command(name="ask", description="Answer a question from the posts, with citations.")
    @app_commands.describe(question="e.g. what did Lei Jun say about YU7?")
    @commands.dynamic_cooldown(user_cooldown, commands.BucketType.user)
    async def ask(self, ctx: commands.Context, *, question: str) -> None:
        await self.answer(ctx, question)

    async def answer(self, ctx: commands.Context, question: str, reference: discord.Message | None = None) -> None:
        """Answer a question. A generated answer (ANSWER_BACKEND=openai) streams into one message,
        edited at most once a second (the generator throttles), then becomes the cited embed."""
        if self.engine.settings.answer_backend != "openai":
            async with ctx.typing():
                reply = await _logic.ask_reply(self.engine, question)
            await send_reply(ctx, reply, reference=reference)
            return
        kwargs: dict = {"allowed_mentions": NONE}
        if reference is not None:
            kwargs.update(reference=reference, mention_author=False)
        live = await ctx.send("…", **kwargs)

        async def on_delta(text: str) -> None:
            await live.edit(content=clip(text, MESSAGE - 2) + " ▌", allowed_mentions=NONE)

        async with ctx.typing():
            reply = await _logic.ask_reply(self.engine, question, on_delta=on_delta)
        await live.edit(content=None, embed=reply.pages[0], allowed_mentions=NONE)

    @commands.hybrid_command(name="stats", description="What the index holds.")
    @commands.dynamic_cooldown(user_cooldown, commands.BucketType.user)
    async def stats(self, ctx: commands.Context) -> None:
        await send_reply(ctx, await _logic.stats_reply(self.engine))

    @commands.hybrid_command(name="help", description="What I can do.")
    async def help(self, ctx: commands.Context) -> None:
        await send_reply(ctx, _logic.help_reply(self.bot.settings.prefix))

    # -- plain questions ----------------------------------------------------------------------

    def question_in(self, message: discord.Message) -> str | None:
        """The question in a message that @mentions the bot or sits in a Q&A channel, else None."""
        if message.author.bot or not message.content:
            return None
        if message.content.startswith(self.bot.settings.prefix):
            return None  # a command: the command machinery answers it
        me = self.bot.user
        mentioned = me is not None and any(u.id == me.id for u in message.mentions)
        if not mentioned and message.channel.id not in self.bot.settings.qa_channels:
            return None
        text = message.content
        if me is not None:
            text = re.sub(rf"<@!?{me.id}>", " ", text)
        return " ".join(text.split())

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        question = self.question_in(message)
        if question is None:
            return
        ctx = await self.bot.get_context(message)
        if not question:
            await send_reply(ctx, _logic.help_reply(self.bot.settings.prefix), reference=message)
            return
        retry = self._qa_cooldown.get_bucket(message).update_rate_limit()
        if retry:
            await message.reply(f"Slow down a little: try again in {max(retry, 1):.0f}s.",
                                allowed_mentions=NONE, mention_author=False)
            return
        try:
            await self.answer(ctx, question, reference=message)
        except Exception as exc:  # a listener has no command error handler: report it the same way
            await respond_to_error(ctx, exc)
