"""Background loops for cogs: one place for the "log it and try again next tick" rule."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from discord.ext import tasks

log = logging.getLogger(__name__)


class _HasBot(Protocol):
    bot: Any


def background(what: str, *, seconds: float = 0, minutes: float = 0) -> Callable[[Callable[[Any], Awaitable[object]]], tasks.Loop]:
    """A `tasks.loop` for a cog method that never dies: a failure is logged (never shown to a user) and
    the next tick tries again; the first tick waits until the bot is connected. A cog may still call
    `change_interval` before `start`."""

    def wrap(fn: Callable[[Any], Awaitable[object]]) -> tasks.Loop:
        @functools.wraps(fn)
        async def tick(cog: _HasBot) -> None:
            try:
                await fn(cog)
            except Exception:  # a bad tick must not stop the loop; tasks.loop would end it otherwise
                log.exception("%s failed; the next tick tries again", what)

        loop = tasks.loop(seconds=seconds, minutes=minutes)(tick)

        @loop.before_loop
        async def _wait_ready(cog: _HasBot) -> None:
            await cog.bot.wait_until_ready()

        return loop

    return wrap
