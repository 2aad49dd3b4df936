"""The weekly digest: due slots, and exactly-once posting across restarts and crashes."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import discord
import discord.ext.test as dpytest
import pytest

from bot.exts.schedule._digest import DONE, POSTING, digest_tick, latest_slot, week_key
from bot.exts.schedule._state import BotState
from retrieval.engine import Engine
from retrieval.store.index import Index

SH = ZoneInfo("Asia/Shanghai")
MON_0901 = datetime(2025, 6, 2, 9, 1, tzinfo=SH)
ME = 4242


class FakeChannel:
    """A digest channel: records sends, serves them back as history (newest first)."""

    def __init__(self) -> None:
        self.sent: list[SimpleNamespace] = []
        self.fail_next = False

    async def send(self, **kwargs):
        if self.fail_next:
            self.fail_next = False
            raise discord.HTTPException(SimpleNamespace(status=500, reason="boom"), "boom")
        msg = SimpleNamespace(author=SimpleNamespace(id=ME), embeds=[kwargs["embed"]], kwargs=kwargs)
        self.sent.append(msg)
        return msg

    async def history(self, limit: int = 50):
        for msg in reversed(self.sent[-limit:]):
            yield msg


async def tick(engine: Engine, state: BotState, channel: FakeChannel, now: datetime) -> str:
    return await digest_tick(engine, state, channel, now=now, weekday=0, hour=9, tz=SH, me_id=ME)


@pytest.fixture
async def state(engine):
    s = BotState(engine.store.conn)
    await s.ensure()
    return s


@pytest.mark.parametrize(("now", "weekday", "hour", "slot"), [
    (datetime(2025, 6, 2, 9, 0, tzinfo=SH), 0, 9, datetime(2025, 6, 2, 9, 0, tzinfo=SH)),
    (datetime(2025, 6, 2, 8, 59, tzinfo=SH), 0, 9, datetime(2025, 5, 26, 9, 0, tzinfo=SH)),
    (datetime(2025, 6, 8, 23, 0, tzinfo=SH), 0, 9, datetime(2025, 6, 2, 9, 0, tzinfo=SH)),
    # 01:00 UTC on Monday is already 09:00 in Shanghai
    (datetime(2025, 6, 2, 1, 0, tzinfo=ZoneInfo("UTC")), 0, 9, datetime(2025, 6, 2, 9, 0, tzinfo=SH)),
    (datetime(2025, 6, 4, 12, 0, tzinfo=SH), 4, 18, datetime(2025, 5, 30, 18, 0, tzinfo=SH)),
])
def test_latest_slot(now, weekday, hour, slot):
    assert latest_slot(now, weekday, hour, SH) == slot


def test_week_key_is_the_digested_week():
    assert week_key(datetime(2025, 6, 2, 9, tzinfo=SH)) == "2025-W22"  # May 26 – Jun 1
    assert week_key(datetime(2025, 1, 6, 9, tzinfo=SH)) == "2025-W01"
    assert week_key(datetime(2025, 1, 1, 9, tzinfo=SH)) == "2024-W52"


async def test_digest_is_posted_exactly_once_across_a_restart(engine, state, index_settings):
    channel = FakeChannel()
    assert await tick(engine, state, channel, MON_0901) == "posted"
    assert await tick(engine, state, channel, MON_0901 + timedelta(minutes=5)) == "already-done"
    [msg] = channel.sent
    embed = msg.kwargs["embed"]
    assert "2025-W22" in embed.footer.text and "**40 posts**" in embed.description
    assert msg.kwargs["file"].filename == "chart.png"
    # The week's top picture: the most engaging post that has one (May 31, 321,000 likes).
    assert embed.thumbnail.url and embed.thumbnail.url.startswith("https://wx4.sinaimg.cn/")
    photo = next(f for f in embed.fields if f.name == "Photo of the week")
    assert "PuoYL79FN" in photo.value
    assert msg.kwargs["allowed_mentions"].everyone is False

    # "Restart": a second instance with its own connection to the same SQLite file.
    async with Index(index_settings) as index2:
        engine2, state2 = Engine(index=index2), BotState(index2.store.conn)
        await state2.ensure()
        assert await tick(engine2, state2, channel, MON_0901 + timedelta(minutes=10)) == "already-done"
        assert await tick(engine2, state2, channel, datetime(2025, 6, 9, 8, 59, tzinfo=SH)) == "already-done"
        assert await tick(engine2, state2, channel, datetime(2025, 6, 9, 9, 3, tzinfo=SH)) == "posted"
        assert (await state2.get(DONE))[0] == "2025-W23"
    assert len(channel.sent) == 2


async def test_two_instances_racing_post_once(engine, state, index_settings):
    channel = FakeChannel()
    async with Index(index_settings) as index2:
        engine2, state2 = Engine(index=index2), BotState(index2.store.conn)
        results = await asyncio.gather(tick(engine, state, channel, MON_0901), tick(engine2, state2, channel, MON_0901))
    assert sorted(results) in (["busy", "posted"], ["already-done", "posted"])
    assert len(channel.sent) == 1


async def test_crash_after_sending_is_recovered_from_history_not_reposted(engine, state, monkeypatch):
    channel = FakeChannel()

    async def crash(*args, **kwargs):
        raise RuntimeError("process killed before recording")

    monkeypatch.setattr(state, "finish", crash)
    with pytest.raises(RuntimeError):
        await tick(engine, state, channel, MON_0901)
    monkeypatch.undo()
    assert len(channel.sent) == 1 and (await state.get(POSTING))[0] == "2025-W22"
    # A fresh marker means another attempt may be in flight: wait.
    assert await tick(engine, state, channel, MON_0901 + timedelta(minutes=5)) == "busy"
    # A stale one is a dead attempt; the channel shows it did post, so it is recorded, not repeated.
    assert await tick(engine, state, channel, MON_0901 + timedelta(minutes=20)) == "recovered"
    assert len(channel.sent) == 1
    assert (await state.get(DONE))[0] == "2025-W22" and await state.get(POSTING) is None


async def test_crash_before_sending_is_retried_once_stale(engine, state):
    channel = FakeChannel()
    ts = int(MON_0901.timestamp())
    assert await state.claim(POSTING, DONE, "2025-W22", ts, ts - 900)  # claimed, then the process died
    assert await tick(engine, state, channel, MON_0901 + timedelta(minutes=5)) == "busy"
    assert await tick(engine, state, channel, MON_0901 + timedelta(minutes=20)) == "posted"
    assert len(channel.sent) == 1


async def test_failed_send_releases_the_marker_for_the_next_tick(engine, state):
    channel = FakeChannel()
    channel.fail_next = True
    with pytest.raises(discord.HTTPException):
        await tick(engine, state, channel, MON_0901)
    assert await state.get(POSTING) is None
    assert await tick(engine, state, channel, MON_0901 + timedelta(minutes=5)) == "posted"
    assert len(channel.sent) == 1


async def test_schedule_cog_posts_to_the_configured_channel(bot, wire):
    channel = dpytest.get_config().channels[0]
    bot.settings.digest_channel_id = channel.id
    cog = bot.get_cog("Schedule")
    assert await cog.digest_once(now=MON_0901) == "posted"
    msg = dpytest.get_message()
    assert [a.filename for a in msg.attachments] == ["chart.png"]
    assert "2025-W22" in wire[-1]["embeds"][0]["footer"]["text"]
    assert await cog.digest_once(now=MON_0901 + timedelta(minutes=5)) == "already-done"
    assert dpytest.verify().message().nothing()


async def test_scheduled_ingest_skips_while_a_reingest_runs(bot):
    cog = bot.get_cog("Schedule")
    async with bot.ingest_lock:
        assert await cog.ingest_once() == "busy"
    bot.settings.digest_channel_id = None
    assert await cog.digest_once() == "off"


async def test_with_a_language_model_the_digest_leads_with_a_cited_overview_and_trend(index_settings):
    # A real OpenAI-compatible server on 127.0.0.1: the digest's prose is generated, checked, and cited.
    from tests.retrieval.fake_llm import FakeLLM

    channel = FakeChannel()
    async with FakeLLM(chunk_delay=0) as fake:
        settings = index_settings.model_copy(update={"answer_backend": "openai", "llm_base_url": fake.base_url,
                                                     "llm_model": "digest"})
        async with Index(settings) as index:
            state = BotState(index.store.conn)
            await state.ensure()
            assert await tick(Engine(index=index), state, channel, MON_0901) == "posted"
    embed = channel.sent[0].kwargs["embed"]
    overview, _, figures = embed.description.partition("\n\n")
    assert overview.startswith("Lei Jun was busy this week [1].") and "**40 posts**" in figures
    trend = next(f for f in embed.fields if f.name == "Trend analysis")
    assert "[2]" in trend.value and "[99]" not in trend.value
    sources = next(f for f in embed.fields if f.name == "Sources")
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", overview + trend.value)}
    for n in cited:  # every marker in the prose resolves to a linked post
        assert re.search(rf"^\[{n}\]\(<https://weibo\.com/\S+>\)", sources.value, re.M), sources.value
    assert channel.sent[0].kwargs["allowed_mentions"].everyone is False
    assert len(embed) <= 6000
