"""`execbot chat`: the bot on a console, no Discord needed.

A line is routed like a Discord message: "!top week" or "/top week" runs the command, a plain line is a
question (as if it @mentioned the bot). Commands run the same `bot.replies` functions with the same argument
splitting as the cogs, and errors get the same friendly messages; replies (embeds) print as text.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING

from bot import replies
from bot.conversation import Conversations, scope_for
from bot.errors import INTERNAL, friendly
from bot.reingest import (
    BUSY,
    describe_sources,
    reingest_with_progress,
    resolve_sources,
    serve_handoff,
)
from bot.render import Reply

if TYPE_CHECKING:
    from bot.settings import BotSettings
    from retrieval.settings import RetrievalSettings

log = logging.getLogger("bot.chat")

CONSOLE = "console"  # the console's one conversation
DEMO_LINES = ["!top week", "what did Lei Jun say about YU7?", "!summary last week"]
GREETING = ("execbot chat: the Discord bot, locally. Try `!top week`, `!summary last week`, `!help`, "
            "or just ask a question. Ctrl-D or `quit` to leave.")

Handler = Callable[..., Awaitable[Reply | str]]


async def _top(engine, rest: str, prefix: str, out: Callable[[str], None]) -> Reply:  # noqa: ANN001
    period, by = replies.split_top_args(rest)
    return await replies.top_reply(engine, period, by)


async def _summary(engine, rest: str, prefix: str, out: Callable[[str], None]) -> Reply:  # noqa: ANN001
    period, executive = await replies.split_summary_args(engine, rest)
    return await replies.summary_reply(engine, period, executive)


async def _ask(engine, rest: str, prefix: str, out: Callable[[str], None]) -> Reply:  # noqa: ANN001
    return await replies.ask_reply(engine, rest)


async def _stats(engine, rest: str, prefix: str, out: Callable[[str], None]) -> Reply:  # noqa: ANN001
    return await replies.stats_reply(engine)


async def _help(engine, rest: str, prefix: str, out: Callable[[str], None]) -> Reply:  # noqa: ANN001
    reply = replies.help_reply(prefix, qa_hint=False)
    reply.content = "A line without a prefix is a question."
    return reply


async def _sources(engine, rest: str, prefix: str, out: Callable[[str], None]) -> str:  # noqa: ANN001
    from ingest.settings import IngestSettings

    return describe_sources(IngestSettings().sources)


async def _reingest(engine, rest: str, prefix: str, out: Callable[[str], None],  # noqa: ANN001
                    lock: asyncio.Lock | None = None) -> str:
    # The console user runs the process, so they are the admin here.
    from ingest.settings import IngestSettings

    sources = resolve_sources(rest, IngestSettings().sources)
    lock = lock or asyncio.Lock()
    if lock.locked():  # an `execbot ingest` handed to this console is running
        return BUSY

    async def show(text: str) -> None:
        out(text)

    async with lock:
        return await reingest_with_progress(engine, sources, show)


COMMANDS: dict[str, Handler] = {
    "top": _top, "summary": _summary, "ask": _ask, "stats": _stats, "help": _help,
    "sources": _sources, "reingest": _reingest,
}
USAGE = {usage.split()[0]: usage for usage, _ in replies.COMMAND_HELP}


async def handle_line(engine, line: str, prefix: str = "!", out: Callable[[str], None] = print,  # noqa: ANN001
                      ingest_lock: asyncio.Lock | None = None,
                      conversations: Conversations | None = None) -> str | None:
    """The reply to one console line, as text (None for a blank line). `ingest_lock` is the console's
    one-ingest-at-a-time lock, shared with the jobs `execbot ingest` hands over. With `conversations`,
    a question follows up on the one before it (the console is one conversation)."""
    text = line.strip()
    if not text:
        return None
    name, usage = "ask", USAGE["ask"]
    if text.startswith((prefix, "/")):
        body = text[len(prefix):] if text.startswith(prefix) else text[1:]
        name, _, rest = body.partition(" ")
        name = name.lower()
        handler = COMMANDS.get(name)
        if handler is None:
            return f"I don't know the command `{name}`. Try `{prefix}help`."
        usage = USAGE.get(name, name)
    else:
        handler, rest = _ask, text
    try:
        if handler is _reingest:
            result = await _reingest(engine, rest.strip(), prefix, out, ingest_lock)
        elif handler is _ask and conversations is not None:
            scope, turn = await scope_for(engine, rest.strip(), conversations.get(CONSOLE))
            result = await replies.ask_reply(engine, rest.strip(), scope=scope)
            conversations.put(CONSOLE, turn)
        else:
            result = await handler(engine, rest.strip(), prefix, out)
    except Exception as exc:
        msg = friendly(exc, prefix, usage)
        if msg is None:
            log.exception("chat command %s failed", name)
            msg = INTERNAL
        return msg
    return result if isinstance(result, str) else result.text()


async def chat(engine, lines: Iterable[str] | None, prefix: str = "!",  # noqa: ANN001
               out: Callable[[str], None] = print, interactive: bool = False,
               ingest_lock: asyncio.Lock | None = None) -> None:
    """Answer `lines` (the demo, or stdin when it isn't a terminal), then, if interactive, prompt."""
    it = iter(lines or [])
    conversations = Conversations()
    # Read in a worker thread: a pipe may stay quiet for a long time, and the loop meanwhile serves
    # the ingests `execbot ingest` hands over.
    while (line := await asyncio.to_thread(next, it, None)) is not None:
        if not line.strip():
            continue
        out(f"you> {line.strip()}")
        reply = await handle_line(engine, line, prefix, out, ingest_lock, conversations)
        out(f"{reply}\n")
    if not interactive:
        return
    out(GREETING)
    while True:
        try:
            line = await asyncio.to_thread(input, "you> ")
        except (EOFError, KeyboardInterrupt):
            out("")
            return
        if line.strip().lower() in {"quit", "exit", ":q"}:
            return
        reply = await handle_line(engine, line, prefix, out, ingest_lock, conversations)
        if reply is not None:
            out(f"{reply}\n")


def _stdin_lines() -> Iterable[str]:
    for line in sys.stdin:
        yield line.rstrip("\n")


def run_chat(demo: bool = False, settings: RetrievalSettings | None = None,
             bot_settings: BotSettings | None = None) -> int:
    """`execbot chat`: scriptable when stdin is not a terminal (one message per line, exit at the end);
    otherwise a prompt, after the README's examples when `demo` is set. Settings are built once, by
    the entry point (`execbot demo` pins the clock), or here from the environment."""
    from bot.settings import BotSettings
    from retrieval.engine import Engine
    from retrieval.settings import RetrievalSettings

    retrieval = settings or RetrievalSettings()
    prefix = (bot_settings or BotSettings()).prefix
    interactive = sys.stdin.isatty()
    lines: Iterable[str] | None = None
    if not interactive:
        lines = _stdin_lines()
    elif demo:
        lines = DEMO_LINES

    async def main() -> None:
        async with Engine(retrieval) as engine:
            # The console is the bot: the writer of an embedded store while it runs (ingest.handoff).
            # Started before anything reads vectors: it waits for an ingest another process began first.
            lock = asyncio.Lock()
            server = await serve_handoff(engine, lock)
            try:
                # At a prompt, load the model while the person types, as the bot does once it is ready.
                warm = asyncio.create_task(engine.warm_up()) if interactive else None
                await chat(engine, lines, prefix, print, interactive, lock)
                if warm is not None and not warm.done():
                    await asyncio.wait([warm])
            finally:
                if server is not None:
                    await server.close()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        return 130
    return 0
