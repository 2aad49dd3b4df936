"""User commands: top, summary, ask, stats, help, and plain questions (mentions, Q&A channels)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import ExecBot


async def setup(bot: ExecBot) -> None:
    from bot.exts.posts._cog import Posts

    await bot.add_cog(Posts(bot))
