"""Hostile input on the bot side: huge questions, mention/markdown injection (in the question and in
post text), users hammering commands, and the Discord token staying out of every log and output.

This module indexes its own copy of the sample data plus one hostile post (it overrides the
session-wide `index_settings`), so the shared index other tests use is never touched.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord
import discord.ext.test as dpytest
import discord.ext.test.backend as dpytest_backend
import pytest
from discord.ext import commands

from bot.app import ExecBot, create_bot
from bot.limits import (
    AUTHOR_NAME,
    EMBED_DESCRIPTION,
    EMBED_FIELDS,
    EMBED_TITLE,
    EMBED_TOTAL,
    FIELD_NAME,
    FIELD_VALUE,
    FOOTER,
    MESSAGE,
)
from bot.settings import BotSettings
from retrieval.engine import Engine
from retrieval.models import Doc
from retrieval.settings import RetrievalSettings
from retrieval.store.index import Index
from tests.bot.conftest import NOW, SAMPLE, make_settings

ROOT = Path(__file__).resolve().parents[2]

HOSTILE_ID = "HOSTILE0601"
HOSTILE_URL = f"https://weibo.com/1749127163/{HOSTILE_ID}"
HOSTILE_TEXT = "小米YU7 @everyone check this <@&42> 雷军 YU7 hostile mention post @here"
INJECTION = ("@everyone @here <@&123456> <@1> **bold** ```code``` [link](https://evil) "
             "what did Lei Jun say about YU7?")
FAKE_TOKEN = "HOSTILEFAKE0.Zz9QkQ.this-token-must-never-be-logged-7f3a"
LONG_UNIT = "What did Lei Jun say about YU7, the SU7 Ultra and **orders**? <@1> @everyone "


def _long_question(n: int = 4000) -> str:
    return (LONG_UNIT * (n // len(LONG_UNIT) + 1))[:n]


# -- an index of our own: the sample data plus one post full of mentions ------------------------------


@pytest.fixture(scope="module")
def index_settings(tmp_path_factory: pytest.TempPathFactory) -> RetrievalSettings:
    settings = RetrievalSettings(EXECBOT_DATA_DIR=tmp_path_factory.mktemp("execbot-hostile"), EXECBOT_NOW=NOW)
    asyncio.run(_ingest_with_hostile_post(settings))
    return settings


async def _ingest_with_hostile_post(settings: RetrievalSettings) -> None:
    from ingest.pipeline import IngestOptions, ingest

    async with Index(settings) as index:
        report = await ingest([str(SAMPLE)], IngestOptions(), index=index)
        assert report.added >= 40, report.to_json()
        doc = Doc(platform="weibo", executive="leijun", source_id=HOSTILE_ID, text=HOSTILE_TEXT,
                  published_at=datetime(2025, 6, 1, 12, 0, tzinfo=UTC), url=HOSTILE_URL, author_name="雷军",
                  likes=10, shares=1, comments=1)
        result = await index.write_docs([doc])
        assert result.added == 1


@asynccontextmanager
async def running_bot(engine: Engine, settings: BotSettings) -> AsyncIterator[ExecBot]:
    """What conftest's `bot` fixture does, but with our settings and inside the test body (so a test
    can watch creation and extension loading)."""
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    b = create_bot(settings, engine, intents=intents)
    await b._async_setup_hook()
    await b.setup_hook()
    dpytest.configure(b)
    dpytest_backend.get_state().loop = asyncio.get_running_loop()
    try:
        yield b
    finally:
        await dpytest.empty_queue()
        for name in list(b.extensions):
            await b.unload_extension(name)


# -- spies: everything the bot sends or edits, with the kwargs it passed ------------------------------


@pytest.fixture
def outgoing(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every Messageable.send / Message.edit call as {"via", "content", **kwargs}."""
    seen: list[dict[str, Any]] = []
    real_send = discord.abc.Messageable.send
    real_edit = discord.Message.edit

    async def send(self, content=None, **kwargs):
        seen.append({"via": "send", "content": content, **kwargs})
        return await real_send(self, content, **kwargs)

    async def edit(self, **kwargs):
        seen.append({"via": "edit", **kwargs})
        return await real_edit(self, **kwargs)

    monkeypatch.setattr(discord.abc.Messageable, "send", send)
    monkeypatch.setattr(discord.Message, "edit", edit)
    return seen


def _embed_problems(e: discord.Embed) -> list[str]:
    """Every Discord embed limit this embed breaks, computed here (not with bot.limits.fit_embed)."""
    title, desc = e.title or "", e.description or ""
    footer, author = e.footer.text or "", e.author.name or ""
    problems = []
    if len(title) > EMBED_TITLE:
        problems.append(f"title {len(title)}")
    if len(desc) > EMBED_DESCRIPTION:
        problems.append(f"description {len(desc)}")
    if len(e.fields) > EMBED_FIELDS:
        problems.append(f"{len(e.fields)} fields")
    for f in e.fields:
        if len(f.name or "") > FIELD_NAME or len(f.value or "") > FIELD_VALUE:
            problems.append(f"field {f.name!r}: {len(f.name or '')}/{len(f.value or '')}")
    if len(footer) > FOOTER:
        problems.append(f"footer {len(footer)}")
    if len(author) > AUTHOR_NAME:
        problems.append(f"author {len(author)}")
    total = len(title) + len(desc) + len(footer) + len(author) + sum(
        len(f.name or "") + len(f.value or "") for f in e.fields)
    if total > EMBED_TOTAL:
        problems.append(f"total {total}")
    return problems


def _assert_within_limits(calls: list[dict[str, Any]]) -> None:
    for call in calls:
        content = call.get("content")
        assert content is None or len(str(content)) <= MESSAGE, len(str(content))
        embeds = [*(call.get("embeds") or []), *([call["embed"]] if call.get("embed") is not None else [])]
        for e in embeds:
            assert not _embed_problems(e), _embed_problems(e)


def _assert_pings_nobody(calls: list[dict[str, Any]]) -> None:
    assert calls
    for call in calls:
        am = call.get("allowed_mentions")
        assert isinstance(am, discord.AllowedMentions), call
        assert am.to_dict() == {"parse": []}, am.to_dict()


def _assert_wire_pings_nobody(wire: list[dict[str, Any]]) -> None:
    """The JSON Discord receives: parse nothing, no listed users or roles, no reply ping."""
    assert wire
    for payload in wire:
        am = payload["allowed_mentions"]
        assert am["parse"] == [] and not am.get("users") and not am.get("roles"), am
        assert am.get("replied_user", False) is False, am


def _drain() -> list[discord.Message]:
    out = []
    while not dpytest.verify().message().nothing():
        out.append(dpytest.get_message())
    return out


# -- 1. a 4,000-character question --------------------------------------------------------------------


@pytest.mark.embedding
@pytest.mark.parametrize("path", ["prefix", "mention", "qa_channel"])
async def test_a_4000_char_question_gets_one_reply_within_discord_limits(engine, outgoing, wire, path):
    question = _long_question()
    assert len(question) == 4000
    async with running_bot(engine, make_settings()) as b:
        if path == "prefix":
            await dpytest.message(f"!ask {question}")
        elif path == "mention":
            await dpytest.message(f"<@{b.user.id}> {question}")
        else:
            b.settings.qa_channels = [dpytest.get_config().channels[0].id]
            await dpytest.message(question)
        replies = _drain()
    assert len(replies) == 1 and len(outgoing) == 1 and len(wire) == 1  # exactly one reply, no error message
    assert "went wrong" not in (replies[0].content or "")
    embed = outgoing[0]["embed"]
    assert embed.description and embed.description != "Nothing found."  # a real answer, not an error
    assert len(embed.title) <= EMBED_TITLE and embed.title.startswith("What did Lei Jun say")
    _assert_within_limits(outgoing)
    # …and what Discord would receive (the JSON payload) is within the limits too.
    for payload in wire:
        assert len(payload.get("content") or "") <= MESSAGE
        for e in payload.get("embeds") or []:
            assert not _embed_problems(discord.Embed.from_dict(e))


# -- 2. mention and markdown injection ------------------------------------------------------------------


@pytest.mark.embedding
async def test_injection_in_the_question_pings_nobody(engine, outgoing, wire):
    async with running_bot(engine, make_settings()) as b:
        await dpytest.message(f"!ask {INJECTION}")
        await dpytest.message(f"<@{b.user.id}> {INJECTION}")
        b.settings.qa_channels = [dpytest.get_config().channels[0].id]
        await dpytest.message(INJECTION)
        replies = _drain()
    assert len(replies) == 3 and len(outgoing) == 3
    assert all(r.embeds and "went wrong" not in (r.content or "") for r in replies)
    assert "@everyone" in replies[0].embeds[0].title  # echoed as text…
    _assert_pings_nobody(outgoing)  # …but nobody is pinged
    _assert_wire_pings_nobody(wire)  # not even after discord.py merges the bot's defaults
    _assert_within_limits(outgoing)


@pytest.mark.embedding
async def test_injection_in_a_slash_question_pings_nobody(engine, slash, make_member, payloads):
    async with running_bot(engine, make_settings()) as b:
        cog = b.get_cog("Posts")
        ctx, interaction = slash(b, "ask", make_member())
        await cog.ask.callback(cog, ctx, question=INJECTION)
    sent = payloads(interaction)
    assert len(sent) == 1 and sent[0]["embed"].description
    _assert_pings_nobody(sent)


@pytest.mark.embedding
async def test_a_cited_post_full_of_mentions_pings_nobody(engine, outgoing, wire):
    async with running_bot(engine, make_settings()) as b:
        await dpytest.message("!ask what did Lei Jun say about YU7 @everyone check this?")
        await dpytest.message(f"<@{b.user.id}> YU7 @everyone check this <@&42>")
        replies = _drain()
    assert len(replies) == 2
    for msg in replies:
        sources = "\n".join(f.value for f in msg.embeds[0].fields if f.name.startswith("Sources"))
        cited = [line for line in sources.splitlines() if HOSTILE_ID in line]
        assert cited, sources  # the hostile post is cited…
        assert "@everyone" in cited[0]  # …with its text, mentions and all
    _assert_pings_nobody(outgoing)
    _assert_wire_pings_nobody(wire)
    _assert_within_limits(outgoing)


# -- 3. a user hammering commands -----------------------------------------------------------------------


async def test_the_fourth_command_in_the_window_gets_a_polite_cooldown(engine, outgoing):
    settings = make_settings(EXECBOT_COOLDOWN_RATE=3, EXECBOT_COOLDOWN_PER=60)
    async with running_bot(engine, settings):
        for _ in range(3):
            await dpytest.message("!stats")
            assert dpytest.get_embed().title == "What the index holds"
        with pytest.raises(commands.CommandOnCooldown):  # dpytest re-raises after the handler ran
            await dpytest.message("!stats")
        slow = dpytest.get_message()
        assert slow.content.startswith("Slow down a little: try again in ")
        assert not slow.embeds and "Traceback" not in slow.content
        assert dpytest.verify().message().nothing()
        other = await dpytest.member_join()
        await dpytest.message("!stats", member=other)  # someone else is not slowed down
        assert dpytest.get_embed().title == "What the index holds"
    _assert_pings_nobody(outgoing)


@pytest.mark.embedding
async def test_the_qa_channel_rate_limits_too(engine, outgoing):
    settings = make_settings(EXECBOT_COOLDOWN_RATE=3, EXECBOT_COOLDOWN_PER=60)
    async with running_bot(engine, settings) as b:
        b.settings.qa_channels = [dpytest.get_config().channels[0].id]
        for _ in range(3):
            await dpytest.message("what did Lei Jun say about YU7?")
            assert "YU7" in dpytest.get_embed().description
        await dpytest.message("what did Lei Jun say about YU7?")
        slow = dpytest.get_message()
        assert slow.content.startswith("Slow down a little: try again in ") and not slow.embeds
        assert dpytest.verify().message().nothing()
        other = await dpytest.member_join()
        await dpytest.message("what did Lei Jun say about YU7?", member=other)
        assert "YU7" in dpytest.get_embed().description
    _assert_pings_nobody(outgoing)


# -- 4. the token never leaks ---------------------------------------------------------------------------


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if all(r is not record for r in self.records):
            self.records.append(record)

    def text(self) -> str:
        # The formatted line with any traceback, plus the raw record (args, extras) for good measure.
        return "\n".join(f"{self.format(r)}\n{r.__dict__!r}" for r in self.records)


@pytest.mark.embedding
async def test_the_token_never_reaches_the_logs(engine, monkeypatch):
    cap = _Capture()
    loggers = [logging.getLogger(n) for n in ("discord", "bot", "execbot", "")]
    old = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(cap)
    try:
        settings = make_settings(DISCORD_TOKEN=FAKE_TOKEN)
        async with running_bot(engine, settings) as b:
            for text in ("!help", "!stats", "!top week", "!ask what did Lei Jun say about YU7?",
                         f"<@{b.user.id}> what did Lei Jun say about YU7?"):
                await dpytest.message(text)

            async def boom():
                raise RuntimeError("kaboom inside a command")

            monkeypatch.setattr(engine, "stats", boom)
            with pytest.raises(commands.CommandInvokeError):
                await dpytest.message("!stats")
            sent = _drain()
            logging.getLogger("bot").info("settings at shutdown: %r / %s", b.settings, b.settings)
    finally:
        for lg, level in old:
            lg.removeHandler(cap)
            lg.setLevel(level)
    logged = cap.text()
    # The capture really saw the run: discord.py's debug chatter, the extension loads and the traceback.
    assert any(r.name.startswith("discord") for r in cap.records)
    assert "unhandled error in stats" in logged and "Traceback" in logged and "kaboom inside a command" in logged
    assert settings.token.get_secret_value() == FAKE_TOKEN
    for secret in (FAKE_TOKEN, FAKE_TOKEN[:12]):
        assert secret not in logged
        assert secret not in repr(settings) and secret not in str(settings)
        assert all(secret not in (m.content or "") for m in sent)


def _run_cli(tmp_path: Path, code: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "EXECBOT_"))}
    env.update(DISCORD_TOKEN=FAKE_TOKEN, EXECBOT_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    exe = Path(sys.executable).with_name("execbot")
    cmd = [str(exe), "run"] if code is None else [sys.executable, "-c", code]
    return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=20)


def test_execbot_run_with_a_fake_token_fails_without_printing_it(tmp_path):
    # No network here: login fails on DNS; with network, Discord answers 401 (LoginFailure). Either way…
    proc = _run_cli(tmp_path)
    assert proc.returncode != 0
    for secret in (FAKE_TOKEN, FAKE_TOKEN[:12]):
        assert secret not in proc.stdout and secret not in proc.stderr


# `execbot run` with no network behind it, made deterministic: name resolution fails in the child.
_NO_NETWORK = """
import socket, sys
def _fail(*args, **kwargs):
    raise socket.gaierror(-2, "Name or service not known")
socket.getaddrinfo = _fail
from bot.cli import main
sys.exit(main(["run"]))
"""


def test_execbot_run_without_network_exits_with_a_short_message(tmp_path):
    proc = _run_cli(tmp_path, _NO_NETWORK)
    assert proc.returncode != 0
    assert FAKE_TOKEN not in proc.stderr and FAKE_TOKEN[:12] not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if "PyNaCl" not in line and "davey" not in line]
    assert "Traceback" not in proc.stderr
    assert len(errors) <= 2 and errors and errors[-1].startswith("error:"), proc.stderr
