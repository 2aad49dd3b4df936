"""The weekly digest, posted exactly once per week across restarts.

State (bot_state): `digest:done` = ISO week of the last digest posted ("2025-W22");
`digest:posting` = the week being posted right now, with the time the attempt started.

A tick: find the latest due slot (weekday + hour in the digest time zone) and the week it
digests (the calendar week before the slot). If that week is done, stop. Otherwise claim the
marker atomically (fails if another instance holds a fresh one), post, then record done and
drop the marker in one transaction.

A crash between posting and recording leaves a marker behind. After STALE_AFTER it is taken as
a failed attempt, but before posting again the channel's recent history is searched for our own
digest of that week (its footer carries the key): found -> just record it; not found (or the
history can't be read) -> post. So a digest is never skipped, and a repeat needs a crash in the
milliseconds between send and commit plus an unreadable history. Only the latest slot is posted:
a bot that was down for several weeks posts the most recent digest, not a backlog.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.exts.schedule._state import BotState
from bot.render import NONE
from bot.replies import summary_reply

log = logging.getLogger(__name__)

DONE = "digest:done"
POSTING = "digest:posting"
STALE_AFTER = timedelta(minutes=15)  # a posting attempt older than this has died
HISTORY_LIMIT = 50
FOOTER = "execbot weekly digest · {key}"


def latest_slot(now: datetime, weekday: int, hour: int, tz: ZoneInfo) -> datetime:
    """The most recent `weekday` at `hour`:00 in tz that is not after `now`."""
    local = now.astimezone(tz)
    day = local.date() - timedelta(days=(local.weekday() - weekday) % 7)
    slot = datetime.combine(day, time(hour), tzinfo=tz)
    return slot - timedelta(days=7) if slot > local else slot


def week_key(slot: datetime) -> str:
    """The ISO week the digest at `slot` covers: the calendar week before the slot's."""
    year, week, _ = (slot.date() - timedelta(days=7)).isocalendar()
    return f"{year}-W{week:02d}"


async def _already_posted(channel: Any, key: str, me_id: int | None) -> bool:
    marker = FOOTER.format(key=key)
    try:
        async for msg in channel.history(limit=HISTORY_LIMIT):
            if me_id is not None and msg.author.id != me_id:
                continue
            if any(marker in (e.footer.text or "") for e in msg.embeds):
                return True
    except Exception:  # no Read Message History, or Discord is down: post rather than skip
        log.warning("could not read the digest channel's history", exc_info=True)
    return False


async def digest_tick(engine: Any, state: BotState, channel: Any, *, now: datetime, weekday: int, hour: int,
                      tz: ZoneInfo, me_id: int | None) -> str:
    """One scheduler tick. Returns what happened: already-done, busy, recovered or posted."""
    slot = latest_slot(now, weekday, hour, tz)
    key = week_key(slot)
    ts = int(now.timestamp())
    done = await state.get(DONE)
    if done and done[0] >= key:
        return "already-done"
    marker = await state.get(POSTING)
    stale_before = int((now - STALE_AFTER).timestamp())
    if marker and marker[0] == key and marker[1] < stale_before and await _already_posted(channel, key, me_id):
        await state.finish(POSTING, DONE, key, ts)
        log.info("digest %s was posted before a crash; recorded it", key)
        return "recovered"
    if not await state.claim(POSTING, DONE, key, ts, stale_before):
        return "busy"
    try:
        # "last week" as seen at the slot, so a late run (after downtime) digests the right week.
        reply = await summary_reply(engine, "last week", footer=FOOTER.format(key=key), now=slot.astimezone(UTC))
        import discord

        kwargs: dict[str, Any] = {"embed": reply.pages[0], "allowed_mentions": NONE}
        if reply.file:
            import io

            kwargs["file"] = discord.File(io.BytesIO(reply.file[1]), filename=reply.file[0])
        await channel.send(**kwargs)
    except BaseException:
        await state.delete(POSTING, key)  # nothing went out: let the next tick try again
        raise
    await state.finish(POSTING, DONE, key, ts)
    log.info("posted the weekly digest %s", key)
    return "posted"
