"""Thin CLI commands over the engine: stats, search, ask, top, summary. Each takes --json."""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from retrieval.engine import Engine
from retrieval.errors import ExecbotError
from retrieval.models import METRICS
from retrieval.settings import get_settings
from retrieval.store.index import IndexStats


def _common(p: argparse.ArgumentParser, filters: bool = True) -> None:
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.add_argument("--author", help="executive key, name or alias")
    p.add_argument("--now", help="pin 'now' (e.g. 2025-06-02) for archives")
    if filters:
        p.add_argument("--since", help="start date (inclusive), e.g. 2025-05-26")
        p.add_argument("--until", help="end date (inclusive), e.g. 2025-06-01")


def add_arguments(sub: Any) -> None:
    st = sub.add_parser("stats", help="what the index holds")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=run_stats)

    se = sub.add_parser("search", help="hybrid keyword + vector search")
    se.add_argument("query")
    se.add_argument("--k", type=int, default=10)
    _common(se)
    se.set_defaults(func=run_search)

    ask = sub.add_parser("ask", help="answer a question with cited sentences")
    ask.add_argument("question")
    ask.add_argument("--k", type=int, default=8)
    _common(ask)
    ask.set_defaults(func=run_ask)

    top = sub.add_parser("top", help="top posts of a period by engagement")
    top.add_argument("period", nargs="?", default="week", help="day, week, month, last week, 上周, 2025-05-26..2025-06-01…")
    top.add_argument("--n", type=int, default=10)
    top.add_argument("--by", default="engagement", choices=METRICS)
    _common(top, filters=False)
    top.set_defaults(func=run_top)

    su = sub.add_parser("summary", help="a digest of a period, like the weekly digest")
    su.add_argument("period", nargs="?", default="last week")
    su.add_argument("--chart", help="also draw daily posts and engagement to this PNG")
    _common(su, filters=False)
    su.set_defaults(func=run_summary)


def _run(args: argparse.Namespace, work: Callable[[Engine], Awaitable[Any]],
         render: Callable[[Any, dict[str, str]], str]) -> int:
    async def go() -> tuple[Any, dict[str, str]]:
        async with Engine() as engine:
            result = await work(engine)
            return result, await engine.names()

    try:
        result, names = asyncio.run(go())
    except ExecbotError as exc:  # a bad period or date, a model mismatch, an unreachable Chroma server
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (sqlite3.Error, OSError) as exc:  # a read-only, missing or damaged data directory
        print(f"error: cannot read the index in {get_settings().data_dir}: {exc}", file=sys.stderr)
        return 1
    if args.json:
        payload = result if isinstance(result, dict) else result.to_json()
        print(json.dumps(payload, ensure_ascii=False))
    else:
        print(render(result, names))
    return 0


def _tz_render(fn: Callable[..., str]) -> Callable[[Any, dict[str, str]], str]:
    """Renderers show dates in the configured time zone."""
    from retrieval.settings import get_settings

    tz = get_settings().tz
    return lambda result, names: fn(result, names, tz=tz)


def run_stats(args: argparse.Namespace) -> int:
    from retrieval.cli.render import render_stats

    async def work(e: Engine) -> IndexStats | dict[str, Any]:
        st = await e.stats()
        if args.json:
            out = st.to_json()
            out.pop("embed_model", None)
            return out
        return st

    render = render_stats
    return _run(args, work, render)


def run_search(args: argparse.Namespace) -> int:
    from retrieval.cli.render import render_search

    return _run(args, lambda e: e.search(args.query, k=args.k, author=args.author, since=args.since,
                                         until=args.until, now=args.now), _tz_render(render_search))


def run_ask(args: argparse.Namespace) -> int:
    from retrieval.cli.render import render_answer

    return _run(args, lambda e: e.ask(args.question, k=args.k, author=args.author, since=args.since,
                                      until=args.until, now=args.now), _tz_render(render_answer))


def run_top(args: argparse.Namespace) -> int:
    from retrieval.cli.render import render_top

    return _run(args, lambda e: e.top(args.period, n=args.n, by=args.by, author=args.author, now=args.now),
                _tz_render(render_top))


def run_summary(args: argparse.Namespace) -> int:
    from retrieval.cli.render import render_summary

    return _run(args, lambda e: e.summary(args.period, author=args.author, chart=args.chart, now=args.now),
                _tz_render(render_summary))
