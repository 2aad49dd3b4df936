"""Admin commands: reingest, sources (Manage Server or an admin role), sync (owner)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.app import ExecBot


async def setup(bot: ExecBot) -> None:
    from bot.exts.admin._cog import Admin

    await bot.add_cog(Admin(bot))
