"""Follows: a channel follows an executive and gets each new post once, as it is ingested."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import ExecBot


async def setup(bot: ExecBot) -> None:
    from bot.exts.follows._cog import Follows

    await bot.add_cog(Follows(bot))
