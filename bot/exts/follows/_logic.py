"""One round of a follow: find the posts that are new to it, post each once, cap the flood.

Exactly once, across restarts and crashes: a post is marked 'sending' before it goes out and 'sent'
after; a 'sending' left by a crash is looked up in the channel's recent history (each announcement's
footer names its post) before anything is sent again. The watermark (docs.id) moves only when a round
is complete, and the rows it covers are dropped with it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.exts.follows._state import Follow, FollowState
from bot.render import NONE, post_embed
from retrieval.models import Hit
from retrieval.store.sqlite import HIT_COLUMNS, HIT_WIDTH, row_to_hit

log = logging.getLogger(__name__)

MARKER = "execbot follow · "  # + the post's uid, in the announcement's footer
HISTORY = 100  # messages of the channel searched for a crashed round's announcement


@dataclass
class Round:
    sent: int = 0
    recovered: int = 0
    more: int = 0  # new posts beyond the cap, counted in one line


def marker(uid: str) -> str:
    return MARKER + uid


def matches(hit: Hit, keywords: Iterable[str], min_engagement: int) -> bool:
    """A follow's filters: engagement at least the minimum; any keyword (or one of its
    translations, already added by the caller) in the text, case-insensitively."""
    if hit.engagement < min_engagement:
        return False
    words = [k.lower() for k in keywords if k.strip()]
    text = f"{hit.title}\n{hit.text}".lower()
    return not words or any(w in text for w in words)


async def new_posts(conn: Any, f: Follow) -> list[tuple[int, Hit]]:
    """(docs.id, hit) of the executive's posts that arrived after the watermark and were published
    after the follow began, oldest arrival first."""
    async with conn.execute(
        f"SELECT {HIT_COLUMNS}, id FROM docs WHERE kind = 'post' AND executive = ? AND id > ? "
        "AND published_at >= ? ORDER BY id", (f.executive, f.watermark, f.created_at)) as cur:
        rows = await cur.fetchall()
    return [(int(r[HIT_WIDTH]), row_to_hit(r)) for r in rows]


async def _in_history(channel: Any, uid: str, me_id: int | None) -> bool:
    want = marker(uid)
    async for msg in channel.history(limit=HISTORY):
        if me_id is not None and getattr(msg.author, "id", None) != me_id:
            continue
        if any(want in ((e.footer.text if e.footer else "") or "") for e in msg.embeds):
            return True
    return False


async def run_round(state: FollowState, conn: Any, f: Follow, channel: Any, *, names: dict[str, str],
                    tz: Any, cap: int, keywords: Iterable[str], now: int, me_id: int | None) -> Round:
    """Announce what is new to one follow in one channel. `keywords` = the follow's keywords plus
    their translations."""
    out = Round()
    handled = await state.handled(f)
    # A crash between sending and recording: the channel says whether it went out.
    for uid, st in handled.items():
        if st == "sending":
            if await _in_history(channel, uid, me_id):
                async with conn.execute("SELECT id FROM docs WHERE uid = ?", (uid,)) as cur:
                    row = await cur.fetchone()
                await state.mark(f, [(uid, int(row[0]) if row else 0)], "sent", now)
                handled[uid] = "sent"
                out.recovered += 1
            else:
                await state.forget(f, uid)
                del handled[uid]
    fresh = await new_posts(conn, f)
    if not fresh:
        return out
    kws = list(keywords)
    todo = [(i, h) for i, h in fresh if h.uid not in handled and matches(h, kws, f.min_engagement)]
    for doc_id, hit in todo[:cap]:
        await state.mark(f, [(hit.uid, doc_id)], "sending", now)
        embed = post_embed(hit, names, tz, footer=marker(hit.uid))
        await channel.send(embed=embed, allowed_mentions=NONE)
        await state.mark(f, [(hit.uid, doc_id)], "sent", now)
        out.sent += 1
    rest = todo[cap:]
    if rest:
        await state.mark(f, [(h.uid, i) for i, h in rest], "skipped", now)
        who = names.get(f.executive, f.executive)
        await channel.send(f"…and {len(rest):,} more new posts from {who}. See `/top` for the most engaging ones.",
                           allowed_mentions=NONE)
        out.more = len(rest)
    await state.advance(f, max(i for i, _ in fresh))
    return out
