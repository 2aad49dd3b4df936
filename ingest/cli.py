"""`execbot ingest`: thin CLI over ingest.pipeline. While a bot serves the embedded store, the job is handed
to it (ingest.handoff) and the same report comes back; otherwise this process writes the index itself."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path

from ingest import handoff
from ingest.formats import FORMATS, MAP_FIELDS
from ingest.pipeline import IngestOptions, Progress, ingest, is_url
from ingest.settings import IngestSettings
from retrieval.errors import ExecbotError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH", help="files, folders or feed URLs (default: EXECBOT_SOURCES)")
    p.add_argument("--format", dest="fmt", default="auto", choices=["auto", *FORMATS])
    p.add_argument("--author", help="executive key for every record (added to the registry if new)")
    p.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help=f"map a field ({', '.join(MAP_FIELDS)}) to a column of a generic CSV/JSON source")
    p.add_argument("--rebuild", action="store_true", help="re-embed the whole index (e.g. after changing model)")
    p.add_argument("--json", action="store_true", help="print a machine-readable report")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--wait", dest="wait", action="store_true", default=None,
                   help="if another ingest is writing, wait for it (default)")
    g.add_argument("--no-wait", dest="wait", action="store_false", help="if another ingest is writing, exit 1")


def parse_mapping(items: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        if not sep or not column or field not in MAP_FIELDS:
            raise ValueError(f"--map {item!r}: expected FIELD=COLUMN with FIELD one of {', '.join(MAP_FIELDS)}")
        mapping[field] = column
    return mapping


def run(args: argparse.Namespace) -> int:
    from retrieval.settings import get_settings

    settings = IngestSettings()
    try:
        mapping = parse_mapping(args.map)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    sources = args.paths or settings.sources
    missing = [s for s in sources if not is_url(s) and not Path(s).exists()]
    if missing:
        print(f"error: no such file or directory: {', '.join(missing)}", file=sys.stderr)
        return 1
    opts = IngestOptions(
        fmt=args.fmt, author=args.author, mapping=mapping, rebuild=args.rebuild,
        wait=settings.wait_for_lock if args.wait is None else args.wait, fetch_timeout=settings.fetch_timeout,
    )
    progress = Progress(enabled=not args.json)
    rsettings = get_settings()
    data_dir = Path(rsettings.data_dir)
    # A Chroma server takes writes from any process; an embedded store has one writer, the bot if one runs.
    embedded = not rsettings.chroma_host
    try:
        for _ in range(3):  # a bot that starts or stops between the checks: look again
            if embedded:
                outcome = handoff.hand_over(data_dir, _job(sources, opts), progress)
                if outcome is not None:
                    progress.close()
                    return _finish(outcome, sources, args.json)
            try:
                report = asyncio.run(ingest(sources, opts, progress=progress,
                                            under_lock=(lambda: handoff.ensure_no_bot(data_dir)) if embedded else None))
            except handoff.BotStarted:
                continue
            break
        else:
            progress.close()
            print(f"error: cannot tell whether a bot serves {data_dir}; try again", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        progress.close()
        print("interrupted: what was written is kept, and the next run completes it", file=sys.stderr)
        return 130
    except (ExecbotError, OSError, sqlite3.Error) as exc:  # anything else is a bug: let it show
        msg = handoff.failure_message(exc, data_dir)
        progress.close()
        print(f"error: {msg}", file=sys.stderr)
        return 1
    progress.close()
    print_report(report.to_json(), args.json)
    return report.exit_code


def _job(sources: list[str], opts: IngestOptions) -> handoff.Job:
    # The bot runs in another directory: hand it absolute paths (not resolved: a symlink keeps its name).
    absolute = [s if is_url(s) else os.path.abspath(s) for s in sources]
    argv = [Path(sys.argv[0]).name, *sys.argv[1:]] if sys.argv and sys.argv[0] else []
    return handoff.Job(absolute, opts, argv)


def _finish(outcome: handoff.Outcome, sources: list[str], as_json: bool) -> int:
    if outcome.error is not None or outcome.report is None:
        print(f"error: {outcome.error}", file=sys.stderr)
        return 1
    report = outcome.report
    # Name each problem's file as the user typed it, as a local run does.
    typed = {os.path.abspath(s): s for s in sources if not is_url(s)}
    for e in report.get("errors", []):
        src = str(e.get("source", ""))
        for absolute, original in typed.items():
            if src == absolute or src.startswith(absolute.rstrip("/") + "/"):
                e["source"] = original + src[len(absolute):]
                break
    print_report(report, as_json)
    return outcome.exit_code


def print_report(report: dict, as_json: bool) -> None:
    """The report as the CLI prints it: one JSON line, or the counts and the first problems."""
    if as_json:
        print(json.dumps(report, ensure_ascii=False))
        return
    print(
        f"{report['added']} added, {report['updated']} updated, {report['unchanged']} unchanged, "
        f"{report['skipped']} skipped; {report['embedded']} embedded in {report['seconds']:.1f}s"
    )
    for key in report.get("new_executives", []):
        print(f"added executive {key!r} (from the data)")
    errors = report.get("errors", [])
    for e in errors[:50]:
        where = f"{e['source']}:{e['line']}" if e.get("line") is not None else e["source"]
        print(f"  skipped {where}: {e['error']}", file=sys.stderr)
    if len(errors) > 50:
        print(f"  … and {len(errors) - 50} more (use --json for all)", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m ingest", description="Ingest posts and digests into the index.")
    add_arguments(p)
    return run(p.parse_args(argv))
