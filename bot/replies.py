"""What the user commands do, as plain async functions over the engine returning a `Reply`.

The cogs (Discord, `!name` and `/name`) and `execbot chat` (the console) both call these, with the
same argument splitting, so the console answers exactly what Discord would.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

from bot.conversation import Scope
from bot.errors import UnknownPeriod, UserFacingError
from bot.feedback import answer_record
from bot.render import CHART_NAME, Reply, answer_embed, message_embed, stats_embed, summary_embed, top_pages
from retrieval.engine import Engine
from retrieval.models import METRICS
from retrieval.query.timeparse import PeriodError

BY_CHOICES = METRICS  # what `top` can rank by: retrieval.models.Metric
TOP_N = 10
MAX_QUESTION = 500

# (usage, what it does): the help command and the console share it.
COMMAND_HELP: list[tuple[str, str]] = [
    ("top [period] [by]", "Most engaging posts of a period (default: week), by engagement, likes, shares or comments."),
    ("summary [period] [executive]", "A digest of a period (default: last week) with a chart."),
    ("ask <question>", "Answer a question from the posts, with [n] citations."),
    ("stats", "What the index holds."),
    ("sources", "The configured sources (admins)."),
    ("reingest [source]", "Re-read the configured sources, or one of them (admins)."),
    ("help", "This message."),
]


def split_top_args(text: str | None, by: str | None = None) -> tuple[str, str]:
    """'last week likes' / 'by shares' / '上周' -> (period, by). A trailing ranking word is `by`."""
    words = (text or "").split()
    if by is None and words and words[-1].lower() in BY_CHOICES:
        by = words.pop().lower()
        if words and words[-1].lower() == "by":
            words.pop()
    return " ".join(words) or "week", by or "engagement"


async def split_summary_args(engine: Engine, text: str | None, executive: str | None = None) -> tuple[str, str | None]:
    """'last week Lei Jun' / '雷军 上周' / 'leijun' -> (period, executive): a known executive name,
    alias or key at either end of the text is the executive, the rest is the period."""
    text = (text or "").strip()
    if executive is None and text:
        reg = await engine.registry()
        candidates = sorted({n for ex in reg.executives.values() for n in (ex.key, *ex.all_names()) if n},
                            key=len, reverse=True)
        low = text.lower()
        for name in candidates:
            n = name.lower()
            if low == n:
                return "last week", name
            if low.endswith(n) and (low[-len(n) - 1] in " ,:" or not n.isascii()):
                return text[: -len(n)].strip(" ,:") or "last week", name
            if low.startswith(n) and (low[len(n)] in " ,:" or not n.isascii()):
                return text[len(n):].strip(" ,:") or "last week", name
    return text or "last week", executive


async def top_reply(engine: Engine, period: str | None = "week", by: str = "engagement",
                    author: str | None = None, n: int = TOP_N) -> Reply:
    if by not in BY_CHOICES:
        raise UserFacingError(f"I can rank by {', '.join(BY_CHOICES)}, not '{by}'.")
    try:
        res = await engine.top(period or "week", n=n, by=by, author=author)
    except PeriodError:
        raise UnknownPeriod(period or "") from None
    return Reply(pages=top_pages(res, await engine.names(), engine.settings.tz))


async def summary_reply(engine: Engine, period: str | None = "last week", executive: str | None = None,
                        chart: bool = True, footer: str = "", now: datetime | None = None) -> Reply:
    with tempfile.TemporaryDirectory(prefix="execbot-chart-") as tmp:
        path = Path(tmp) / CHART_NAME
        try:
            s = await engine.summary(period or "last week", author=executive, chart=path if chart else None,
                                       now=now)
        except PeriodError:
            raise UnknownPeriod(period or "") from None
        # Read the PNG now: the temp dir goes away with this block, the bytes go with the reply.
        png = await asyncio.to_thread(path.read_bytes) if chart and s.posts and path.exists() else None
    embed = summary_embed(s, await engine.names(), engine.settings.tz, chart_name=CHART_NAME if png else None)
    if footer:
        embed.set_footer(text=footer)
    return Reply(pages=[embed], file=(CHART_NAME, png) if png else None)


async def ask_reply(engine: Engine, question: str,
                    on_delta: Callable[[str], Awaitable[None]] | None = None, scope: Scope | None = None) -> Reply:
    """`on_delta` receives a generated answer's text as it streams (ANSWER_BACKEND=openai). `scope`
    carries a follow-up's inherited executive and period (bot.conversation)."""
    question = question.strip()
    if not question:
        raise UserFacingError("Ask me something, e.g. `what did Lei Jun say about YU7?`")
    sc = scope or Scope()
    answer = await engine.ask(question[:MAX_QUESTION], on_delta=on_delta, author=sc.author, since=sc.since,
                              until=sc.until)
    return Reply(pages=[answer_embed(answer, await engine.names(), engine.settings.tz)],
                 record=answer_record(answer, engine))


async def stats_reply(engine: Engine) -> Reply:
    return Reply(pages=[stats_embed(await engine.stats(), await engine.names(), engine.settings.tz)])


def help_reply(prefix: str = "!", qa_hint: bool = True) -> Reply:
    lines = [f"`{prefix}{usage}` (or `/{usage.split()[0]}`): {what}" for usage, what in COMMAND_HELP]
    if qa_hint:
        lines.append("\n@mention me with a question, or write in a Q&A channel, and I'll answer it like `ask`.")
    lines.append("Periods: day, week, month, last week, 上周, May, 2025-05-26..2025-06-01.")
    return Reply(pages=[message_embed("\n".join(lines), "execbot: what executives say online")])
