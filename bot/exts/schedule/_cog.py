"""Scheduled work with discord.ext.tasks: periodic ingest and the weekly digest."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from discord.ext import commands

from bot.exts.schedule._digest import digest_tick
from bot.exts.schedule._state import BotState
from bot.loops import background
from bot.reingest import report_text, run_ingest
from ingest.lock import LockedError
from ingest.settings import IngestSettings

if TYPE_CHECKING:
    from bot.app import ExecBot

log = logging.getLogger(__name__)

DIGEST_CHECK_MINUTES = 5


class Schedule(commands.Cog):
    def __init__(self, bot: ExecBot) -> None:
        self.bot = bot
        self.state = BotState(bot.engine.store.conn)

    async def cog_load(self) -> None:
        await self.state.ensure()
        s = self.bot.settings
        if s.ingest_every_minutes > 0:
            self.ingest_loop.change_interval(minutes=s.ingest_every_minutes)
            self.ingest_loop.start()
        if s.digest_channel_id:
            self.digest_loop.start()

    async def cog_unload(self) -> None:
        self.ingest_loop.cancel()
        self.digest_loop.cancel()

    # -- ingest -------------------------------------------------------------------------------

    async def ingest_once(self) -> str:
        lock = self.bot.ingest_lock
        if lock.locked():
            return "busy"  # a /reingest or a handed-over `execbot ingest` is running; the next tick catches up
        async with lock:
            try:
                report = await run_ingest(self.bot.engine.index, IngestSettings().sources)
            except LockedError:
                log.info("scheduled ingest skipped: another process is writing the index")
                return "locked"
        await self.bot.engine.registry(refresh=True)
        log.info("scheduled ingest: %s", report_text(report))
        self.bot.dispatch("execbot_ingest", report)  # followers hear of the new posts now, not at the next poll
        return "done"

    @background("scheduled ingest", minutes=60)
    async def ingest_loop(self) -> None:
        await self.ingest_once()

    # -- digest -------------------------------------------------------------------------------

    async def digest_once(self, now: datetime | None = None) -> str:
        s = self.bot.settings
        if not s.digest_channel_id:
            return "off"
        channel = self.bot.get_channel(s.digest_channel_id) or await self.bot.fetch_channel(s.digest_channel_id)
        me = self.bot.user
        return await digest_tick(
            self.bot.engine, self.state, channel, now=now or datetime.now(UTC), weekday=s.digest_weekday_index,
            hour=s.digest_hour, tz=s.digest_tz, me_id=me.id if me else None,
        )

    @background("weekly digest", minutes=DIGEST_CHECK_MINUTES)
    async def digest_loop(self) -> None:
        await self.digest_once()
