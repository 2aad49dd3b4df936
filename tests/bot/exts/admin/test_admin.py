"""/reingest, /sources: who may run them, which sources, one at a time, progress and counts."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import discord.ext.test as dpytest
import pytest
from discord.ext import commands

from bot.checks import admin_check, is_admin_member
from bot.errors import NotAdmin, UserFacingError
from bot.reingest import LOCKED, resolve_sources
from ingest.lock import write_lock
from ingest.pipeline import IngestReport

SAMPLE = Path(__file__).resolve().parents[4] / "data" / "sample"


def live(module: str):
    # discord.py re-imports an extension's modules on every load: patch the ones the cog uses now.
    return sys.modules[module]


@pytest.fixture(autouse=True)
def _sources(monkeypatch):
    # The default source, data/sample, relative to the project root.
    monkeypatch.delenv("EXECBOT_SOURCES", raising=False)
    monkeypatch.chdir(SAMPLE.parent.parent)


# -- which sources ----------------------------------------------------------------------------------


def test_resolve_sources_allows_configured_ones_and_paths_under_them(tmp_path):
    root = tmp_path / "data"
    (root / "weibo").mkdir(parents=True)
    (root / "weibo" / "a.json").write_text("{}")
    configured = [str(root), "https://rsshub.example/weibo/user/1"]
    assert resolve_sources(None, configured) == configured
    assert resolve_sources("https://rsshub.example/weibo/user/1", configured) == ["https://rsshub.example/weibo/user/1"]
    assert resolve_sources(str(root / "weibo" / "a.json"), configured) == [str(root / "weibo" / "a.json")]


@pytest.mark.parametrize("bad", ["/etc/passwd", "{root}/../secret", "{root}/link/passwd", "https://evil.example/feed",
                                 "{root}/missing.json"])
def test_resolve_sources_refuses_anything_else(tmp_path, bad):
    root = tmp_path / "data"
    root.mkdir()
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "passwd").write_text("x")
    (root / "link").symlink_to(tmp_path / "secret")  # a link inside pointing outside
    with pytest.raises(UserFacingError):
        resolve_sources(bad.format(root=root), [str(root)])


# -- who may run it -----------------------------------------------------------------------------------


async def test_admin_check_is_enforced_at_run_time(bot, slash, make_member):
    bot.settings.admin_role_ids = [555]
    for user, allowed in [(make_member(manage_guild=True), True), (make_member(role_ids=(555,)), True),
                          (make_member(role_ids=(999,)), False), (make_member(), False)]:
        ctx, _ = slash(bot, "reingest", user)
        assert is_admin_member(user, bot.settings.admin_role_ids) is allowed
        if allowed:
            assert await admin_check(ctx) is True
        else:
            with pytest.raises(NotAdmin):
                await admin_check(ctx)
    ctx, _ = slash(bot, "reingest", make_member(manage_guild=True))
    ctx.message.guild = None
    with pytest.raises(commands.NoPrivateMessage):
        await admin_check(ctx)


async def test_non_admin_reingest_is_denied(bot, monkeypatch):
    called = []
    monkeypatch.setattr(live("bot.reingest"), "run_ingest", lambda *a, **k: called.append(a))
    with pytest.raises(commands.CheckFailure):
        await dpytest.message("!reingest")
    assert "Manage Server" in dpytest.get_message().content
    assert called == []


async def test_admin_role_member_can_reingest_via_prefix(bot, monkeypatch):
    config = dpytest.get_config()
    guild, member = config.guilds[0], config.members[0]
    role = dpytest.backend.make_role("execbot-admin", guild)
    await dpytest.add_role(member, role)
    bot.settings.admin_role_ids = [role.id]

    async def fake_run(settings, sources, progress=None):
        return IngestReport(added=2, unchanged=41)

    monkeypatch.setattr(live("bot.reingest"), "run_ingest", fake_run)
    await dpytest.message("!reingest")
    msg = dpytest.get_message()
    assert msg.content.startswith("Re-ingesting 1 source")
    # the same message was edited in place with the counts
    edited = await msg.channel.fetch_message(msg.id)
    assert "2 added" in edited.content and "41 unchanged" in edited.content


async def test_admin_reingest_runs_the_real_ingest_and_reports_counts(bot, engine, slash, make_member, payloads,
                                                                      monkeypatch):
    refreshed = []
    real_registry = engine.registry

    async def spy_registry(refresh=False):
        refreshed.append(refresh)
        return await real_registry(refresh)

    monkeypatch.setattr(engine, "registry", spy_registry)
    cog = bot.get_cog("Admin")
    ctx, interaction = slash(bot, "reingest", make_member(manage_guild=True))
    await cog.reingest.callback(cog, ctx, source="data/sample/weibo")
    first = payloads(interaction)[0]
    assert first["content"].startswith("Re-ingesting 1 source")
    final = interaction.original_response.return_value.edit.await_args.kwargs["content"]
    assert "Re-ingest done" in final and "40 unchanged" in final and "0 added" in final
    assert True in refreshed  # the engine re-read the registry


async def test_second_reingest_while_one_runs_is_refused(bot, slash, make_member, payloads, monkeypatch):
    gate, started = asyncio.Event(), asyncio.Event()
    ingest_mod = live("bot.reingest")
    monkeypatch.setattr(ingest_mod, "PROGRESS_EVERY", 0.01)

    async def slow_run(settings, sources, progress=None):
        started.set()
        progress(7)
        await gate.wait()
        return IngestReport(added=1)

    monkeypatch.setattr(ingest_mod, "run_ingest", slow_run)
    cog = bot.get_cog("Admin")
    ctx1, it1 = slash(bot, "reingest", make_member(1, manage_guild=True))
    first = asyncio.create_task(cog.reingest.callback(cog, ctx1, source=None))
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.sleep(0.05)  # let a progress edit happen

    ctx2, it2 = slash(bot, "reingest", make_member(2, manage_guild=True))
    await cog.reingest.callback(cog, ctx2, source=None)
    refusal = payloads(it2)[0]
    assert "already running" in refusal["content"] and refusal["ephemeral"] is True

    gate.set()
    await asyncio.wait_for(first, 5)
    edits = [c.kwargs["content"] for c in it1.original_response.return_value.edit.await_args_list]
    assert any("7 records so far" in e for e in edits)
    assert "1 added" in edits[-1]


async def test_reingest_while_another_process_holds_the_write_lock(bot, engine, slash, make_member):
    cog = bot.get_cog("Admin")
    ctx, interaction = slash(bot, "reingest", make_member(manage_guild=True))
    with write_lock(Path(engine.settings.data_dir)):  # as if `execbot ingest` were running
        await cog.reingest.callback(cog, ctx, source=None)
    final = interaction.original_response.return_value.edit.await_args.kwargs["content"]
    assert final == LOCKED


async def test_sources_lists_the_configured_sources(bot, slash, make_member, payloads):
    cog = bot.get_cog("Admin")
    ctx, interaction = slash(bot, "sources", make_member(manage_guild=True))
    await cog.sources.callback(cog, ctx)
    text = payloads(interaction)[0]["content"]
    assert "folder `data/sample` (4 files)" in text
