"""Shared fixtures: one real index of data/sample per session; a dpytest-driven bot per test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from unittest.mock import AsyncMock, MagicMock

import discord
import discord.ext.test as dpytest
import discord.ext.test.backend as dpytest_backend
import pytest
import pytest_asyncio
from discord.ext import commands

from bot.app import ExecBot, create_bot
from bot.settings import BotSettings
from retrieval.engine import Engine
from retrieval.settings import RetrievalSettings
from retrieval.store.index import Index

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
NOW = "2025-06-02"


@pytest.fixture(scope="session")
def index_settings(sample_settings: RetrievalSettings) -> RetrievalSettings:
    """The session's one real index of the sample data (tests/conftest.py), its clock pinned to NOW."""
    assert sample_settings.clock().date().isoformat() == NOW
    return sample_settings


@pytest_asyncio.fixture
async def engine(index_settings: RetrievalSettings) -> AsyncIterator[Engine]:
    async with Index(index_settings) as index:
        eng = Engine(index=index)
        await eng.store.conn.execute("CREATE TABLE IF NOT EXISTS bot_state (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at INTEGER NOT NULL)")
        await eng.store.conn.execute("DELETE FROM bot_state")  # each test starts with no digest history
        await eng.store.conn.commit()
        yield eng


def make_settings(**overrides: Any) -> BotSettings:
    # No .env and a generous cooldown: tests send many commands from one user.
    values: dict[str, Any] = {"DISCORD_TOKEN": None, "EXECBOT_COOLDOWN_RATE": 1000, "EXECBOT_COOLDOWN_PER": 1.0}
    values.update(overrides)
    return BotSettings(_env_file=None, **values)


@pytest.fixture
def bot_settings() -> BotSettings:
    return make_settings()


@pytest_asyncio.fixture
async def bot(engine: Engine, bot_settings: BotSettings) -> AsyncIterator[ExecBot]:
    intents = discord.Intents.default()
    intents.members = True  # dpytest's fake members need the member cache
    intents.message_content = True
    b = create_bot(bot_settings, engine, intents=intents)
    await b._async_setup_hook()
    await b.setup_hook()
    dpytest.configure(b)
    # dpytest's FakeState passes its loop to ConnectionState, which (discord.py 2.7) ignores it and
    # leaves MISSING: `async with ctx.typing()` would fail. Give it the running loop.
    dpytest_backend.get_state().loop = asyncio.get_running_loop()
    yield b
    await dpytest.empty_queue()
    for name in list(b.extensions):
        await b.unload_extension(name)


@pytest.fixture(autouse=True, scope="session")
def _no_dpytest_files() -> Any:
    """dpytest writes attachments to ./dpytest_N.dat; clean them up."""
    yield
    for folder in {Path.cwd(), ROOT}:
        for f in folder.glob("dpytest_*.dat"):
            f.unlink(missing_ok=True)


class FakeResponse:
    """Just enough of discord.InteractionResponse: defer/send_message mark it done."""

    def __init__(self) -> None:
        self.done = False
        self.send_message = AsyncMock(side_effect=self._mark)
        self.defer = AsyncMock(side_effect=self._mark)
        self.edit_message = AsyncMock()

    async def _mark(self, *args: Any, **kwargs: Any) -> Any:
        self.done = True
        return MagicMock(resource=None)  # not an InteractionMessage: discord.py fetches original_response()

    def is_done(self) -> bool:
        return self.done


def member(user_id: int = 1111, manage_guild: bool = False, role_ids: tuple[int, ...] = ()) -> MagicMock:
    m = MagicMock(spec=discord.Member)
    m.id = user_id
    m.bot = False
    m.guild_permissions = discord.Permissions(manage_guild=manage_guild)
    roles = []
    for rid in role_ids:
        r = MagicMock(spec=discord.Role)
        r.id = rid
        roles.append(r)
    m.roles = roles
    return m


def slash_context(bot: commands.Bot, command_name: str, user: Any) -> tuple[commands.Context, MagicMock]:
    """A Context for a slash invocation: a MagicMock(spec=discord.Interaction) with async response/followup."""
    interaction = MagicMock(spec=discord.Interaction)
    interaction.response = FakeResponse()
    sent = MagicMock(spec=discord.WebhookMessage)
    sent.edit = AsyncMock()
    interaction.followup = MagicMock()
    interaction.followup.send = AsyncMock(return_value=sent)
    interaction.original_response = AsyncMock(return_value=sent)
    interaction.is_expired = MagicMock(return_value=False)
    interaction.user = user
    interaction.client = bot
    message = MagicMock(spec=discord.Message)
    message.author = user
    message.guild = MagicMock(spec=discord.Guild)
    message.channel = MagicMock(spec=discord.TextChannel)
    ctx = commands.Context(message=message, bot=bot, view=None, interaction=interaction,  # type: ignore[arg-type]
                           command=bot.get_command(command_name), prefix="/")
    return ctx, interaction


def sent_kwargs(interaction: MagicMock) -> list[dict[str, Any]]:
    """Every payload the slash command sent (first response and follow-ups), in order."""
    calls = [*interaction.response.send_message.call_args_list, *interaction.followup.send.call_args_list]
    out = []
    for c in calls:
        kw = dict(c.kwargs)
        if c.args:
            kw["content"] = c.args[0]
        out.append(kw)
    return out


@pytest.fixture
def slash() -> Any:
    """slash(bot, command_name, user) -> (ctx, interaction); see slash_context."""
    return slash_context


@pytest.fixture
def make_member() -> Any:
    return member


@pytest.fixture
def payloads() -> Any:
    return sent_kwargs


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The JSON payloads of messages the bot sends, as Discord would receive them. dpytest drops the
    embeds of a message that has files (they travel as multipart), so tests read them here."""
    import json

    seen: list[dict[str, Any]] = []
    real = discord.abc.handle_message_parameters

    def spy(*args: Any, **kwargs: Any) -> Any:
        params = real(*args, **kwargs)
        if params.payload is not None:
            seen.append(dict(params.payload))
        else:
            payload = json.loads(next(p["value"] for p in params.multipart if p["name"] == "payload_json"))
            payload["filenames"] = [f.filename for f in params.files or []]
            seen.append(payload)
        return params

    monkeypatch.setattr(discord.abc, "handle_message_parameters", spy)
    return seen
