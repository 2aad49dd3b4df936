"""Schedules: ingest the configured sources every N minutes; post the weekly digest."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import ExecBot


async def setup(bot: ExecBot) -> None:
    from bot.exts.schedule._cog import Schedule

    await bot.add_cog(Schedule(bot))
