"""The global error handler: users get a friendly message, the log gets the traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import ExecBot


async def setup(bot: ExecBot) -> None:
    from bot.exts.errors._handler import ErrorHandler

    await bot.add_cog(ErrorHandler(bot))
