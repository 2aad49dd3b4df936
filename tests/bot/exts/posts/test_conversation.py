"""Follow-ups (a reply to an answer keeps its executive and period) and 👍/👎 on answers."""

from __future__ import annotations

from unittest.mock import AsyncMock, MagicMock

import discord
import discord.ext.test as dpytest
import discord.ext.test.backend as back
import discord.ext.test.factories as facts
import pytest

from bot.conversation import Conversations, Turn, scope_for
from bot.feedback import FeedbackStore

pytestmark = pytest.mark.embedding


# -- the memory ---------------------------------------------------------------------------------------


def test_turns_expire_and_chains_are_bounded():
    now = [0.0]
    conv = Conversations(max_turns=3, ttl=60, max_chains=2, clock=lambda: now[0])
    conv.put("a", Turn("q", "leijun", None, None, depth=1, at=0.0))
    assert conv.get("a").executive == "leijun"
    now[0] = 61
    assert conv.get("a") is None  # too old
    conv.put("b", Turn("q", None, None, None, depth=3, at=61))
    assert conv.get("b") is None  # the chain is as long as allowed: the next question starts afresh
    for key in ("c", "d", "e"):
        conv.put(key, Turn("q", None, None, None, at=61))
    assert conv.get("c") is None and conv.get("e") is not None  # the oldest chain made room


async def test_a_follow_up_inherits_the_executive_and_period_unless_it_names_new_ones(engine):
    scope, first = await scope_for(engine, "what did Lei Jun say last week?", None)
    assert not scope.follow_up and first.executive == "leijun" and first.since is not None
    scope, second = await scope_for(engine, "and what about YU7?", first)
    assert scope.follow_up and scope.author == "leijun" and (scope.since, scope.until) == (first.since, first.until)
    assert second.depth == 2
    scope, third = await scope_for(engine, "他上个月说了什么？", second)  # a new period, the same man
    assert scope.author == "leijun" and scope.since is None and third.since != first.since
    scope, _ = await scope_for(engine, "what did Elon Musk say about deliveries?", third)
    assert scope.author == "elonmusk"  # a named executive wins


# -- in Discord ---------------------------------------------------------------------------------------


async def reply_to(target: discord.Message, content: str) -> None:
    """A user's reply to the bot's message, as Discord would deliver it (dpytest has no helper)."""
    config = dpytest.get_config()
    channel, member = config.channels[0], config.members[0]
    data = facts.make_message_dict(channel, member, content=content, mentions=[], guild_id=channel.guild.id)
    data["type"] = 19  # a reply
    data["message_reference"] = {"message_id": target.id, "channel_id": channel.id, "guild_id": channel.guild.id}
    back.get_state().parse_message_create(data)
    await dpytest.run_all_events()


async def last_answer(bot) -> tuple[discord.Message, dict]:
    msg = dpytest.get_message()
    records = await bot.get_cog("Posts").feedback.conn.execute_fetchall(
        "SELECT filters, cited FROM answers WHERE message_id = ?", (msg.id,))
    import json

    [(filters, cited)] = records
    return msg, {"filters": json.loads(filters), "cited": json.loads(cited)}


async def test_a_reply_to_an_answer_is_a_follow_up_that_keeps_the_executive(bot, wire):
    me = bot.user.id
    await dpytest.message(f"<@{me}> what did Lei Jun say last week?")
    first, rec1 = await last_answer(bot)
    assert rec1["filters"]["author"] == "leijun"
    buttons = [c for row in wire[-1]["components"] for c in row["components"]]
    assert [b["custom_id"] for b in buttons] == ["execbot:feedback:up", "execbot:feedback:down"]
    await reply_to(first, "and what about YU7?")  # no mention, no name: a follow-up all the same
    second, rec2 = await last_answer(bot)
    assert rec2["filters"]["author"] == "leijun" and rec2["filters"]["since"] == rec1["filters"]["since"]
    assert rec2["cited"] and "YU7" in (second.embeds[0].description or "")
    # A plain message that neither mentions the bot nor replies to an answer is not a question.
    await dpytest.message("just chatting")
    assert dpytest.sent_queue.empty()


def interaction_from(user_id: int, message_id: int) -> MagicMock:
    inter = MagicMock(spec=discord.Interaction)
    inter.user = MagicMock(id=user_id)
    inter.message = MagicMock(id=message_id)
    inter.response = MagicMock()
    inter.response.send_message = AsyncMock()
    return inter


async def test_a_vote_is_stored_once_per_user_and_exported(bot):
    await dpytest.message(f"<@{bot.user.id}> what did Lei Jun say about YU7?")
    answer, _ = await last_answer(bot)
    cog = bot.get_cog("Posts")
    view = cog.feedback_view
    for user, up in ((1, True), (1, True), (2, True), (2, False), (3, False)):
        await view._vote(interaction_from(user, answer.id), up)  # user 2 changes their mind
    exported = await FeedbackStore(cog.feedback.conn).export()
    mine = [e for e in exported if e["answer_id"] == str(answer.id)]
    assert len(mine) == 1 and (mine[0]["up"], mine[0]["down"]) == (1, 2)
    assert mine[0]["question"].endswith("YU7?") and mine[0]["cited"] and mine[0]["model"].startswith("usem3")
    unknown = interaction_from(1, 12345)
    await view._vote(unknown, True)
    assert "no longer have that answer" in unknown.response.send_message.call_args.args[0]
