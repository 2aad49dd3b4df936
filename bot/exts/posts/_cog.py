"""The posts cog: thin hybrid commands (`!top` and `/top`) over `bot.replies`, plus the Q&A listener with
follow-ups (bot.conversation) and 👍/👎 on every answer (bot.feedback)."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import replies
from bot.conversation import Conversations, Turn, scope_for
from bot.errors import respond_to_error
from bot.feedback import FeedbackStore, FeedbackView
from bot.limits import MESSAGE, clip_to_limit
from bot.render import NONE, Reply
from bot.send import send_reply
from retrieval.models import Metric

if TYPE_CHECKING:
    from bot.app import ExecBot

log = logging.getLogger(__name__)

By = Metric  # one metric type (retrieval.models)
THREAD_NAME = 90  # characters of the question that name an answer's thread (Discord allows 100)


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
        self.conversations = Conversations(max_turns=s.conversation_turns, ttl=s.conversation_minutes * 60)
        self.feedback = FeedbackStore(bot.engine.store.conn)
        self.feedback_view = FeedbackView(self.feedback)

    async def cog_load(self) -> None:
        await self.feedback.ensure()
        # Persistent: the buttons of answers sent before a restart keep working.
        self.bot.add_view(self.feedback_view)

    async def cog_unload(self) -> None:
        self.feedback_view.stop()

    @property
    def engine(self):
        return self.bot.engine

    @commands.hybrid_command(name="top", description="The most engaging posts of a period.")  # type: ignore[arg-type]  # stubs can't type it over dynamic_cooldown
    @app_commands.describe(period="day, week, month, last week, 上周, 2025-05-26..2025-06-01 (default: week)",
                           by="rank by engagement (default), likes, shares or comments")
    @commands.dynamic_cooldown(user_cooldown, commands.BucketType.user)
    async def top(self, ctx: commands.Context, *, period: str = "week", by: By | None = None) -> None:
        # Prefix commands give the whole rest as `period` ("last week likes"): split the ranking off.
        period, ranking = replies.split_top_args(period, by)
        async with ctx.typing():
            reply = await replies.top_reply(self.engine, period, ranking)
        await send_reply(ctx, reply)

    @commands.hybrid_command(name="summary", description="A digest of a period, with a chart.")  # type: ignore[arg-type]  # stubs can't type it over dynamic_cooldown
    @app_commands.describe(period="last week (default), week, month, 上周, 2025-05-26..2025-06-01",
                           executive="whose posts (default: everyone)")
    @commands.dynamic_cooldown(user_cooldown, commands.BucketType.user)
    async def summary(self, ctx: commands.Context, *, period: str = "last week", executive: str | None = None) -> None:
        period, executive = await replies.split_summary_args(self.engine, period, executive)
        async with ctx.typing():
            reply = await replies.summary_reply(self.engine, period, executive)
        await send_reply(ctx, reply)

    @summary.autocomplete("executive")
    async def _executive_choices(self, _interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        names = await self.engine.names()
        cur = current.lower()
        return [app_commands.Choice(name=name, value=key) for key, name in names.items()
                if cur in key.lower() or cur in name.lower()][:25]

    @commands.hybrid_command(name="ask", description="Answer a question from the posts, with citations.")  # type: ignore[arg-type]  # stubs can't type it over dynamic_cooldown
    @app_commands.describe(question="e.g. what did Lei Jun say about YU7?")
    @commands.dynamic_cooldown(user_cooldown, commands.BucketType.user)
    async def ask(self, ctx: commands.Context, *, question: str) -> None:
        await self.answer(ctx, question)

    async def answer(self, ctx: commands.Context, question: str, reference: discord.Message | None = None,
                     previous: Turn | None = None) -> None:
        """Answer a question (a follow-up when `previous` is its conversation so far). A generated
        answer (ANSWER_BACKEND=openai) streams into one message, edited at most once a second (the
        generator throttles), then becomes the cited embed. Every answer carries 👍/👎."""
        scope, turn = await scope_for(self.engine, question, previous)
        if self.engine.settings.answer_backend != "openai":
            async with ctx.typing():
                reply = await replies.ask_reply(self.engine, question, scope=scope)
            reply.view = self.feedback_view
            msg = await send_reply(ctx, reply, reference=reference)
            await self._remember(ctx, msg, turn, reply, question)
            return
        kwargs: dict = {"allowed_mentions": NONE}
        if reference is not None:
            kwargs.update(reference=reference, mention_author=False)
        live = await ctx.send("…", **kwargs)

        async def on_delta(text: str) -> None:
            await live.edit(content=clip_to_limit(text, MESSAGE - 2) + " ▌", allowed_mentions=NONE)

        async with ctx.typing():
            reply = await replies.ask_reply(self.engine, question, on_delta=on_delta, scope=scope)
        await live.edit(content=None, embed=reply.pages[0], view=self.feedback_view, allowed_mentions=NONE)
        await self._remember(ctx, live, turn, reply, question)

    async def _remember(self, ctx: commands.Context, msg: discord.Message | None, turn: Turn, reply: Reply,
                        question: str) -> None:
        """Keep what a vote or a follow-up needs; open a thread for the answer when configured."""
        if msg is None:
            return
        if reply.record is not None:
            await self.feedback.record(int(msg.id), reply.record)
        self.conversations.put(int(msg.id), turn)
        channel = msg.channel
        if isinstance(channel, discord.Thread):
            if channel.id in self.conversations or channel.owner_id == getattr(self.bot.user, "id", None):
                self.conversations.put(channel.id, turn)
        elif self.bot.settings.ask_threads and ctx.guild is not None and isinstance(channel, discord.TextChannel):
            try:
                thread = await msg.create_thread(name=clip_to_limit(question, THREAD_NAME) or "Follow-ups")
            except discord.HTTPException as exc:  # no permission to create threads: answers still work
                log.info("could not open a thread for an answer: %s", exc)
                return
            self.conversations.put(thread.id, turn)

    def previous_turn(self, message: discord.Message) -> Turn | None:
        """The conversation a message continues: a reply to one of our answers, or a message in the
        thread of one (whoever started it)."""
        ref = message.reference
        if ref is not None and ref.message_id is not None:
            turn = self.conversations.get(ref.message_id)
            if turn is not None:
                return turn
        if isinstance(message.channel, discord.Thread):
            return self.conversations.get(message.channel.id)
        return None

    @commands.hybrid_command(name="stats", description="What the index holds.")  # type: ignore[arg-type]  # stubs can't type it over dynamic_cooldown
    @commands.dynamic_cooldown(user_cooldown, commands.BucketType.user)
    async def stats(self, ctx: commands.Context) -> None:
        await send_reply(ctx, await replies.stats_reply(self.engine))

    @commands.hybrid_command(name="help", description="What I can do.")  # type: ignore[arg-type]  # stubs can't type it over dynamic_cooldown
    async def help(self, ctx: commands.Context) -> None:
        await send_reply(ctx, replies.help_reply(self.bot.settings.prefix))

    # -- plain questions ----------------------------------------------------------------------

    def question_in(self, message: discord.Message) -> str | None:
        """The question in a message that @mentions the bot, sits in a Q&A channel, or follows up on
        an answer (a reply to it, or a message in its thread), else None."""
        if message.author.bot or not message.content:
            return None
        if message.content.startswith(self.bot.settings.prefix):
            return None  # a command: the command machinery answers it
        me = self.bot.user
        mentioned = me is not None and any(u.id == me.id for u in message.mentions)
        if not mentioned and message.channel.id not in self.bot.settings.qa_channels \
                and self.previous_turn(message) is None:
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
            await send_reply(ctx, replies.help_reply(self.bot.settings.prefix), reference=message)
            return
        bucket = self._qa_cooldown.get_bucket(message)
        retry = bucket.update_rate_limit() if bucket is not None else None
        if retry:
            await message.reply(f"Slow down a little: try again in {max(retry, 1):.0f}s.",
                                allowed_mentions=NONE, mention_author=False)
            return
        try:
            await self.answer(ctx, question, reference=message, previous=self.previous_turn(message))
        except Exception as exc:  # a listener has no command error handler: report it the same way
            await respond_to_error(ctx, exc)
