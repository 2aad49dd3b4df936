"""Follows: each new post once per following channel, across restarts; a flood is capped."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import discord
import discord.ext.test as dpytest
import discord.ext.test.backend as dpytest_backend
import pytest
import pytest_asyncio
from discord.ext import commands

from bot.app import create_bot
from bot.exts.follows._logic import run_round
from bot.exts.follows._state import FollowState
from retrieval.engine import Engine
from retrieval.models import Doc
from retrieval.settings import RetrievalSettings
from retrieval.store.index import Index
from tests.bot.conftest import make_settings

pytestmark = pytest.mark.embedding


def post(sid: str, text: str, *, minutes_ago: float = 0, likes: int = 10, executive: str = "leijun",
         pics: list[str] | None = None) -> Doc:
    at = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    d = Doc(platform="weibo", executive=executive, source_id=sid, text=text, published_at=at,
            url=f"https://weibo.com/1749127163/{sid}", likes=likes)
    d.pics = list(pics or [])
    return d


@pytest.fixture
def settings(tmp_path) -> RetrievalSettings:
    return RetrievalSettings(EXECBOT_DATA_DIR=tmp_path / "data", EXECBOT_NOW=None)


async def start_bot(settings: RetrievalSettings, **overrides):
    """A bot on its own index (a restart = a new bot and index on the same data directory)."""
    index = Index(settings)
    await index.open()
    engine = Engine(index=index)
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    b = create_bot(make_settings(EXECBOT_FOLLOW_POLL_SECONDS=3600, **overrides), engine, intents=intents)
    await b._async_setup_hook()
    await b.setup_hook()
    dpytest.configure(b)
    dpytest_backend.get_state().loop = asyncio.get_running_loop()
    config = dpytest.get_config()
    role = dpytest.backend.make_role("execbot-admin", config.guilds[0])
    await dpytest.add_role(config.members[0], role)
    b.settings.admin_role_ids = [role.id]
    return b, index


async def stop_bot(b, index) -> None:
    await dpytest.empty_queue()
    for name in list(b.extensions):
        await b.unload_extension(name)
    await index.close()


@pytest_asyncio.fixture
async def running(settings) -> AsyncIterator[tuple]:
    index = Index(settings)
    async with index:
        await index.write_docs([post("OLD1", "关注之前的一条旧微博", minutes_ago=120)])  # before the follow
    b, ix = await start_bot(settings)
    yield b, ix
    if ix.store.db is not None:  # the restart test stops it itself
        await stop_bot(b, ix)


def announcements() -> list[discord.Message]:
    out = []
    while not dpytest.sent_queue.empty():
        out.append(dpytest.sent_queue.get_nowait())
    return out


def footers(msgs: list[discord.Message]) -> list[str]:
    return [e.footer.text for m in msgs for e in m.embeds if e.footer and e.footer.text]


async def follow(b) -> None:
    await dpytest.message("!follow leijun")
    [reply] = announcements()
    assert reply.content.startswith("Following Lei Jun") or "Following" in reply.content


async def ingest(index: Index, docs: list[Doc], b) -> None:
    await index.write_docs(docs)
    b.dispatch("execbot_ingest")
    cog = b.get_cog("Follows")
    await cog.run_rounds()  # the event's own round may still be running: this one waits for it
    await asyncio.sleep(0)


async def test_each_new_post_appears_once_and_a_restart_reposts_nothing(settings, running):
    b, index = running
    await follow(b)
    await ingest(index, [post("NEW1", "小米YU7今天开始交付", pics=["https://wx1.sinaimg.cn/large/a.jpg"]),
                         post("NEW2", "感谢大家的支持，我们继续努力")], b)
    msgs = announcements()
    texts = [e.description for m in msgs for e in m.embeds]
    assert texts == ["小米YU7今天开始交付", "感谢大家的支持，我们继续努力"]  # arrival order; the old post never
    assert msgs[0].embeds[0].image.url == "https://wx1.sinaimg.cn/large/a.jpg"
    assert any("likes" in f.value for f in msgs[0].embeds[0].fields)
    # Ingest the same posts again (an unchanged re-ingest), then restart the bot and ingest again.
    await ingest(index, [post("NEW1", "小米YU7今天开始交付"), post("NEW2", "感谢大家的支持，我们继续努力")], b)
    assert announcements() == []
    # Restart: a new process on the same data directory. dpytest can't bring the same channel back,
    # so the new process's round runs against a stand-in for that channel.
    channel_id = (await b.get_cog("Follows").state.all())[0].channel_id
    await stop_bot(b, index)
    async with Index(settings) as index2:
        state = FollowState(index2.store.conn)
        channel = FakeChannel(channel_id)

        async def round_() -> None:
            [f] = await state.all()
            await run_round(state, index2.store.conn, f, channel, names={"leijun": "Lei Jun"}, tz=UTC, cap=5,
                            keywords=[], now=int(time.time()), me_id=None)

        await index2.write_docs([post("NEW1", "小米YU7今天开始交付")])
        await round_()
        assert channel.sent == []
        await index2.write_docs([post("NEW3", "明天见")])
        await round_()
        assert [k["embed"].description for k in channel.sent] == ["明天见"]


class FakeChannel:
    def __init__(self, channel_id: int) -> None:
        self.id = channel_id
        self.sent: list[dict] = []

    async def send(self, content: str | None = None, **kwargs):
        self.sent.append({"content": content, **kwargs})

    async def history(self, limit: int = 100):
        for _ in ():
            yield _


async def test_a_crash_after_sending_is_not_sent_again(running):
    b, index = running
    await follow(b)
    cog = b.get_cog("Follows")
    [f] = await cog.state.all()
    await index.write_docs([post("C1", "发出后进程崩溃的一条")])
    # Simulate the crash: the post went out, but only 'sending' was recorded.
    real_mark = cog.state.mark

    async def crash_after_send(follow_, items, state, now):
        if state == "sent":
            raise RuntimeError("killed")
        await real_mark(follow_, items, state, now)

    cog.state.mark = crash_after_send
    with pytest.raises(RuntimeError):
        await cog.run_rounds()
    assert len(announcements()) == 1
    cog.state.mark = real_mark
    await cog.run_rounds()  # the channel's history shows it went out: recorded, not resent
    assert announcements() == []
    assert (await cog.state.handled(f)) == {}  # the round completed and the watermark covers it


async def test_a_5000_post_archive_gives_the_cap_and_one_line(running):
    b, index = running
    await follow(b)
    # 5,000 posts published after the follow (a long outage, a backfill): not 5,000 messages.
    await ingest(index, [post(f"A{i}", f"归档微博第{i}条", minutes_ago=-0.001 * (i + 1)) for i in range(5000)], b)
    msgs = announcements()
    cap = b.settings.follow_cap
    assert len(msgs) == cap + 1
    assert all(m.embeds for m in msgs[:cap])
    assert msgs[-1].content == f"…and {5000 - cap:,} more new posts from Lei Jun. See `/top` for the most engaging ones."
    await ingest(index, [], b)
    assert announcements() == []


async def test_filters_keywords_in_any_language_and_engagement(running):
    b, index = running
    await dpytest.message("!follow leijun deliveries")  # an English keyword
    announcements()
    cog = b.get_cog("Follows")
    [f] = await cog.state.all()
    assert f.keywords == ["deliveries"]
    await ingest(index, [post("K1", "5月交付量超过28000台"), post("K2", "今天天气不错")], b)
    assert [e.description for m in announcements() for e in m.embeds] == ["5月交付量超过28000台"]  # via 交付
    await dpytest.message("!follow leijun 交付 1000")  # updates the follow: keyword and minimum engagement
    assert "Updated the follow" in announcements()[0].content
    await ingest(index, [post("E1", "交付了，很少人看到", likes=3), post("E2", "交付了，很多人看到", likes=5000),
                         post("E3", "很多人看到，但没有关键词", likes=5000)], b)
    assert [e.description for m in announcements() for e in m.embeds] == ["交付了，很多人看到"]


async def test_unfollow_and_following(running):
    b, index = running
    await follow(b)
    await dpytest.message("!following")
    [listing] = announcements()
    assert "Lei Jun" in listing.content
    await dpytest.message("!unfollow leijun")
    assert "Stopped following Lei Jun" in announcements()[0].content
    await ingest(index, [post("U1", "取消关注之后")], b)
    assert announcements() == []


async def test_an_unknown_executive_is_a_friendly_error(running):
    b, _ = running
    with pytest.raises(commands.CommandError):  # dpytest re-raises what the error handler answered
        await dpytest.message("!follow nobody")
    assert "don't know an executive called “nobody”" in dpytest.get_message().content


async def test_non_admins_cannot_follow(running):
    b, _ = running
    b.settings.admin_role_ids = []
    with pytest.raises(commands.CheckFailure):
        await dpytest.message("!follow leijun")
    assert "Manage Server" in dpytest.get_message().content
    assert await b.get_cog("Follows").state.all() == []
