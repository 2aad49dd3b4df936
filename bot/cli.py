"""`execbot`: one console command with subcommands for every part."""

from __future__ import annotations

import argparse
import logging
import sys

from ingest import cli as ingest_cli
from retrieval.cli import commands as retrieval_cli


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="execbot", description="Follow what executives say online.")
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(dest="command", required=True)
    ing = sub.add_parser("ingest", help="read posts and digests into the index")
    ingest_cli.add_arguments(ing)
    ing.set_defaults(func=ingest_cli.run)
    retrieval_cli.add_arguments(sub)
    demo = sub.add_parser("demo", help="ingest the sample data, then run the bot (DISCORD_TOKEN) or the console")
    demo.set_defaults(func=run_demo)
    run = sub.add_parser("run", help="run the Discord bot (needs DISCORD_TOKEN)")
    run.set_defaults(func=run_discord)
    fb = sub.add_parser("feedback", help="the 👍/👎 votes on the bot's answers")
    fb.add_argument("--json", action="store_true", help="print them as JSON (the format bench.eval --feedback reads)")
    fb.set_defaults(func=run_feedback)
    chat = sub.add_parser("chat", help="talk to the bot on this console: no Discord needed")
    chat.set_defaults(func=run_console)
    return p


DEMO_NOW = "2025-06-02"  # the sample data is the week of May 26 – Jun 1, 2025


def run_demo(args: argparse.Namespace) -> int:
    """Ingest the sample data; then the Discord bot when DISCORD_TOKEN is set, else the console
    (on a terminal: the README's example messages first, then a prompt)."""
    from bot.settings import BotSettings
    from ingest.settings import IngestSettings
    from retrieval.settings import RetrievalSettings

    code = ingest_cli.run(ingest_cli_args(IngestSettings().sources))
    if code == 1:
        return code
    settings = BotSettings()
    if settings.token is not None and settings.token.get_secret_value().strip():
        from bot.app import run_bot

        return run_bot(settings)
    retrieval = RetrievalSettings()
    if retrieval.now is None:
        # Passed down, not written to os.environ: only this console's engine sees the pinned clock.
        retrieval = RetrievalSettings(EXECBOT_NOW=DEMO_NOW)
        print(f"(demo: EXECBOT_NOW={DEMO_NOW}, so 'week' and 'last week' fall on the sample data; "
              "set EXECBOT_NOW to change it)")
    print("(no DISCORD_TOKEN: running the bot on this console instead; see `execbot run`)\n")
    from bot.chat import run_chat

    return run_chat(demo=True, settings=retrieval, bot_settings=settings)


def run_feedback(args: argparse.Namespace) -> int:
    """Export the votes. Reads the SQLite file only: safe while the bot runs (WAL)."""
    import asyncio
    import json
    from pathlib import Path

    from bot.feedback import FeedbackStore
    from retrieval.settings import get_settings
    from retrieval.store.sqlite import Store

    async def votes() -> list[dict]:
        path = Path(get_settings().data_dir) / "execbot.sqlite3"
        if not path.exists():
            return []
        async with Store(path) as store:
            return await FeedbackStore(store.conn).export()

    items = asyncio.run(votes())
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=1))
    elif not items:
        print("No votes yet.")
    else:
        for it in items:
            print(f"👍 {it['up']} 👎 {it['down']}  {it['question']}  (cited: {', '.join(it['cited']) or 'nothing'})")
    return 0


def run_discord(args: argparse.Namespace) -> int:
    from bot.app import run_bot

    return run_bot()


def run_console(args: argparse.Namespace) -> int:
    from bot.chat import run_chat

    return run_chat()


def ingest_cli_args(paths: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    ingest_cli.add_arguments(p)
    return p.parse_args(paths)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
