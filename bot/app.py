"""The bot factory: an ExecBot (or its auto-sharded twin) that owns one Engine and loads the extensions."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable

import aiohttp
import discord
from discord.ext import commands

from bot.exts import EXTENSIONS
from bot.settings import BotSettings
from ingest.handoff import HandoffServer
from retrieval.engine import Engine

log = logging.getLogger("bot")

NO_TOKEN = ("error: DISCORD_TOKEN is not set; put the bot token in .env or the environment "
            "(or try execbot locally, with no Discord, by running `execbot chat`)")


def intents() -> discord.Intents:
    i = discord.Intents.default()
    i.message_content = True  # privileged: needed for `!top week` and plain questions
    return i


class ExecBotMixin:
    """What both bot classes share: settings, the engine, the ingest lock, extension loading, and (on an
    embedded store) serving the jobs `execbot ingest` hands over."""

    def __init__(self, settings: BotSettings, engine: Engine | None = None,
                 extensions: Iterable[str] = EXTENSIONS, handoff: bool | None = None, **kwargs: object) -> None:
        super().__init__(  # type: ignore[call-arg]
            command_prefix=settings.prefix, intents=kwargs.pop("intents", None) or intents(),
            help_command=None, allowed_mentions=discord.AllowedMentions.none(),
            case_insensitive=True, **kwargs,
        )
        self.settings = settings
        # The engine loads its embedding model lazily, on the first question: start-up stays fast.
        self.engine = engine or Engine()
        self._own_engine = engine is None
        self._engine_open = False
        self.extension_names = tuple(extensions)
        # One ingest at a time in this process: /reingest, the schedule and the jobs `execbot ingest`
        # hands over share it; the pipeline's file lock covers other processes.
        self.ingest_lock = asyncio.Lock()
        # Serve `execbot ingest` jobs (ingest.handoff): by default when the bot owns its engine, i.e. in
        # production; a test that injects an engine asks for it explicitly.
        self._serve_handoff = engine is None if handoff is None else handoff
        self.handoff: HandoffServer | None = None
        self._warm_up: asyncio.Task | None = None

    async def setup_hook(self) -> None:
        if self._own_engine and not self._engine_open:
            await self.engine.open()
            self._engine_open = True
        if self._serve_handoff and self.handoff is None:
            from bot.reingest import serve_handoff

            # Before anything reads vectors: this waits for an ingest that another process started first.
            self.handoff = await serve_handoff(
                self.engine, self.ingest_lock, lambda report: self.dispatch("execbot_ingest", report))  # type: ignore[attr-defined]
        for ext in self.extension_names:
            await self.load_extension(ext)  # type: ignore[attr-defined]
        if self.settings.sync_guild_id:
            guild = discord.Object(self.settings.sync_guild_id)
            self.tree.copy_global_to(guild=guild)  # type: ignore[attr-defined]
            synced = await self.tree.sync(guild=guild)  # type: ignore[attr-defined]
            log.info("synced %d slash commands to guild %s", len(synced), self.settings.sync_guild_id)

    async def on_ready(self) -> None:
        user = self.user  # type: ignore[attr-defined]
        log.info("ready as %s (id %s) in %d guilds", user, getattr(user, "id", "?"), len(self.guilds))  # type: ignore[attr-defined]
        if self._warm_up is None:  # on_ready fires again after every reconnect
            self._warm_up = asyncio.create_task(self._warm_up_engine())

    async def _warm_up_engine(self) -> None:
        try:
            await self.engine.warm_up()
        except Exception:  # a failed warm-up only means the first question loads the model itself
            log.warning("could not warm up the embedding model", exc_info=True)

    async def close(self) -> None:
        try:
            await super().close()  # type: ignore[misc]
        finally:
            if self.handoff is not None:  # running jobs stop first: they use the engine's index
                await self.handoff.close()
                self.handoff = None
            if self._own_engine and self._engine_open:
                await self.engine.close()
                self._engine_open = False


class ExecBot(ExecBotMixin, commands.Bot):
    pass


class ShardedExecBot(ExecBotMixin, commands.AutoShardedBot):
    pass


def create_bot(settings: BotSettings | None = None, engine: Engine | None = None,
               extensions: Iterable[str] = EXTENSIONS, handoff: bool | None = None,
               **kwargs: object) -> ExecBot | ShardedExecBot:
    settings = settings or BotSettings()
    cls = ShardedExecBot if settings.autoshard else ExecBot
    return cls(settings, engine, extensions, handoff, **kwargs)


def run_bot(settings: BotSettings | None = None) -> int:
    """`execbot run`: log in with DISCORD_TOKEN and serve until stopped."""
    settings = settings or BotSettings()
    if settings.token is None or not settings.token.get_secret_value().strip():
        print(NO_TOKEN, file=sys.stderr)
        return 2
    bot = create_bot(settings)
    # repr(settings) shows the token as '**********' (SecretStr); the value goes to discord.py only.
    log.info("starting execbot (%s): %r", type(bot).__name__, settings)
    try:
        bot.run(settings.token.get_secret_value(), log_handler=None)
    except discord.LoginFailure:
        print("error: Discord rejected DISCORD_TOKEN (check the token in the Developer Portal)", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print("error: enable the Message Content intent for the bot in the Developer Portal", file=sys.stderr)
        return 1
    except (aiohttp.ClientError, OSError) as exc:
        # Not the exception's text: it may quote the request; never a traceback for a network problem.
        print(f"error: could not reach Discord ({type(exc).__name__}); check the network and try again",
              file=sys.stderr)
        return 1
    return 0
