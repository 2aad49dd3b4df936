"""Run-time admin check, shared by every extension with admin commands: `default_permissions` is only a
hint that server admins can change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from discord.ext import commands


class NotAdmin(commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__("Only members with **Manage Server** or an admin role can do that.")


def is_admin_member(member: Any, admin_role_ids: Iterable[int]) -> bool:
    perms = getattr(member, "guild_permissions", None)
    if perms is not None and (perms.manage_guild or perms.administrator):
        return True
    roles = {r.id for r in getattr(member, "roles", None) or []}
    return bool(roles & set(admin_role_ids))


async def admin_check(ctx: commands.Context) -> bool:
    if ctx.guild is None:
        raise commands.NoPrivateMessage()
    if is_admin_member(ctx.author, ctx.bot.settings.admin_role_ids):
        return True
    raise NotAdmin()


def admin_only():  # noqa: ANN201 - a discord.py check decorator
    return commands.check(admin_check)
