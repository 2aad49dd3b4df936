"""The user commands end to end through dpytest (prefix path) and through slash callbacks."""

from __future__ import annotations

import logging

import discord
import discord.ext.test as dpytest
import pytest
from discord.ext import commands

from retrieval.models import Hit
from retrieval.results import Filters, TopResult

MAY31 = "PuoYL79FN"


def _text(msg: discord.Message) -> str:
    parts = [msg.content or ""]
    for e in msg.embeds:
        parts += [e.title or "", e.description or "", *(f"{f.name} {f.value}" for f in e.fields), e.footer.text or ""]
    return "\n".join(parts)


async def test_top_week_puts_the_may_31_post_first(bot):
    await dpytest.message("!top week")
    msg = dpytest.get_message()
    embed = msg.embeds[0]
    first = embed.description.split("\n\n")[0]
    assert first.startswith("**1.**") and MAY31 in first and "321,000 likes" in first
    assert "page 1/2" in embed.footer.text  # ten posts, five a page


async def test_top_ranks_by_a_trailing_word(bot):
    await dpytest.message("!top last week comments")
    embed = dpytest.get_embed()
    assert "ranked by comments" in embed.footer.text
    assert "last week" in embed.title


async def test_summary_last_week_reports_40_posts_with_a_png_chart(bot, wire):
    await dpytest.message("!summary last week")
    msg = dpytest.get_message()
    assert [a.filename for a in msg.attachments] == ["chart.png"]
    with open(msg.attachments[0].url.removeprefix("file://"), "rb") as fh:  # dpytest keeps the bytes locally
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    embed = wire[-1]["embeds"][0]
    assert "**40 posts**" in embed["description"]
    assert embed["image"]["url"] == "attachment://chart.png"
    assert wire[-1]["filenames"] == ["chart.png"]


@pytest.mark.embedding
async def test_ask_cites_a_yu7_mass_production_post(bot):
    await dpytest.message("!ask what did Lei Jun say about YU7?")
    embed = dpytest.get_embed()
    sources = "\n".join(f.value for f in embed.fields if f.name.startswith("Sources"))
    cited = [line for line in sources.splitlines() if "YU7" in line and "量产" in line]
    assert cited, sources
    assert "](<https://weibo.com/1749127163/" in cited[0]  # "[n](url)" links to the post
    assert "[" in embed.description and "]" in embed.description


async def test_unknown_period_gets_the_friendly_message(bot):
    with pytest.raises(commands.CommandError):  # dpytest re-raises command errors after handlers ran
        await dpytest.message("!top fortnightish")
    msg = dpytest.get_message()
    assert msg.content == ("I don't know the period 'fortnightish'. "
                           "Try: day, week, month, last week, 上周, 2025-05-26..2025-06-01")


async def test_bad_ranking_argument_gets_a_friendly_message(bot):
    # the slash side validates choices; the prefix side reads a trailing word only if it is a ranking
    with pytest.raises(commands.CommandError):
        await dpytest.message("!top week popularity")
    assert "I don't know the period 'week popularity'" in dpytest.get_message().content


async def test_a_failing_command_never_shows_a_traceback(bot, engine, monkeypatch, caplog):
    async def boom():
        raise RuntimeError("kaboom in stats")

    monkeypatch.setattr(engine, "stats", boom)
    caplog.set_level(logging.ERROR, logger="bot.errors")
    with pytest.raises(commands.CommandInvokeError):
        await dpytest.message("!stats")
    msg = dpytest.get_message()
    assert "something went wrong" in msg.content.lower()
    assert "Traceback" not in msg.content and "kaboom" not in msg.content
    assert "Traceback" in caplog.text and "RuntimeError: kaboom in stats" in caplog.text


async def test_cooldown_is_per_user_and_friendly(bot):
    bot.settings.cooldown_rate = 1
    bot.settings.cooldown_per = 60
    await dpytest.message("!stats")
    dpytest.get_message()
    with pytest.raises(commands.CommandOnCooldown):
        await dpytest.message("!stats")
    assert dpytest.get_message().content.startswith("Slow down a little")


async def test_help_replaces_the_default(bot):
    await dpytest.message("!help")
    embed = dpytest.get_embed()
    assert "`!top [period] [by]`" in embed.description and "`!ask <question>`" in embed.description


async def test_post_text_with_everyone_does_not_ping(bot, engine, monkeypatch, wire):
    hit = Hit(id="x1", kind="post", author="leijun", published_at=None, text="@everyone look at this",
              url="https://weibo.com/1/x1", likes=1, shares=0, comments=0, score=0.0)

    async def fake_top(*args, **kwargs):
        return TopResult(filters=Filters(label="the past 7 days"), by="engagement", posts=[hit])

    monkeypatch.setattr(engine, "top", fake_top)
    await dpytest.message("!top week")
    msg = dpytest.get_message()
    assert "@everyone" in msg.embeds[0].description
    assert wire[-1]["allowed_mentions"]["parse"] == []  # nobody, not even @everyone


@pytest.mark.embedding
async def test_mention_and_qa_channel_get_answers(bot):
    await dpytest.message(f"<@{bot.user.id}> what did Lei Jun say about YU7?")
    embed = dpytest.get_embed()
    assert "YU7" in embed.description
    channel = dpytest.get_config().channels[0]
    bot.settings.qa_channels = [channel.id]
    await dpytest.message("what did Lei Jun say about YU7?")
    assert "YU7" in dpytest.get_embed().description
    bot.settings.qa_channels = []
    await dpytest.message("just chatting")
    assert dpytest.verify().message().nothing()


# -- slash path: callbacks with a MagicMock(spec=discord.Interaction) ---------------------------------


async def test_slash_top_defers_then_follows_up_with_the_embed(bot, slash, make_member, payloads):
    cog = bot.get_cog("Posts")
    ctx, interaction = slash(bot, "top", make_member())
    await cog.top.callback(cog, ctx, period="week", by="likes")
    interaction.response.defer.assert_awaited()  # typing() on an interaction = "thinking…"
    sent = payloads(interaction)
    embed = sent[-1]["embed"]
    assert MAY31 in embed.description.split("\n\n")[0]
    assert "ranked by likes" in embed.footer.text
    assert sent[-1]["allowed_mentions"].everyone is False
    assert isinstance(sent[-1]["view"], discord.ui.View)


async def test_slash_summary_attaches_the_chart(bot, slash, make_member, payloads):
    cog = bot.get_cog("Posts")
    ctx, interaction = slash(bot, "summary", make_member())
    await cog.summary.callback(cog, ctx, period="last week", executive="Lei Jun")
    sent = payloads(interaction)[-1]
    assert sent["file"].filename == "chart.png"
    assert "**40 posts**" in sent["embed"].description
    assert sent["embed"].title.startswith("Lei Jun")


def test_slash_payloads(bot):
    tree = bot.tree
    assert {c.name for c in tree.get_commands()} >= {"top", "summary", "ask", "stats", "help", "reingest", "sources"}
    top = tree.get_command("top").to_dict(tree)
    opts = {o["name"]: o for o in top["options"]}
    assert list(opts) == ["period", "by"]
    assert not opts["period"]["required"] and not opts["by"]["required"]
    assert [c["value"] for c in opts["by"]["choices"]] == ["engagement", "likes", "shares", "comments"]
    summary = {o["name"]: o for o in tree.get_command("summary").to_dict(tree)["options"]}
    assert summary["executive"].get("autocomplete") is True
    ask = tree.get_command("ask").to_dict(tree)["options"]
    assert [(o["name"], o["required"]) for o in ask] == [("question", True)]
    reingest = tree.get_command("reingest").to_dict(tree)
    assert int(reingest["default_member_permissions"]) == discord.Permissions(manage_guild=True).value
    assert tree.get_command("sync") is None  # owner-only prefix command, never a slash command
